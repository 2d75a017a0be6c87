"""Tests of interactmodel.effects against R (emmeans on ordinal::clm; brms posterior_epred) and
against by-hand computations.

References: tests/reference/ml/outputs/emmeans_wine.json (emmeans 1.8.4-1 on
``clm(rating ~ temp + contact, data = wine)``, R 4.2.2, see tests/reference/ml/README.md) and
tests/reference/bayes/outputs/*.json (brms 2.18.0 ``posterior_epred`` grids, see
tests/reference/bayes/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interactmodel import effects
from interactmodel.errors import DataError, SpecificationError
from interactmodel.spec import OrdinalModel

REFERENCE = Path(__file__).parent / "reference"


def _read_wine() -> pd.DataFrame:
    levels = json.loads((REFERENCE / "ml" / "data" / "wine_levels.json").read_text())
    data = pd.read_csv(REFERENCE / "ml" / "data" / "wine.csv", dtype=str)
    for column, order in levels.items():
        if column in data:
            data[column] = pd.Categorical(data[column], order, ordered=column == "rating")
    return data


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    return _read_wine()


@pytest.fixture(scope="module")
def wine_fit(wine: pd.DataFrame):
    return OrdinalModel("rating ~ temp + contact").fit(wine)


@pytest.fixture(scope="module")
def emmeans() -> dict:
    return json.loads((REFERENCE / "ml" / "outputs" / "emmeans_wine.json").read_text())


# --------------------------------------------------------------------------- probability_draws


def test_probability_draws_ml_shape_seed_and_spread(wine_fit, wine):
    rows = wine.drop_duplicates(["temp", "contact"]).reset_index(drop=True)
    before = rows.copy()
    draws = effects.probability_draws(wine_fit, rows, n_draws=4000, seed=3)
    assert draws.shape == (4000, 4, 5)
    np.testing.assert_allclose(draws.sum(axis=2), 1.0, atol=1e-12)
    again = effects.probability_draws(wine_fit, rows, n_draws=4000, seed=3)
    np.testing.assert_array_equal(draws, again)
    assert not np.array_equal(
        draws, effects.probability_draws(wine_fit, rows, n_draws=4000, seed=4)
    )
    pd.testing.assert_frame_equal(rows, before)
    # logit P(Y <= k) = theta_k - x'beta is linear in the parameters, so its draws must be
    # exactly normal with mean theta_k - x'beta and variance a' cov a (a = d/d params); 4000
    # draws pin the SD to ~1.1 % (5 % is > 4 standard errors)
    cumulative = np.cumsum(draws, axis=2)[:, :, :-1]
    logit = np.log(cumulative / (1 - cumulative))
    clm = json.loads((REFERENCE / "ml" / "outputs" / "wine_logit.json").read_text())
    theta = np.array(clm["thresholds"]["estimate"])
    beta = np.array(clm["coefficients"]["estimate"])  # tempwarm, contactyes
    cov = np.array(clm["vcov"])  # R's vcov(clm): thresholds then coefficients
    X = np.column_stack([rows["temp"] == "warm", rows["contact"] == "yes"]).astype(float)
    expected = theta[None, :] - (X @ beta)[:, None]
    a = np.zeros((4, 4, 6))
    a[:, np.arange(4), np.arange(4)] = 1.0
    a[:, :, 4:] = -X[:, None, :]
    sd = np.sqrt(np.einsum("rkp,pq,rkq->rk", a, cov, a))
    np.testing.assert_allclose(logit.std(axis=0, ddof=1), sd, rtol=0.05)
    assert np.all(np.abs(logit.mean(axis=0) - expected) < 4.5 * sd / np.sqrt(4000))


def test_probability_draws_rejects_bad_arguments(wine_fit, wine):
    with pytest.raises(SpecificationError, match="n_draws=0 must be a positive integer"):
        effects.probability_draws(wine_fit, wine, n_draws=0)
    with pytest.raises(SpecificationError, match="re='region' is not known"):
        effects.probability_draws(wine_fit, wine, re="region")
    with pytest.raises(DataError, match="newdata must be a pandas DataFrame"):
        effects.probability_draws(wine_fit, {"temp": ["cold"]})
    with pytest.raises(SpecificationError, match="result must be a fitted model"):
        effects.probability_draws("not a fit", wine)
