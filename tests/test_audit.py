"""Tests of interactmodel.audit against brute force.

The brute-force references ("prints as p" with :mod:`decimal`, exhaustive
enumeration of small tables) live in ``test_feasibility``; here they check the
audit's row sizes, counts, smallest total and smallest tolerance, and its
verdicts.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from interactmodel.audit import audit_article, audit_table
from interactmodel.errors import DataError, SpecificationError
from interactmodel.feasibility import ShareConstraint, feasible_tables

from .test_feasibility import (
    TINY_TABLES,
    brute_count,
    brute_count_by_rows,
    compositions,
    printed_from,
    prints_as,
    row_vectors,
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


@pytest.mark.parametrize("rule", ["half_up", "half_even"])
@pytest.mark.parametrize(("table", "total"), TINY_TABLES)
def test_number_of_tables_matches_exhaustive_enumeration(table, total, rule):
    expected = brute_count(table, total, rule)
    assert (expected > 0) == (table[-1] != [25, 75])  # the examples are not all empty
    assert audit_table(table, stated_n=total, rounding=rule).n_tables_at_stated_n == expected


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
