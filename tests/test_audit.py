"""Tests of interactmodel.audit against brute force.

The reference for "prints as p" is Python's ``decimal`` module with
ROUND_HALF_UP / ROUND_HALF_EVEN (exact at ties: 100*c/n = k + 1/2 is a
terminating decimal), and for tolerances the definition itself on
``Fraction``.  Feasible tables are enumerated exhaustively on small tables.
"""

from __future__ import annotations

import itertools
import math
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache

import numpy as np
import pandas as pd
import pytest

from interactmodel.audit import (
    ShareConstraint,
    audit_article,
    audit_table,
    count_bounds,
    feasible_tables,
)
from interactmodel.errors import DataError, SpecificationError

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


def excess(c: int, n: int, p: int) -> Fraction:
    return max(Fraction(0), abs(Fraction(100 * c, n) - p) - Fraction(1, 2))


def brute_min_tolerance(table, total) -> Fraction:
    """min over tables of the largest cell excess over the half-unit window."""
    best_row = {}
    for r, row in enumerate(table):
        for n in range(1, total + 1):
            best_row[r, n] = min(
                max(excess(c, n, p) for c, p in zip(vec, row, strict=True))
                for vec in compositions(n, len(row))
            )
    return min(
        max(best_row[r, n] for r, n in enumerate(sizes))
        for sizes in compositions(total, len(table), minimum=1)
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


# ------------------------------------------------------------------------------- rows

ROWS_3 = [(33, 33, 33), (17, 50, 33), (0, 25, 75), (10, 45, 45), (14, 29, 57), (20, 20, 61)]


@pytest.mark.parametrize("rule", ["half_up", "half_even"])
@pytest.mark.parametrize("row", ROWS_3)
def test_row_sizes_and_vector_counts_match_brute_force(rule, row):
    result = audit_table([list(row)], stated_n=30, rounding=rule)
    sizes = result.row_sizes.set_index("n")
    for n in range(1, 31):
        expected = row_vectors(row, n, rule, Fraction(0))
        assert sizes.loc[n, "n_vectors"] == expected, n
        assert sizes.loc[n, "feasible"] == (expected > 0)


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
    assert audit_table(table, stated_n=total, rounding=rule).n_tables_at_stated_n == expected


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


@pytest.mark.parametrize(("table", "total"), [([[33, 67], [50, 50]], 6), ([[29, 71], [45, 55]], 9)])
def test_smallest_tolerance_matches_brute_force(table, total):
    result = audit_table(table, stated_n=total)
    expected = brute_min_tolerance(table, total)
    assert result.smallest_tolerance_exact == expected
    assert not result.consistent_at_stated_n
    # the reported (rounded-up) value works when passed back, anything below the exact one fails
    assert feasible_tables(table, total, tolerance=result.smallest_tolerance_pp).count > 0
    assert feasible_tables(table, total, tolerance=expected - Fraction(1, 10**6)).count == 0


def test_smallest_consistent_total_matches_brute_force():
    table = [[33, 67], [50, 50], [20, 80]]
    expected = next(t for t in range(1, 60) if brute_count_by_rows(table, t) > 0)
    result = audit_table(table, stated_n=6, max_total=60)
    assert result.smallest_consistent_total == expected
    assert result.smallest_row_sizes == (3, 2, 5)


def test_consistent_table_reports_zero_tolerance():
    counts = np.array([[3, 5, 2], [1, 1, 6], [4, 4, 4]])
    table = printed_from(counts)
    result = audit_table(table, stated_n=int(counts.sum()))
    assert result.consistent_at_stated_n
    assert result.smallest_tolerance_pp == 0.0
    assert result.n_tables_at_stated_n == brute_count_by_rows(table, int(counts.sum()))
    assert "is consistent with 30 respondents" in result.verdict


def test_contradicting_constraints_are_named():
    table = [[33, 67], [50, 50], [40, 60]]
    first = ShareConstraint(rows=(2, 3), percent=58, label="first")
    second = ShareConstraint(rows=(3, 2), percent=75, label="second")
    result = audit_table(table, stated_n=12, constraints=[first, second])
    assert not result.consistent_at_stated_n
    assert result.smallest_tolerance_exact is None and result.smallest_tolerance_pp is None
    assert "'first' and 'second' contradict each other" in result.verdict
    assert "rows 2+3 must hold 7 respondents under the first and 9 under the second" in (
        result.verdict
    )


# ---------------------------------------------------------------------------- article


def article_row_sizes(row: list[int], limit: int) -> list[int]:
    """Brute force per printed cell with Decimal, then a product over the candidates."""
    sizes = []
    for n in range(1, limit + 1):
        candidates = [
            [c for c in range(n + 1) if prints_as(c, n, p, "half_up", Fraction(0))] for p in row
        ]
        if any(sum(vec) == n for vec in itertools.product(*candidates)):
            sizes.append(n)
    return sizes


@pytest.mark.parametrize(
    ("key", "partner", "smallest"), [("table1", "state", 278), ("table2", "business", 258)]
)
def test_article_tables_cannot_come_from_245(key, partner, smallest):
    from interactmodel import article

    grid = article.table_matrix(partner)
    minima = [article_row_sizes([int(p) for p in row], 70)[0] for row in grid.to_numpy()]
    assert sum(minima) == smallest > article.SAMPLE_SIZE  # brute-force reference
    result = audit_article()[key]
    assert not result.consistent_at_stated_n
    assert result.n_tables_at_stated_n == 0
    assert list(result.smallest_row_sizes) == minima
    assert result.smallest_consistent_total == smallest
    assert result.rows["printed_sum"].tolist() == [100.0] * 5  # every printed row sums to 100
    assert "cannot come from 245 respondents" in result.verdict
    assert f"smallest consistent total is {smallest}" in result.verdict


def test_article_tolerance_is_attained_by_a_table():
    from interactmodel import article

    result = audit_article()["table1"]
    assert result.smallest_tolerance_exact == Fraction(11, 102)
    tables = feasible_tables(article.table_matrix("state"), 245, tolerance=Fraction(11, 102))
    assert tables.count == 3


def test_audit_does_not_mutate_input():
    grid = pd.DataFrame([[33.0, 67.0], [50.0, 50.0]], index=["a", "b"], columns=["x", "y"])
    before = grid.copy()
    audit_table(grid, stated_n=5, constraints=[ShareConstraint(rows=("b",), percent=40)])
    pd.testing.assert_frame_equal(grid, before)


# ----------------------------------------------------------------------------- errors


def test_bad_inputs_are_named():
    with pytest.raises(
        DataError,
        match=r"percents\['row 1', 'column 1'\]=66.5 has more than 0 decimals; pass decimals=1",
    ):
        audit_table([[66.5, 33.5]])
    with pytest.raises(DataError, match=r"=120 is not a percentage between 0 and 100"):
        audit_table([[120, -20]])
    with pytest.raises(DataError, match=r"must be 2-dimensional"):
        audit_table([50, 50])
    with pytest.raises(SpecificationError, match=r"rounding='bankers' is not a rounding rule"):
        audit_table([[50, 50]], rounding="bankers")
    with pytest.raises(SpecificationError, match=r"tolerance=-1 must be a finite number >= 0"):
        audit_table([[50, 50]], tolerance=-1)
    with pytest.raises(SpecificationError, match=r"stated_n=0 must be a positive whole number"):
        audit_table([[50, 50]], stated_n=0)
    with pytest.raises(SpecificationError, match=r"constraint row 'best' is not a row"):
        audit_table([[50, 50]], constraints=[ShareConstraint(rows=("best",), percent=10)])
    with pytest.raises(SpecificationError, match=r"set partner to one of 'state', 'business'"):
        audit_article(constraints=[ShareConstraint(rows=(4, 5), percent=56)])
