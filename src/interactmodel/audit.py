"""Integer-consistency audit of published row percentages (a GRIM-like test).

A table of row percentages P(column | row), each printed as a rounded number,
can only come from whole respondents: row ``r`` has ``n_r >= 1`` respondents
and cell ``(r, j)`` has ``c_rj >= 0`` of them, with ``sum_j c_rj = n_r`` and
``sum_r n_r`` equal to the stated sample size.  This module finds, exactly,
which row sizes and which integer tables are consistent with the printed
numbers, and says so in plain language.

Consistency of one cell (printed value ``p`` with ``d`` decimals, so the
printing unit is ``u = 10**-d`` percentage points, and true share
``x = 100 * c / n``):

``rounding="half_up"``
    ``p - u/2 <= x < p + u/2`` (a tie rounds up, as in most spreadsheets).
``rounding="half_even"``
    ``|x - p| < u/2``, and also ``|x - p| = u/2`` when the last printed
    digit of ``p`` is even (a tie rounds to the even neighbour, as in
    Python's ``round`` and R's ``round``).
``tolerance=t > 0``
    ``|x - p| <= u/2 + t``: the rounding window widened by ``t``
    percentage points on each side and closed at both ends, so the rule for
    ties no longer matters.  ``t = 0`` means the rounding rule exactly.

All arithmetic is on integers and :class:`fractions.Fraction`, so there are
no floating-point errors at ties.  A share constraint from the text ("the
rows 4 and 5 together make up 56% of all respondents") is checked with the
same cell rule, applied to ``sum of those rows / total``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import DataError, SpecificationError, format_values

__all__ = [
    "ROUNDING_RULES",
    "AuditResult",
    "FeasibleTables",
    "ShareConstraint",
    "audit_article",
    "audit_table",
    "count_bounds",
    "feasible_tables",
]

ROUNDING_RULES = ("half_up", "half_even")
# How far a constraint enumeration may run before we refuse (see _atom_combinations).
_MAX_COMBINATIONS = 20_000_000


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def count_bounds(
    printed: int,
    n: int,
    *,
    decimals: int = 0,
    rounding: str = "half_up",
    tolerance: Fraction = Fraction(0),
) -> tuple[int, int]:
    """Smallest and largest count ``c`` in ``0..n`` whose share prints as ``printed``.

    Parameters
    ----------
    printed : int
        The printed percentage in units of ``10**-decimals`` (73.1% with one
        decimal is ``731``).
    n : int
        The base of the percentage (row size or total), ``n >= 1``.
    decimals : int
        Decimals printed.
    rounding : {"half_up", "half_even"}
        Rule for ties, used when ``tolerance == 0``.
    tolerance : Fraction
        Extra percentage points allowed on each side (see the module docstring).

    Returns
    -------
    tuple of int
        ``(lo, hi)``; the set is empty when ``lo > hi``.

    Examples
    --------
    >>> count_bounds(2, 45)          # 1/45 = 2.2% -> 2; 2/45 = 4.4%
    (1, 1)
    >>> count_bounds(731, 245, decimals=1)   # 179/245 = 73.06%
    (179, 179)
    """
    scale = 100 * 10**decimals  # share in printing units is scale * c / n
    if tolerance > 0:
        # window printed +- (1/2 + t * 10**decimals) units, t = a/b; in integers over 2*b*scale
        a, b = tolerance.numerator, tolerance.denominator
        half = b + 2 * a * 10**decimals
        lo = _ceil_div(n * (2 * b * printed - half), 2 * b * scale)
        hi = (n * (2 * b * printed + half)) // (2 * b * scale)
    elif rounding == "half_up" or printed % 2 == 0:
        # even printed digit under half_even: both ties belong to p (closed window)
        lo = _ceil_div((2 * printed - 1) * n, 2 * scale)
        if rounding == "half_up":
            hi = _ceil_div((2 * printed + 1) * n, 2 * scale) - 1
        else:
            hi = ((2 * printed + 1) * n) // (2 * scale)
    else:  # half_even, odd printed digit: both ties go to the even neighbours
        lo = ((2 * printed - 1) * n) // (2 * scale) + 1
        hi = _ceil_div((2 * printed + 1) * n, 2 * scale) - 1
    return max(lo, 0), min(hi, n)


def _window_sums(values: list[int], width: int) -> list[int]:
    """``out[r] = sum(values[r - width .. r])``: adding one column of ``width + 1`` choices."""
    out, running = [], 0
    for r in range(len(values) + width):
        running += values[r] if r < len(values) else 0
        running -= values[r - width - 1] if 0 <= r - width - 1 < len(values) else 0
        out.append(running)
    return out


class _RowSpace:
    """The count vectors of one printed row, by row size."""

    def __init__(
        self, printed: tuple[int, ...], decimals: int, rounding: str, tolerance: Fraction
    ) -> None:
        self.printed = printed
        self.decimals = decimals
        self.rounding = rounding
        self.tolerance = tolerance
        self._suffix: dict[int, tuple[list[tuple[int, int]], list[list[int]]] | None] = {}

    def bounds(self, n: int) -> list[tuple[int, int]]:
        """Allowed count range of each cell when the row has ``n`` respondents."""
        rule, tol = self.rounding, self.tolerance
        return [
            count_bounds(p, n, decimals=self.decimals, rounding=rule, tolerance=tol)
            for p in self.printed
        ]

    def feasible(self, n: int) -> bool:
        """Whether some count vector of size ``n`` prints as this row (bounds only, cheap)."""
        bounds = self.bounds(n)
        return all(lo <= hi for lo, hi in bounds) and (
            sum(lo for lo, _ in bounds) <= n <= sum(hi for _, hi in bounds)
        )

    def vector_tables(self, n: int) -> tuple[list[tuple[int, int]], list[list[int]]] | None:
        """Cell bounds and ``suffix[j][r]``: ways for columns ``j..`` to add ``r`` above bounds."""
        if n not in self._suffix:
            self._suffix[n] = None
            if self.feasible(n):
                bounds, suffix = self.bounds(n), [[1]]
                for lo, hi in reversed(bounds):
                    suffix.insert(0, _window_sums(suffix[0], hi - lo))
                self._suffix[n] = (bounds, suffix)
        return self._suffix[n]

    def n_vectors(self, n: int) -> int:
        """Number of count vectors of size ``n`` that print as this row."""
        tables = self.vector_tables(n)
        if tables is None:
            return 0
        bounds, suffix = tables
        return suffix[0][n - sum(lo for lo, _ in bounds)]

    def min_tolerance(self, n: int) -> Fraction:
        """Smallest tolerance (pp, closed window) at which row size ``n`` becomes feasible."""
        scale = 100 * 10**self.decimals

        def feasible(k: int) -> bool:  # every |scale*c - p*n| <= k for some vector
            low = high = 0
            for p in self.printed:
                lo = max(_ceil_div(p * n - k, scale), 0)
                hi = min((p * n + k) // scale, n)
                if lo > hi:
                    return False
                low, high = low + lo, high + hi
            return low <= n <= high

        a, b = 0, (scale + max(self.printed)) * n
        while a < b:
            mid = (a + b) // 2
            a, b = (a, mid) if feasible(mid) else (mid + 1, b)
        deviation = Fraction(a, n * 10**self.decimals)
        return max(Fraction(0), deviation - Fraction(1, 2 * 10**self.decimals))


@dataclass(frozen=True)
class ShareConstraint:
    """A figure from the text: the printed share of all respondents in some rows.

    Parameters
    ----------
    rows : tuple of str or int
        Row labels (quality codes) or 1-based row positions whose respondents
        the figure counts.
    percent : float
        The printed figure, e.g. ``56`` or ``73.1``.
    decimals : int
        Decimals printed (``1`` for 73.1).
    rounding : {"half_up", "half_even"}
        Rule for ties.
    tolerance : float
        Extra percentage points allowed (see :func:`count_bounds`).
    partner : str, optional
        The table the figure is about, ``"state"`` or ``"business"``; needed
        when constraints for both tables are passed together.
    label : str
        A short name for messages, e.g. ``"state positive 56%"``.

    Examples
    --------
    >>> ShareConstraint(rows=(4, 5), percent=73.1, decimals=1).allowed(245)
    (179, 179)
    """

    rows: tuple[str | int, ...]
    percent: float
    decimals: int = 0
    rounding: str = "half_up"
    tolerance: float = 0.0
    partner: str | None = None
    label: str = ""

    def __post_init__(self) -> None:
        rows = (self.rows,) if isinstance(self.rows, str | int) else tuple(self.rows)
        if not rows:
            raise SpecificationError("ShareConstraint rows is empty; name at least one row")
        object.__setattr__(self, "rows", rows)
        _check_rounding(self.rounding, "ShareConstraint rounding")
        _tolerance_fraction(self.tolerance, "ShareConstraint tolerance")
        _printed_units(self.percent, self.decimals, "ShareConstraint percent")
        if not self.label:
            shown = "+".join(str(r) for r in rows)
            object.__setattr__(self, "label", f"rows {shown} = {self.percent}%")

    def allowed(self, total: int) -> tuple[int, int]:
        """Smallest and largest number of respondents in ``rows`` out of ``total``."""
        return count_bounds(
            _printed_units(self.percent, self.decimals, "ShareConstraint percent"),
            total,
            decimals=self.decimals,
            rounding=self.rounding,
            tolerance=_tolerance_fraction(self.tolerance, "ShareConstraint tolerance"),
        )


def _check_rounding(rounding: object, name: str = "rounding") -> str:
    if rounding not in ROUNDING_RULES:
        raise SpecificationError(
            f"{name}={rounding!r} is not a rounding rule; use one of {format_values(ROUNDING_RULES)}"
        )
    return str(rounding)


def _tolerance_fraction(tolerance: object, name: str = "tolerance") -> Fraction:
    if isinstance(tolerance, Fraction):
        value = tolerance
    else:
        try:
            # via str so that 0.1 means one tenth, not the binary float next to it
            value = Fraction(str(float(tolerance)))  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise SpecificationError(
                f"{name}={tolerance!r} is not a number; give percentage points, e.g. 0.25"
            ) from exc
    if not (value >= 0 and math.isfinite(value)):
        raise SpecificationError(f"{name}={tolerance!r} must be a finite number >= 0")
    return value


def _printed_units(value: object, decimals: int, name: str) -> int:
    """A printed percentage as an int in units of 10**-decimals, refusing hidden decimals."""
    if not isinstance(decimals, int) or decimals < 0:
        raise SpecificationError(f"decimals={decimals!r} must be an int >= 0")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name}={value!r} is not a number") from exc
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise DataError(f"{name}={number:g} is not a percentage between 0 and 100")
    units = number * 10**decimals
    if abs(units - round(units)) > 1e-6:
        raise DataError(
            f"{name}={number:g} has more than {decimals} decimals; pass decimals={decimals + 1} "
            f"or more"
        )
    return round(units)


@dataclass(frozen=True)
class _Percents:
    """A validated table of printed row percentages."""

    printed: tuple[tuple[int, ...], ...]
    row_labels: tuple[str, ...]
    column_labels: tuple[str, ...]
    decimals: int

    @classmethod
    def parse(cls, percents: Any, decimals: int = 0) -> _Percents:
        if isinstance(percents, pd.DataFrame):
            rows_labels = tuple(str(i) for i in percents.index)
            column_labels = tuple(str(c) for c in percents.columns)
            values = percents.to_numpy(dtype=float, na_value=np.nan)
        else:
            try:
                values = np.array(percents, dtype=float)
            except (TypeError, ValueError) as exc:
                raise DataError(f"percents is not a table of numbers: {exc}") from exc
            if values.ndim != 2:
                raise DataError(
                    f"percents must be 2-dimensional (rows x columns), got {values.ndim}"
                )
            rows_labels = tuple(f"row {i + 1}" for i in range(values.shape[0]))
            column_labels = tuple(f"column {j + 1}" for j in range(values.shape[1]))
        if values.shape[0] < 1 or values.shape[1] < 1:
            raise DataError(f"percents has shape {values.shape}; it needs at least one cell")
        printed = tuple(
            tuple(
                _printed_units(
                    values[r, j], decimals, f"percents[{rows_labels[r]!r}, {column_labels[j]!r}]"
                )
                for j in range(values.shape[1])
            )
            for r in range(values.shape[0])
        )
        return cls(printed, rows_labels, column_labels, decimals)

    def row_index(self, row: str | int) -> int:
        if isinstance(row, int) and not isinstance(row, bool):
            if 1 <= row <= len(self.row_labels):
                return row - 1
        elif row in self.row_labels:
            return self.row_labels.index(row)
        raise SpecificationError(
            f"constraint row {row!r} is not a row of the table; use a label "
            f"({format_values(self.row_labels)}) or a position 1..{len(self.row_labels)}"
        )


# --------------------------------------------------------------------------------------
# Combining rows into tables: rows are grouped into "atoms" (rows that every constraint
# treats alike); a DP over the rows of each atom, then an enumeration of atom totals.
# --------------------------------------------------------------------------------------


def _atoms(n_rows: int, constraint_rows: Sequence[frozenset[int]]) -> list[list[int]]:
    groups: dict[tuple[bool, ...], list[int]] = {}
    for r in range(n_rows):
        groups.setdefault(tuple(r in rows for rows in constraint_rows), []).append(r)
    return list(groups.values())


def _members(
    atoms: Sequence[Sequence[int]], constraint_rows: Sequence[frozenset[int]]
) -> list[frozenset[int]]:
    """For each constraint, the atoms whose rows it counts."""
    return [
        frozenset(a for a, atom in enumerate(atoms) if atom[0] in rows) for rows in constraint_rows
    ]


def _atom_combinations(
    supports: Sequence[Sequence[int]],
    total: int,
    members: Sequence[frozenset[int]],
    intervals: Sequence[tuple[int, int]],
) -> Iterator[tuple[int, ...]]:
    """Atom totals (one per atom, from its support) that add to ``total`` and meet constraints.

    ``members[k]`` is the set of atoms constraint ``k`` counts; ``intervals[k]``
    the allowed number of respondents in them.
    """
    merged: dict[frozenset[int], tuple[int, int]] = {}
    for atoms, (lo, hi) in zip(members, intervals, strict=True):
        old_lo, old_hi = merged.get(atoms, (lo, hi))
        merged[atoms] = (max(lo, old_lo), min(hi, old_hi))
    if any(lo > hi for lo, hi in merged.values()):
        return  # two figures about the same rows contradict each other
    members, intervals = list(merged), list(merged.values())
    n_atoms = len(supports)
    sets = [set(s) for s in supports]
    low_after = [sum(min(s, default=0) for s in supports[a:]) for a in range(n_atoms + 1)]
    high_after = [sum(max(s, default=0) for s in supports[a:]) for a in range(n_atoms + 1)]
    closes_at = [max(m) for m in members]  # constraint k is complete once atom closes_at[k] is set
    steps = 0

    def admissible(chosen: list[int], a: int) -> bool:
        for k, atoms in enumerate(members):
            partial = sum(chosen[b] for b in atoms if b <= a)
            lo, hi = intervals[k]
            if partial > hi or (closes_at[k] == a and partial < lo):
                return False
        return True

    def walk(a: int, remaining: int, chosen: list[int]) -> Iterator[tuple[int, ...]]:
        nonlocal steps
        if a == n_atoms - 1:
            if remaining in sets[a]:
                chosen.append(remaining)
                if admissible(chosen, a):
                    yield tuple(chosen)
                chosen.pop()
            return
        for t in supports[a]:
            steps += 1
            if steps > _MAX_COMBINATIONS:
                raise SpecificationError(
                    "too many row-size combinations to enumerate under these constraints; "
                    "use fewer constraints or constraints on fewer distinct row sets"
                )
            rest = remaining - t
            if rest < low_after[a + 1]:
                break
            if rest > high_after[a + 1]:
                continue
            chosen.append(t)
            if admissible(chosen, a):
                yield from walk(a + 1, rest, chosen)
            chosen.pop()

    if n_atoms:
        yield from walk(0, total, [])


def _support_bool(supports: Sequence[np.ndarray], limit: int) -> np.ndarray:
    """Boolean DP: which sums of one size per row (sizes given as boolean masks) are reachable."""
    reach = np.zeros(limit + 1, dtype=bool)
    reach[0] = True
    for mask in supports:
        reach = (
            np.convolve(reach.astype(np.int64), mask[: limit + 1].astype(np.int64))[: limit + 1] > 0
        )
    return reach


def _feasible_bool(
    masks: Sequence[np.ndarray],
    total: int,
    atoms: Sequence[Sequence[int]],
    members: Sequence[frozenset[int]],
    intervals: Sequence[tuple[int, int]],
) -> bool:
    """Whether row sizes (each allowed by its mask) add to ``total`` and meet constraints."""
    supports = [
        np.flatnonzero(_support_bool([masks[r] for r in atom], total)).tolist() for atom in atoms
    ]
    return next(_atom_combinations(supports, total, members, intervals), None) is not None


class FeasibleTables:
    """All integer tables consistent with printed row percents, a total and share constraints.

    A table is a matrix of counts ``c[r, j] >= 0`` with every row size
    ``n_r >= 1``, ``sum n_r == total``, every cell printing as the published
    percentage of its row, and every share constraint met.  :attr:`count` is
    the exact number of such tables; ``reconstruct.sample_table`` draws one
    uniformly from the DP layers kept here.

    Use :func:`feasible_tables` to build one.
    """

    def __init__(
        self,
        rows: Sequence[_RowSpace],
        total: int,
        constraint_rows: Sequence[frozenset[int]],
        intervals: Sequence[tuple[int, int]],
    ) -> None:
        self.rows = list(rows)
        self.total = total
        self.atoms = _atoms(len(rows), constraint_rows)
        members = _members(self.atoms, constraint_rows)
        self.weights = [[0] + [row.n_vectors(n) for n in range(1, total + 1)] for row in rows]
        # layers[a][i][s]: ways to fill the first i rows of atom a with s respondents
        self.layers = [self._atom_layers(atom) for atom in self.atoms]
        supports = [[s for s, ways in enumerate(lay[-1]) if ways] for lay in self.layers]
        self.combinations = list(_atom_combinations(supports, total, members, intervals))
        combo_weights = [
            math.prod(lay[-1][t] for lay, t in zip(self.layers, combo, strict=True))
            for combo in self.combinations
        ]
        self.combination_weights = combo_weights
        self.count = sum(combo_weights)

    def _atom_layers(self, atom: Sequence[int]) -> list[list[int]]:
        layer = [1] + [0] * self.total
        layers = [layer]
        for r in atom:
            weights = [(n, w) for n, w in enumerate(self.weights[r]) if w]
            new = [0] * (self.total + 1)
            for s, ways in enumerate(layer):
                if ways:
                    for n, w in weights:
                        if s + n > self.total:
                            break
                        new[s + n] += ways * w
            layer = new
            layers.append(layer)
        return layers

    @property
    def log10_count(self) -> float | None:
        """``log10`` of :attr:`count` (``None`` when there is no table)."""
        return math.log10(self.count) if self.count > 0 else None


def _resolve_constraints(
    table: _Percents, constraints: Sequence[ShareConstraint]
) -> list[frozenset[int]]:
    resolved = []
    for constraint in constraints:
        if not isinstance(constraint, ShareConstraint):
            raise SpecificationError(
                f"constraints must be ShareConstraint objects, got {type(constraint).__name__}"
            )
        resolved.append(frozenset(table.row_index(row) for row in constraint.rows))
    return resolved


def _check_total(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise SpecificationError(f"{name}={value!r} must be a positive whole number")
    return int(value)


def feasible_tables(
    percents: Any,
    total: int,
    *,
    rounding: str = "half_up",
    tolerance: float | Fraction = 0.0,
    constraints: Sequence[ShareConstraint] = (),
    decimals: int = 0,
) -> FeasibleTables:
    """All integer tables of ``total`` respondents that print as ``percents``.

    Parameters
    ----------
    percents : DataFrame or array-like
        Printed row percentages (rows x columns).
    total : int
        Number of respondents in the table.
    rounding, tolerance, decimals
        The printing rule (see the module docstring).
    constraints : sequence of ShareConstraint
        Text figures about shares of ``total`` in sets of rows.

    Returns
    -------
    FeasibleTables

    Examples
    --------
    >>> tables = feasible_tables([[33, 67], [50, 50]], total=5)
    >>> tables.count   # only rows of 3 and 2 respondents print like this
    1
    """
    table = _Percents.parse(percents, decimals)
    total = _check_total(total, "total")
    rule = _check_rounding(rounding)
    tol = _tolerance_fraction(tolerance)
    rows = [_RowSpace(p, table.decimals, rule, tol) for p in table.printed]
    constraint_rows = _resolve_constraints(table, constraints)
    intervals = [c.allowed(total) for c in constraints]
    return FeasibleTables(rows, total, constraint_rows, intervals)


# --------------------------------------------------------------------------------------
# The audit: feasible row sizes, the count at the stated total, the smallest consistent
# total and the smallest tolerance, and a verdict in words.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare fields, not results
class AuditResult:
    """What the integer-consistency audit of one table found.

    Attributes
    ----------
    table : str
        Name of the table, used in the verdict.
    stated_n, rounding, tolerance_pp
        The stated sample size and the printing rule audited.
    consistent_at_stated_n : bool
        Whether some integer table of ``stated_n`` respondents prints as
        published and meets every constraint.
    n_tables_at_stated_n : int
        Exact number of such tables; ``log10_n_tables`` its log10 (None if 0).
    smallest_consistent_total : int or None
        Smallest total in ``1..max_total`` with a consistent table (same rule,
        tolerance and constraints).
    smallest_tolerance_exact : Fraction or None
        Smallest tolerance (percentage points) that makes ``stated_n``
        consistent under ``rounding`` and the constraints: 0 when the rule
        alone fits; None when no tolerance does.  When it is 0 but the rule
        does not fit (a tie broken the other way), any positive tolerance works.
    smallest_tolerance_pp : float or None
        The same, rounded up to 4 decimals (at least 0.0001 when the rule
        fails), so that passing it back as ``tolerance`` works.
    smallest_row_sizes : tuple of int or None
        Smallest size each row allows under the rule and tolerance.
    rows : DataFrame
        One row per table row: printed values, their sum, the feasible sizes
        in ``1..n_max``.
    row_sizes : DataFrame
        One row per table row and size ``n`` in ``1..n_max``: ``feasible``,
        ``n_vectors`` (count vectors of that size), ``min_tolerance_pp``.
    constraints : DataFrame
        One row per constraint: allowed counts at ``stated_n`` and the
        smallest tolerance that fits the table with that constraint alone.
    verdict : str
        The finding in plain language.
    """

    table: str
    stated_n: int
    rounding: str
    tolerance_pp: float
    consistent_at_stated_n: bool
    n_tables_at_stated_n: int
    log10_n_tables: float | None
    smallest_consistent_total: int | None
    smallest_tolerance_exact: Fraction | None
    smallest_tolerance_pp: float | None
    smallest_row_sizes: tuple[int | None, ...]
    max_total: int
    rows: pd.DataFrame
    row_sizes: pd.DataFrame
    constraints: pd.DataFrame
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """The scalar findings and the per-row summary, ready for ``json.dumps``."""
        exact = self.smallest_tolerance_exact
        return {
            "table": self.table,
            "stated_n": self.stated_n,
            "rounding": self.rounding,
            "tolerance_pp": self.tolerance_pp,
            "consistent_at_stated_n": self.consistent_at_stated_n,
            "n_tables_at_stated_n": self.n_tables_at_stated_n,
            "log10_n_tables": self.log10_n_tables,
            "smallest_consistent_total": self.smallest_consistent_total,
            "smallest_tolerance_pp": self.smallest_tolerance_pp,
            "smallest_tolerance_exact": None if exact is None else str(exact),
            "smallest_row_sizes": list(self.smallest_row_sizes),
            "verdict": self.verdict,
            "rows": self.rows.to_dict(orient="records"),
            "constraints": self.constraints.to_dict(orient="records"),
        }


def _mask(row: _RowSpace, limit: int) -> np.ndarray:
    return np.array([False] + [row.feasible(n) for n in range(1, limit + 1)])


def _smallest_total(
    rows: Sequence[_RowSpace],
    max_total: int,
    constraint_rows: Sequence[frozenset[int]],
    constraints: Sequence[ShareConstraint],
) -> int | None:
    masks = [_mask(row, max_total) for row in rows]
    atoms = _atoms(len(rows), constraint_rows)
    members = _members(atoms, constraint_rows)
    reach = [_support_bool([masks[r] for r in atom], max_total) for atom in atoms]
    for total in np.flatnonzero(_support_bool(masks, max_total)).tolist():
        supports = [np.flatnonzero(r[: total + 1]).tolist() for r in reach]
        intervals = [c.allowed(total) for c in constraints]
        if next(_atom_combinations(supports, total, members, intervals), None) is not None:
            return int(total)
    return None


def _smallest_tolerance(
    rule_rows: Sequence[_RowSpace],
    min_tolerances: Sequence[Sequence[Fraction]],
    total: int,
    constraint_rows: Sequence[frozenset[int]],
    intervals: Sequence[tuple[int, int]],
) -> tuple[Fraction | None, bool]:
    """Exact smallest tolerance, and whether the rounding rule alone fits.

    Feasibility only changes at the rows' critical values (the smallest
    tolerance of each row size), so a binary search over them is exact.
    """
    atoms = _atoms(len(rule_rows), constraint_rows)
    members = _members(atoms, constraint_rows)
    if _feasible_bool([_mask(r, total) for r in rule_rows], total, atoms, members, intervals):
        return Fraction(0), True

    def fits(tolerance: Fraction) -> bool:
        masks = [
            np.array([False] + [t <= tolerance for t in ts[1 : total + 1]]) for ts in min_tolerances
        ]
        return _feasible_bool(masks, total, atoms, members, intervals)

    candidates = sorted({t for ts in min_tolerances for t in ts[1 : total + 1]})
    if not fits(candidates[-1]):
        return None, False
    low, high = 0, len(candidates) - 1
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if fits(candidates[mid]) else (mid + 1, high)
    return candidates[low], False


def _compact(sizes: Sequence[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``"1-3, 7"``."""
    runs: list[list[int]] = []
    for n in sizes:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _tolerance_pp(value: Fraction, places: int = 4) -> float:
    """Round a needed tolerance up (at least one step), so passing it back as tolerance works."""
    return max(math.ceil(value * 10**places), 1) / 10**places


