"""Tests of interactmodel.feasibility against brute force.

The reference for "prints as p" is Python's ``decimal`` module with
ROUND_HALF_UP / ROUND_HALF_EVEN (exact at ties: 100*c/n = k + 1/2 is a
terminating decimal), and for tolerances the definition itself on
``Fraction``.  Feasible tables are enumerated exhaustively on small tables.
The brute-force references here are also used by the tests of the audit and
of the reconstructions.
"""

from __future__ import annotations

import itertools
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache

import numpy as np
import pytest

from interactmodel.feasibility import ShareConstraint, count_bounds, feasible_tables

DECIMAL_RULES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


@cache
def prints_as(
    c: int, n: int, printed: int, rule: str, tolerance: Fraction, decimals: int = 0
) -> bool:
    """Reference: does 100*c/n print as ``printed`` (units of 10**-decimals)?"""
    if tolerance > 0:
        unit = Fraction(1, 10**decimals)
        return abs(Fraction(100 * c, n) - printed * unit) <= unit / 2 + tolerance
    share = Decimal(100 * c) / Decimal(n)
    rounded = share.quantize(Decimal(1).scaleb(-decimals), rounding=DECIMAL_RULES[rule])
    return rounded == Decimal(printed).scaleb(-decimals)


def compositions(total: int, parts: int, minimum: int = 0):
    """All tuples of ``parts`` ints >= minimum adding to ``total`` (stars and bars)."""
    free = total - parts * minimum
    if free < 0:
        return
    for bars in itertools.combinations(range(free + parts - 1), parts - 1):
        edges = (-1, *bars, free + parts - 1)
        yield tuple(edges[i + 1] - edges[i] - 1 + minimum for i in range(parts))


@cache
def row_vectors(row: tuple[int, ...], n: int, rule: str, tolerance: Fraction) -> int:
    """Brute-force number of count vectors of size n printing as ``row``."""
    return sum(
        all(prints_as(c, n, p, rule, tolerance) for c, p in zip(vec, row, strict=True))
        for vec in compositions(n, len(row))
    )


def brute_count(table, total, rule="half_up", tolerance=Fraction(0), constraints=()):
    """Number of tables: every matrix of counts with the given total, checked cell by cell."""
    rows = [tuple(r) for r in table]
    n_cols = len(rows[0])
    count = 0
    for cells in compositions(total, len(rows) * n_cols):
        matrix = [cells[r * n_cols : (r + 1) * n_cols] for r in range(len(rows))]
        sizes = [sum(v) for v in matrix]
        if min(sizes) < 1:
            continue
        if not all(
            prints_as(c, n, p, rule, tolerance)
            for vec, n, row in zip(matrix, sizes, rows, strict=True)
            for c, p in zip(vec, row, strict=True)
        ):
            continue
        if all(
            prints_as(sum(sizes[r] for r in rows_), total, percent, c_rule, Fraction(0))
            for rows_, percent, c_rule in constraints
        ):
            count += 1
    return count


def brute_count_by_rows(table, total, rule="half_up", tolerance=Fraction(0)):
    """Same count via row sizes: sum over compositions of prod of brute row counts."""
    rows = [tuple(r) for r in table]
    return sum(
        math.prod(row_vectors(row, n, rule, tolerance) for row, n in zip(rows, sizes, strict=True))
        for sizes in compositions(total, len(rows), minimum=1)
    )


def printed_from(counts: np.ndarray, rule: str = "half_up") -> list[list[int]]:
    """The row percents a count table prints as (the reference rounding)."""
    out = []
    for row in counts:
        n = int(row.sum())
        share = [Decimal(100 * int(c)) / Decimal(n) for c in row]
        out.append([int(s.quantize(Decimal(1), rounding=DECIMAL_RULES[rule])) for s in share])
    return out


# ------------------------------------------------------------------------------ cells


@pytest.mark.parametrize("rule", ["half_up", "half_even"])
def test_count_bounds_match_decimal_rounding(rule):
    for n in range(1, 41):
        for p in range(0, 101):
            expected = [c for c in range(n + 1) if prints_as(c, n, p, rule, Fraction(0))]
            lo, hi = count_bounds(p, n, rounding=rule)
            assert list(range(lo, hi + 1)) == expected, (p, n)


