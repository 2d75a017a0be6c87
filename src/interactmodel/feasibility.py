"""Which respondent-level tables are consistent with published rounded row percentages.

A table of row percentages P(column | row), each printed as a rounded number,
can only come from whole respondents: row ``r`` has ``n_r >= 1`` respondents
and cell ``(r, j)`` has ``c_rj >= 0`` of them, with ``sum_j c_rj = n_r`` and
``sum_r n_r`` equal to a given total.  This module is the exact integer
arithmetic behind that statement: :func:`count_bounds` gives the counts a
printed cell allows, :func:`feasible_tables` counts every integer table of a
given total that prints as published and meets the text figures given as
:class:`ShareConstraint`, and :class:`FeasibleTables` keeps the dynamic
programming layers from which :mod:`interactmodel.reconstruct` draws tables
uniformly.  The audit in words (:mod:`interactmodel.audit`) is built on it.

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
    "FeasibleTables",
    "ShareConstraint",
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
