"""Read and validate a user's own survey file into the tidy respondent-level frame.

:func:`read_survey` takes a file (CSV, Parquet, Excel ``.xlsx``, SPSS ``.sav``) or a
DataFrame, a column mapping and the order of the levels, and returns one row per rating
with the canonical columns ``org_id``, ``partner``, ``frequency``, ``quality``,
``region`` and ``weight`` (the last two only when the data has them), followed by the
user's other columns unchanged. :class:`SurveySchema` holds the mapping and the level
orders, and can be kept in a small TOML or JSON file next to the data.

Conventions used in every message
---------------------------------
* Row numbers count data rows from 1; the header line is not counted (spreadsheet row
  ``n`` is data row ``n - 1``).
* Labels are matched to a level order exactly first, then ignoring case and surrounding
  spaces, so ``" rather GOOD "`` matches ``"Rather good"``. A label that matches two
  levels only in this loose way (for example levels ``"Good"`` and ``"good"`` and the
  value ``"GOOD"``) is ambiguous and is an error, never a guess.
* A weight must be a positive finite number. A zero weight is an error, not a silent
  drop: drop those rows yourself if they should not count.
"""

from __future__ import annotations

import codecs
import difflib
import json
import math
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import DataError, SchemaError, format_rows, format_values

__all__ = ["CANONICAL_COLUMNS", "SurveySchema", "read_survey"]

#: The canonical columns, in output order.
CANONICAL_COLUMNS = ("org_id", "partner", "frequency", "quality", "region", "weight")
#: Columns every survey must have.
REQUIRED_COLUMNS = ("partner", "frequency", "quality")
#: Columns whose values are labels with an order.
LEVEL_COLUMNS = ("partner", "frequency", "quality", "region")
#: Level orders that cannot be guessed from the data: they carry the ordinal information.
_ORDINAL = ("frequency", "quality")
_SCHEMA_KEYS = ("columns", "levels", "recode")

Labels = tuple[str, ...]


