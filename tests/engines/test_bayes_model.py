"""Tests of the PyMC model (interactmodel.engines.bayes_model), without sampling.

The model's log-likelihood is checked against a row-by-row scipy computation, never against
the engine's own output; the "auto" parameterisation rule against its stated thresholds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from interactmodel.bayes_result import ModelArrays, pair_log_likelihood
from interactmodel.engines import bayes
from interactmodel.engines.bayes_model import (
    _log_category_probs,
    build_model,
    choose_parameterization,
)
from interactmodel.errors import SpecificationError
from interactmodel.priors import Prior
from tests.engines.bayes_cases import FORMULA, REGIONS, X_LEVELS, simulate


def brute_force_eta(frame: pd.DataFrame, values: dict) -> np.ndarray:
    """eta of each row by the model's definition, from the raw columns (no design)."""
    eta = values["b_z"] * frame["z"].to_numpy(dtype=float)
    for level, b, zeta in (
        ("A", values["mo_A"], values["simplex_A"]),
        ("B", values["mo_B"], values["simplex_B"]),
    ):
        scale = X_LEVELS[level]
        for i, (gi, xi) in enumerate(zip(frame["g"], frame["x"], strict=True)):
            if gi == level:
                eta[i] += b * (len(scale) - 1) * zeta[: scale.index(xi)].sum()
    region = frame["region"].cat.codes.to_numpy()
    return eta + values["r"][region]


def brute_force_loglik(frame: pd.DataFrame, values: dict, link: str) -> np.ndarray:
    """log P(y_i) of each row with scipy's distribution functions."""
    dist = stats.logistic if link == "logit" else stats.norm
    eta = brute_force_eta(frame, values)
    y = frame["y"].cat.codes.to_numpy()
    cuts = np.concatenate([[-np.inf], values["thresholds"], [np.inf]])
    return np.log(dist.cdf(cuts[y + 1] - eta) - dist.cdf(cuts[y] - eta))


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_model_log_likelihood_equals_brute_force(link: str) -> None:
    from interactmodel.design import build_design

    frame, region_effect = simulate(400, seed=3, link=link)
    design = build_design(FORMULA, frame)
    arrays, priors, centered = bayes.prepare(design, link, None, "non-centered")
    model = build_model(arrays, link, priors, centered)
    rng = np.random.default_rng(4)
    values = {
        "thresholds": np.sort(rng.normal(0, 1.5, 4)),
        "b_z": 0.3,
        "mo_A": 0.5,
        "mo_B": -0.2,
        "simplex_A": rng.dirichlet(np.ones(2)),
        "simplex_B": rng.dirichlet(np.ones(4)),
        "sd": 0.7,
        "z_region": rng.normal(size=len(REGIONS)),
    }
    values["r"] = values["sd"] * values["z_region"]
    assert [b.name for b in design.mo] == ["mo(x):g[A]", "mo(x):g[B]"]
    assert [b.levels for b in design.mo] == [tuple(X_LEVELS["A"]), tuple(X_LEVELS["B"])]
    replace = {
        model["thresholds"]: values["thresholds"],
        model["b"]: np.array([values["b_z"]]),
        model["b_mo"]: np.array([values["mo_A"], values["mo_B"]]),
        model["simplex_0"]: values["simplex_A"],
        model["simplex_1"]: values["simplex_B"],
        model["sd_0"]: np.array([values["sd"]]),
        model["z_0"]: values["z_region"][:, None],
    }
    import pytensor

    potential = pytensor.clone_replace(model.potentials[0], replace)
    ours = float(potential.eval(mode="FAST_COMPILE"))
    expected = brute_force_loglik(frame, values, link).sum()
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
    # the numpy side (used for LOO and predictions) agrees too
    draws = {
        "thresholds": values["thresholds"][None, None],
        "b": np.array([[[values["b_z"]]]]),
        "b_mo": np.array([[[values["mo_A"], values["mo_B"]]]]),
        "simplex_0": values["simplex_A"][None, None],
        "simplex_1": values["simplex_B"][None, None],
        "r_0": values["r"][None, None, :, None],
    }
    pairs, cell, outcome, count = pair_log_likelihood(draws, arrays, link)
    np.testing.assert_allclose((pairs[0, 0] * count).sum(), expected, rtol=1e-10)


