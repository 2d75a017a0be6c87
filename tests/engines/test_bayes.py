"""Tests of the Bayesian engine's fitting (interactmodel.engines.bayes) and its result.

Correctness is checked against brute force, never against the engine's own output: the
result's log-likelihood/predictions against a row-by-row scipy computation, LOO against
``arviz.loo`` on the expanded per-row log-likelihood, and the posterior against known
simulation parameters.  The PyMC model itself is tested in test_bayes_model.py, the sampler's
compile cache and chain groups in test_nuts.py, comparison with brms in
tests/test_against_brms.py.  Compiled models are shared within this module (module-scoped
fixtures); the engine caches them by structure, so same-shaped fits compile once.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from interactmodel.diagnostics import (
    THRESHOLDS,
    convergence_diagnostics,
    parameter_diagnostics,
    warn_if_not_converged,
)
from interactmodel.engines import bayes, nuts
from interactmodel.errors import ConvergenceWarning, DataError, SpecificationError
from interactmodel.priors import Prior
from tests.engines.bayes_cases import FORMULA, LEVELS, REGIONS, TRUTH, X_LEVELS, simulate


class Spec:
    """What engines.bayes.fit reads from an OrdinalModel."""

    def __init__(self, formula: str, link: str = "logit", priors: dict | None = None) -> None:
        self.formula, self.link, self.priors = formula, link, priors
        self.nominal, self.levels = None, None


# --------------------------------------------------------------------------- no sampling


def test_diagnostics_flag_each_failure_with_numbers() -> None:
    rng = np.random.default_rng(0)
    good = rng.normal(size=(4, 1000, 2))
    table = parameter_diagnostics(good, ["a", "b"])
    energy = rng.normal(size=(4, 1000))
    diag = convergence_diagnostics(table, np.zeros((4, 1000), bool), energy)
    assert diag["converged"] and diag["failures"] == []
    # shifted chains (R-hat), too few draws (ESS), divergences and a sticky energy (E-BFMI)
    bad = good[:, :50].copy()
    bad[0] += 3.0
    sticky = np.cumsum(rng.normal(size=(4, 50)), axis=1)
    diverging = np.zeros((4, 50), bool)
    diverging[1, :3] = True
    diag = convergence_diagnostics(parameter_diagnostics(bad, ["a", "b"]), diverging, sticky)
    text = "; ".join(diag["failures"])
    assert "3 divergent transition(s) out of 200 draws" in text
    assert f"> {THRESHOLDS['r_hat']}" in text and "bulk ESS" in text and "E-BFMI" in text
    with pytest.warns(ConvergenceWarning, match=r"3 divergent.*R-hat \d\.\d{3} > 1\.01"):
        warn_if_not_converged(diag, "test fit")


# --------------------------------------------------------------------------- input checks


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    frame, _ = simulate(300, seed=11)
    return frame


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"draws": 0}, SpecificationError, r"draws must be an integer >= 1, got 0"),
        ({"chains": 1.5}, SpecificationError, r"chains must be an integer"),
        ({"target_accept": 1.2}, SpecificationError, r"target_accept must be in \[0.5, 1\)"),
        ({"nuts_sampler": "stan"}, SpecificationError, r"nuts_sampler='stan' is not known"),
        ({"seed": -1}, SpecificationError, r"seed must be a non-negative integer"),
        (
            {"priors": {"b[q]": Prior("normal", sigma=1)}},
            SpecificationError,
            r"unknown key 'b\[q\]'.*'b\[z\]'",
        ),
        ({"parameterization": "sideways"}, SpecificationError, r"parameterization='sideways'"),
        (
            {"cores": 0},
            SpecificationError,
            r"cores must be a positive integer or None \(all cores\), got 0",
        ),
    ],
)
def test_bad_arguments_fail_before_sampling(
    small: pd.DataFrame, kwargs: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        bayes.fit(Spec(FORMULA), small, **kwargs)


def test_unsupported_link_and_nominal_effects(small: pd.DataFrame) -> None:
    with pytest.raises(
        SpecificationError, match=r"link='cloglog' is not supported by engine='bayes'"
    ):
        bayes.fit(Spec("y ~ z", link="cloglog"), small)
    spec = Spec("y ~ z")
    spec.nominal = "~ z"
    with pytest.raises(SpecificationError, match=r"threshold-specific effects are not supported"):
        bayes.fit(spec, small)


def test_mo_of_a_non_ordered_column_is_a_data_error(small: pd.DataFrame) -> None:
    frame = small.assign(x=small["x"].astype(str))
    with pytest.raises(DataError, match=r"'x' must be an ordered categorical"):
        bayes.fit(Spec(FORMULA), frame)


# --------------------------------------------------------------------------- fits


@pytest.fixture(scope="module")
def recovery() -> tuple[object, np.ndarray]:
    frame, region_effect = simulate(3000, seed=2024)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = bayes.fit(Spec(FORMULA), frame, draws=1000, tune=1000, chains=4, seed=1)
    return result, region_effect


def test_parameters_are_recovered_within_their_90_percent_intervals(recovery: tuple) -> None:
    result, _ = recovery
    summary = result.summary(level=0.9)
    truth = {f"threshold[l{k + 1}|l{k + 2}]": t for k, t in enumerate(TRUTH["threshold"])}
    truth |= {"z": TRUTH["z"], "sd(Intercept | region)": TRUTH["sd"]}
    for level in ("A", "B"):
        name = f"mo(x):g[{level}]"
        truth[name] = TRUTH["mo"][level]
        scale = X_LEVELS[level]
        for j, share in enumerate(TRUTH["simplex"][level]):
            truth[f"{name}:simplex[{scale[j]}->{scale[j + 1]}]"] = share
    assert set(truth) <= set(summary.index)
    rows = summary.loc[list(truth)]
    true = pd.Series(truth)
    inside_90 = (rows["lower"] <= true) & (true <= rows["upper"])
    wide = result.summary(level=0.999)
    inside_999 = (wide.loc[list(truth), "lower"] <= true) & (true <= wide.loc[list(truth), "upper"])
    # 14 parameters: under a calibrated posterior the number outside its 90% interval is
    # about Binomial(14, 0.1); P(more than 4) < 0.01.  None may miss its 99.9% interval.
    assert inside_999.all(), rows[~inside_999]
    assert (~inside_90).sum() <= 4, rows.assign(truth=true)[~inside_90]


def test_region_effects_are_recovered(recovery: tuple) -> None:
    result, region_effect = recovery
    summary = result.summary(level=0.99)
    rows = summary.loc[[f"r_region[{r},Intercept]" for r in REGIONS]]
    assert ((rows["lower"] <= region_effect) & (region_effect <= rows["upper"])).all()
    # ~375 rows per region: information 375/3 = 125 >= 100 -> centred (the "auto" rule)
    assert result.centered == {"region": True}


def test_summary_lists_every_parameter_with_its_prior(recovery: tuple) -> None:
    result, _ = recovery
    summary = result.summary()
    assert list(summary.columns) == [
        "kind", "mean", "sd", "lower", "upper", "mcse_mean", "mcse_sd",
        "ess_bulk", "ess_tail", "r_hat", "prior",
    ]  # fmt: skip
    priors = summary["prior"].to_dict()
    assert priors["threshold[l1|l2]"] == "normal(0, 2.5)"
    assert priors["z"] == "normal(0, 2.5)" and priors["mo(x):g[B]"] == "normal(0, 2.5)"
    assert priors["mo(x):g[A]:simplex[a1->a2]"] == "dirichlet(1)"
    assert priors["sd(Intercept | region)"] == "halfnormal(1)"
    assert priors["r_region[r0,Intercept]"] == "normal(0, sd(Intercept | region))"
    assert set(summary["kind"]) == {"threshold", "location", "monotonic", "simplex", "sd", "group"}
    # simplexes sum to one in every draw, so their means do too
    shares = summary.loc[summary.index.str.startswith("mo(x):g[B]:simplex"), "mean"]
    assert shares.sum() == pytest.approx(1.0)
    pd.testing.assert_series_equal(result.params, summary["mean"], check_names=False)
    hdi = result.summary(interval="hdi")
    # the narrowest 90% interval is no wider than the equal-tailed one (up to the quantile
    # interpolation of the latter, < 1%)
    assert (hdi["upper"] - hdi["lower"] <= 1.01 * (summary["upper"] - summary["lower"])).all()
    assert result.diagnostics["converged"] and result.diagnostics["divergences"] == 0


def test_inference_data_groups(recovery: tuple) -> None:
    result, _ = recovery
    idata = result.idata
    for group in ("posterior", "log_likelihood", "sample_stats", "observed_data"):
        assert hasattr(idata, group), group
    assert idata.posterior.sizes["chain"] == 4 and idata.posterior.sizes["draw"] == 1000
    assert idata.observed_data["counts"].sum() == 3000
    assert set(idata.sample_stats.data_vars) >= {
        "diverging",
        "energy",
        "lp",
        "step_size",
        "tree_depth",
    }


def test_predict_proba_equals_brute_force_from_the_draws(recovery: tuple) -> None:
    result, _ = recovery
    newdata = pd.DataFrame(
        {"z": [0, 1], "x": ["a3", "b2"], "g": ["A", "B"], "region": ["r1", "r5"]}
    )
    before = newdata.copy()
    predicted = result.predict_proba(newdata)
    pd.testing.assert_frame_equal(newdata, before)
    assert list(predicted.columns) == [
        "row",
        "z",
        "x",
        "g",
        "region",
        "level",
        "probability",
        "sd",
        "lower",
        "upper",
    ]
    assert len(predicted) == 2 * len(LEVELS)
    post = result.idata.posterior
    flat = {k: post[k].to_numpy().reshape(-1, *post[k].shape[2:]) for k in post.data_vars}
    values = {
        "b_z": flat["b"][:, 0],
        "mo_A": flat["b_mo"][:, 0],
        "mo_B": flat["b_mo"][:, 1],
    }
    # row 0: g = A, x = a3 (rank 2, all of A's steps); region r1
    eta0 = values["mo_A"] * 2 * flat["simplex_0"][:, :2].sum(axis=1) + flat["r_0"][:, 1, 0]
    # row 1: g = B, x = b2 (rank 1); z = 1; region r5
    eta1 = values["b_z"] + values["mo_B"] * 4 * flat["simplex_1"][:, 0] + flat["r_0"][:, 5, 0]
    cuts = np.column_stack(
        [np.full(len(eta0), -np.inf), flat["thresholds"], np.full(len(eta0), np.inf)]
    )
    for row, eta in ((0, eta0), (1, eta1)):
        cdf = stats.logistic.cdf(cuts - eta[:, None])
        probs = np.diff(cdf, axis=1)
        got = predicted[predicted["row"] == row]
        np.testing.assert_allclose(got["probability"], probs.mean(axis=0), rtol=1e-9)
        np.testing.assert_allclose(got["lower"], np.quantile(probs, 0.05, axis=0), rtol=1e-9)
    sums = predicted.groupby("row")["probability"].sum()
    np.testing.assert_allclose(sums, 1.0)


def test_predict_proba_unseen_group(recovery: tuple) -> None:
    result, _ = recovery
    newdata = pd.DataFrame({"z": [0], "x": ["a1"], "g": ["A"], "region": ["nowhere"]})
    with pytest.raises(
        DataError,
        match=r"'region' of newdata has level\(s\) 'nowhere' not seen.*allow_new_groups=True",
    ):
        result.predict_proba(newdata)
    new = result.predict_proba(newdata, allow_new_groups=True, seed=3)
    again = result.predict_proba(newdata, allow_new_groups=True, seed=3)
    pd.testing.assert_frame_equal(new, again)
    # a new region is more uncertain than a seen one
    seen = result.predict_proba(newdata.assign(region="r0"))
    assert (new["upper"] - new["lower"]).sum() > (seen["upper"] - seen["lower"]).sum()


# ---- the group-level data of the brms reference, collapsed with weights vs expanded


@pytest.fixture(scope="module")
def expanded_and_weighted() -> tuple:
    from pathlib import Path

    path = Path(__file__).parents[1] / "reference" / "bayes" / "data" / "cumulative_logit_group.csv"
    expanded = pd.read_csv(path)
    expanded["y"] = pd.Categorical(expanded["y"], categories=[1, 2, 3, 4, 5], ordered=True)
    weighted = (
        expanded.groupby(["y", "z", "g"], sort=False, observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
    copies = expanded.copy(), weighted.copy()
    spec = Spec("y ~ z + (1 | g)")
    kwargs = {"draws": 1000, "tune": 1000, "chains": 4, "seed": 5, "target_accept": 0.95}
    fit_expanded = bayes.fit(spec, expanded, **kwargs)
    fit_weighted = bayes.fit(spec, weighted, weights="n", **kwargs)
    return expanded, weighted, copies, fit_expanded, fit_weighted


def test_weighted_collapsed_data_give_the_same_draws(expanded_and_weighted: tuple) -> None:
    expanded, weighted, (expanded_copy, weighted_copy), fit_e, fit_w = expanded_and_weighted
    pd.testing.assert_frame_equal(expanded, expanded_copy)  # the input is never modified
    pd.testing.assert_frame_equal(weighted, weighted_copy)
    assert len(weighted) < len(expanded)
    for name in fit_e.idata.posterior.data_vars:
        np.testing.assert_array_equal(fit_e.idata.posterior[name], fit_w.idata.posterior[name])


def test_loo_on_collapsed_data_equals_loo_on_expanded_rows(expanded_and_weighted: tuple) -> None:
    expanded, _, _, _, fit_w = expanded_and_weighted
    post = fit_w.idata.posterior
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    # per-row log-likelihood by brute force (scipy), one column per expanded row
    theta = post["thresholds"].to_numpy().reshape(chains * draws, -1)
    b = post["b"].to_numpy().reshape(chains * draws)
    r = post["r_0"].to_numpy().reshape(chains * draws, -1)
    group = pd.Categorical(expanded["g"]).codes
    eta = b[:, None] * expanded["z"].to_numpy()[None, :] + r[:, group]
    cuts = np.concatenate(
        [np.full((len(b), 1), -np.inf), theta, np.full((len(b), 1), np.inf)], axis=1
    )
    y = expanded["y"].cat.codes.to_numpy()
    rowwise = np.log(
        stats.logistic.cdf(cuts[:, y + 1] - eta) - stats.logistic.cdf(cuts[:, y] - eta)
    ).reshape(chains, draws, -1)
    full = az.from_dict(
        posterior={k: post[k].to_numpy() for k in post.data_vars},
        log_likelihood={"y": rowwise},
    )
    expected = az.loo(full, pointwise=True)
    ours = fit_w.loo()
    for key in ("elpd_loo", "se", "p_loo", "n_samples", "n_data_points", "warning", "good_k"):
        assert ours[key] == pytest.approx(expected[key], rel=1e-9), key
    # pointwise: a row of weight w is w observations, so the values are those of the expanded
    # rows (in another order)
    pointwise = fit_w.loo(pointwise=True)
    assert pointwise["loo_i"].size == 300 == pointwise["n_data_points"]
    np.testing.assert_allclose(np.sort(pointwise["loo_i"]), np.sort(expected["loo_i"]), rtol=1e-9)
    np.testing.assert_allclose(
        np.sort(pointwise["pareto_k"]), np.sort(expected["pareto_k"]), rtol=1e-9
    )


def test_loo_pointwise_follows_the_rows_of_the_data(expanded_and_weighted: tuple) -> None:
    _, weighted, _, fit_e, fit_w = expanded_and_weighted
    w_pointwise = fit_w.loo(pointwise=True)["loo_i"].to_numpy()
    starts = np.concatenate([[0], np.cumsum(weighted["n"])[:-1]])
    for start, n in zip(starts[:5], weighted["n"][:5], strict=True):
        assert np.ptp(w_pointwise[start : start + n]) == 0.0  # row repeated n times
    pointwise = fit_e.loo(pointwise=True)
    # rows in the same cell with the same outcome have the same loo_i, others (almost) never
    key = fit_e.design.row_cell * 10 + fit_e.design.row_outcome
    loo_i = pointwise["loo_i"].to_numpy()
    for value in np.unique(key)[:10]:
        assert np.ptp(loo_i[key == value]) == 0.0


# ---- data-rich groups: centred automatically, no divergences


def test_data_rich_groups_are_centred_and_sample_cleanly(
    expanded_and_weighted: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, weighted, _, _, _ = expanded_and_weighted
    rich = weighted.assign(n=weighted["n"] * 3000)  # 900,000 ratings, 150,000 per group
    kwargs = {"weights": "n", "draws": 1000, "tune": 500, "chains": 2, "seed": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        result = bayes.fit(Spec("y ~ z + (1 | g)"), rich, **kwargs)
    assert result.centered == {"g": True}
    assert result.diagnostics["divergences"] == 0
    assert result.nobs == 900_000
    # 900,000 >= WHITEN_MIN_OBSERVATIONS: NUTS ran in Laplace-whitened coordinates.  The map is
    # linear, so the posterior must be the one sampled without it (within Monte Carlo error).
    monkeypatch.setattr(nuts, "WHITEN_MIN_OBSERVATIONS", 10**12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        plain = bayes.fit(Spec("y ~ z + (1 | g)"), rich, **kwargs)
    a, b = result.summary(), plain.summary()
    gap = (a["mean"] - b["mean"]).abs()
    assert (gap <= 4 * np.hypot(a["mcse_mean"], b["mcse_mean"]) + 1e-3).all(), gap
    ratio = a["sd"] / b["sd"]
    assert ratio.between(0.85, 1.15).all(), ratio
    assert sum(result.diagnostics["warmup_leapfrog_steps"]) < sum(
        plain.diagnostics["warmup_leapfrog_steps"]
    )


# ---- small runs: seeding, warnings, predictive groups, the PyMC sampler


SMALL = {"draws": 60, "tune": 60, "chains": 2}


@pytest.fixture(scope="module")
def probit_small(small: pd.DataFrame) -> tuple:
    spec = Spec("y ~ z + mo(x):g", link="probit", priors={"b[z]": Prior("normal", mu=3, sigma=0.1)})
    with pytest.warns(ConvergenceWarning, match=r"ESS \d+ < 400"):
        first = bayes.fit(
            spec, small, seed=7, prior_predictive=True, posterior_predictive=True, cores=2, **SMALL
        )
    with pytest.warns(ConvergenceWarning):
        # the chains one after the other in one program instead of side by side in threads
        second = bayes.fit(spec, small, seed=7, cores=1, **SMALL)
    with pytest.warns(ConvergenceWarning):
        other = bayes.fit(spec, small, seed=8, **SMALL)
    return spec, first, second, other


def test_same_seed_same_numbers(probit_small: tuple) -> None:
    """Same seed, same draws, whether the chains ran in parallel threads or in sequence."""
    _, first, second, other = probit_small
    for name in first.idata.posterior.data_vars:
        np.testing.assert_array_equal(first.idata.posterior[name], second.idata.posterior[name])
    assert not np.array_equal(
        first.idata.posterior["thresholds"], other.idata.posterior["thresholds"]
    )
    assert first.seed == 7


def test_poor_convergence_is_recorded_on_the_result(probit_small: tuple) -> None:
    _, first, _, _ = probit_small
    assert not first.diagnostics["converged"]
    assert any("ESS" in text for text in first.diagnostics["failures"])


def test_prior_and_posterior_predictive(probit_small: tuple, small: pd.DataFrame) -> None:
    _, first, _, _ = probit_small
    idata = first.idata
    n_cells = idata.observed_data["counts"].shape[0]
    assert idata.posterior_predictive["counts"].shape == (2, 60, n_cells, 5)
    assert idata.prior_predictive["counts"].shape == (1, 60, n_cells, 5)
    totals = idata.observed_data["counts"].sum("outcome").to_numpy()
    for group in (idata.posterior_predictive, idata.prior_predictive):
        np.testing.assert_array_equal(group["counts"].sum("outcome").to_numpy()[0, 0], totals)
    # draws from the priors: b[z] overridden to normal(3, 0.1); monotonic b default normal(0, 2.5)
    prior = idata.prior
    z_draws = prior["b"].to_numpy().ravel()
    assert abs(z_draws.mean() - 3) < 4 * 0.1 / np.sqrt(60)
    assert abs(prior["b_mo"].to_numpy().std() - 2.5) < 0.8
    assert first.summary().loc["z", "prior"] == "normal(3, 0.1)"


def test_pymc_sampler_and_fallback_when_numpyro_is_missing(
    probit_small: tuple, small: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, first, _, _ = probit_small
    monkeypatch.setattr(nuts, "_numpyro_available", lambda: False)
    with pytest.warns(RuntimeWarning, match=r"could not be imported; sampling with PyMC"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fallback = bayes.fit(spec, small, seed=7, draws=200, tune=200, chains=2)
    assert fallback.sampler == "pymc" and first.sampler == "numpyro"
    # the two samplers target the same posterior: means agree within Monte Carlo error
    a, b = first.summary(), fallback.summary()
    gap = (a["mean"] - b["mean"]).abs()
    assert (gap <= 4 * np.hypot(a["mcse_mean"], b["mcse_mean"]) + 0.05).all(), gap


def test_correlated_slopes_through_ordinal_model(small: pd.DataFrame) -> None:
    """(1 + z | region) end to end via OrdinalModel.fit(engine="bayes"): sd, cor, predictions."""
    from interactmodel.spec import OrdinalModel

    with pytest.warns(ConvergenceWarning):  # 60 draws: ESS < 400 by design
        result = OrdinalModel("y ~ z + (1 + z | region)").fit(
            small, engine="bayes", seed=2, **SMALL
        )
    summary = result.summary()
    assert {"sd(Intercept | region)", "sd(z | region)", "cor(Intercept, z | region)"} <= set(
        summary.index
    )
    assert summary.loc["cor(Intercept, z | region)", "prior"] == "lkj(2)"
    cor = summary.loc["cor(Intercept, z | region)"]
    assert -1 <= cor["lower"] <= cor["upper"] <= 1
    assert (summary.loc[summary["kind"] == "sd", "lower"] > 0).all()
    # r = z L': the group effects' draws have the correlation structure of their Cholesky
    post = result.idata.posterior
    assert post["r_0"].shape[2:] == (len(REGIONS), 2)
    new = pd.DataFrame({"z": [1], "region": ["elsewhere"]})
    predicted = result.predict_proba(new, allow_new_groups=True, seed=1)
    np.testing.assert_allclose(predicted["probability"].sum(), 1.0)
