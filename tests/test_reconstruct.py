"""Tests of interactmodel.reconstruct: uniform draws, rounding back, seeding, metadata."""

from __future__ import annotations

import warnings
from collections import Counter
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from interactmodel import article
from interactmodel.audit import ShareConstraint, feasible_tables
from interactmodel.errors import ReconstructionWarning, SpecificationError
from interactmodel.reconstruct import (
    REGION_NOTE,
    _randbelow,
    article_constraints,
    draw_tables,
    reconstruct,
    region_probabilities,
    sample_table,
)

from .test_feasibility import compositions, prints_as

RULES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def prints_back(counts: np.ndarray, percents: np.ndarray, rule: str, tolerance: float) -> bool:
    """Reference check that a count table prints as the published row percents."""
    for row, printed in zip(counts, percents, strict=True):
        n = int(row.sum())
        if n < 1:
            return False
        for c, p in zip(row, printed, strict=True):
            if tolerance > 0:
                if abs(Fraction(100 * int(c), n) - int(p)) > Fraction(1, 2) + Fraction(
                    str(tolerance)
                ):
                    return False
            elif (Decimal(100 * int(c)) / n).quantize(Decimal(1), rounding=RULES[rule]) != int(p):
                return False
    return True


@pytest.fixture(scope="module")
def article_draws():
    with pytest.warns(ReconstructionWarning) as record:
        recs = reconstruct(m=12, seed=2024)
    messages = sorted(str(w.message) for w in record)
    assert len(messages) == 2
    assert messages[0].startswith("Table 1 (state) is not consistent with 245 respondents")
    assert messages[0].endswith("smallest tolerance that is, 0.1079 pp.")
    assert messages[1].endswith("smallest tolerance that is, 0.1471 pp.")
    return recs


def synthetic_percents(seed: int) -> dict[str, pd.DataFrame]:
    """5 x 5 grids printed (half-up) from real 245-respondent count tables."""
    rng = np.random.default_rng(seed)
    grids = {}
    for partner in article.PARTNERS:
        sizes = rng.multinomial(245 - 5 * 30, [0.2] * 5) + 30
        counts = np.array([rng.multinomial(n, [0.1, 0.3, 0.2, 0.25, 0.15]) for n in sizes])
        percents = [
            [int((Decimal(100 * int(c)) / int(n)).quantize(Decimal(1), ROUND_HALF_UP)) for c in row]
            for row, n in zip(counts, sizes, strict=True)
        ]
        grids[partner] = pd.DataFrame(
            percents, index=article.QUALITY_LEVELS, columns=article.FREQUENCY_LEVELS[partner]
        )
    return grids


# ------------------------------------------------------------------------- uniformity


def brute_tables(table, total, tolerance=Fraction(0)):
    """Every feasible table, listed by exhaustive enumeration of count matrices."""
    n_rows, n_cols = len(table), len(table[0])
    found = []
    for cells in compositions(total, n_rows * n_cols):
        matrix = [cells[r * n_cols : (r + 1) * n_cols] for r in range(n_rows)]
        if all(sum(v) > 0 for v in matrix) and all(
            prints_as(c, sum(v), p, "half_up", tolerance)
            for v, row in zip(matrix, table, strict=True)
            for c, p in zip(v, row, strict=True)
        ):
            found.append(tuple(cells))
    return found


@pytest.mark.parametrize(
    ("table", "total", "tolerance"),
    [
        ([[50, 50], [100, 0], [100, 0]], 9, 0),  # 12 tables, one per row-size split
        # row-size splits carry 1 to 4 tables: a draw uniform over splits would fail here
        ([[40, 60], [25, 75]], 9, 15),
        ([[20, 40, 40], [50, 0, 50]], 8, 15),
    ],
)
def test_draws_are_uniform_over_the_feasible_tables(table, total, tolerance):
    feasible = brute_tables(table, total, Fraction(tolerance))
    assert 5 <= len(feasible) <= 12
    draws = draw_tables(table, m=3000, seed=11, total=total, tolerance=tolerance)
    seen = Counter(tuple(d.reshape(-1).tolist()) for d in draws)
    assert set(seen) == set(feasible)
    assert stats.chisquare([seen[t] for t in feasible]).pvalue > 1e-3