def _listing(values: Sequence[object]) -> str:
    items = [str(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _rule_words(rounding: str, tolerance: Fraction) -> str:
    words = "half-up rounding" if rounding == "half_up" else "half-to-even rounding"
    return words + (f" with a tolerance of {float(tolerance):g} pp" if tolerance > 0 else "")


def _contradictions(
    constraints: Sequence[ShareConstraint],
    resolved: Sequence[frozenset[int]],
    total: int,
    n_rows: int,
) -> list[str]:
    """Plain-language reasons why the constraints alone cannot all hold at ``total``."""
    found = []
    allowed = [c.allowed(total) for c in constraints]
    for k, m in itertools.combinations(range(len(constraints)), 2):
        (lo1, hi1), (lo2, hi2) = allowed[k], allowed[m]
        if resolved[k] == resolved[m] and (hi1 < lo2 or hi2 < lo1):
            spans = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in (allowed[k], allowed[m])]
            found.append(
                f"The constraints '{constraints[k].label}' and '{constraints[m].label}' "
                f"contradict each other: out of {total}, rows {_row_list(resolved[k])} must hold "
                f"{spans[0]} respondents under the first and {spans[1]} under the second."
            )
    for size in range(2, len(constraints) + 1):  # disjoint figures that cover every row
        for subset in itertools.combinations(range(len(constraints)), size):
            sets = [resolved[k] for k in subset]
            if sum(map(len, sets)) != n_rows or len(frozenset().union(*sets)) != n_rows:
                continue
            low, high = sum(allowed[k][0] for k in subset), sum(allowed[k][1] for k in subset)
            if not low <= total <= high:
                labels = ", ".join(f"'{constraints[k].label}'" for k in subset)
                found.append(
                    f"Together the constraints {labels} cover every row once but allow "
                    f"{low}-{high} respondents in all, not {total}."
                )
    return found


def _row_list(rows: frozenset[int]) -> str:
    return "+".join(str(r + 1) for r in sorted(rows))


def _verdict(
    name: str,
    words: str,
    result: dict[str, Any],
    constraints: Sequence[ShareConstraint],
    contradictions: Sequence[str],
) -> str:
    total, count = result["stated_n"], result["n_tables_at_stated_n"]
    with_constraints = f" and {len(constraints)} text constraint(s)" if constraints else ""
    while_meeting = (
        f" while meeting the {len(constraints)} text constraint(s)" if constraints else ""
    )
    if count:
        return (
            f"{name} is consistent with {total} respondents under {words}{with_constraints}: "
            f"{count:,} integer tables (about 10^{result['log10_n_tables']:.1f}) print as published."
        )
    if constraints and result["fits_without_constraints"]:
        text = (
            f"{name} fits {total} respondents under {words}, but not together with the constraints."
        )
    else:
        text = (
            f"{name} cannot come from {total} respondents under {words}: no "
            f"{len(result['smallest_row_sizes'])} row sizes (each at least 1) that add up to "
            f"{total} are each consistent with their printed row{while_meeting}."
        )
        smallest = result["smallest_row_sizes"]
        if None not in smallest and sum(smallest) > total:
            text += (
                f" The smallest size each row allows is {_listing(smallest)} respondents, "
                f"already {sum(smallest)} in total."
            )
    best = result["smallest_consistent_total"]
    text += (
        f" The smallest consistent total is {best}."
        if best is not None
        else f" No total up to {result['max_total']} is consistent."
    )
    exact = result["smallest_tolerance_exact"]
    if exact is None:
        text += f" No tolerance on the table cells makes {total} consistent with the constraints."
    elif exact == 0:
        text += f" At {total} any tolerance above 0 pp suffices (a tie rounded the other way)."
    else:
        text += (
            f" At {total} it needs a tolerance of {result['smallest_tolerance_pp']:.4f} pp "
            f"(exactly {exact}): every printed percentage within "
            f"{0.5 + result['smallest_tolerance_pp']:.4f} pp of the true row share."
        )
    return " ".join([text, *contradictions])


def audit_table(
    percents: Any,
    stated_n: int = 245,
    rounding: str = "half_up",
    tolerance: float = 0.0,
    constraints: Sequence[ShareConstraint] = (),
    *,
    decimals: int = 0,
    n_max: int | None = None,
    max_total: int | None = None,
    name: str = "The table",
) -> AuditResult:
    """Audit a table of printed row percentages for integer consistency.

    Parameters
    ----------
    percents : DataFrame or array-like
        Printed row percentages, rows x columns (e.g. ``article.table_matrix("state")``).
    stated_n : int
        The sample size the table is said to come from.
    rounding : {"half_up", "half_even"}
        How the percentages were rounded.
    tolerance : float
        Extra percentage points allowed per cell (0: the rounding rule exactly).
    constraints : sequence of ShareConstraint
        Text figures on shares of the total in sets of rows.
    decimals : int
        Decimals printed in the table.
    n_max : int, optional
        Largest row size listed in ``row_sizes`` (default ``stated_n``).
    max_total : int, optional
        Largest total searched for ``smallest_consistent_total``
        (default ``max(4 * stated_n, 100 * rows * 10**decimals)``).
    name : str
        Name of the table in the verdict.

    Returns
    -------
    AuditResult

    Examples
    --------
    >>> result = audit_table([[33, 67], [50, 50]], stated_n=6)
    >>> result.consistent_at_stated_n, result.smallest_consistent_total
    (False, 5)
    >>> result.smallest_tolerance_pp   # rows of 4 and 2: 1/4 = 25% is 8 pp from 33%
    7.5
    """
    table = _Percents.parse(percents, decimals)
    stated_n = _check_total(stated_n, "stated_n")
    rule, tol = _check_rounding(rounding), _tolerance_fraction(tolerance)
    n_max = _check_total(n_max if n_max is not None else stated_n, "n_max")
    n_rows = len(table.printed)
    max_total = _check_total(
        max_total if max_total is not None else max(4 * stated_n, 100 * n_rows * 10**decimals),
        "max_total",
    )
    constraints = tuple(constraints)
    resolved = _resolve_constraints(table, constraints)
    rows = [_RowSpace(p, table.decimals, rule, tol) for p in table.printed]
    rule_rows = [_RowSpace(p, table.decimals, rule, Fraction(0)) for p in table.printed]
    limit = max(n_max, stated_n)
    min_tol = [[Fraction(0)] + [row.min_tolerance(n) for n in range(1, limit + 1)] for row in rows]
    tables = FeasibleTables(rows, stated_n, resolved, [c.allowed(stated_n) for c in constraints])
    masks = [_mask(row, max_total) for row in rows]
    smallest_sizes = tuple(int(np.argmax(m)) if m.any() else None for m in masks)
    smallest_tol, rule_fits = _smallest_tolerance(
        rule_rows, min_tol, stated_n, resolved, [c.allowed(stated_n) for c in constraints]
    )
    pp = None if smallest_tol is None else 0.0 if rule_fits else _tolerance_pp(smallest_tol)
    result: dict[str, Any] = {
        "stated_n": stated_n,
        "n_tables_at_stated_n": tables.count,
        "log10_n_tables": tables.log10_count,
        "smallest_consistent_total": _smallest_total(rows, max_total, resolved, constraints),
        "smallest_tolerance_exact": smallest_tol,
        "smallest_tolerance_pp": pp,
        "smallest_row_sizes": smallest_sizes,
        "max_total": max_total,
        "fits_without_constraints": bool(constraints)
        and FeasibleTables(rows, stated_n, [], []).count > 0,
    }
    frames = _frames(name, table, rows, masks, min_tol, n_max, constraints, resolved, stated_n)
    alone = [
        _smallest_tolerance(rule_rows, min_tol, stated_n, [rows_], [c.allowed(stated_n)])
        for c, rows_ in zip(constraints, resolved, strict=True)
    ]
    frames[2]["smallest_tolerance_pp_alone"] = [
        None if t is None else 0.0 if fits else _tolerance_pp(t) for t, fits in alone
    ]
    verdict = _verdict(
        name,
        _rule_words(rule, tol),
        result,
        constraints,
        _contradictions(constraints, resolved, stated_n, n_rows),
    )
    result.pop("fits_without_constraints")
    return AuditResult(
        table=name,
        rounding=rule,
        tolerance_pp=float(tol),
        consistent_at_stated_n=tables.count > 0,
        rows=frames[0],
        row_sizes=frames[1],
        constraints=frames[2],
        verdict=verdict,
        **result,
    )


def _frames(
    name: str,
    table: _Percents,
    rows: Sequence[_RowSpace],
    masks: Sequence[np.ndarray],
    min_tol: Sequence[Sequence[Fraction]],
    n_max: int,
    constraints: Sequence[ShareConstraint],
    resolved: Sequence[frozenset[int]],
    stated_n: int,
) -> list[pd.DataFrame]:
    """The per-row summary, the per-row-size detail and the per-constraint frames."""
    unit = 10**table.decimals
    summary, detail = [], []
    for r, (row, mask) in enumerate(zip(rows, masks, strict=True)):
        sizes = [n for n in range(1, n_max + 1) if mask[n]]
        summary.append(
            {
                "table": name,
                "row": r + 1,
                "label": table.row_labels[r],
                "printed": ", ".join(f"{p / unit:g}" for p in row.printed),
                "printed_sum": sum(row.printed) / unit,
                "n_feasible_sizes": len(sizes),
                "smallest_size": int(np.argmax(mask)) if mask.any() else None,
                "feasible_sizes": _compact(sizes),
            }
        )
        for n in range(1, n_max + 1):
            detail.append(
                {
                    "table": name,
                    "row": r + 1,
                    "label": table.row_labels[r],
                    "n": n,
                    "feasible": bool(mask[n]),
                    "n_vectors": row.n_vectors(n) if mask[n] else 0,
                    "min_tolerance_pp": float(min_tol[r][n]),
                }
            )
    constraint_rows = []
    for c, rows_ in zip(constraints, resolved, strict=True):
        lo, hi = c.allowed(stated_n)
        constraint_rows.append(
            {
                "constraint": c.label,
                "partner": c.partner,
                "rows": _row_list(rows_),
                "percent": c.percent,
                "decimals": c.decimals,
                "rounding": c.rounding,
                "tolerance_pp": c.tolerance,
                "allowed_min": lo,
                "allowed_max": hi,
            }
        )
    columns = [
        "constraint",
        "partner",
        "rows",
        "percent",
        "decimals",
        "rounding",
        "tolerance_pp",
        "allowed_min",
        "allowed_max",
    ]
    return [
        pd.DataFrame(summary),
        pd.DataFrame(detail),
        pd.DataFrame(constraint_rows, columns=columns),
    ]


_ARTICLE_TABLES = (
    ("table1", "state", "Table 1 (state)"),
    ("table2", "business", "Table 2 (business)"),
)


def audit_article(
    rounding: str = "half_up",
    tolerance: float = 0.0,
    constraints: Sequence[ShareConstraint] = (),
    *,
    n_max: int | None = None,
) -> dict[str, AuditResult]:
    """Audit the article's Tables 1 and 2 at its stated sample of 245 NGOs.

    Parameters
    ----------
    rounding, tolerance
        As in :func:`audit_table`.
    constraints : sequence of ShareConstraint
        Text figures; each must name its ``partner`` ("state" or "business").
    n_max : int, optional
        Largest row size listed per row.

    Returns
    -------
    dict
        ``{"table1": AuditResult, "table2": AuditResult}``.

    Examples
    --------
    >>> audit = audit_article()
    >>> audit["table1"].consistent_at_stated_n, audit["table1"].smallest_consistent_total
    (False, 278)
    """
    from interactmodel import article

    partners = [partner for _, partner, _ in _ARTICLE_TABLES]
    for c in constraints:
        if c.partner not in partners:
            raise SpecificationError(
                f"constraint {c.label!r} has partner={c.partner!r}; set partner to one of "
                f"{format_values(partners)} so it is applied to the right table"
            )
    return {
        key: audit_table(
            article.table_matrix(partner),
            stated_n=article.SAMPLE_SIZE,
            rounding=rounding,
            tolerance=tolerance,
            constraints=[c for c in constraints if c.partner == partner],
            n_max=n_max,
            name=title,
        )
        for key, partner, title in _ARTICLE_TABLES
    }
