"""Read and validate a user's own survey file into the tidy respondent-level frame.

:func:`read_survey` takes a file (CSV, Parquet, Excel ``.xlsx``, SPSS ``.sav``) or a
DataFrame, a column mapping and the order of the levels, and returns one row per rating
with the canonical columns ``org_id``, ``partner``, ``frequency``, ``quality``,
``region`` and ``weight`` (the last two only when the data has them), followed by the
user's other columns unchanged. :class:`SurveySchema` holds the mapping and the level
orders, and can be kept in a small TOML or JSON file next to the data.

The schema itself lives in :mod:`interactmodel.survey_schema` and the file readers in
:mod:`interactmodel.survey_files`; this module checks the data against the schema and
encodes each labelled column as an ordered categorical.

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

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import DataError, SchemaError, format_rows, format_values
from interactmodel.survey_files import load_survey_frame
from interactmodel.survey_schema import (
    CANONICAL_COLUMNS,
    Labels,
    SurveySchema,
    _close,
    _did_you_mean,
    _label,
    _nested,
    _norm,
    _thaw,
    merged_schema,
)

__all__ = ["CANONICAL_COLUMNS", "SurveySchema", "read_survey"]

#: Columns every survey must have.
REQUIRED_COLUMNS = ("partner", "frequency", "quality")
#: Level orders that cannot be guessed from the data: they carry the ordinal information.
_ORDINAL = ("frequency", "quality")


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
    schema = merged_schema(schema, columns, levels, recode, partner_levels)
    # Label and id columns are read from text files as text, so "007" or "1" stay as written.
    text_columns = {
        col for k in CANONICAL_COLUMNS if k != "weight" and (col := schema.columns.get(k, k))
    }
    frame = load_survey_frame(
        source, {"sheet": sheet, "encoding": encoding, "sep": sep}, text_columns
    )
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
