"""Formula -> frozen design: fixed effects, ``mo()`` terms, ``(1 | group)`` terms, cell counts.

A cumulative-link model only needs, for every distinct combination of covariate values
(a *cell*), the (weighted) number of responses in each outcome category.  This module
validates the data against a parsed formula (:mod:`interactmodel.formula`), collapses the
rows to those cells and builds the matrices both engines use, so that the cost of a fit does
not grow with the number of rows.

Sign convention shared by every engine (``MASS::polr``, ``ordinal::clm``)::

    link(P(Y <= k | x)) = theta_k - x' beta

so a positive coefficient moves ratings up.  Fixed effects use treatment coding with the
first level of each factor as the reference: the design is built *with* an intercept and the
intercept column is then dropped, because the thresholds play its role.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({
...     "rating": pd.Categorical(["lo", "hi", "mid", "hi"], ["lo", "mid", "hi"], ordered=True),
...     "group": ["a", "b", "a", "b"],
... })
>>> design = build_design("rating ~ group", frame)
>>> design.X_names
('group[T.b]',)
>>> design.counts.tolist()
[[1.0, 1.0, 0.0], [0.0, 0.0, 2.0]]
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import DataError, FormulaError, format_rows, format_values
from interactmodel.formula import (
    GroupTerm,
    MonotonicTerm,
    ParsedFormula,
    _check_fixed_term,
    _nominal_rhs,
    _rhs_variables,
    parse_formula,
)

__all__ = [
    "CellDesign",
    "Design",
    "Encoding",
    "GroupBlock",
    "GroupTerm",
    "MonotonicBlock",
    "MonotonicTerm",
    "ParsedFormula",
    "build_design",
    "parse_formula",
]


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True, eq=False)
class MonotonicBlock:
    """One monotonic effect: ``mo(variable)``, or ``mo(variable):by`` for one level of ``by``.

    ``name`` is ``"mo(frequency)"`` or ``"mo(frequency):partner[state]"``; ``levels`` the
    ordinal scale of ``variable`` in this block (D + 1 levels in category order); ``rank``
    (n_cells,) the position 0..D of each cell's level on it (0 where inactive); ``active``
    (n_cells,) False where ``by`` is another level, so the block adds nothing there.
    """

    name: str
    variable: str
    by: str | None
    by_level: str | None
    levels: tuple[str, ...]
    rank: np.ndarray
    active: np.ndarray

    @property
    def n_steps(self) -> int:
        """D, the length of the simplex of this block."""
        return len(self.levels) - 1


@dataclass(frozen=True, eq=False)
class GroupBlock:
    """A group-level term such as ``"(1 + x | region)"`` (Bayesian engine only).

    ``levels`` are the observed levels of ``group``; ``index`` (n_cells,) the level of each cell
    (-1 for an unseen level in :meth:`Design.transform` with ``allow_unseen_groups=True``);
    ``Z`` (n_cells, q) the columns multiplying the group effects, intercept first if present.
    """

    name: str
    group: str
    levels: tuple[str, ...]
    index: np.ndarray
    Z: np.ndarray
    Z_names: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class CellDesign:
    """The design matrices of new rows, built with the encoding of a fitted design.

    ``mo`` and ``groups`` hold blocks in the same order as in the :class:`Design`.
    """

    X: np.ndarray
    X_nominal: np.ndarray
    mo: tuple[MonotonicBlock, ...]
    groups: tuple[GroupBlock, ...]
    n: int


@dataclass(frozen=True, eq=False)
class Encoding:
    """Everything needed to build the design columns of new data exactly as in the fit."""

    variables: tuple[str, ...]
    categorical_levels: dict[str, tuple[Any, ...]]
    fixed_spec: Any
    nominal_spec: Any
    fixed_keep: tuple[str, ...]
    mo_blocks: tuple[tuple[str, str, str | None, str | None, tuple[str, ...]], ...]
    group_specs: tuple[tuple[str, str, tuple[str, ...], Any], ...]


@dataclass(frozen=True, eq=False)
class Design:
    """A collapsed design: unique covariate cells x outcome-category counts.

    Attributes
    ----------
    formula : ParsedFormula
    outcome : str
    outcome_levels : tuple of str
        The K ordered outcome levels (all declared levels, observed or not).
    counts : ndarray, shape (n_cells, K)
        Weighted number of responses in each outcome level per cell.
    X, X_names : fixed-effect columns without intercept, and their names.
    X_nominal, X_nominal_names : columns with threshold-specific (nominal) effects.
    mo : tuple of MonotonicBlock
    groups : tuple of GroupBlock
    cells : DataFrame
        The covariate values of each cell (one row per cell), for reporting.
    encoding : Encoding
    nobs : float
        Total weight (number of responses for frequency weights).
    n_rows : int
        Rows of the input frame.
    weights : str or None
        Name of the weight column, or None.
    row_cell, row_outcome : ndarray of int, shape (n_rows,)
        The cell and outcome level of each input row (-1 for rows of zero weight).
    """

    formula: ParsedFormula
    outcome: str
    outcome_levels: tuple[str, ...]
    counts: np.ndarray
    X: np.ndarray
    X_names: tuple[str, ...]
    X_nominal: np.ndarray
    X_nominal_names: tuple[str, ...]
    mo: tuple[MonotonicBlock, ...]
    groups: tuple[GroupBlock, ...]
    cells: pd.DataFrame
    encoding: Encoding
    nobs: float
    n_rows: int
    weights: str | None = None
    row_cell: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    row_outcome: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def n_cells(self) -> int:
        return int(self.counts.shape[0])

    @property
    def n_levels(self) -> int:
        return len(self.outcome_levels)

    def transform(self, newdata: pd.DataFrame, *, allow_unseen_groups: bool = False) -> CellDesign:
        """Build the design of ``newdata`` (one row per row) with this design's encoding.

        Parameters
        ----------
        newdata : DataFrame
            Must hold every covariate of the formula; the outcome is not needed.
        allow_unseen_groups : bool
            If True, a grouping-factor level not seen in the fit gets index -1 (a new group)
            instead of an error.

        Raises
        ------
        DataError
            For a missing column, a missing value, or a level not seen in the fit.
        """
        return _transform(self, newdata, allow_unseen_groups)

    def outcome_codes(self, newdata: pd.DataFrame) -> np.ndarray:
        """Position (0..K-1) of each row's outcome level in ``outcome_levels``."""
        codes, _ = _outcome_codes(newdata, self.outcome, self.outcome_levels)
        return codes