def test_slopes_model_log_likelihood_equals_brute_force() -> None:
    """(1 + z | region): r_j = L z_j with the packed Cholesky factor of LKJCholeskyCov."""
    import pytensor

    from interactmodel.design import build_design

    frame, _ = simulate(300, seed=5)
    design = build_design("y ~ z + (1 + z | region)", frame)
    arrays, priors, centered = bayes.prepare(design, "logit", None, "non-centered")
    model = build_model(arrays, "logit", priors, centered)
    rng = np.random.default_rng(6)
    theta = np.sort(rng.normal(0, 1, 4))
    L = np.array([[0.8, 0.0], [0.3, 0.5]])
    zs = rng.normal(size=(len(REGIONS), 2))
    replace = {
        model["thresholds"]: theta,
        model["b"]: np.array([0.4]),
        model["chol_0"]: L[np.tril_indices(2)],
        model["z_0"]: zs,
    }
    ours = float(pytensor.clone_replace(model.potentials[0], replace).eval(mode="FAST_COMPILE"))
    r = zs @ L.T
    region = frame["region"].cat.codes.to_numpy()
    zcol = frame["z"].to_numpy(dtype=float)
    eta = 0.4 * zcol + r[region, 0] + r[region, 1] * zcol
    cuts = np.concatenate([[-np.inf], theta, [np.inf]])
    y = frame["y"].cat.codes.to_numpy()
    expected = np.log(stats.logistic.cdf(cuts[y + 1] - eta) - stats.logistic.cdf(cuts[y] - eta))
    np.testing.assert_allclose(ours, expected.sum(), rtol=1e-10)


def test_log_probabilities_are_finite_and_exact_in_the_tails() -> None:
    import pytensor.tensor as pt

    theta = np.array([-1.0, 0.0, 1.0])
    eta = np.array([-40.0, -8.0, 0.0, 8.0, 40.0])
    for link, dist in (("logit", stats.logistic), ("probit", stats.norm)):
        log_p = _log_category_probs(pt.as_tensor(theta), pt.as_tensor(eta), link)
        ours = log_p.eval(mode="FAST_COMPILE")
        assert np.isfinite(ours).all()
        cuts = np.concatenate([[-np.inf], theta, [np.inf]])
        lower, upper = cuts[None, :-1] - eta[:, None], cuts[None, 1:] - eta[:, None]
        # scipy in the numerically safe direction: upper tails above zero
        with np.errstate(divide="ignore"):
            exact = np.where(
                lower > 0,
                np.log(dist.sf(lower) - dist.sf(upper)),
                np.log(dist.cdf(upper) - dist.cdf(lower)),
            )
        usable = np.isfinite(exact) & (exact > -600)
        np.testing.assert_allclose(ours[usable], exact[usable], rtol=1e-8, atol=1e-12)


def _arrays(total_per_group: float, n_groups: int = 6) -> ModelArrays:
    counts = np.full((n_groups, 5), total_per_group / 5)
    from interactmodel.bayes_result import GroupArrays

    group = GroupArrays(np.arange(n_groups), np.ones((n_groups, 1)), n_groups)
    return ModelArrays(np.zeros((n_groups, 0)), (), (group,), counts)


def test_auto_parameterization_rule() -> None:
    halfnormal = [Prior("halfnormal", sigma=1)]
    # 80 ratings per region (the article): information 80/3 < 100 -> non-centred
    assert choose_parameterization(_arrays(80), "logit", halfnormal) == (False,)
    # 300 per region is the logit threshold; probit (information 1 per row) needs only 100
    assert choose_parameterization(_arrays(301), "logit", halfnormal) == (True,)
    assert choose_parameterization(_arrays(120), "probit", halfnormal) == (True,)
    # a tighter SD prior makes the prior relatively stronger -> non-centred again
    tight = [Prior("halfnormal", sigma=0.2)]
    assert choose_parameterization(_arrays(1000), "logit", tight) == (False,)
    # one sparse group is enough to stay non-centred
    arrays = _arrays(1e5)
    sparse = arrays.with_counts(np.vstack([arrays.counts[:-1], np.full((1, 5), 1.0)]))
    assert choose_parameterization(sparse, "logit", halfnormal) == (False,)
    # the user decides when asked
    assert choose_parameterization(_arrays(80), "logit", halfnormal, "centred") == (True,)
    assert choose_parameterization(
        _arrays(1e5), "logit", halfnormal, {"region": "non-centered"}, ["region"]
    ) == (False,)


def test_bad_parameterization_is_an_error() -> None:
    with pytest.raises(SpecificationError, match=r"parameterization='half' is not known"):
        choose_parameterization(_arrays(80), "logit", [Prior("halfnormal", sigma=1)], "half")
    with pytest.raises(SpecificationError, match=r"unknown grouping factor\(s\) 'town'"):
        choose_parameterization(
            _arrays(80), "logit", [Prior("halfnormal", sigma=1)], {"town": "centered"}, ["region"]
        )
