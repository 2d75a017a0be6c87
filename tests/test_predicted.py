"""Tests of interactmodel.predicted: draws of the category probabilities of new rows, for ML
fits (against the asymptotic normal distribution of ``ordinal::clm``'s estimate) and Bayesian
fits (seeded thinning of the posterior).

References: tests/reference/ml/outputs/wine_logit.json (``clm(rating ~ temp + contact, data =
wine)``, R 4.2.2, see tests/reference/ml/README.md) and tests/reference/bayes/outputs/*.json
(brms 2.18.0, see tests/reference/bayes/README.md).  The fixtures ``wine``, ``wine_fit`` and
``mo_fit`` are in conftest.py.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from interactmodel import predicted
from interactmodel.errors import DataError, SpecificationError
from tests.effect_fits import REFERENCE

# --------------------------------------------------------------------------- probability_draws


def test_probability_draws_ml_shape_seed_and_spread(wine_fit, wine):
    rows = wine.drop_duplicates(["temp", "contact"]).reset_index(drop=True)
    before = rows.copy()
    draws = predicted.probability_draws(wine_fit, rows, n_draws=4000, seed=3)
    assert draws.shape == (4000, 4, 5)
    np.testing.assert_allclose(draws.sum(axis=2), 1.0, atol=1e-12)
    again = predicted.probability_draws(wine_fit, rows, n_draws=4000, seed=3)
    np.testing.assert_array_equal(draws, again)
    assert not np.array_equal(
        draws, predicted.probability_draws(wine_fit, rows, n_draws=4000, seed=4)
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
        predicted.probability_draws(wine_fit, wine, n_draws=0)
    with pytest.raises(SpecificationError, match="re='region' is not known"):
        predicted.probability_draws(wine_fit, wine, re="region")
    with pytest.raises(DataError, match="newdata must be a pandas DataFrame"):
        predicted.probability_draws(wine_fit, {"temp": ["cold"]})
    with pytest.raises(SpecificationError, match="result must be a fitted model"):
        predicted.probability_draws("not a fit", wine)


# --------------------------------------------------------------------------- grids, point estimates


def test_make_grid_and_fitted_probabilities_match_clm_by_hand(wine_fit):
    grid = predicted.make_grid(wine_fit, {"temp": ["warm", "cold"]})
    assert list(grid["temp"].astype(str)) == ["warm", "cold"]
    assert set(grid["contact"].astype(str)) == {"no"}  # typical value: the first of a tie
    clm = json.loads((REFERENCE / "ml" / "outputs" / "wine_logit.json").read_text())
    theta = np.array(clm["thresholds"]["estimate"])
    b_temp = clm["coefficients"]["estimate"][0]
    cumulative = 1 / (1 + np.exp(-(theta[None, :] - np.array([[b_temp], [0.0]]))))
    by_hand = np.diff(np.column_stack([np.zeros(2), cumulative, np.ones(2)]), axis=1)
    np.testing.assert_allclose(predicted.fitted_probabilities(wine_fit, grid), by_hand, rtol=1e-5)


# --------------------------------------------------------------------------- Bayes


def test_bayes_probability_draws_thinning_is_seeded(mo_fit):
    fit, ref = mo_fit
    rows = pd.DataFrame(
        {
            "x": pd.Categorical(["1", "3"], [str(v) for v in ref["levels"]["x"]], ordered=True),
            "z": [0, 1],
        }
    )
    a = predicted.probability_draws(fit, rows, n_draws=100, seed=4)
    b = predicted.probability_draws(fit, rows, n_draws=100, seed=4)
    assert a.shape == (100, 2, 5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, predicted.probability_draws(fit, rows, n_draws=100, seed=5))
