"""The JSON of a saved fit: exact values, reading records and entries, the corrupt-file error.

Shared by :mod:`interactmodel.io` (``spec.json``, ``estimates.json``, ``bayes.json``) and
:mod:`interactmodel.saved_design` (``design.json``).  Floats are written with Python's shortest
round-trip ``repr``, so they read back bit for bit; the non-finite floats JSON lacks are written
``{"float": "nan"}``, ``{"float": "inf"}`` or ``{"float": "-inf"}``.

Examples
--------
>>> import numpy as np
>>> to_json({"a": np.float64(0.1), "b": [np.inf, 2]}, "example")
{'a': 0.1, 'b': [{'float': 'inf'}, 2]}
>>> from_json({"a": 0.1, "b": [{"float": "inf"}, 2]})
{'a': 0.1, 'b': [inf, 2]}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from interactmodel.errors import SavedFitError, format_values

__all__ = ["corrupt", "from_json", "get_entry", "read_json", "to_json", "write_json"]


def to_json(value: Any, where: str) -> Any:
    """Plain JSON data; floats exactly (repr), non-finite floats as {"float": "nan"}.

    Parameters
    ----------
    value : Any
        None, strings, booleans, numbers (Python or numpy), arrays, lists, tuples and mappings
        with string keys, nested.
    where : str
        What ``value`` is, for the error message.

    Returns
    -------
    Any
        ``value`` as JSON data: tuples and arrays become lists, numpy scalars Python ones.

    Raises
    ------
    SavedFitError
        ``value`` holds something else, or a mapping with keys that are not strings.
    """
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number):
            return number
        return {"float": "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")}
    if isinstance(value, np.ndarray):
        return [to_json(v, where) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [to_json(v, where) for v in value]
    if isinstance(value, Mapping):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise SavedFitError(
                f"cannot save {where}: its keys {format_values(bad)} are not strings"
            )
        return {k: to_json(v, f"{where}[{k!r}]") for k, v in value.items()}
    raise SavedFitError(
        f"cannot save {where}: a {type(value).__name__} ({value!r:.60}) is not plain JSON data "
        "(strings, numbers, booleans, lists, dicts)"
    )


def from_json(value: Any) -> Any:
    """Inverse of :func:`to_json` (lists stay lists)."""
    if isinstance(value, dict):
        if set(value) == {"float"} and value["float"] in ("nan", "inf", "-inf"):
            return float(value["float"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` (JSON data, see :func:`to_json`) to ``path``, indented, in UTF-8."""
    text = json.dumps(record, indent=1, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def corrupt(file: Path, problem: str) -> SavedFitError:
    """The error for a file of a saved fit that cannot be read: ``file`` and the ``problem``."""
    return SavedFitError(
        f"{file} is corrupt: {problem}; the saved fit cannot be read, save the fit again"
    )


def read_json(folder: Path, name: str) -> dict[str, Any]:
    """The JSON object in the file ``name`` of the saved-fit ``folder``.

    Raises
    ------
    SavedFitError
        The file is missing, is not JSON or does not hold a JSON object.
    """
    file = folder / name
    if not file.is_file():
        raise SavedFitError(
            f"{folder} has no {name}, so it is not a complete saved fit; pass the folder "
            "that save() wrote (it holds spec.json, design.json, cells.csv, ...)"
        )
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise corrupt(file, f"it is not valid JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise corrupt(file, f"it holds a JSON {type(record).__name__}, not an object")
    return record


def get_entry(record: Mapping[str, Any], key: str, kind: Any, file: Path) -> Any:
    """The entry ``key`` of ``record`` (read from ``file``), decoded, of type ``kind``.

    An integer is accepted where a float is expected; a boolean is not an integer.

    Raises
    ------
    SavedFitError
        The entry is missing or of another type.
    """
    if key not in record:
        raise corrupt(file, f"the entry {key!r} is missing")
    value = from_json(record[key])
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise corrupt(file, f"the entry {key!r} is {value!r:.60}, not of the expected type")
    return value
