"""Integer-consistency audit of published row percentages (a GRIM-like test).

Can a table of rounded row percentages come from the sample size it is said
to come from?  :func:`audit_table` answers for one table and
:func:`audit_article` for the article's Tables 1 and 2, each as an
:class:`AuditResult`: the row sizes every printed row allows, the exact
number of integer tables at the stated total, the smallest consistent total,
the exact smallest tolerance that would make the stated total consistent,
any text figures (:class:`~interactmodel.feasibility.ShareConstraint`) that
contradict each other, and a verdict in plain language.

The exact arithmetic (when a count "prints as" a percentage under a rounding
rule or a tolerance, and how the consistent tables are counted) lives in
:mod:`interactmodel.feasibility`; this module searches over totals and
tolerances with it and puts the findings into words and tables.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import SpecificationError, format_values
from interactmodel.feasibility import (
    ROUNDING_RULES,
    FeasibleTables,
    ShareConstraint,
    _atom_combinations,
    _atoms,
    _check_rounding,
    _check_total,
    _feasible_bool,
    _members,
    _Percents,
    _resolve_constraints,
    _RowSpace,
    _support_bool,
    _tolerance_fraction,
    count_bounds,
    feasible_tables,
)

# ROUNDING_RULES, FeasibleTables, ShareConstraint, count_bounds and feasible_tables are
# defined in interactmodel.feasibility; they stay importable from here, where they were
# first published.
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
