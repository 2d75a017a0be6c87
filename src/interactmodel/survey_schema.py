"""The survey schema: which column holds what, the level orders, and the recodes.

:class:`SurveySchema` maps a user's survey onto the canonical columns (``org_id``,
``partner``, ``frequency``, ``quality``, ``region``, ``weight``), holds the order of each
column's levels and the recoding of the user's labels into canonical codes, and reads and
writes itself as a small TOML or JSON file. Its checks are of the schema alone; whether it
fits the data is checked by :func:`interactmodel.survey.read_survey`.

Examples
--------
>>> schema = SurveySchema(levels={"quality": ["bad", "good"]})
>>> SurveySchema.from_dict(schema.to_dict()) == schema
True
"""

from __future__ import annotations

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

from interactmodel.errors import SchemaError, format_values

__all__ = ["CANONICAL_COLUMNS", "LEVEL_COLUMNS", "SurveySchema", "merged_schema"]

#: The canonical columns, in output order.
CANONICAL_COLUMNS = ("org_id", "partner", "frequency", "quality", "region", "weight")
#: Columns whose values are labels with an order.
LEVEL_COLUMNS = ("partner", "frequency", "quality", "region")
_SCHEMA_KEYS = ("columns", "levels", "recode")

Labels = tuple[str, ...]


# --------------------------------------------------------------------------- labels
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


# --------------------------------------------------------------------------- schema
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


# --------------------------------------------------------------------------- merging
_SECTION_EXAMPLES = {
    "columns": "{'quality': 'Q5', 'frequency': 'Q4'}",
    "levels": "{'quality': ['bad', 'mixed', 'good']}",
    "recode": "{'quality': {'Bad': 'bad'}}",
}


def merged_schema(
    schema: SurveySchema | Mapping[str, Any] | str | os.PathLike[str] | None,
    columns: Mapping[str, str | None] | None,
    levels: Mapping[str, Any] | None,
    recode: Mapping[str, Any] | None,
    partner_levels: Sequence[str] | None,
) -> SurveySchema:
    """The schema argument, overridden key by key by the explicit arguments.

    Parameters
    ----------
    schema : SurveySchema, dict, path or None
        The ``schema`` argument of :func:`~interactmodel.survey.read_survey`: a schema, a
        dict for :meth:`SurveySchema.from_dict`, or a ``.toml``/``.json`` file.
    columns, levels, recode : mapping or None
        Each replaces the same keys of the schema's section; ``None`` keeps the section.
    partner_levels : list of str or None
        Shorthand for ``levels["partner"]``; it must agree with that when both are given.

    Returns
    -------
    SurveySchema
        The merged, checked schema.

    Raises
    ------
    SchemaError
        An argument has the wrong type, or ``partner_levels`` contradicts the levels.

    Examples
    --------
    >>> base = SurveySchema(columns={"quality": "Q1", "partner": "who"})
    >>> merged = merged_schema(base, {"quality": "Q2"}, None, None, ["Gov", "Biz"])
    >>> dict(merged.columns), merged.levels["partner"]
    ({'quality': 'Q2', 'partner': 'who'}, ('Gov', 'Biz'))
    """
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
