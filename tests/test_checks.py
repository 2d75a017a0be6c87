"""Tests of interactmodel.checks: every derivable published figure, with brute-force checks of
the feasible ranges and of the model's replicated tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from interactmodel import article, checks
from interactmodel.audit import audit_table
from interactmodel.errors import DataError
from interactmodel.feasibility import ShareConstraint
from interactmodel.reconstruct import reconstruct
from interactmodel.spec import OrdinalModel

COLUMNS = [
    "check",
    "source",
    "published",
    "recomputed",
    "model",
    "lower",
    "upper",
    "verdict",
]


@pytest.fixture(scope="module")
def table_only() -> pd.DataFrame:
    return checks.article_checks().set_index("check")


@pytest.fixture(scope="module")
def recs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tables need a tolerance at 245 (documented)
        return reconstruct(4, seed=11)


def test_every_table_cell_row_sum_curve_and_average_is_reproduced(table_only):
    frame = table_only.reset_index()
    assert set(COLUMNS) <= set(frame.columns)
    assert set(frame["verdict"]) <= set(checks.VERDICTS)
    cells = frame[frame["check"].str.contains(" cell ")]
    assert len(cells) == 50
    printed = pd.concat([article.table1(), article.table2()])["percent"].to_numpy()
    np.testing.assert_array_equal(np.sort(cells["published"]), np.sort(printed))
    derived = frame[
        frame["check"].str.contains("cell |row sum|curve|averaged", regex=True)
        & ~frame["check"].str.contains(">")
    ]
    assert len(derived) == 50 + 10 + 20 + 4 + 2
    assert (derived["verdict"] == "reproduced").all()
    assert table_only.loc["Figure 3 positive curve sums to 200", "recomputed"] == 200.0
    assert table_only.loc["Figure 4 negative curve sums to 200", "recomputed"] == 200.0
    key = "positive_business_frequent_contacts: Figure 4 positive curve averaged over annually, regular"
    assert table_only.loc[key, "recomputed"] == 33.5
    key = "complex_business_frequent_contacts: Figure 4 negative curve averaged over annually, regular"
    assert table_only.loc[key, "recomputed"] == 36.5


def test_text_versus_table_contradictions(table_only):
    verdict = table_only["verdict"]
    for figure_id in ("positive_state_results", "positive_state_sample"):
        assert verdict[f"{figure_id}: share of state ratings in rows 4+5"] == "contradicts_article"
    assert verdict["positive_state_results (56%) vs positive_state_sample (73.1%)"] == (
        "contradicts_article"
    )
    assert verdict["positive_business_results (34%) vs positive_business_conclusions_32 (32%)"] == (
        "contradicts_article"
    )
    # "more than 50% ... rather good": 50 (six months) is not more than 50; 53 and 58 are
    base = "positive_state_frequent_subgroups: Figure 3 positive curve"
    assert verdict[f"{base} [every_six_months] > 50"] == "contradicts_article"
    assert verdict[f"{base} [once_a_month] > 50"] == "reproduced"
    assert verdict[f"{base} [once_a_quarter] > 50"] == "reproduced"
    # "more than 50% of respondents" rate the state positively: at most 37.6% can
    row = table_only.loc["positive_state_conclusions: share of state ratings in rows 4+5"]
    assert row["verdict"] == "contradicts_article" and row["feasible_max"] < 50
    # the tables cannot come from 245 NGOs under half-up rounding (audit: 278 and 258)
    row = table_only.loc["Table 1 prints as a table of 245 NGOs (half-up rounding)"]
    assert row["recomputed"] == 278 and row["verdict"] == "contradicts_article"
    assert (
        table_only.loc["Table 2 prints as a table of 245 NGOs (half-up rounding)", "recomputed"]
        == 258
    )
    # shares that need the row sizes are left out without reconstructions or a model
    assert not table_only.index.str.contains(r"P\(positive \| once_a_month\)").any()


def _subset_sums(lists: list[list[int]]) -> set[int]:
    """Every sum of one element from each list (up to 245), by growing a set."""
    sums = {0}
    for values in lists:
        sums = {s + v for s in sums for v in values if s + v <= 245}
    return sums


def _brute_force_share_range(partner: str, rows: tuple[int, ...], tolerance: float):
    """Every count in ``rows`` of 5 feasible row sizes adding up to 245 (set enumeration)."""
    audit = audit_table(article.table_matrix(partner), 245, tolerance=tolerance)
    sizes = audit.row_sizes[audit.row_sizes["feasible"]]
    feasible = [sizes[sizes["row"] == r + 1]["n"].tolist() for r in range(5)]
    inside = _subset_sums([feasible[r] for r in rows])
    outside = _subset_sums([feasible[r] for r in range(5) if r not in rows])
    return {c for c in inside if 245 - c in outside}


@pytest.mark.parametrize(
    ("figure_id", "partner", "rows"),
    [
        ("positive_state_results", "state", (3, 4)),
        ("positive_business_results", "business", (3, 4)),
        ("business_mixed_results", "business", (2,)),
    ],
)
def test_feasible_ranges_and_verdicts_agree_with_enumeration_and_audit(
    table_only, figure_id, partner, rows
):
    tolerance = table_only.attrs["tolerance_pp"][partner]
    reachable = _brute_force_share_range(partner, rows, tolerance)
    label = f"{figure_id}: share of {partner} ratings in rows {'+'.join(str(r + 1) for r in rows)}"
    row = table_only.loc[label]
    assert row["feasible_min"] == pytest.approx(100 * min(reachable) / 245)
    assert row["feasible_max"] == pytest.approx(100 * max(reachable) / 245)
    # the verdict agrees with the audit of the table together with that one text figure
    constraint = ShareConstraint(rows=tuple(r + 1 for r in rows), percent=row["published"])
    audit = audit_table(
        article.table_matrix(partner), 245, tolerance=tolerance, constraints=[constraint]
    )
    assert (row["verdict"] == "contradicts_article") == (not audit.consistent_at_stated_n)


def test_reconstructions_fill_shares_within_the_feasible_range(recs):
    frame = checks.article_checks(reconstructions=recs).set_index("check")
    row = frame.loc["positive_state_results: share of state ratings in rows 4+5"]
    counts = np.asarray(recs.counts["state"])
    shares = 100 * counts[:, 3:].sum(axis=(1, 2)) / 245
    assert row["recomputed"] == pytest.approx(shares.mean())
    assert row["feasible_min"] <= shares.min() and shares.max() <= row["feasible_max"]
    # the subgroup statement now has a value in every reconstruction
    row = frame.loc["positive_state_frequent_subgroups: P(positive | every_six_months) > 50%"]
    six = counts[:, 3:, 2].sum(axis=1) / counts[:, :, 2].sum(axis=1) * 100
    assert row["recomputed_max"] == pytest.approx(six.max())
    expected = "contradicts_article" if (six <= 50).all() else row["verdict"]
    assert row["verdict"] == expected
    # cells: every reconstruction prints as the article's table, so each is reproduced or within
    # the rounding slack (half a point plus the reconstruction tolerance)
    cells = frame[frame.index.str.contains(" cell ")]
    assert set(cells["verdict"]) <= {"reproduced", "within_rounding"}


def test_saturated_model_replicates_the_data_table_exactly(recs):
    """An ML fit with threshold-specific frequency effects reproduces each column's rating
    distribution, so its expected Tables 1-2 are the reconstruction's tables."""
    data = recs.frame(0)
    fit = OrdinalModel("quality ~ frequency", nominal="~ frequency").fit(data)
    one = recs.to_frame().query("reconstruction == 1")
    draws, points = checks.replicated_tables(fit, one, n_draws=50, seed=2)
    for partner in article.PARTNERS:
        np.testing.assert_allclose(points[partner][0], recs.counts[partner][0], atol=1e-5)
        assert draws[partner].shape == (50, 5, 5)
        np.testing.assert_allclose(
            draws[partner].sum(axis=1),
            np.broadcast_to(np.asarray(recs.counts[partner][0]).sum(axis=0), (50, 5)),
            rtol=1e-10,
        )