@pytest.mark.parametrize("rule", ["half_up", "half_even"])
def test_count_bounds_one_decimal(rule):
    for n in (7, 40, 200, 245, 1000):
        for printed in range(0, 1001, 7):
            expected = [c for c in range(n + 1) if prints_as(c, n, printed, rule, Fraction(0), 1)]
            lo, hi = count_bounds(printed, n, decimals=1, rounding=rule)
            assert list(range(lo, hi + 1)) == expected, (printed, n)


def test_ties_split_the_two_rules():
    # 1/8 = 12.5%: half-up prints 13, half-even prints 12
    assert count_bounds(13, 8, rounding="half_up") == (1, 1)
    assert count_bounds(12, 8, rounding="half_up")[0] > count_bounds(12, 8, rounding="half_up")[1]
    assert count_bounds(12, 8, rounding="half_even") == (1, 1)


def test_count_bounds_tolerance_is_the_closed_widened_window():
    tolerance = Fraction(3, 10)
    for n in range(1, 60):
        for p in range(0, 101, 3):
            expected = [c for c in range(n + 1) if prints_as(c, n, p, "half_up", tolerance)]
            lo, hi = count_bounds(p, n, tolerance=tolerance)
            assert list(range(lo, hi + 1)) == expected


# ------------------------------------------------------------------------------ tables

# ------------------------------------------------------------------------------ tables

TINY_TABLES = [
    ([[50, 50], [100, 0], [100, 0]], 9),  # 12 tables
    ([[33, 67], [100, 0], [100, 0]], 11),  # 12 tables
    ([[50, 50], [50, 50], [100, 0]], 12),  # 10 tables
    ([[20, 40, 40], [50, 0, 50]], 7),  # 1 table
    ([[33, 67], [50, 50], [25, 75]], 10),  # none
]


@pytest.mark.parametrize("rule", ["half_up", "half_even"])
@pytest.mark.parametrize(("table", "total"), TINY_TABLES)
def test_number_of_tables_matches_exhaustive_enumeration(table, total, rule):
    expected = brute_count(table, total, rule)
    assert feasible_tables(table, total, rounding=rule).count == expected
    assert (expected > 0) == (table[-1] != [25, 75])  # the examples are not all empty


def test_counts_from_real_count_tables_match_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(6):
        counts = rng.multinomial(12, [0.2, 0.15, 0.25, 0.1, 0.3]).reshape(-1)
        counts = np.array([[counts[0] + 1, counts[1]], [counts[2] + 1, counts[3] + counts[4]]])
        table, total = printed_from(counts), int(counts.sum())
        expected = brute_count_by_rows(table, total)
        assert expected >= 1  # the table we started from
        assert feasible_tables(table, total).count == expected


@pytest.mark.parametrize(
    ("table", "total", "tolerance"),
    [
        ([[33, 67], [50, 50], [25, 75]], 10, Fraction(1, 4)),
        ([[33, 67], [50, 50], [25, 75]], 10, Fraction(9)),
        ([[20, 40, 40], [50, 0, 50]], 8, Fraction(15)),
        ([[40, 60], [25, 75]], 9, Fraction(25, 2)),
    ],
)
def test_counts_with_tolerance_match_brute_force(table, total, tolerance):
    expected = brute_count(table, total, tolerance=tolerance)
    assert feasible_tables(table, total, tolerance=float(tolerance)).count == expected


def test_counts_with_a_share_constraint_match_brute_force():
    table, total = [[50, 50], [50, 50], [33, 67]], 12  # row sizes (2, 4, 6) or (4, 2, 6)
    constraint = ShareConstraint(rows=(1,), percent=17)  # 2 of 12
    expected = brute_count(table, total, constraints=[((0,), 17, "half_up")])
    assert feasible_tables(table, total, constraints=[constraint]).count == expected
    assert 0 < expected < brute_count(table, total)