# --------------------------------------------------------------------------- schema
def _label(value: object) -> str:
    """The text of one cell or level; whole floats lose the ``.0`` so 1.0 matches level 1."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def _norm(label: str) -> str:
    return label.strip().casefold()


def _close(word: str, choices: Iterable[str]) -> list[str]:
    """Close matches, compared without case, returned in their original spelling."""
    by_norm: dict[str, str] = {}
    for choice in choices:
        by_norm.setdefault(_norm(str(choice)), str(choice))
    hits = difflib.get_close_matches(_norm(word), list(by_norm), n=3, cutoff=0.6)
    return [by_norm[hit] for hit in hits]


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    hits = _close(word, choices)
    return f" Did you mean {format_values(hits)}?" if hits else ""


def _label_list(value: object, where: str) -> Labels:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SchemaError(
            f"{where} must be a list of labels in order, got {value!r}. "
            f"Fix: give a list such as ['Bad', 'Mixed', 'Good']."
        )
    labels = tuple(_label(v) for v in value)
    if not labels:
        raise SchemaError(f"{where} is empty. Fix: list the labels in order.")
    repeated = [lab for i, lab in enumerate(labels) if lab in labels[:i]]
    if repeated:
        raise SchemaError(
            f"{where} has duplicated levels {format_values(repeated)}. "
            f"Fix: list each level once, in order."
        )
    return labels


def _entries(value: object, argname: str, allowed: Sequence[str], what: str) -> list[Any]:
    """The items of a schema section, after checking it is a mapping with known keys."""
    if not isinstance(value, Mapping):
        raise SchemaError(f"{argname} must be a mapping {what}, got {value!r}.")
    for key in value:
        if key not in allowed:
            raise SchemaError(
                f"{argname} has the unknown key {key!r}.{_did_you_mean(str(key), allowed)} "
                f"Its keys are {format_values(allowed)}."
            )
    return list(value.items())


def _check_columns(columns: object) -> dict[str, str | None]:
    checked: dict[str, str | None] = {}
    for key, value in _entries(columns, "columns", CANONICAL_COLUMNS, "name -> your column"):
        if value is not None and not isinstance(value, str):
            raise SchemaError(f"columns[{key!r}] must be a column name (text), got {value!r}.")
        # None or "" says "my data has no such column; do not look for one by name".
        checked[key] = value or None
    used = [v for v in checked.values() if v is not None]
    twice = [v for i, v in enumerate(used) if v in used[:i]]
    if twice:
        raise SchemaError(
            f"columns maps {format_values(k for k, v in checked.items() if v in twice)} to the "
            f"same column {format_values(twice)}. Fix: give each canonical name its own column."
        )
    return checked


def _check_levels(levels: object) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in _entries(levels, "levels", LEVEL_COLUMNS, "column -> labels in order"):
        if key == "frequency" and isinstance(value, Mapping):
            if not value:
                raise SchemaError("levels['frequency'] is empty. Fix: one scale per partner.")
            checked[key] = {
                _label(p): _label_list(v, f"levels['frequency'][{p!r}]") for p, v in value.items()
            }
        else:
            checked[key] = _label_list(value, f"levels[{key!r}]")
    return checked


def _code_map(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise SchemaError(f"{where} must map your labels to codes, got {value!r}.")
    codes = {_label(k): v for k, v in value.items()}
    bad = [v for v in codes.values() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise SchemaError(f"{where} has codes {format_values(bad)}; codes must be non-empty text.")
    return codes


def _check_recode(recode: object) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in _entries(recode, "recode", LEVEL_COLUMNS, "column -> {label: code}"):
        if key == "frequency" and _nested(value):
            checked[key] = {
                _label(p): _code_map(v, f"recode['frequency'][{p!r}]") for p, v in value.items()
            }
        else:
            checked[key] = _code_map(value, f"recode[{key!r}]")
    return checked


def _nested(value: object) -> bool:
    """Whether a recode holds one {label: code} map per partner."""
    return isinstance(value, Mapping) and any(isinstance(v, Mapping) for v in value.values())


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def _toml_str(text: str) -> str:
    """A TOML basic string; escapes only what TOML forbids raw (json.dumps would add surrogates)."""
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_table(header: str, items: Mapping[str, Any]) -> list[str]:
    lines = [f"[{header}]"]
    for key, value in items.items():
        if isinstance(value, tuple | list):
            rendered = "[" + ", ".join(_toml_str(v) for v in value) + "]"
        else:
            rendered = _toml_str(value or "")
        lines.append(f"{_toml_str(key)} = {rendered}")
    return [*lines, ""]


@dataclass(frozen=True)
class SurveySchema:
    """How a user's survey maps onto the canonical columns and level orders.

    Parameters
    ----------
    columns : mapping, optional
        Canonical name (``org_id``, ``partner``, ``frequency``, ``quality``, ``region``,
        ``weight``) -> the user's column name. A canonical name that is not mapped is
        looked for under its own name; map it to ``None`` or ``""`` to say the data has
        no such column.
    levels : mapping, optional
        Level orders in the user's labels: ``quality`` worst..best; ``frequency`` rarest..
        most frequent, either one list or a mapping partner -> list (one scale per
        partner, kept distinct); ``partner`` and ``region`` in the order wanted.
    recode : mapping, optional
        Column -> {user label: canonical code}; for per-partner frequency scales also
        partner -> {label: code}. Labels not listed keep their own text.

    Examples
    --------
    >>> schema = SurveySchema(columns={"quality": "Q1"}, levels={"quality": ["bad", "good"]})
    >>> schema.levels["quality"]
    ('bad', 'good')
    >>> SurveySchema.from_dict(schema.to_dict()) == schema
    True
    """

    columns: Mapping[str, str | None] = field(default_factory=dict)
    levels: Mapping[str, Any] = field(default_factory=dict)
    recode: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Copy and freeze so neither the caller nor a later reader can change a schema.
        object.__setattr__(self, "columns", _freeze(_check_columns(self.columns)))
        object.__setattr__(self, "levels", _freeze(_check_levels(self.levels)))
        object.__setattr__(self, "recode", _freeze(_check_recode(self.recode)))

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __reduce__(self) -> tuple[Callable[..., SurveySchema], tuple[dict[str, Any]]]:
        return (SurveySchema.from_dict, (self.to_dict(),))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SurveySchema:
        """Build a schema from a plain dict with keys ``columns``, ``levels``, ``recode``."""
        if not isinstance(data, Mapping):
            raise SchemaError(f"a survey schema must be a mapping, got {type(data).__name__}.")
        unknown = [k for k in data if k not in _SCHEMA_KEYS]
        if unknown:
            raise SchemaError(
                f"the schema has unknown section(s) {format_values(unknown)}; "
                f"the sections are {format_values(_SCHEMA_KEYS)}."
            )
        return cls(**{k: data[k] for k in _SCHEMA_KEYS if k in data})

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> SurveySchema:
        """Read a schema from a ``.toml`` or ``.json`` file (see :meth:`to_toml` for the layout)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".toml", ".json"):
            raise SchemaError(
                f"schema file {str(path)!r} has the extension {suffix!r}; use .toml or .json."
            )
        if not path.is_file():
            raise SchemaError(f"schema file {str(path)!r} does not exist. Fix: check the path.")
        try:
            text = path.read_text(encoding="utf-8-sig")
            data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise SchemaError(f"schema file {str(path)!r} cannot be parsed: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The schema as plain dicts and lists (JSON-ready; ``None`` marks an absent column)."""
        return {key: _thaw(getattr(self, key)) for key in _SCHEMA_KEYS}

    def to_toml(self) -> str:
        """The schema as TOML text; an absent column is written as ``""``.

        Examples
        --------
        >>> print(SurveySchema(levels={"quality": ["bad", "good"]}).to_toml())
        [levels]
        "quality" = ["bad", "good"]
        <BLANKLINE>
        """
        lines: list[str] = []
        if self.columns:
            lines += _toml_table("columns", self.columns)
        flat = {k: v for k, v in self.levels.items() if not isinstance(v, Mapping)}
        if flat:
            lines += _toml_table("levels", flat)
        for key, value in self.levels.items():
            if isinstance(value, Mapping):
                lines += _toml_table(f"levels.{_toml_str(key)}", value)
        for key, value in self.recode.items():
            if _nested(value):
                for partner, codes in value.items():
                    lines += _toml_table(f"recode.{_toml_str(key)}.{_toml_str(partner)}", codes)
            else:
                lines += _toml_table(f"recode.{_toml_str(key)}", value)
        return "\n".join(lines)

    def to_file(self, path: str | os.PathLike[str]) -> Path:
        """Write the schema to a ``.toml`` or ``.json`` file and return its path."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".toml":
            path.write_text(self.to_toml(), encoding="utf-8")
        elif suffix == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False), "utf-8")
        else:
            raise SchemaError(f"schema file {str(path)!r}: use the extension .toml or .json.")
        return path


_SECTION_EXAMPLES = {
    "columns": "{'quality': 'Q5', 'frequency': 'Q4'}",
    "levels": "{'quality': ['bad', 'mixed', 'good']}",
    "recode": "{'quality': {'Bad': 'bad'}}",
}


def _merged_schema(
    schema: SurveySchema | Mapping[str, Any] | str | os.PathLike[str] | None,
    columns: Mapping[str, str | None] | None,
    levels: Mapping[str, Any] | None,
    recode: Mapping[str, Any] | None,
    partner_levels: Sequence[str] | None,
) -> SurveySchema:
    """The schema argument, overridden key by key by the explicit arguments."""
    if schema is None:
        base = SurveySchema()
    elif isinstance(schema, SurveySchema):
        base = schema
    elif isinstance(schema, Mapping):
        base = SurveySchema.from_dict(schema)
    elif isinstance(schema, str | os.PathLike):
        base = SurveySchema.from_file(schema)
    else:
        raise SchemaError(
            f"schema must be a SurveySchema, a dict or a path, got {type(schema).__name__}."
        )
    for name, given in (("columns", columns), ("levels", levels), ("recode", recode)):
        if given is not None and not isinstance(given, Mapping):
            raise SchemaError(
                f"{name}= must be a dict, got {type(given).__name__} {given!r}. Fix: e.g. "
                f"{name}={_SECTION_EXAMPLES[name]}."
            )
    merged_levels = {**base.levels, **(levels or {})}
    if partner_levels is not None:
        order = _label_list(partner_levels, "partner_levels")
        given = merged_levels.get("partner")
        if given is not None and tuple(_label_list(given, "levels['partner']")) != order:
            raise SchemaError(
                "partner_levels and levels['partner'] disagree. Fix: give the partner order once."
            )
        merged_levels["partner"] = order
    return SurveySchema(
        columns={**base.columns, **(columns or {})},
        levels=merged_levels,
        recode={**base.recode, **(recode or {})},
    )


# --------------------------------------------------------------------------- readers
def _reader_failed(path: Path, kind: str, exc: Exception) -> DataError:
    # parsers end some messages with a newline; keep ours on one line
    said = " ".join(str(exc).split())
    return DataError(
        f"file {str(path)!r} could not be read as {kind} ({type(exc).__name__}: {said}). "
        f"Fix: check that the file really is {kind} (open it in the program that made it "
        f"and save it again with the right format), or give it the extension of its format."
    )


def _csv_encoding(encoding: str | None) -> str:
    if encoding is None:
        return "utf-8-sig"  # also strips the byte-order mark Excel puts before the header
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise SchemaError(
            f"encoding={encoding!r} is not an encoding Python knows. "
            f"Fix: use a name such as 'utf-8' or 'cp1251'."
        ) from exc
    return "utf-8-sig" if name == "utf-8" else encoding


def _sniff_sep(path: Path, encoding: str) -> str:
    """Comma unless the header line has no comma but semicolons or tabs (Excel exports)."""
    with path.open(encoding=encoding, newline="") as handle:
        header = handle.readline()
    if "," in header:
        return ","
    return max((";", "\t"), key=header.count) if (";" in header or "\t" in header) else ","


#: how binary formats begin, and what to do with a file in one that is named as text
_MAGIC = (
    (b"PK\x03\x04", "a zip/Excel file", "rename it to .xlsx, or export it from Excel as CSV"),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
    (b"$FL2", "an SPSS .sav file", "rename it to .sav"),
    (b"$FL3", "an SPSS .zsav file", "rename it to .zsav"),
)


def _refuse_binary(path: Path, head: bytes, encoding: str) -> None:
    """A binary file named .csv/.tsv would otherwise be blamed on its text encoding."""
    for magic, kind, fix in _MAGIC:
        if head.startswith(magic):
            raise DataError(f"file {str(path)!r} is {kind}, not CSV text. Fix: {fix}.")
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))  # NULs are normal there
    if b"\x00" in head and not wide:
        raise DataError(
            f"file {str(path)!r} holds NUL bytes, so it is a binary file or UTF-16 text, not "
            f"CSV in {encoding!r}. Fix: for UTF-16 text (Excel's 'Unicode text') pass "
            f"encoding='utf-16'; otherwise save it as CSV, or give it the extension of its format."
        )


def _read_csv(
    path: Path, *, encoding: str | None, sep: str | None, text_columns: set[str]
) -> pd.DataFrame:
    enc = _csv_encoding(encoding)
    try:
        with path.open("rb") as handle:
            _refuse_binary(path, handle.read(4096), enc)
        sep = sep or (_sniff_sep(path, enc) if path.suffix.lower() == ".csv" else "\t")
        header = pd.read_csv(path, nrows=0, sep=sep, encoding=enc)
        dtype = {col: str for col in header.columns if col in text_columns}
        return pd.read_csv(path, sep=sep, encoding=enc, dtype=dtype)
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        where = f"the byte 0x{exc.object[exc.start]:02x}"
        if encoding is None:
            raise DataError(
                f"file {str(path)!r} is not UTF-8 text ({where} cannot be decoded). "
                f"Fix: pass the file's encoding: encoding='cp1251' for CSV files saved by "
                f"Excel on a Russian or Kazakh Windows (encoding='kz1048' if it has Kazakh "
                f"letters such as 'қ', 'ө')."
            ) from exc
        raise DataError(
            f"file {str(path)!r} is not valid {encoding} text ({where}). "
            f"Fix: pass the encoding the file was saved in (e.g. 'utf-8' or 'cp1251')."
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(
            f"file {str(path)!r} is empty: no header and no rows. Fix: check the file."
        ) from exc
    except Exception as exc:  # the parser's own errors never reach the user raw
        raise _reader_failed(path, "CSV", exc) from exc


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except Exception as exc:
        raise _reader_failed(path, "Parquet", exc) from exc


def _read_excel(path: Path, *, sheet: str | int | None) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:
        raise _reader_failed(path, "an Excel .xlsx workbook", exc) from exc
    with book:
        names = [str(name) for name in book.sheet_names]
        chosen: str | int = 0 if sheet is None else sheet
        if isinstance(chosen, int) and not 0 <= chosen < len(names):
            raise DataError(
                f"sheet={sheet!r}: workbook {str(path)!r} has {len(names)} sheet(s) "
                f"{format_values(names)} (numbered from 0). Fix: pass a sheet name or number."
            )
        if isinstance(chosen, str) and chosen not in names:
            raise DataError(
                f"sheet={sheet!r} is not in workbook {str(path)!r}; its sheets are "
                f"{format_values(names)}.{_did_you_mean(chosen, names)}"
            )
        try:
            return pd.read_excel(book, sheet_name=chosen)
        except Exception as exc:
            raise _reader_failed(path, "an Excel .xlsx workbook", exc) from exc


def _value_labelled(values: pd.Series, labels: Mapping[Any, str]) -> pd.Series:
    """SPSS codes -> ordered categorical of their labels, ordered by code.

    pyreadstat's own ``apply_value_formats`` is not used: with pandas 3 it fails on any
    missing value and its unordered categories are sorted by text, losing the code order.
    A column with unlabelled codes or repeated labels keeps its labels as plain values,
    so nothing is silently put in a made-up order.
    """
    order = [labels[code] for code in sorted(labels)]
    observed = values.dropna()
    if len(set(order)) < len(order) or not observed.isin(list(labels)).all():
        return values.map(lambda v: labels.get(v, v))
    return pd.Series(
        pd.Categorical(values.map(labels), categories=order, ordered=True),
        index=values.index,
        name=values.name,
    )


def _read_sav(path: Path, *, encoding: str | None) -> pd.DataFrame:
    import pyreadstat  # only SPSS users pay for the import

    try:
        frame, meta = pyreadstat.read_sav(path, encoding=encoding)
        labelled = {
            col: _value_labelled(frame[col], labels)
            for col, labels in meta.variable_value_labels.items()
            if col in frame.columns
        }
    except Exception as exc:
        raise _reader_failed(path, "an SPSS .sav file", exc) from exc
    return frame.assign(**labelled) if labelled else frame


_FORMATS = {
    ".csv": ("CSV", {"encoding", "sep"}),
    ".tsv": ("tab-separated text", {"encoding", "sep"}),
    ".parquet": ("Parquet", set()),
    ".xlsx": ("Excel", {"sheet"}),
    ".sav": ("SPSS", {"encoding"}),
    ".zsav": ("SPSS", {"encoding"}),
}


def _load(
    source: pd.DataFrame | str | os.PathLike[str], options: dict[str, Any], text_columns: set[str]
) -> pd.DataFrame:
    given = {k for k, v in options.items() if v is not None}
    if isinstance(source, pd.DataFrame):
        if given:
            raise SchemaError(
                f"{format_values(sorted(given))} only apply when reading a file; "
                f"source is a DataFrame. Fix: drop those arguments."
            )
        return source
    if not isinstance(source, str | os.PathLike):
        raise SchemaError(
            f"source must be a file path or a pandas DataFrame, got {type(source).__name__}."
        )
    path = Path(source)
    if not path.exists():
        raise DataError(
            f"file {str(path)!r} does not exist (working directory {os.getcwd()!r}). "
            f"Fix: check the path.{_did_you_mean(path.name, _siblings(path))}"
        )
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a folder, not a file. Fix: give the survey file.")
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        hint = " Save old .xls workbooks as .xlsx." if suffix == ".xls" else ""
        raise DataError(
            f"file {str(path)!r} has the unsupported extension {suffix!r}; read_survey "
            f"reads {format_values(list(_FORMATS))}.{hint} Fix: save the survey in one of "
            f"those formats, or read it with pandas and pass the DataFrame."
        )
    kind, allowed = _FORMATS[suffix]
    if given - allowed:
        raise SchemaError(
            f"{format_values(sorted(given - allowed))} do not apply to {kind} files. "
            f"Fix: drop those arguments."
        )
    if kind in ("CSV", "tab-separated text"):
        return _read_csv(
            path, encoding=options["encoding"], sep=options["sep"], text_columns=text_columns
        )
    if kind == "Parquet":
        return _read_parquet(path)
    if kind == "Excel":
        return _read_excel(path, sheet=options["sheet"])
    return _read_sav(path, encoding=options["encoding"])


def _siblings(path: Path) -> list[str]:
    parent = path.parent
    return [p.name for p in parent.iterdir()] if parent.is_dir() else []


# --------------------------------------------------------------------------- validation
_DIRECTION = {"quality": " (worst..best)", "frequency": " (rarest..most frequent)"}


def _where(user: object, canonical: str) -> str:
    return f"column {user!r}" + ("" if user == canonical else f" ({canonical})")


def _rows(positions: Iterable[int]) -> str:
    return format_rows([int(p) + 1 for p in positions])


def _resolve_columns(frame: pd.DataFrame, schema: SurveySchema) -> dict[str, Any]:
    """Canonical name -> the frame's column, for every canonical column the data has."""
    available = [str(c) for c in frame.columns]
    listing = f"The data's columns are {format_values(available, limit=20)}."
    taken = {v for v in schema.columns.values() if v is not None}
    resolved: dict[str, Any] = {}
    for name in CANONICAL_COLUMNS:
        if name in schema.columns:
            user = schema.columns[name]
            if user is not None and user not in frame.columns:
                raise SchemaError(
                    f"columns[{name!r}] = {user!r} is not a column of the data. {listing}"
                    f"{_did_you_mean(user, available)} Fix: map {name} to one of those columns."
                )
            if user is not None:
                resolved[name] = user
        elif name in frame.columns and name not in taken:
            resolved[name] = name
        elif name in REQUIRED_COLUMNS:
            raise SchemaError(
                f"no column for {name}: the data has no column named {name!r} and columns= "
                f"does not map it. {listing}{_did_you_mean(name, available)} "
                f"Fix: pass columns={{{name!r}: '<your column>'}}."
            )
    outputs = {"org_id", *resolved}
    clash = [c for c in frame.columns if c in outputs and c not in resolved.values()]
    if clash:
        raise SchemaError(
            f"the data has a column named {format_values(clash)} but columns= maps that "
            f"canonical name to another column, so the output would hold two. "
            f"Fix: rename or drop {format_values(clash)} before reading."
        )
    return resolved


def _blank(values: pd.Series) -> np.ndarray:
    return np.fromiter(
        (not v.strip() if isinstance(v, str) else bool(pd.isna(v)) for v in values),
        dtype=bool,
        count=len(values),
    )


def _positions(labels: np.ndarray, order: Sequence[str]) -> np.ndarray:
    """Index of each label in ``order``: exact first, then loosely; -1 unknown, -2 ambiguous."""
    exact = {lab: i for i, lab in enumerate(order)}
    loose: dict[str, list[int]] = {}
    for i, lab in enumerate(order):
        loose.setdefault(_norm(lab), []).append(i)
    lookup: dict[str, int] = {}
    for lab in set(labels.tolist()):
        hits = [exact[lab]] if lab in exact else loose.get(_norm(lab), [])
        lookup[lab] = hits[0] if len(hits) == 1 else (-2 if hits else -1)
    return np.array([lookup[lab] for lab in labels.tolist()], dtype=int)


def _raise_unmatched(
    pos: np.ndarray, labels: np.ndarray, rows: np.ndarray, order: Labels, where: str, key: str
) -> None:
    ambiguous = pos == -2
    if ambiguous.any():
        raise DataError(
            f"{where}: the value(s) {format_values(labels[ambiguous])} in rows "
            f"{_rows(rows[ambiguous])} match more than one of {key} = {format_values(order)} "
            f"once case and spaces are ignored. Fix: spell those values exactly as one level."
        )
    unknown = pos == -1
    if unknown.any():
        bad = list(dict.fromkeys(labels[unknown].tolist()))
        hints = [f"{b!r} -> {format_values(_close(b, order))}" for b in bad if _close(b, order)]
        hint = f" Close levels: {'; '.join(hints[:10])}." if hints else ""
        raise SchemaError(
            f"{where}: the value(s) {format_values(bad)} in rows {_rows(rows[unknown])} are "
            f"not in the level order {key} = {format_values(order, limit=20)}.{hint} Fix: "
            f"correct those values, or add them to {key} in their place in the order"
            f"{next((d for n, d in _DIRECTION.items() if repr(n) in key), '')}."
        )


def _order_for(name: str, values: pd.Series, labels: np.ndarray, where: str) -> Labels:
    """The level order the source itself carries, or a SchemaError for an ordinal column."""
    if isinstance(values.dtype, pd.CategoricalDtype) and (
        values.cat.ordered or name not in _ORDINAL
    ):
        return tuple(_label(c) for c in values.cat.categories)
    observed = sorted(set(labels.tolist()))
    if name in _ORDINAL:
        raise SchemaError(
            f"{where}: levels[{name!r}] is needed, since the order of the {name} labels"
            f"{_DIRECTION[name]} cannot be guessed. The data has {format_values(observed, 20)}. "
            f"Fix: pass levels={{{name!r}: [those labels in order]}}."
        )
    return tuple(observed)


def _codes(order: Labels, recode: Mapping[str, str], where: str) -> list[str]:
    """Output code of each level: its recode, or its own label."""
    keys = np.array(list(recode), dtype=object)
    pos = _positions(keys, order)
    if (pos < 0).any():
        raise SchemaError(
            f"{where} recodes {format_values(keys[pos < 0])}, which are not levels of "
            f"{format_values(order, limit=20)}. Fix: recode only labels of the level order."
        )
    codes = list(order)
    for key, i in zip(keys.tolist(), pos.tolist(), strict=True):
        codes[i] = recode[key]
    return codes


def _distinct(codes: Sequence[str], where: str) -> list[str]:
    repeated = [c for i, c in enumerate(codes) if c in codes[:i]]
    if repeated:
        raise SchemaError(
            f"{where}: the code(s) {format_values(repeated)} stand for more than one level. "
            f"Fix: give each level its own code in recode (scales of different partners must "
            f"not share codes: recode={{'frequency': {{partner: {{label: code}}}}}})."
        )
    return list(codes)


def _encode(
    labels: np.ndarray, rows: np.ndarray, order: Labels, codes: Sequence[str], where: str, key: str
) -> np.ndarray:
    pos = _positions(labels, order)
    _raise_unmatched(pos, labels, rows, order, where, key)
    return np.asarray(codes, dtype=object)[pos]


def _frequency_by_partner(
    labels: np.ndarray,
    partners: np.ndarray,
    partner_levels: tuple[Labels, Sequence[str]],
    scales: Mapping[str, Labels],
    recode: Mapping[str, Any],
    where: str,
) -> tuple[np.ndarray, list[str]]:
    """Encode each row's frequency on its own partner's scale; categories in partner order."""
    partner_labels, partner_codes = partner_levels
    scale_of: dict[str, str] = {}  # partner code -> key of its scale in levels['frequency']
    for key in scales:
        hits = [
            c
            for lab, c in zip(partner_labels, partner_codes, strict=True)
            if _norm(key) in (_norm(lab), _norm(c))
        ]
        if not hits:
            raise SchemaError(
                f"levels['frequency'] has a scale for {key!r}, which is not a partner level "
                f"{format_values(partner_codes)}. Fix: key the scales by partner."
            )
        if hits[0] in scale_of:
            raise SchemaError(
                f"levels['frequency'] has two scales, {scale_of[hits[0]]!r} and {key!r}, for the "
                f"partner {hits[0]!r}. Fix: give each partner one scale."
            )
        scale_of[hits[0]] = key
    no_scale = ~np.isin(partners, list(scale_of))
    if no_scale.any():
        raise SchemaError(
            f"rows {_rows(np.flatnonzero(no_scale))} have partner(s) "
            f"{format_values(partners[no_scale])} with no frequency scale in levels['frequency'] "
            f"(scales for {format_values(list(scales))}). Fix: add a scale for each partner."
        )
    codes: dict[str, list[str]] = {}
    per_partner = _nested(recode)
    stray = [p for p in recode if per_partner and p not in scales]
    if stray:
        raise SchemaError(
            f"recode['frequency'] has codes for {format_values(stray)}, which have no scale in "
            f"levels['frequency'] (scales for {format_values(scales)}). Fix: key both alike."
        )
    for key in scale_of.values():
        mapping = recode.get(key, {}) if per_partner else recode
        codes[key] = _codes(scales[key], mapping, f"recode['frequency'] for {key!r}")
    ordered_keys = [scale_of[c] for c in partner_codes if c in scale_of]
    categories = _distinct([c for k in ordered_keys for c in codes[k]], f"{where} scales")
    out = np.empty(len(labels), dtype=object)
    for code, key in scale_of.items():
        rows = np.flatnonzero(partners == code)
        pos = _positions(labels[rows], scales[key])
        _raise_wrong_partner(pos, labels[rows], rows, code, key, scales, where)
        out[rows] = _encode(
            labels[rows], rows, scales[key], codes[key], where, f"levels['frequency'][{key!r}]"
        )
    return out, categories


def _raise_wrong_partner(
    pos: np.ndarray,
    labels: np.ndarray,
    rows: np.ndarray,
    partner: str,
    key: str,
    scales: Mapping[str, Labels],
    where: str,
) -> None:
    for other, scale in scales.items():
        if other == key:
            continue
        wrong = (pos == -1) & (_positions(labels, scale) >= 0)
        if wrong.any():
            raise DataError(
                f"{where}: rows {_rows(rows[wrong])} have partner {partner!r} but the frequency "
                f"value(s) {format_values(labels[wrong])} of the {other!r} scale; each row's "
                f"frequency must come from its partner's scale levels['frequency'][{key!r}] = "
                f"{format_values(scales[key])}. Fix: correct the partner or the frequency."
            )


def _weights(values: pd.Series, where: str) -> np.ndarray:
    as_numbers = pd.to_numeric(pd.Series(values.to_numpy(dtype=object)), errors="coerce")
    numbers = as_numbers.to_numpy(dtype=float, na_value=np.nan)
    problems = [
        (np.isnan(numbers), "are not numbers (use a dot as the decimal separator)"),
        (np.isinf(numbers), "are infinite"),
        (numbers < 0, "are negative"),
        (numbers == 0, "are zero: a weight-0 row would count for nothing"),
    ]
    for mask, what in problems:
        if mask.any():
            raise DataError(
                f"{where}: the weights {format_values(values.to_numpy()[mask].tolist())} in rows "
                f"{_rows(np.flatnonzero(mask))} {what}. Weights must be positive finite "
                f"numbers. Fix: correct those weights, or drop those rows before reading."
            )
    return numbers


# --------------------------------------------------------------------------- reader
def read_survey(
    source: pd.DataFrame | str | os.PathLike[str],
    *,
    columns: Mapping[str, str | None] | None = None,
    levels: Mapping[str, Any] | None = None,
    recode: Mapping[str, Any] | None = None,
    schema: SurveySchema | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    partner_levels: Sequence[str] | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    sep: str | None = None,
) -> pd.DataFrame:
    """Read a survey of relationship ratings into the tidy respondent-level frame.

    Parameters
    ----------
    source : path or DataFrame
        A ``.csv``/``.tsv``, ``.parquet``, ``.xlsx`` or ``.sav``/``.zsav`` file (chosen by
        extension), or a DataFrame, which is never modified.
    columns, levels, recode : mapping, optional
        See :class:`SurveySchema`. Each overrides the same key of ``schema``. A level order
        not given is taken from an ordered categorical column (SPSS value labels are read
        as one, in the order of their codes; so are Parquet categoricals); ``partner`` and
        ``region`` otherwise default to sorted order (``partner`` to the keys of a
        per-partner frequency mapping), while ``quality`` and ``frequency`` must be given.
    schema : SurveySchema, dict or path, optional
        A schema, or a ``.toml``/``.json`` file holding one.
    partner_levels : list of str, optional
        Shorthand for ``levels["partner"]``.
    sheet : str or int, optional
        Excel sheet name or 0-based number (default: the first).
    encoding : str, optional
        Text encoding of a CSV or SPSS file. CSV defaults to UTF-8 (with or without the
        byte-order mark); pass ``"cp1251"`` for files saved on Kazakh/Russian Windows.
    sep : str, optional
        CSV separator; by default a comma, or ``;``/tab when the header has no comma.

    Returns
    -------
    pandas.DataFrame
        Columns ``org_id`` (string; ``"row-<n>"`` when the data has none), ``partner``
        (ordered categorical), ``frequency`` (one ordered categorical: per-partner scales
        are concatenated in partner order), ``quality`` (ordered categorical),
        ``region`` (categorical) and ``weight`` (float) when given, then the other
        columns unchanged, on a fresh 0..n-1 index. ``attrs["interactmodel_schema"]`` holds the schema used, as a
        plain dict: ``SurveySchema.from_dict`` of it reads the same data again.

    Raises
    ------
    DataError
        The file cannot be read, or a value is missing, mislabelled or out of range.
    SchemaError
        A column or level order does not fit the data.

    Examples
    --------
    >>> raw = pd.DataFrame({"who": ["Gov", "Biz", "Gov"], "how_often": ["rare", "often", "often"],
    ...                     "rating": ["bad", "good", "Good "]})
    >>> tidy = read_survey(raw, columns={"partner": "who", "frequency": "how_often",
    ...                    "quality": "rating"}, levels={"quality": ["bad", "good"],
    ...                    "frequency": ["rare", "often"]}, partner_levels=["Gov", "Biz"])
    >>> tidy[["org_id", "partner", "quality"]].to_dict("list")
    {'org_id': ['row-1', 'row-2', 'row-3'], 'partner': ['Gov', 'Biz', 'Gov'], 'quality': ['bad', 'good', 'good']}
    """
    schema = _merged_schema(schema, columns, levels, recode, partner_levels)
    # Label and id columns are read from text files as text, so "007" or "1" stay as written.
    text_columns = {
        col for k in CANONICAL_COLUMNS if k != "weight" and (col := schema.columns.get(k, k))
    }
    frame = _load(source, {"sheet": sheet, "encoding": encoding, "sep": sep}, text_columns)
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise DataError(
            f"the data has repeated column names {format_values(duplicated)}. Fix: rename them."
        )
    if len(frame) == 0:
        raise DataError(
            f"the data has no rows (columns {format_values(map(str, frame.columns), 20)}). "
            f"Fix: check the file, sheet or filter that produced it."
        )
    resolved = _resolve_columns(frame, schema)
    for name, user in resolved.items():
        blank = _blank(frame[user])
        if blank.any():
            raise DataError(
                f"{_where(user, name)} is empty in rows {_rows(np.flatnonzero(blank))} "
                f"({blank.sum()} of {len(frame)} rows). Every row needs a {name}. "
                f"Fix: fill in those cells, or drop those rows before reading."
            )
    tidy, used_levels = _tidy_columns(frame, resolved, schema)
    _check_ratings(tidy, resolved)
    extras = {
        c: frame[c].reset_index(drop=True) for c in frame.columns if c not in resolved.values()
    }
    result = pd.DataFrame({**tidy, **extras})
    used = SurveySchema(columns=resolved, levels=used_levels, recode=schema.recode)
    result.attrs["interactmodel_schema"] = used.to_dict()
    return result


def _tidy_columns(
    frame: pd.DataFrame, resolved: Mapping[str, Any], schema: SurveySchema
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The canonical output columns, and the level orders actually used."""
    n_rows = len(frame)
    rows = np.arange(n_rows)
    out: dict[str, Any] = {}
    used: dict[str, Any] = {}
    coded: dict[str, tuple[np.ndarray, list[str]]] = {}
    partner_levels: tuple[Labels, list[str]] = ((), [])
    for name in ("partner", "frequency", "quality", "region"):
        if name not in resolved:
            continue
        values = frame[resolved[name]]
        labels = np.array([_label(v) for v in values], dtype=object)
        where = _where(resolved[name], name)
        given = schema.levels.get(name)
        if name == "frequency" and isinstance(given, Mapping):
            coded[name] = _frequency_by_partner(
                labels,
                coded["partner"][0],
                partner_levels,
                given,
                schema.recode.get("frequency", {}),
                where,
            )
            used[name] = _thaw(given)
            continue
        if (
            given is None
            and name == "partner"
            and isinstance(schema.levels.get("frequency"), Mapping)
        ):
            given = tuple(schema.levels["frequency"])
        order = given if given is not None else _order_for(name, values, labels, where)
        codes = _distinct(_codes(order, _flat_recode(schema, name), f"recode[{name!r}]"), where)
        coded[name] = (_encode(labels, rows, order, codes, where, f"levels[{name!r}]"), codes)
        used[name] = list(order)
        if name == "partner":
            partner_levels = (order, codes)
    for name, (codes_array, categories) in coded.items():
        out[name] = pd.Categorical(codes_array, categories=categories, ordered=name != "region")
    if "org_id" in resolved:
        ids = [_label(v).strip() for v in frame[resolved["org_id"]]]
    else:
        ids = [f"row-{i + 1}" for i in range(n_rows)]
    out = {"org_id": pd.array(ids, dtype="str"), **out}
    if "weight" in resolved:
        out["weight"] = _weights(frame[resolved["weight"]], _where(resolved["weight"], "weight"))
    return {k: out[k] for k in CANONICAL_COLUMNS if k in out}, used


def _flat_recode(schema: SurveySchema, name: str) -> dict[str, str]:
    """One label -> code map; per-partner frequency recodes are merged for a single scale."""
    recode = schema.recode.get(name, {})
    if not _nested(recode):
        return dict(recode)
    merged: dict[str, str] = {}
    for partner_codes in recode.values():
        for label, code in partner_codes.items():
            if merged.setdefault(label, code) != code:
                raise SchemaError(
                    f"recode['frequency'] codes {label!r} as both {merged[label]!r} and {code!r}, "
                    f"but levels['frequency'] is one scale. Fix: give one scale per partner."
                )
    return merged


def _check_ratings(tidy: Mapping[str, Any], resolved: Mapping[str, Any]) -> None:
    """One rating per organisation and partner, and more than one quality category."""
    if "org_id" in resolved:
        pairs = pd.DataFrame({"org_id": tidy["org_id"], "partner": tidy["partner"]})
        repeated = pairs.duplicated(keep=False).to_numpy()
        if repeated.any():
            shown = list(zip(pairs["org_id"][repeated], pairs["partner"][repeated], strict=True))
            raise DataError(
                f"{_where(resolved['org_id'], 'org_id')}: the (org_id, partner) pairs "
                f"{format_values(shown)} occur more than once, in rows "
                f"{_rows(np.flatnonzero(repeated))}; each organisation rates each partner "
                f"once. Fix: remove the repeated rows or correct their ids."
            )
    observed = pd.unique(np.asarray(tidy["quality"]))
    if len(observed) < 2:
        raise DataError(
            f"{_where(resolved['quality'], 'quality')}: every row has the rating "
            f"{format_values(observed)}; an ordinal model needs at least two observed quality "
            f"categories. Fix: check the column mapping and any filter applied to the data."
        )