# --------------------------------------------------------------------------- validation


def _suggest(name: str, columns: Iterable[str]) -> str:
    columns = [str(c) for c in columns]
    lower = {c.lower(): c for c in columns}
    close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
    if name.lower() in lower and lower[name.lower()] not in close:
        close.insert(0, lower[name.lower()])
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return f"; the columns are {format_values(columns)}"


def _require_columns(data: pd.DataFrame, names: Iterable[str], formula: str) -> None:
    for name in names:
        if name not in data.columns:
            raise FormulaError(
                f"formula {formula!r} uses {name!r}, which is not a column of the data"
                f"{_suggest(name, data.columns)}"
            )


def _check_unique_columns(data: pd.DataFrame, names: Iterable[str], what: str) -> None:
    """One column per name used: ``data[name]`` of a repeated name is a frame, not a column."""
    repeated = [name for name in dict.fromkeys(names) if int((data.columns == name).sum()) > 1]
    if repeated:
        raise DataError(
            f"{what} has more than one column named {format_values(repeated)}; rename or drop "
            "the copies so that each name the model uses picks one column"
        )


def _check_numeric(design: Design, frame: pd.DataFrame) -> None:
    """Columns that were numbers in the fit must be numbers in new data (not text like "1.5")."""
    for name in design.encoding.variables:
        fitted = design.cells[name]
        if name in design.encoding.categorical_levels or not pd.api.types.is_numeric_dtype(fitted):
            continue
        given = frame[name]
        if not pd.api.types.is_numeric_dtype(given) or pd.api.types.is_bool_dtype(given):
            raise DataError(
                f"column {name!r} of newdata has dtype {given.dtype} (values "
                f"{format_values(given.tolist(), limit=3)}) but was numeric ({fitted.dtype}) when "
                f"the model was fitted; convert it, e.g. pd.to_numeric(newdata[{name!r}])"
            )