def test_ml_model_column_is_the_expected_table_by_hand(recs):
    data = recs.frame(0)
    fit = OrdinalModel("quality ~ frequency").fit(data)
    one = recs.to_frame().query("reconstruction == 1")
    frame = checks.article_checks(fit, one, n_draws=200, seed=1).set_index("check")
    # by hand: expected count of rating q in column f = n_f * P(q | f) at the estimate
    probs = (
        fit.predict_proba(
            pd.DataFrame(
                {
                    "frequency": pd.Categorical(
                        list(article.FREQUENCY_LEVELS["state"]),
                        categories=data["frequency"].cat.categories,
                    )
                }
            )
        )["probability"]
        .to_numpy()
        .reshape(5, 5)
    )  # (frequency, quality)
    n_f = np.asarray(recs.counts["state"][0]).sum(axis=0)
    expected = (n_f[:, None] * probs).T  # (quality, frequency)
    row_percent = 100 * expected / expected.sum(axis=1, keepdims=True)
    got = frame.loc["Table 1 cell [rather_good, once_a_month]"]
    assert got["model"] == pytest.approx(row_percent[3, 4], rel=1e-8)
    assert got["lower"] <= got["model"] <= got["upper"]
    assert frame.attrs["model"] == "fitted"


def test_posterior_predictive_tables_are_seeded_and_calibrated(recs):
    data = recs.frame(0)
    fit = OrdinalModel("quality ~ frequency", nominal="~ frequency").fit(data)
    one = recs.to_frame().query("reconstruction == 1")
    a = checks.posterior_predictive_tables(fit, one, n_draws=300, seed=5, predictive="posterior")
    b = checks.posterior_predictive_tables(fit, one, n_draws=300, seed=5, predictive="posterior")
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 50 and a["p_value"].between(0, 1).all()
    # the saturated model's replicates scatter around the data, which print as the article's
    # table within the reconstruction tolerance: nearly every printed cell is inside 90%
    assert a["inside"].mean() > 0.8
    assert a.attrs["predictive"] == "posterior"


def test_model_without_frequency_needs_reconstructions(recs):
    fit = OrdinalModel("quality ~ region").fit(recs.frame(0))
    with pytest.raises(DataError, match="needs each NGO's contact frequency.*reconstructions="):
        checks.article_checks(fit)
