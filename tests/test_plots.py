"""Tests of interactmodel.plots: figures from the tidy frames of trends and checks."""

from __future__ import annotations

import io
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from interactmodel import checks, plots, trends
from interactmodel.errors import DataError
from interactmodel.reconstruct import reconstruct
from interactmodel.spec import OrdinalModel


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recs = reconstruct(2, seed=3)
    return OrdinalModel("quality ~ frequency").fit(recs.frame(0)), recs


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()


def test_trend_figure_draws_article_trend_and_model_curves(fitted):
    fit, recs = fitted
    frame = trends.trend_frame("state", fit, recs, n_draws=100)
    before = frame.copy()
    figure = plots.plot_trends(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert matplotlib.get_backend().lower() == "agg"
    ax = figure.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    assert "model P(positive | frequency)" in labels
    assert "article: rows 1+2 summed" in labels
    assert "article trend, degree 3 (negative)" in labels
    article_line = next(
        line for line in ax.get_lines() if line.get_label() == "article: rows 4+5 summed"
    )
    np.testing.assert_array_equal(article_line.get_ydata(), [5, 34, 50, 58, 53])
    assert len(ax.collections) == 4  # 50% and 90% bands of two curves
    assert _png(figure).startswith(b"\x89PNG")


def test_trend_figure_without_model_and_bad_frames():
    figure = plots.plot_trends(trends.trend_frame("business"))
    assert len(figure.axes[0].collections) == 0
    with pytest.raises(DataError, match="lacks column.*'kind'"):
        plots.plot_trends(pd.DataFrame({"partner": ["state"]}))
    both = pd.concat([trends.trend_frame("state"), trends.trend_frame("business")])
    with pytest.raises(DataError, match="pass one partner's rows"):
        plots.plot_trends(both)


def test_posterior_predictive_figure_has_a_panel_per_partner_and_rating(fitted):
    fit, recs = fitted
    ppc = checks.posterior_predictive_tables(fit, recs, n_draws=100, seed=1)
    figure = plots.plot_posterior_predictive(ppc)
    assert len(figure.axes) == 10
    dots = figure.axes[0].get_lines()[-1].get_ydata()
    np.testing.assert_array_equal(dots, [30, 33, 13, 10, 14])  # Table 1 row 1 as printed
    assert _png(figure).startswith(b"\x89PNG")
    with pytest.raises(DataError, match="lacks column"):
        plots.plot_posterior_predictive(ppc.drop(columns="inside"))
