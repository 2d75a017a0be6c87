"""Maximum-likelihood engine: derivatives, optimiser, results, diagnostics, contracts.

Outside references here are brute force (finite differences, row-by-row likelihoods, closed
forms, scipy optimisers) and statsmodels' OrderedModel; R's clm/polr are in
tests/test_against_r_ml.py.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import interactmodel.engines.ml as ml
from interactmodel import OrdinalModel
from interactmodel.errors import ConvergenceWarning, DataError, FitError, SeparationWarning
from interactmodel.links import LINKS, get_link

LEVELS = ["definitely_bad", "rather_bad", "mixed", "rather_good", "definitely_good"]


def simulate(n: int = 600, seed: int = 3, effect: float = 0.8) -> pd.DataFrame:
    """Rows from a known proportional-odds logit model."""
    rng = np.random.default_rng(seed)
    partner = rng.choice(["state", "business"], n)
    region = rng.choice(["almaty", "karaganda", "nur_sultan"], n)
    size = rng.integers(0, 4, n).astype(float)
    eta = effect * (partner == "business") + 0.3 * (region == "almaty") - 0.2 * size
    latent = eta + rng.logistic(size=n)
    codes = np.searchsorted([-1.5, -0.3, 0.6, 1.8], latent)
    return pd.DataFrame(
        {
            "quality": pd.Categorical.from_codes(codes, LEVELS, ordered=True),
            "partner": pd.Categorical(partner, ["state", "business"]),
            "region": region,
            "size": size,
            "weight": rng.integers(0, 3, n).astype(float),
        }
    )


def random_problem(link: str, seed: int = 0, nominal: bool = True, ridge: float = 0.0):
    rng = np.random.default_rng(seed)
    n = 25
    X = rng.normal(size=(n, 2))
    W = rng.normal(size=(n, 1 if nominal else 0))
    counts = rng.integers(0, 5, (n, 4)).astype(float)
    return ml.Problem(counts, X, W, get_link(link), ridge)


# --------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("link", sorted(LINKS))
@pytest.mark.parametrize("ridge", [0.0, 0.7])
def test_analytic_gradient_and_hessian_equal_finite_differences(link, ridge):
    problem = random_problem(link, ridge=ridge)
    params = np.array([-1.0, 0.2, 1.1, 0.1, -0.2, 0.15, 0.3, -0.25])
    _, grad, hess = ml.loglik_derivatives(problem, params)
    h = 1e-5
    eye = np.eye(params.size)
    numeric_grad = [
        (ml.loglik(problem, params + h * e) - ml.loglik(problem, params - h * e)) / (2 * h)
        for e in eye
    ]
    numeric_hess = [
        (
            ml.loglik_derivatives(problem, params + h * e)[1]
            - ml.loglik_derivatives(problem, params - h * e)[1]
        )
        / (2 * h)
        for e in eye
    ]
    np.testing.assert_allclose(grad, numeric_grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(hess, np.array(numeric_hess), rtol=1e-5, atol=1e-5)


def test_collapsed_loglik_equals_row_by_row_sum():
    data = simulate()
    result = OrdinalModel("quality ~ partner + region + size", link="probit").fit(data)
    theta, beta = result.thresholds.to_numpy(), result.coefficients.to_numpy()
    X = result.design.X[result.design.row_cell]
    z = np.column_stack(
        [np.full(len(data), -np.inf), theta - (X @ beta)[:, None], np.full(len(data), np.inf)]
    )
    y = data["quality"].cat.codes.to_numpy()
    rows = np.arange(len(data))
    by_row = np.log(stats.norm.cdf(z[rows, y + 1]) - stats.norm.cdf(z[rows, y]))
    assert result.loglik == pytest.approx(by_row.sum(), rel=1e-12)


@pytest.mark.parametrize("link", sorted(LINKS))
def test_null_model_thresholds_are_link_quantiles_of_cumulative_shares(link):
    data = simulate()
    result = OrdinalModel("quality ~ 1", link=link).fit(data)
    shares = data["quality"].value_counts(normalize=True, sort=False).cumsum().to_numpy()[:-1]
    np.testing.assert_allclose(result.thresholds, get_link(link).ppf(shares), rtol=1e-8)


def test_maximum_agrees_with_a_generic_optimiser():
    """Nelder-Mead/BFGS on the row-level negative log-likelihood finds the same maximum."""
    data = simulate(n=300)
    result = OrdinalModel("quality ~ partner + size", link="cloglog").fit(data)
    problem = result._problem
    found = optimize.minimize(
        lambda p: -ml.loglik(problem, p) if np.all(np.diff(p[:4]) > 0) else np.inf,
        result._params_array + 0.05,
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000, "maxfev": 40000},
    )
    assert -found.fun <= result.loglik + 1e-9
    np.testing.assert_allclose(found.x, result.params, atol=1e-4)


# --------------------------------------------------------------------------- peer


@pytest.mark.parametrize(("link", "distr"), [("logit", "logit"), ("probit", "probit")])
def test_agrees_with_statsmodels_ordered_model(link, distr):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    data = simulate()
    result = OrdinalModel("quality ~ partner + region + size", link=link).fit(data)
    exog = pd.DataFrame(result.design.X[result.design.row_cell], columns=result.design.X_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = OrderedModel(data["quality"], exog, distr=distr).fit(
            method="newton", disp=False, maxiter=200
        )
    p = len(result.design.X_names)
    np.testing.assert_allclose(result.coefficients, peer.params.iloc[:p], rtol=1e-5)
    # statsmodels: first threshold, then log increments
    cuts = np.concatenate([[peer.params.iloc[p]], np.exp(peer.params.iloc[p + 1 :])]).cumsum()
    np.testing.assert_allclose(result.thresholds, cuts, rtol=1e-5)
    assert result.loglik == pytest.approx(peer.llf, rel=1e-9)
    np.testing.assert_allclose(result.bse.iloc[-p:], peer.bse.iloc[:p], rtol=1e-4)


# --------------------------------------------------------------------------- weights


def test_frequency_weights_equal_expanded_rows():
    data = simulate()
    spec = OrdinalModel("quality ~ partner + region", nominal="~ size")
    weighted = spec.fit(data, weights="weight")
    expanded = data.loc[data.index.repeat(data["weight"].astype(int))].reset_index(drop=True)
    plain = spec.fit(expanded.drop(columns="weight"))
    pd.testing.assert_series_equal(weighted.params, plain.params, rtol=1e-9)
    pd.testing.assert_frame_equal(weighted.cov, plain.cov, rtol=1e-8)
    assert weighted.nobs == plain.nobs == data["weight"].sum()
    new = data.head(4)
    pd.testing.assert_frame_equal(weighted.predict_proba(new), plain.predict_proba(new), rtol=1e-8)


def test_sign_convention_positive_coefficient_moves_ratings_up():
    data = simulate(n=3000, effect=1.0)
    result = OrdinalModel("quality ~ partner").fit(data)
    assert result.params["partner[T.business]"] == pytest.approx(1.0, abs=0.15)
    new = pd.DataFrame({"partner": pd.Categorical(["state", "business"], ["state", "business"])})
    scores = result.predict(new)["expected_score"]
    assert scores.iloc[1] > scores.iloc[0]


# --------------------------------------------------------------------------- result


@pytest.fixture(scope="module")
def fitted():
    return OrdinalModel("quality ~ partner + region + size").fit(simulate(), weights="weight")


def test_summary_and_names(fitted):
    table = fitted.summary()
    assert list(table.columns) == ["kind", "estimate", "se", "z", "p_value", "lower", "upper"]
    assert list(table.index[:4]) == [
        "threshold[definitely_bad|rather_bad]",
        "threshold[rather_bad|mixed]",
        "threshold[mixed|rather_good]",
        "threshold[rather_good|definitely_good]",
    ]
    assert table.loc["partner[T.business]", "kind"] == "location"
    np.testing.assert_allclose(table["z"], table["estimate"] / table["se"])
    assert fitted.aic == pytest.approx(-2 * fitted.loglik + 2 * 8)
    assert fitted.bic == pytest.approx(-2 * fitted.loglik + np.log(fitted.nobs) * 8)
    assert fitted.converged and fitted.max_abs_gradient < 1e-8
    assert np.isfinite(fitted.hessian_condition)


def test_predicted_probability_se_equal_numerical_delta_method(fitted):
    new = simulate().head(5)
    tidy = fitted.predict_proba(new)
    problem, base = fitted._problem, fitted._params_array
    X = fitted.design.transform(new).X

    def probs(params):
        theta, _, beta = problem.unpack(params)
        return ml._probabilities(problem, theta[None, :] - (X @ beta)[:, None]).ravel()

    h = 1e-6
    jac = np.column_stack(
        [(probs(base + h * e) - probs(base - h * e)) / (2 * h) for e in np.eye(base.size)]
    )
    se = np.sqrt(np.einsum("ip,pq,iq->i", jac, fitted._cov_array, jac))
    np.testing.assert_allclose(tidy["probability"], probs(base), rtol=1e-12)
    np.testing.assert_allclose(tidy["se"], se, rtol=1e-5)
    assert np.all((tidy["lower"] <= tidy["probability"]) & (tidy["probability"] <= tidy["upper"]))
    assert tidy.groupby("row")["probability"].sum().to_numpy() == pytest.approx(1.0)
    assert list(tidy.columns) == [
        "row",
        "partner",
        "region",
        "size",
        "level",
        "probability",
        "se",
        "lower",
        "upper",
    ]


def test_predict_gives_mode_and_expected_score(fitted):
    new = simulate().head(6)
    tidy = fitted.predict_proba(new)
    wide = tidy.pivot(index="row", columns="level", values="probability").to_numpy()
    out = fitted.predict(new)
    assert out.index.equals(new.index)
    assert out["predicted"].tolist() == [LEVELS[i] for i in wide.argmax(axis=1)]
    np.testing.assert_allclose(out["expected_score"], wide @ np.arange(1, 6))


def test_unseen_level_at_prediction(fitted):
    new = simulate().head(2)
    new["region"] = ["almaty", "kostanay"]
    with pytest.raises(DataError, match=r"'region' of newdata has level\(s\) 'kostanay' not seen"):
        fitted.predict_proba(new)


def test_profile_interval_solves_the_likelihood_ratio_equation(fitted):
    """At each profile bound 2 (l_hat - l_p) equals the chi-square cut-off (scipy refit)."""
    ci = fitted.conf_int(method="profile", level=0.9)
    position = fitted.names.index("size")
    problem = fitted._problem
    cutoff = stats.chi2.ppf(0.9, 1)
    for bound in ci.loc["size"]:

        def negative(free, bound=bound):
            params = np.insert(free, position, bound)
            return -ml.loglik(problem, params) if np.all(np.diff(params[:4]) > 0) else np.inf

        start = np.delete(fitted._params_array, position)
        found = optimize.minimize(negative, start, method="BFGS", options={"gtol": 1e-9})
        assert 2 * (fitted.loglik + found.fun) == pytest.approx(cutoff, abs=1e-5)
    assert np.isnan(ci.loc["threshold[rather_bad|mixed]", "lower"])
    wald = fitted.conf_int(level=0.9)
    assert ci.loc["size", "lower"] == pytest.approx(wald.loc["size", "lower"], abs=0.05)


def test_bad_level_and_method(fitted):
    with pytest.raises(ValueError, match="level=1.5 must be a number between 0 and 1"):
        fitted.conf_int(level=1.5)
    with pytest.raises(ValueError, match="method='bootstrap': use 'wald' or 'profile'"):
        fitted.conf_int(method="bootstrap")


# --------------------------------------------------------------------------- contracts


def test_fitting_never_changes_the_input():
    data = simulate()
    before = data.copy(deep=True)
    OrdinalModel("quality ~ partner + region", nominal=["size"]).fit(data, weights="weight")
    pd.testing.assert_frame_equal(data, before)


def test_predicting_and_testing_never_change_the_result(fitted):
    params, cov, loglik = fitted.params, fitted.cov, fitted.loglik
    new = simulate().head(5)
    fitted.predict_proba(new)
    fitted.predict(new)
    fitted.conf_int(method="profile")
    fitted.nominal_test()
    fitted.brant_test()
    pd.testing.assert_series_equal(fitted.params, params)
    pd.testing.assert_frame_equal(fitted.cov, cov)
    assert fitted.loglik == loglik


def test_result_is_frozen(fitted):
    with pytest.raises(dataclasses.FrozenInstanceError):
        fitted.loglik = 0.0  # type: ignore[misc]
    params = fitted.params
    params.iloc[0] = 99.0
    assert fitted.params.iloc[0] != 99.0
    with pytest.raises(ValueError, match="read-only"):
        fitted._params_array[0] = 1.0


# --------------------------------------------------------------------------- trouble


def test_separation_warns_with_the_coefficient():
    data = simulate(n=200)
    data["flag"] = np.where(data["quality"].cat.codes >= 3, "high", "low")
    with pytest.warns(SeparationWarning, match=r"flag\[T.low\] = -\d+.*perfectly orders"):
        OrdinalModel("quality ~ flag + size").fit(data)


def test_non_convergence_warns_with_the_numbers(monkeypatch):
    monkeypatch.setattr(ml, "MAX_ITER", 1)
    monkeypatch.setattr(ml.newton, "__defaults__", (None, 1))
    with pytest.warns(
        ConvergenceWarning, match=r"did not converge.*max \|gradient\| = .*condition"
    ):
        result = OrdinalModel("quality ~ partner + size").fit(simulate())
    assert not result.converged


def test_collinear_columns_are_named():
    data = simulate()
    data["size2"] = 2 * data["size"]
    with pytest.raises(FitError, match=r"the column\(s\) 'size2' are linear combinations"):
        OrdinalModel("quality ~ partner + size + size2").fit(data)


def test_unobserved_outcome_level_is_dropped_with_a_warning():
    data = simulate()
    data = data[data["quality"] != "rather_bad"]
    with pytest.warns(ConvergenceWarning, match=r"'rather_bad'.*never occur"):
        result = OrdinalModel("quality ~ partner").fit(data)
    assert "rather_bad" not in result.outcome_levels
    assert len(result.thresholds) == 3


# --------------------------------------------------------------------------- PO tests


def test_nominal_test_refits_each_term(fitted):
    table = fitted.nominal_test()
    assert table["term"].tolist() == ["<none>", "partner", "region", "size"]
    spec = fitted.spec.update(nominal="~ region")
    refit = spec.fit(ml.weighted_frame(fitted.design), weights="__weight__")
    row = table.set_index("term").loc["region"]
    assert row["loglik"] == pytest.approx(refit.loglik, rel=1e-10)
    assert row["df"] == refit.n_params - fitted.n_params == 6
    assert row["p_value"] == pytest.approx(stats.chi2.sf(2 * (refit.loglik - fitted.loglik), 6))


def test_brant_rows(fitted):
    table = fitted.brant_test()
    by = {(row.kind, row.test): row for row in table.itertuples()}
    assert by[("omnibus", "Omnibus")].df == 3 * 4  # (cuts - 1) x columns
    assert by[("term", "region")].df == 3 * 2
    # a one-column term is the same test as its coefficient
    assert by[("term", "size")].chi2 == pytest.approx(by[("coefficient", "size")].chi2)
    assert (table["kind"] == "coefficient").sum() == 4
    assert np.all((table["p_value"] >= 0) & (table["p_value"] <= 1))


def test_a_factor_nested_in_another_is_named_not_a_numpy_error():
    # contact levels belong to one partner each, so partner + contact has more columns than cells
    frame = pd.DataFrame(
        {
            "y": pd.Categorical(list("abcabcabcabc"), categories=list("abc"), ordered=True),
            "partner": ["state"] * 6 + ["business"] * 6,
            "contact": ["rare", "often"] * 3 + ["none", "regular"] * 3,
        }
    )
    before = frame.copy(deep=True)
    with pytest.raises(FitError, match=r"'contact\[T\.\w+\]' are linear combinations"):
        OrdinalModel("y ~ partner + contact").fit(frame)
    pd.testing.assert_frame_equal(frame, before)