def test_sample_table_handles_counts_beyond_int64():
    tables = feasible_tables(article.table_matrix("state"), 245, tolerance=5.0)
    assert tables.count > 2**63
    counts = sample_table(tables, np.random.default_rng(0))
    assert counts.sum() == 245
    assert prints_back(counts, article.table_matrix("state").to_numpy(), "half_up", 5.0)


def test_randbelow_big_bounds_stay_in_range_and_reproduce():
    bound = 3 * 2**70 + 1
    first = [_randbelow(bound, np.random.default_rng(4)) for _ in range(3)]
    assert all(0 <= x < bound for x in first)
    assert first == [_randbelow(bound, np.random.default_rng(4)) for _ in range(3)]
    top = [_randbelow(bound, np.random.default_rng(s)) * 3 // bound for s in range(600)]
    assert stats.chisquare(np.bincount(top, minlength=3)).pvalue > 1e-3


# ---------------------------------------------------------------- the article's tables


def test_every_reconstruction_prints_back_as_tables_1_and_2(article_draws):
    recs = article_draws
    assert recs.tolerance_pp == {"state": 0.1079, "business": 0.1471}
    assert recs.n_feasible_tables == {"state": 3, "business": 15}
    frame = recs.to_frame()
    for partner in article.PARTNERS:
        published = article.table_matrix(partner)
        for k, group in frame[frame["partner"] == partner].groupby("reconstruction"):
            counts = pd.crosstab(group["quality"], group["frequency"]).reindex(
                index=published.index, columns=published.columns
            )
            assert counts.to_numpy().sum() == 245
            assert prints_back(
                counts.to_numpy(), published.to_numpy(), "half_up", recs.tolerance_pp[partner]
            ), (partner, k)
            np.testing.assert_array_equal(counts.to_numpy(), recs.counts[partner][k - 1])


def test_respondent_frame_follows_the_conventions(article_draws):
    frame = article_draws.frame(0)
    assert list(frame.columns) == ["org_id", "partner", "frequency", "quality", "region"]
    assert len(frame) == 2 * 245 and frame["org_id"].nunique() == 245
    assert frame["partner"].cat.ordered and frame["quality"].cat.ordered
    levels = [*article.FREQUENCY_LEVELS["state"], *article.FREQUENCY_LEVELS["business"]]
    assert list(frame["frequency"].cat.categories) == levels and frame["frequency"].cat.ordered
    assert list(frame["region"].cat.categories) == list(article.SAMPLE_REGIONS)
    for partner in article.PARTNERS:  # a frequency level belongs to its row's partner scale
        rows = frame[frame["partner"] == partner]
        assert set(rows["frequency"].astype(str)) <= set(article.FREQUENCY_LEVELS[partner])
    per_org = frame.groupby("org_id", observed=True)
    assert (per_org["partner"].nunique() == 2).all() and (per_org["region"].nunique() == 1).all()
    everything = article_draws.to_frame()
    assert everything["org_id"].nunique() == 245 * len(article_draws)


def test_metadata_says_region_is_synthetic(article_draws):
    defaults = article_draws.defaults
    assert defaults["region_is_synthetic"] is True and article_draws.region_is_synthetic
    assert defaults["region_note"] == REGION_NOTE
    assert REGION_NOTE == (
        "Region was assigned at random, independently of the ratings; region effects fitted to "
        "these data reflect the prior only."
    )
    assert defaults["seed"] == 2024 and defaults["draws"] == 12
    assert defaults["tolerance_rule"] == "auto" and defaults["rounding"] == "half_up"
    assert "uniform" in defaults["sampling"]


def test_same_seed_same_numbers_and_draws_do_not_depend_on_m():
    grids = synthetic_percents(3)
    first = reconstruct(m=3, seed=9, percents=grids).to_frame()
    again = reconstruct(m=3, seed=9, percents=grids).to_frame()
    pd.testing.assert_frame_equal(first, again)
    shorter = reconstruct(m=2, seed=9, percents=grids).to_frame()
    pd.testing.assert_frame_equal(
        shorter.drop(columns="org_id"),
        first[first["reconstruction"] <= 2].drop(columns="org_id").reset_index(drop=True),
    )
    other = reconstruct(m=3, seed=10, percents=grids).to_frame()
    assert not first.equals(other)


def test_tables_that_fit_use_the_rule_exactly_and_warn_nothing():
    grids = synthetic_percents(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recs = reconstruct(m=5, seed=1, tolerance=0, percents=grids)
    assert recs.tolerance_pp == {"state": 0.0, "business": 0.0}
    for partner in article.PARTNERS:
        for counts in recs.counts[partner]:
            assert prints_back(counts, grids[partner].to_numpy(), "half_up", 0.0)
    for partner, grid in grids.items():  # caller's input untouched
        pd.testing.assert_frame_equal(grid, synthetic_percents(1)[partner])


def test_share_constraints_hold_in_every_draw():
    (positive,) = article_constraints(["positive_state_results"])
    with pytest.warns(ReconstructionWarning):
        recs = reconstruct(m=5, seed=3, constraints=[positive])
    assert recs.tolerance_pp["state"] == 0.375  # 3/8 pp: table 1 with 56% positive, exact
    for counts in recs.counts["state"]:
        share = Decimal(100 * int(counts[3:].sum())) / 245
        assert share.quantize(Decimal(1), ROUND_HALF_UP) == 56


# ------------------------------------------------------------------------------ regions


def test_region_rules():
    assert region_probabilities("uniform") == dict.fromkeys(article.SAMPLE_REGIONS, 1 / 6)
    registry = region_probabilities("registry")
    assert registry["nur_sultan"] == pytest.approx(0.36)
    assert registry["almaty_region"] == registry["kostanay_region"] == pytest.approx(0.065)
    assert sum(registry.values()) == pytest.approx(1.0)
    explicit = region_probabilities({"almaty": 3, "nur_sultan": 1})
    assert explicit["almaty"] == 0.75 and explicit["karaganda_region"] == 0.0


def test_regions_follow_the_rule_and_ignore_ratings():
    grids = synthetic_percents(2)
    recs = reconstruct(m=20, seed=4, region_rule="registry", percents=grids)
    region = recs.region.reshape(-1)
    expected = np.array(list(region_probabilities("registry").values())) * region.size
    assert stats.chisquare(np.bincount(region, minlength=6), expected).pvalue > 1e-3
    # independent of the state rating: a contingency test should not reject
    table = pd.crosstab(recs.quality["state"].reshape(-1), region)
    assert stats.chi2_contingency(table).pvalue > 1e-3


# ------------------------------------------------------------------------------- errors


def test_bad_arguments_are_named():
    grids = synthetic_percents(1)
    with pytest.raises(SpecificationError, match=r"m=0 must be a whole number"):
        reconstruct(m=0, seed=1, percents=grids)
    with pytest.raises(SpecificationError, match=r"seed=None must be a whole number >= 0"):
        reconstruct(m=1, seed=None, percents=grids)  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match=r"tolerance='loose' is not valid"):
        reconstruct(m=1, seed=1, tolerance="loose", percents=grids)
    with pytest.raises(SpecificationError, match=r"region_rule='census' is not a rule"):
        reconstruct(m=1, seed=1, region_rule="census", percents=grids)
    with pytest.raises(SpecificationError, match=r"unknown region code\(s\) 'astana'"):
        reconstruct(m=1, seed=1, region_rule={"astana": 1.0}, percents=grids)
    with pytest.raises(SpecificationError, match=r"partner one of 'state', 'business'"):
        reconstruct(m=1, seed=1, constraints=[ShareConstraint(rows=(1,), percent=5)])
    with pytest.raises(SpecificationError, match=r"figure id 'nope' cannot be used"):
        article_constraints(["nope"])


def test_strict_tolerance_refuses_the_article_tables():
    with pytest.raises(
        SpecificationError,
        match=r"cannot reconstruct: Table 1 \(state\) cannot come from 245 .* "
        r"Fix: pass tolerance='auto' or tolerance >= 0.1079",
    ):
        reconstruct(m=1, seed=1, tolerance=0)


def test_contradicting_text_figures_refuse_even_with_auto():
    both = article_constraints(["positive_state_results", "positive_state_sample"])
    with pytest.raises(SpecificationError, match=r"contradict each other.*Fix: drop or correct"):
        reconstruct(m=1, seed=1, constraints=both)


def test_public_names_resolve_from_the_package():
    import interactmodel
    from interactmodel import audit

    # the package's lazy table maps "reconstruct" to this module (the name clashes with it)
    assert interactmodel.reconstruct.reconstruct is reconstruct
    assert interactmodel.audit_table is audit.audit_table
    assert interactmodel.audit_article is audit.audit_article