def _check_complete(data: pd.DataFrame, names: Iterable[str], purpose: str = "fitting") -> None:
    """Every value present and, in numeric columns, finite (an inf would give NaN estimates)."""
    for name in names:
        series = data[name]
        missing = np.flatnonzero(series.isna().to_numpy())
        if missing.size:
            raise DataError(
                f"column {name!r} has {missing.size} missing value(s) (rows "
                f"{format_rows((missing + 1).tolist())}); drop or fill those rows before {purpose}"
            )
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values = series.to_numpy(dtype=float)
            infinite = np.flatnonzero(np.isinf(values))
            if infinite.size:
                raise DataError(
                    f"column {name!r} has {infinite.size} infinite value(s) "
                    f"{format_values(values[infinite].tolist())} (rows "
                    f"{format_rows((infinite + 1).tolist())}); the column must hold finite "
                    f"numbers: correct or drop those rows before {purpose}"
                )


def _outcome_levels(series: pd.Series, name: str, levels: Sequence[Any] | None) -> tuple[Any, ...]:
    if levels is not None:
        levels = tuple(levels)
        if len(set(levels)) != len(levels) or len(levels) < 2:
            raise DataError(f"levels={levels!r} must list at least two distinct outcome levels")
        return levels
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
        return tuple(dtype.categories)
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric and np.all(series.to_numpy(dtype=float) % 1 == 0):  # integer scores: in order
        return tuple(np.sort(series.unique()))
    kind = (
        "an unordered categorical"
        if isinstance(dtype, pd.CategoricalDtype)
        else f"of dtype {dtype}"
    )
    shown = format_values(series.dropna().tolist(), limit=6)
    raise DataError(
        f"outcome column {name!r} is {kind}, so the order of its levels ({shown}) is ambiguous; "
        f"make it an ordered categorical, e.g. pd.Categorical(data[{name!r}], categories=[...], "
        "ordered=True), or pass levels=[lowest, ..., highest] to OrdinalModel"
    )


def _outcome_codes(
    data: pd.DataFrame, name: str, levels: Sequence[Any]
) -> tuple[np.ndarray, tuple[str, ...]]:
    _require_columns(data, [name], f"{name} ~ ...")
    series = data[name]
    _check_complete(data, [name])
    if isinstance(series.dtype, pd.CategoricalDtype) and tuple(series.dtype.categories) == tuple(
        levels
    ):
        codes = series.cat.codes.to_numpy().astype(np.int64)
    else:
        lookup = {level: i for i, level in enumerate(levels)}
        lookup.update({str(level): i for i, level in enumerate(levels)})
        mapped = pd.Series(series.to_numpy(dtype=object)).map(lookup)
        bad = mapped.isna().to_numpy()
        if bad.any():
            raise DataError(
                f"outcome column {name!r} has value(s) {format_values(series[bad].tolist())} "
                f"that are not among the levels {format_values(levels)}; fix the data or the levels"
            )
        codes = mapped.to_numpy(dtype=np.int64)
    return codes, tuple(str(level) for level in levels)


def _weight_vector(data: pd.DataFrame, weights: Any) -> tuple[np.ndarray, str | None]:
    if weights is None:
        return np.ones(len(data)), None
    if isinstance(weights, str):
        if weights not in data.columns:
            raise DataError(
                f"weights column {weights!r} is not in the data{_suggest(weights, data.columns)}"
            )
        series, name = data[weights], weights
    else:
        series, name = pd.Series(np.asarray(weights)), None
        if len(series) != len(data):
            raise DataError(f"weights has {len(series)} values but the data has {len(data)} rows")
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(f"weights {name or 'array'!r} must be numeric, got dtype {series.dtype}")
    values = series.to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise DataError(
            f"weights {name or 'array'!r} must be finite and >= 0; rows {format_rows((bad + 1).tolist())} "
            f"have {format_values(values[bad].tolist())}"
        )
    if values.sum() <= 0:
        raise DataError(f"weights {name or 'array'!r} sum to zero; nothing to fit")
    return values, name


