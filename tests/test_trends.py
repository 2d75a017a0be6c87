"""Tests of interactmodel.trends: the article's Figure 3-4 curves, trend lines, model curves.

The expected curve values are the row sums of Tables 1 and 2 as printed in the article
(read off the tables by hand, not computed by the package).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from interactmodel import trends
from interactmodel.errors import DataError, SpecificationError
from interactmodel.reconstruct import reconstruct
from interactmodel.spec import OrdinalModel

# Table 1: rows 1 + 2 = (30+31, 33+23, 13+18, 10+13, 14+15); rows 4 + 5 = (3+2, 5+29, ...)
FIGURE3 = {"negative": [61, 56, 31, 23, 29], "positive": [5, 34, 50, 58, 53]}
# Table 2: rows 1 + 2 = (19+41, 14+3, 32+18, 19+21, 16+17); rows 4 + 5 = (29+9, 31+41, ...)
FIGURE4 = {"negative": [60, 17, 50, 40, 33], "positive": [38, 72, 23, 31, 36]}


@pytest.mark.parametrize(("partner", "expected"), [("state", FIGURE3), ("business", FIGURE4)])
def test_article_curves_are_the_row_sums_of_the_printed_tables(partner, expected):
    curves = trends.article_curves(partner)
    for curve, values in expected.items():
        got = curves[curves["curve"] == curve].sort_values("frequency_rank")["percent"]
        assert got.tolist() == [float(v) for v in values]
    assert set(curves["figure"]) == {"Figure 3" if partner == "state" else "Figure 4"}


@pytest.mark.parametrize("partner", ["state", "business"])
def test_each_curve_sums_to_200(partner):
    """'Since each curve is the sum of ... ratings, the sum of the percentages is 200.'"""
    sums = trends.curve_sums(partner)
    assert sums.to_dict() == {"negative": 200.0, "positive": 200.0}


def test_figure4_averages_are_the_conclusions_figures():
    """Conclusions: positive among frequent contacts 33.5%, 'rather complex' 36.5%."""
    averages = trends.figure4_averages()
    assert averages["positive"] == 33.5  # (31 + 36) / 2: Annually, Regular, rows 4 + 5
    assert averages["negative"] == 36.5  # (40 + 33) / 2: rows 1 + 2
    # other readings of "the average values" do not give the printed numbers
    halves = trends.article_curves("business").assign(
        percent=lambda f: f["percent"] / 2
    )  # average of the two rows in a column
    assert 33.5 not in halves.query("frequency in ['annually', 'regular']")["percent"].tolist()
    all_columns = trends.figure4_averages(
        ("none_or_negotiating", "single_contact", "two_three_contacts", "annually", "regular")
    )
    assert all_columns.to_dict() == {"negative": 40.0, "positive": 40.0}
    with pytest.raises(SpecificationError, match="'monthly'.*not Table 2 frequency codes"):
        trends.figure4_averages(("monthly",))


def test_polynomial_trend_matches_numpy_polyfit_and_spreadsheet_r_squared():
    y = np.array(FIGURE4["positive"], dtype=float)
    x = np.arange(1.0, 6.0)
    for degree in (2, 3):
        fit = trends.polynomial_trend(y, degree)
        np.testing.assert_allclose(fit["coefficients"][::-1], np.polyfit(x, y, degree), rtol=1e-9)
        fitted = np.polyval(np.polyfit(x, y, degree), x)
        r2 = 1 - np.sum((y - fitted) ** 2) / np.sum((y - y.mean()) ** 2)
        assert fit["r_squared"] == pytest.approx(r2, rel=1e-12)
    # degree 2 on Figure 3 "positive" by hand (orthogonal polynomials on x = 1..5):
    # mean 40, linear contrast (-2,-1,0,1,2).y / 10 = 11.6, quadratic (2,-1,-2,-1,2).y / 14
    y3 = np.array(FIGURE3["positive"], dtype=float)
    fit = trends.polynomial_trend(y3, 2)
    c2 = (2 * 5 - 34 - 2 * 50 - 58 + 2 * 53) / 14
    assert fit["coefficients"][2] == pytest.approx(c2, rel=1e-12)
    assert trends.polynomial_trend(y3, 4)["r_squared"] == pytest.approx(1.0)
    with pytest.raises(SpecificationError, match="degree=5 must be an integer from 1 to 4"):
        trends.polynomial_trend(y3, 5)


def test_trend_lines_table_has_both_degrees_and_r_squared():
    lines = trends.trend_lines("state")
    assert list(zip(lines["curve"], lines["degree"], strict=True)) == [
        ("negative", 2),
        ("negative", 3),
        ("positive", 2),
        ("positive", 3),
    ]
    assert lines["r_squared"].between(0, 1).all()
    assert np.isnan(lines.loc[0, "c3"]) and not np.isnan(lines.loc[1, "c3"])
    # the Figure 3 positive curve has no cubic component: (-1,2,0,-2,1).y = 0
    assert lines.loc[3, "c3"] == pytest.approx(0.0, abs=1e-10)


# --------------------------------------------------------------------------- model curves


@pytest.fixture(scope="module")
def recs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tables need a tolerance at 245 (documented)
        return reconstruct(3, seed=7)


def _state_rows(recs, i):
    frame = recs.frame(i)
    frame = frame[frame["partner"] == "state"].copy()
    frame["frequency"] = frame["frequency"].cat.remove_unused_categories()
    return frame


def test_saturated_model_reproduces_the_reconstructed_shares(recs):
    """With threshold-specific effects of frequency the ML fit is saturated: its P(rating |
    frequency) are the observed shares in each frequency column of the reconstruction."""
    data = _state_rows(recs, 0)
    fit = OrdinalModel("quality ~ frequency", nominal="~ frequency").fit(data)
    curves = trends.model_curves(fit, "state", n_draws=200, seed=1)
    counts = np.asarray(recs.counts["state"][0], dtype=float)  # (quality, frequency)
    negative = counts[:2].sum(axis=0) / counts.sum(axis=0) * 100
    positive = counts[3:].sum(axis=0) / counts.sum(axis=0) * 100
    np.testing.assert_allclose(curves.query("curve == 'negative'")["estimate"], negative, rtol=1e-6)
    np.testing.assert_allclose(curves.query("curve == 'positive'")["estimate"], positive, rtol=1e-6)
    ordered = curves[["lower_90", "lower_50", "upper_50", "upper_90"]].to_numpy()
    assert np.all(np.diff(ordered, axis=1) >= 0)
    shares = trends.reconstructed_curves(recs, "state")
    first = shares  # three reconstructions: the mean share lies within the 90% band
    assert np.all(first["lower_90"] <= first["estimate"] + 1e-9)
    assert np.all(first["estimate"] <= first["upper_90"] + 1e-9)


def test_model_curves_pool_several_fits(recs):
    fits = [OrdinalModel("quality ~ frequency").fit(_state_rows(recs, i)) for i in range(2)]
    pooled = trends.model_curves(fits, "state", n_draws=300, seed=3)
    one = trends.model_curves(fits[0], "state", n_draws=300, seed=3)
    two = trends.model_curves(fits[1], "state", n_draws=300, seed=4)
    np.testing.assert_allclose(pooled["estimate"], (one["estimate"] + two["estimate"]) / 2)
    assert pooled.attrs["n_fits"] == 2
    again = trends.model_curves(fits, "state", n_draws=300, seed=3)
    pd.testing.assert_frame_equal(pooled, again)


def test_model_curves_errors_name_the_problem(recs):
    fit = OrdinalModel("quality ~ region").fit(_state_rows(recs, 0))
    with pytest.raises(DataError, match="no categorical covariate 'frequency'"):
        trends.model_curves(fit, "state")
    with pytest.raises(SpecificationError, match="partner='ngo' is not known"):
        trends.article_curves("ngo")
    state_only = OrdinalModel("quality ~ frequency").fit(_state_rows(recs, 0))
    with pytest.raises(DataError, match="not fitted with business frequency level"):
        trends.model_curves(state_only, "business")


def test_trend_frame_holds_every_kind_and_the_explanation_says_why(recs):
    fit = OrdinalModel("quality ~ frequency").fit(_state_rows(recs, 0))
    frame = trends.trend_frame("state", fit, recs, n_draws=100)
    assert set(frame["kind"]) == {
        "article",
        "trend_degree_2",
        "trend_degree_3",
        "model",
        "reconstructed",
    }
    assert frame.groupby("kind").size().eq(10).all()
    assert "P(rating | frequency)" in trends.EXPLANATION
    assert "200" in trends.EXPLANATION
