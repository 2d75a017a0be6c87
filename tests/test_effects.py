"""Tests of interactmodel.effects against R (emmeans on ordinal::clm; brms posterior_epred) and
against by-hand computations.

References: tests/reference/ml/outputs/emmeans_wine.json (emmeans 1.8.4-1 on
``clm(rating ~ temp + contact, data = wine)``, R 4.2.2, see tests/reference/ml/README.md) and
tests/reference/bayes/outputs/*.json (brms 2.18.0 ``posterior_epred`` grids, see
tests/reference/bayes/README.md).  The probability draws they are computed from are tested in
test_predicted.py.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from interactmodel import effects, predicted
from interactmodel.errors import DataError, SpecificationError
from interactmodel.spec import OrdinalModel
from tests.effect_fits import REFERENCE, fit_brms_case

# the fixtures wine, wine_fit and mo_fit are in conftest.py (shared with test_predicted.py)


@pytest.fixture(scope="module")
def emmeans() -> dict:
    return json.loads((REFERENCE / "ml" / "outputs" / "emmeans_wine.json").read_text())


# --------------------------------------------------------------------------- ML against emmeans


def _close(actual, desired, rtol=1e-4, atol=1e-10):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(desired, float), rtol, atol)


def test_predictions_match_emmeans_prob_and_mean_class(wine_fit, emmeans):
    """emmeans(fit, ~ rating | temp, mode = "prob") averages contact with equal weights."""
    grid = {"temp": ["cold", "warm"], "contact": ["no", "yes"]}
    out = effects.predictions(
        wine_fit, grid, level=0.95, quantity=["probability", "expected"], by="temp"
    )
    prob = pd.DataFrame(emmeans["prob"])
    mine = out[out["quantity"] == "probability"].reset_index(drop=True)
    assert list(mine["temp"].astype(str)) == list(prob["temp"])
    assert list(mine["outcome"]) == list(prob["rating"])
    _close(mine["estimate"], prob["prob"])
    _close(mine["std_error"], prob["SE"])
    _close(mine["lower"], prob["lower"])
    _close(mine["upper"], prob["upper"])
    mean_class = pd.DataFrame(emmeans["mean_class"])
    mine = out[out["quantity"] == "expected"]
    for key, ref in (("estimate", "mean.class"), ("std_error", "SE"), ("lower", "lower")):
        _close(mine[key], mean_class[ref])
    assert "analytic Jacobian" in out.attrs["method"]


@pytest.fixture(scope="module")
def emmeans_contrasts() -> dict:
    path = REFERENCE / "effects" / "outputs" / "emmeans_contrasts_wine.json"
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    ("key", "quantity"),
    [
        ("exc_prob_at_temp", "cumulative"),
        ("prob_at_temp", "probability"),
        ("mean_class_at_temp", "expected"),
    ],
)
def test_comparisons_at_grid_match_emmeans_contrasts(wine_fit, emmeans_contrasts, key, quantity):
    ref = pd.DataFrame(emmeans_contrasts[key])
    out = effects.comparisons(
        wine_fit,
        "contact",
        contrast=("no", "yes"),
        at={"temp": ["cold", "warm"]},
        average=False,
        quantity=quantity,
        level=0.95,
    )
    assert set(out["contrast"]) == {"yes - no"}
    if quantity == "cumulative":  # emmeans' cut "j|j+1" is P(Y > j) = P(Y >= j+1)
        ref["outcome"] = [str(int(c.split("|")[1])) for c in ref["cut"]]
    elif quantity == "probability":
        ref["outcome"] = ref["rating"]
    else:
        ref["outcome"] = "expected"
    merged = ref.merge(
        out.assign(temp=out["temp"].astype(str)), on=["temp", "outcome"], suffixes=("_r", "")
    )
    assert len(merged) == len(ref)
    for column in ("estimate", "std_error", "lower", "upper"):
        _close(merged[column], merged[f"{column}_r"])


@pytest.mark.parametrize(
    ("key", "quantity"), [("exc_prob_average", "cumulative"), ("mean_class_average", "expected")]
)
def test_average_comparisons_match_emmeans_on_balanced_wine(
    wine_fit, emmeans_contrasts, key, quantity
):
    ref = pd.DataFrame(emmeans_contrasts[key])
    out = effects.comparisons(
        wine_fit, "contact", contrast=("no", "yes"), quantity=quantity, level=0.95
    )
    assert len(out) == len(ref)
    for column in ("estimate", "std_error", "lower", "upper"):
        _close(out[column], ref[column])


# --------------------------------------------------------------------------- by hand


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _ame_by_hand(params: np.ndarray, data: pd.DataFrame) -> np.ndarray:
    """Average over the 72 wine rows of P(Y >= k | contact yes) - P(Y >= k | contact no)."""
    theta, beta_temp, beta_contact = params[:4], params[4], params[5]
    warm = (data["temp"] == "warm").to_numpy(float)
    out = []
    for k in range(1, 5):  # P(Y >= k+1) = 1 - F(theta_k - eta)
        yes = 1 - _expit(theta[k - 1] - (beta_temp * warm + beta_contact))
        no = 1 - _expit(theta[k - 1] - beta_temp * warm)
        out.append(np.mean(yes - no))
    return np.array(out)


def test_average_marginal_effect_of_binary_predictor_equals_hand_computation(wine_fit, wine):
    clm = json.loads((REFERENCE / "ml" / "outputs" / "wine_logit.json").read_text())
    params = np.array(clm["thresholds"]["estimate"] + clm["coefficients"]["estimate"])
    cov = np.array(clm["vcov"])
    estimate = _ame_by_hand(params, wine)
    # delta method by hand: central differences of the hand computation, R's vcov
    jac = np.empty((4, 6))
    for j in range(6):
        step = np.zeros(6)
        step[j] = 1e-6
        jac[:, j] = (_ame_by_hand(params + step, wine) - _ame_by_hand(params - step, wine)) / 2e-6
    se = np.sqrt(np.einsum("kp,pq,kq->k", jac, cov, jac))
    before = wine.copy()
    out = effects.comparisons(
        wine_fit, "contact", contrast=("no", "yes"), quantity="cumulative", level=0.9
    )
    pd.testing.assert_frame_equal(wine, before)
    assert list(out["outcome"]) == ["2", "3", "4", "5"]
    _close(out["estimate"], estimate, rtol=1e-6)
    _close(out["std_error"], se, rtol=1e-5)
    _close(out["upper"] - out["estimate"], 1.6448536269514722 * se, rtol=1e-5)


def test_average_ratio_is_ratio_of_averages_by_hand(wine_fit, wine):
    clm = json.loads((REFERENCE / "ml" / "outputs" / "wine_logit.json").read_text())
    theta = np.array(clm["thresholds"]["estimate"])
    b_temp, b_contact = clm["coefficients"]["estimate"]
    contact = (wine["contact"] == "yes").to_numpy(float)
    ge5 = {
        t: 1 - _expit(theta[3] - (b_temp * (t == "warm") + b_contact * contact))
        for t in ("cold", "warm")
    }
    out = effects.comparisons(
        wine_fit, "temp", contrast=("cold", "warm"), quantity="cumulative", comparison="ratio"
    )
    row = out[out["outcome"] == "5"]
    _close(row["estimate"], [ge5["warm"].mean() / ge5["cold"].mean()], rtol=1e-6)
    assert row["contrast"].item() == "warm / cold"


def test_sequential_contrasts_stay_within_each_scale():
    """Contact frequency has one scale per partner: no contrast mixes them."""
    from interactmodel.article import FREQUENCY_LEVELS, QUALITY_LEVELS

    rng = np.random.default_rng(5)
    levels = [*FREQUENCY_LEVELS["state"], *FREQUENCY_LEVELS["business"]]
    frequency = rng.choice(levels, size=600)
    quality = rng.choice(QUALITY_LEVELS, size=600)
    data = pd.DataFrame(
        {
            "quality": pd.Categorical(quality, QUALITY_LEVELS, ordered=True),
            "frequency": pd.Categorical(frequency, levels, ordered=True),
        }
    )
    fit = OrdinalModel("quality ~ frequency").fit(data)
    out = effects.comparisons(fit, "frequency", quantity="expected", scales=FREQUENCY_LEVELS)
    assert len(out) == 8
    assert "none_or_negotiating - once_a_month" not in set(out["contrast"])
    # a contrast averages over the rows of its own scale only: for a model with frequency as
    # the only covariate it is the difference of the two levels' predictions
    pred = effects.predictions(
        fit, {"frequency": ["very_rarely", "once_a_year"]}, quantity="expected"
    )
    first = out[out["contrast"] == "once_a_year - very_rarely"]["estimate"].item()
    assert first == pytest.approx(pred["estimate"].iloc[1] - pred["estimate"].iloc[0], rel=1e-12)
    with pytest.raises(DataError, match="mixes levels of different scales"):
        effects.comparisons(
            fit, "frequency", contrast=("once_a_month", "regular"), scales=FREQUENCY_LEVELS
        )


# --------------------------------------------------------------------------- odds ratios


def test_odds_ratios_ml_wald_and_profile_match_clm(wine_fit):
    clm = json.loads((REFERENCE / "ml" / "outputs" / "wine_logit.json").read_text())
    wald = effects.odds_ratios(wine_fit, level=0.95)
    _close(wald["estimate"], np.exp(clm["coefficients"]["estimate"]), rtol=1e-6)
    profile = effects.odds_ratios(wine_fit, level=0.95, method="profile")
    assert list(profile["term"]) == ["temp[T.warm]", "contact[T.yes]"]
    ref = clm["confint_profile"]
    lower = np.exp(np.array(ref["lower"] if isinstance(ref, dict) else [r[0] for r in ref]))
    _close(profile["lower"], lower, rtol=2e-3)
    with pytest.raises(SpecificationError, match="method='bayes' is not known"):
        effects.odds_ratios(wine_fit, method="bayes")


# --------------------------------------------------------------------------- errors, contracts


def test_bad_arguments_are_named(wine_fit):
    with pytest.raises(DataError, match="variable='colour' is not a covariate"):
        effects.comparisons(wine_fit, "colour")
    with pytest.raises(SpecificationError, match="contrast='pairwise' is not known"):
        effects.comparisons(wine_fit, "temp", contrast="pairwise")
    with pytest.raises(SpecificationError, match="quantity='odds' is not known"):
        effects.predictions(wine_fit, quantity="odds")
    with pytest.raises(SpecificationError, match="comparison='lift' is not known"):
        effects.comparisons(wine_fit, "temp", comparison="lift")
    with pytest.raises(SpecificationError, match="level=1.5 must be a number between 0 and 1"):
        effects.predictions(wine_fit, level=1.5)
    with pytest.raises(DataError, match="grid column 'temp' has level.*'hot'.*not seen"):
        effects.predictions(wine_fit, {"temp": ["hot"]})
    with pytest.raises(DataError, match="by='judge' names column"):
        effects.predictions(wine_fit, by="judge")
    with pytest.raises(DataError, match="contrast level.*'tepid'"):
        effects.comparisons(wine_fit, "temp", contrast=("cold", "tepid"))


def test_grid_fills_typical_values_and_is_not_mutated(wine_fit):
    grid = pd.DataFrame({"temp": ["warm", "cold"]})
    before = grid.copy()
    out = effects.predictions(wine_fit, grid, quantity="expected")
    pd.testing.assert_frame_equal(grid, before)
    assert list(out["temp"].astype(str)) == ["warm", "cold"]
    assert set(out["contact"].astype(str)) == {"no"}  # both contact levels have 36 rows: first
    full = effects.predictions(
        wine_fit, {"temp": ["warm", "cold"], "contact": "no"}, quantity="expected"
    )
    np.testing.assert_array_equal(out["estimate"], full["estimate"])


def test_effects_re_exports_the_predicted_probabilities():
    """probability_draws, fitted_probabilities and make_grid live in interactmodel.predicted."""
    for name in effects.__all__:
        assert hasattr(effects, name)
    for name in predicted.__all__:
        assert getattr(effects, name) is getattr(predicted, name)


# --------------------------------------------------------------------------- Bayes against brms


@pytest.fixture(scope="module")
def group_fit():
    return fit_brms_case("cumulative_logit_group", "y ~ z + (1 | g)")


def _newdata(ref: dict, data_columns: dict) -> pd.DataFrame:
    frame = pd.DataFrame(ref["epred"]["newdata"])
    for column, cast in data_columns.items():
        frame[column] = cast(frame[column])
    return frame


def _mcse(draws: np.ndarray, chains: int) -> np.ndarray:
    """Monte Carlo SE of the posterior mean of each column of (S, ...) chain-major draws."""
    import arviz as az

    shaped = draws.reshape(chains, -1, *draws.shape[1:])
    ess = (
        az.ess(shaped, method="bulk")
        if shaped.ndim == 2
        else np.vectorize(
            lambda i: az.ess(shaped.reshape(chains, shaped.shape[1], -1)[:, :, i], method="bulk"),
        )(np.arange(int(np.prod(draws.shape[1:])))).reshape(draws.shape[1:])
    )
    return draws.std(axis=0, ddof=1) / np.sqrt(ess)


def _assert_matches_epred(draws: np.ndarray, ref: dict) -> None:
    """Posterior means within 4.5 combined MCSEs of brms; SDs within 15 %."""
    brms_mean = np.array(ref["epred"]["mean"])
    brms_mcse = np.array(ref["epred"]["mcse_mean"])
    ours = draws.mean(axis=0)
    tolerance = 4.5 * np.sqrt(brms_mcse**2 + _mcse(draws, 2) ** 2)
    assert np.all(np.abs(ours - brms_mean) < tolerance), np.abs(ours - brms_mean) / tolerance
    np.testing.assert_allclose(draws.std(axis=0, ddof=1), np.array(ref["epred"]["sd"]), rtol=0.15)


def test_group_specific_predictions_match_brms_posterior_epred(group_fit):
    fit, ref = group_fit
    newdata = _newdata(ref, {"g": lambda s: pd.Categorical(s, ref["levels"]["g"])})
    draws = effects.probability_draws(fit, newdata, re="group")
    assert draws.shape == (1000, 12, 5)
    _assert_matches_epred(draws, ref)
    out = effects.predictions(fit, newdata, re="group", level=0.9)
    np.testing.assert_allclose(
        out["estimate"].to_numpy().reshape(12, 5), draws.mean(axis=0), rtol=1e-12
    )
    lower = np.quantile(draws, 0.05, axis=0)
    np.testing.assert_allclose(out["lower"].to_numpy().reshape(12, 5), lower, rtol=1e-12)


def test_population_predictions_set_group_effects_to_zero(group_fit):
    fit, _ = group_fit
    post = fit.idata.posterior
    theta = post["thresholds"].to_numpy().reshape(-1, 4)
    b = post["b"].to_numpy().reshape(-1)
    cumulative = _expit(theta - b[:, None])  # z = 1, no group effect: P(Y <= k)
    by_hand = np.diff(np.column_stack([np.zeros(len(b)), cumulative, np.ones(len(b))]), axis=1)
    out = effects.predictions(fit, {"z": [1]}, re="population")
    np.testing.assert_allclose(out["estimate"], by_hand.mean(axis=0), rtol=1e-10)
    # the group column is not needed at the population level
    assert "g" not in out.columns or out["g"].notna().all()


def test_monotonic_predictions_and_comparisons_match_brms(mo_fit):
    fit, ref = mo_fit
    x_levels = [str(v) for v in ref["levels"]["x"]]
    newdata = _newdata(ref, {"x": lambda s: pd.Categorical(s.astype(str), x_levels, ordered=True)})
    draws = effects.probability_draws(fit, newdata)
    _assert_matches_epred(draws, ref)
    # x 1 -> 5 at z = 0: the posterior mean of the difference is the difference of brms' means
    out = effects.comparisons(
        fit, "x", contrast=("1", "5"), at={"z": [0]}, average=False, quantity="expected"
    )
    brms = np.array(ref["epred"]["mean"]) @ np.arange(1, 6)
    diff = draws[:, 4] @ np.arange(1, 6) - draws[:, 0] @ np.arange(1, 6)
    tolerance = 4.5 * np.sqrt(2) * diff.std() / np.sqrt(200)  # ESS >= 200 of 1000 draws
    assert abs(out["estimate"].item() - (brms[4] - brms[0])) < tolerance
    assert out["lower"].item() < out["estimate"].item() < out["upper"].item()


def test_bayes_odds_ratios_are_exp_of_posterior_draws(mo_fit):
    fit, _ = mo_fit
    out = effects.odds_ratios(fit, level=0.9).set_index("term")
    b_z = fit.idata.posterior["b"].to_numpy().reshape(-1)
    assert out.loc["z", "estimate"] == pytest.approx(np.exp(np.median(b_z)), rel=1e-10)
    assert out.loc["z", "upper"] == pytest.approx(np.exp(np.quantile(b_z, 0.95)), rel=1e-10)
    assert {"mo(x) (one step)", "mo(x) (lowest to highest)"} <= set(out.index)