# --------------------------------------------------------------------------- collapsing


def _codes(series: pd.Series) -> tuple[np.ndarray, int]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.int64), len(series.dtype.categories)
    codes, uniques = pd.factorize(series, sort=False)
    return codes.astype(np.int64), len(uniques)


def _cell_ids(data: pd.DataFrame, variables: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Cell id of each row and the first row of each cell, for the given variables."""
    n = len(data)
    if not variables:
        return np.zeros(n, dtype=np.int64), np.zeros(1, dtype=np.int64)
    key, size = np.zeros(n, dtype=np.int64), 1
    for name in variables:
        codes, cardinality = _codes(data[name])
        if size * max(cardinality, 1) >= 2**62:
            # compress the key so far before it would overflow int64
            _, key = np.unique(key, return_inverse=True)
            size = int(key.max()) + 1
        key = key * max(cardinality, 1) + codes
        size *= max(cardinality, 1)
    if size <= max(4 * n, 1 << 20):
        occupied = np.flatnonzero(np.bincount(key, minlength=size))
        remap = np.empty(size, dtype=np.int64)
        remap[occupied] = np.arange(occupied.size)
        cell = remap[key]
    else:
        _, cell = np.unique(key, return_inverse=True)
    first = np.full(int(cell.max()) + 1, n, dtype=np.int64)
    np.minimum.at(first, cell, np.arange(n, dtype=np.int64))
    return cell, first


def _cells_frame(data: pd.DataFrame, variables: Sequence[str], first: np.ndarray) -> pd.DataFrame:
    cells = data[list(variables)].iloc[first].reset_index(drop=True)
    for name in variables:
        if isinstance(cells[name].dtype, pd.CategoricalDtype):
            cells[name] = cells[name].cat.remove_unused_categories()
    return cells


def _categorical_levels(cells: pd.DataFrame) -> dict[str, tuple[Any, ...]]:
    levels: dict[str, tuple[Any, ...]] = {}
    for name in cells.columns:
        series = cells[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            levels[name] = tuple(series.dtype.categories)
        elif not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            levels[name] = tuple(sorted(series.unique(), key=str))
    return levels


# --------------------------------------------------------------------------- matrices


def _model_matrix(
    spec_or_rhs: Any, frame: pd.DataFrame, what: str, prefix: str = "1 + ", drop: bool = True
) -> tuple[np.ndarray, tuple[str, ...], Any]:
    from formulaic import model_matrix
    from formulaic.errors import DataMismatchWarning

    if spec_or_rhs is None or (isinstance(spec_or_rhs, str) and not spec_or_rhs.strip()):
        return np.zeros((len(frame), 0)), (), None
    frame = _text_as_object(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataMismatchWarning)
        try:
            if isinstance(spec_or_rhs, str):
                matrix = model_matrix(prefix + spec_or_rhs, frame, na_action="raise")
            else:
                matrix = spec_or_rhs.get_model_matrix(frame, na_action="raise")
        except DataMismatchWarning as exc:
            raise DataError(
                f"{what}: {exc}; use only levels seen when the model was fitted"
            ) from exc
        except Exception as exc:
            raise FormulaError(f"cannot build the {what} columns: {exc}") from exc
    names = [str(c) for c in matrix.columns]
    values = np.asarray(matrix, dtype=float)
    if drop and "Intercept" in names:
        keep = [i for i, n in enumerate(names) if n != "Intercept"]
        values, names = values[:, keep], [names[i] for i in keep]
    return np.ascontiguousarray(values), tuple(names), matrix.model_spec


def _text_as_object(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as object dtype, which formulaic codes as categorical with sorted levels.

    formulaic passes a nullable ``"string"`` column through as if it were numeric (and the
    matrix then fails with a raw "could not convert string to float"); R treats a character
    vector as a factor with sorted levels, and so do we.
    """
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    if not text:
        return frame
    frame = frame.copy()
    for name in text:
        frame[name] = frame[name].astype(object)
    return frame


def _mo_blocks(term: MonotonicTerm, cells: pd.DataFrame) -> list[MonotonicBlock]:
    x = cells[term.variable]
    if not (isinstance(x.dtype, pd.CategoricalDtype) and x.dtype.ordered):
        raise DataError(
            f"{term.label}: column {term.variable!r} must be an ordered categorical "
            f"(got dtype {x.dtype}); make it one with pd.Categorical(..., ordered=True)"
        )
    if term.by is None:
        split: list[tuple[Any, np.ndarray]] = [(None, np.ones(len(cells), dtype=bool))]
    else:
        by = cells[term.by]
        by_levels = _categorical_levels(cells[[term.by]]).get(term.by, tuple(sorted(by.unique())))
        split = [(level, (by == level).to_numpy()) for level in by_levels]
    blocks = []
    for by_level, active in split:
        present = set(x[active])
        levels = tuple(str(v) for v in x.dtype.categories if v in present)
        name = term.label if by_level is None else f"mo({term.variable}):{term.by}[{by_level}]"
        if len(levels) < 2:
            raise DataError(
                f"{name}: {term.variable!r} takes only the level(s) {format_values(levels)} "
                "there, so no monotonic effect can be estimated; drop the term or that level"
            )
        by_text = None if by_level is None else str(by_level)
        blocks.append(_new_mo_block((name, term.variable, term.by, by_text, levels), cells))
    return blocks


def _group_block(
    term: GroupTerm, cells: pd.DataFrame, spec: Any, levels: Any, allow_unseen: bool
) -> tuple[GroupBlock, Any, tuple[Any, ...]]:
    """One group block; ``spec``/``levels`` None at fit time, the fitted ones for new data."""
    values = cells[term.group]
    if levels is None:
        levels = _categorical_levels(cells[[term.group]]).get(
            term.group, tuple(sorted(values.unique()))
        )
    position = {level: i for i, level in enumerate(levels)}
    index = values.map(position).fillna(-1).to_numpy(dtype=np.int64)
    if not allow_unseen and np.any(index < 0):
        raise DataError(
            f"grouping factor {term.group!r} has level(s) {format_values(values[index < 0])} not "
            "seen in the fit; pass allow_unseen_groups=True to predict them as new groups"
        )
    if term.slopes:
        prefix = "1 + " if term.intercept else "0 + "
        Z, names, spec = _model_matrix(
            spec or " + ".join(term.slopes), cells, f"slopes of {term.label}", prefix, drop=False
        )
    else:
        Z, names = np.ones((len(cells), 1)), ("Intercept",)
    levels_text = tuple(str(level) for level in levels)
    block = GroupBlock(term.label, term.group, levels_text, _frozen(index), _frozen(Z), names)
    return block, spec, tuple(levels)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


# --------------------------------------------------------------------------- building


def _all_variables(parsed: ParsedFormula, nominal_rhs: str) -> list[str]:
    names = _rhs_variables(parsed.fixed_rhs, parsed.formula)
    names += _rhs_variables(nominal_rhs, f"nominal={nominal_rhs!r}")
    for term in parsed.mo_terms:
        names += [term.variable] + ([term.by] if term.by else [])
    for gterm in parsed.group_terms:
        names += [gterm.group] + _rhs_variables(" + ".join(gterm.slopes), parsed.formula)
    return list(dict.fromkeys(names))


def build_design(
    parsed: ParsedFormula | str,
    data: pd.DataFrame,
    weights: str | Sequence[float] | np.ndarray | None = None,
    nominal: str | Sequence[str] | None = None,
    levels: Sequence[Any] | None = None,
) -> Design:
    """Validate ``data`` and collapse it to covariate cells x outcome counts.

    Parameters
    ----------
    parsed : ParsedFormula or str
        The model formula (parsed or as a string).
    data : DataFrame
        One row per response (or per weighted pattern).  Never modified.
    weights : str or array-like, optional
        Frequency weights: a column name or one value per row (finite, >= 0).  Rows of zero
        weight are dropped, so the design equals that of the expanded data.
    nominal : str or list of str, optional
        Terms with threshold-specific effects, ``"~ contact"`` or ``["contact"]``.  A term in
        both the formula and ``nominal`` is kept only as a nominal effect (as ``clm`` does,
        where the location effect would be aliased).
    levels : sequence, optional
        The outcome levels from lowest to highest, when the outcome column is not an ordered
        categorical.

    Returns
    -------
    Design

    Raises
    ------
    FormulaError
        Unknown column (with a close-match suggestion) or unbuildable terms.
    DataError
        Outcome without an order, a single observed outcome level, missing values, bad weights.
    """
    if isinstance(parsed, str):
        parsed = parse_formula(parsed)
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise DataError("data has no rows")
    nominal_rhs = _nominal_rhs(nominal)
    if nominal_rhs:
        _check_fixed_term(nominal_rhs, f"nominal={nominal!r}")
    variables = _all_variables(parsed, nominal_rhs)
    if parsed.outcome in variables:
        raise FormulaError(
            f"the outcome {parsed.outcome!r} of formula {parsed.formula!r} is also a predictor "
            f"(on the right of '~' or in nominal=); a rating cannot explain itself: drop it there"
        )
    _require_columns(data, [parsed.outcome, *variables], parsed.formula)
    used = [parsed.outcome, *variables, *([weights] if isinstance(weights, str) else [])]
    _check_unique_columns(data, used, "data")
    w, weight_name = _weight_vector(data, weights)
    _check_complete(data, [parsed.outcome, *variables])
    y, outcome_levels = _outcome_codes(
        data, parsed.outcome, _outcome_levels(data[parsed.outcome], parsed.outcome, levels)
    )
    keep = np.flatnonzero(w > 0)
    frame = data.iloc[keep] if keep.size < len(data) else data
    cell, first = _cell_ids(frame, variables)
    n_cells, K = first.size, len(outcome_levels)
    counts = np.bincount(cell * K + y[keep], weights=w[keep], minlength=n_cells * K).reshape(
        n_cells, K
    )
    observed = np.flatnonzero(counts.sum(axis=0) > 0)
    if observed.size < 2:
        raise DataError(
            f"outcome {parsed.outcome!r} takes only the level(s) "
            f"{format_values([outcome_levels[i] for i in observed])} in the data; an ordinal model "
            "needs at least two observed levels"
        )
    cells = _cells_frame(frame, variables, first)
    return _assemble(
        parsed, nominal_rhs, cells, counts, outcome_levels, w, weight_name, keep, cell, y, len(data)
    )


def _assemble(
    parsed: ParsedFormula,
    nominal_rhs: str,
    cells: pd.DataFrame,
    counts: np.ndarray,
    outcome_levels: tuple[str, ...],
    w: np.ndarray,
    weight_name: str | None,
    keep: np.ndarray,
    cell: np.ndarray,
    y: np.ndarray,
    n_rows: int,
) -> Design:
    X, X_names, fixed_spec = _model_matrix(parsed.fixed_rhs, cells, "fixed-effect")
    Xn, Xn_names, nominal_spec = _model_matrix(nominal_rhs, cells, "nominal-effect")
    fixed_keep = tuple(n for n in X_names if n not in set(Xn_names))
    X = X[:, [X_names.index(n) for n in fixed_keep]]
    mo: list[MonotonicBlock] = []
    for term in parsed.mo_terms:
        mo += _mo_blocks(term, cells)
    groups, group_specs = [], []
    for gterm in parsed.group_terms:
        block, spec, glevels = _group_block(gterm, cells, None, None, False)
        groups.append(block)
        group_specs.append((gterm.label, gterm.group, glevels, spec))
    encoding = Encoding(
        variables=tuple(cells.columns),
        categorical_levels=_categorical_levels(cells),
        fixed_spec=fixed_spec,
        nominal_spec=nominal_spec,
        fixed_keep=fixed_keep,
        mo_blocks=tuple((b.name, b.variable, b.by, b.by_level, b.levels) for b in mo),
        group_specs=tuple(group_specs),
    )
    row_cell = np.full(n_rows, -1, dtype=np.int64)
    row_cell[keep] = cell
    row_outcome = np.where(row_cell >= 0, y, -1)
    return Design(
        formula=parsed,
        outcome=parsed.outcome,
        outcome_levels=outcome_levels,
        counts=_frozen(counts),
        X=_frozen(X),
        X_names=fixed_keep,
        X_nominal=_frozen(Xn),
        X_nominal_names=Xn_names,
        mo=tuple(mo),
        groups=tuple(groups),
        cells=cells,
        encoding=encoding,
        nobs=float(w[keep].sum()),
        n_rows=n_rows,
        weights=weight_name,
        row_cell=_frozen(row_cell),
        row_outcome=_frozen(row_outcome),
    )


# --------------------------------------------------------------------------- new data


def _transform(design: Design, newdata: pd.DataFrame, allow_unseen_groups: bool) -> CellDesign:
    if not isinstance(newdata, pd.DataFrame):
        raise DataError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    enc = design.encoding
    missing = [v for v in enc.variables if v not in newdata.columns]
    if missing:
        name = missing[0]
        raise DataError(
            f"newdata lacks the column(s) {format_values(missing)} the model uses"
            f"{_suggest(name, newdata.columns)}"
        )
    _check_unique_columns(newdata, enc.variables, "newdata")
    _check_complete(newdata, enc.variables, "predicting")
    frame = newdata[list(enc.variables)].reset_index(drop=True)
    group_names = {spec[1] for spec in enc.group_specs}
    for name, seen in enc.categorical_levels.items():
        if name in group_names and allow_unseen_groups:
            continue
        unseen = ~frame[name].isin(list(seen)).to_numpy()
        if unseen.any():
            raise DataError(
                f"column {name!r} of newdata has level(s) {format_values(frame[name][unseen].tolist())} "
                f"not seen when the model was fitted (seen: {format_values(seen)}); "
                "predictions are only defined for those levels"
            )
    _check_numeric(design, frame)
    frame = _align_categories(
        frame, enc.categorical_levels, group_names if allow_unseen_groups else set()
    )
    X, names, _ = _model_matrix(enc.fixed_spec, frame, "fixed-effect")
    X = X[:, [names.index(n) for n in enc.fixed_keep]] if names else X
    Xn, _, _ = _model_matrix(enc.nominal_spec, frame, "nominal-effect")
    mo = tuple(_new_mo_block(entry, frame) for entry in enc.mo_blocks)
    groups = []
    for gterm, (_, _, glevels, spec) in zip(
        design.formula.group_terms, enc.group_specs, strict=True
    ):
        block, _, _ = _group_block(gterm, frame, spec, glevels, allow_unseen_groups)
        groups.append(block)
    return CellDesign(_frozen(X), _frozen(Xn), mo, tuple(groups), len(frame))


def _align_categories(
    frame: pd.DataFrame, levels: dict[str, tuple[Any, ...]], skip: set[str]
) -> pd.DataFrame:
    """Give categorical columns of new data the fitted categories, so formulaic codes them alike."""
    frame = frame.copy()
    for name, seen in levels.items():
        if name not in skip and isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = pd.Categorical(
                frame[name].astype(object), categories=list(seen), ordered=frame[name].dtype.ordered
            )
    return frame


def _new_mo_block(
    entry: tuple[str, str, str | None, str | None, tuple[str, ...]], frame: pd.DataFrame
) -> MonotonicBlock:
    name, variable, by, by_level, levels = entry
    x = frame[variable].astype(object).astype(str)
    active = (
        np.ones(len(frame), dtype=bool)
        if by is None
        else (frame[by].astype(object).astype(str) == by_level).to_numpy()
    )
    position = {level: i for i, level in enumerate(levels)}
    ranks = x.map(position)
    bad = active & ranks.isna().to_numpy()
    if bad.any():
        raise DataError(
            f"{name}: newdata has level(s) {format_values(x[bad].tolist())} of {variable!r} that are "
            f"not on its fitted scale {format_values(levels)}"
        )
    rank = np.where(active, ranks.fillna(0).to_numpy(dtype=float), 0).astype(np.int64)
    return MonotonicBlock(name, variable, by, by_level, levels, _frozen(rank), _frozen(active))
