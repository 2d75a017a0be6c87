"""Tests of scenario simulation: hand computations, sampling checks, fitted models, CLI, plot."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from interactmodel import article, cli
from interactmodel.errors import ScenarioError, SpecificationError
from interactmodel.plots_simulation import plot_simulation
from interactmodel.scenario import Scenario, load_scenario
from interactmodel.simulation import (
    NOTE,
    article_baseline,
    baseline_from_fit,
    fit_default,
    simulate,
    simulate_probabilities,
)
from interactmodel.spec import OrdinalModel

REPO = Path(__file__).resolve().parents[1]
STATE = article.FREQUENCY_LEVELS["state"]
QUALITY = article.QUALITY_LEVELS

# P(quality | contact level), made by hand: one row per state contact level
HAND = np.array(
    [
        [0.40, 0.30, 0.20, 0.10, 0.00],
        [0.20, 0.30, 0.30, 0.10, 0.10],
        [0.10, 0.20, 0.40, 0.20, 0.10],
        [0.05, 0.15, 0.30, 0.30, 0.20],
        [0.00, 0.10, 0.20, 0.30, 0.40],
    ]
)


def _scenario(**changes) -> Scenario:
    data = {
        "name": "hand",
        "partner": "state",
        "population": {"size": 1000, "region_shares": {"nur_sultan": 0.6, "almaty": 0.4}},
        "baseline": {"distribution": {"very_rarely": 0.5, "once_a_year": 0.3, "once_a_month": 0.2}},
        "policies": [
            {"name": "nothing", "interventions": []},
            {
                "name": "quarterly",
                "interventions": [
                    {"type": "move", "from": "once_a_year", "to": "once_a_quarter", "share": 0.5}
                ],
            },
        ],
    }
    data.update(changes)
    return Scenario.from_dict(data)


def _constant(probs: np.ndarray, draws: int) -> np.ndarray:
    """The same probabilities in every draw: (draws, 1, levels, K)."""
    return np.broadcast_to(probs[None, None], (draws, 1, *probs.shape)).copy()


def _table(sim, noise=True):
    return sim.summary(noise=noise).set_index(["scenario", "quality", "measure"])["estimate"]


# --------------------------------------------------------------------------- hand computations


def test_expected_counts_match_a_hand_computation():
    sim = simulate_probabilities(_constant(HAND, 3), _scenario(), seed=1)
    # baseline cells (whole population, both regions): 500 very rarely, 300 yearly, 200 monthly
    baseline = 500 * HAND[0] + 300 * HAND[1] + 200 * HAND[4]
    # policy: half of each region's yearly NGOs (90 of 180, 60 of 120) meet quarterly
    policy = 500 * HAND[0] + 150 * HAND[1] + 150 * HAND[3] + 200 * HAND[4]
    np.testing.assert_allclose(sim.expected[:, 0], np.tile(baseline, (3, 1)))
    np.testing.assert_allclose(sim.expected[:, 2], np.tile(policy, (3, 1)))
    table = _table(sim, noise=False)
    assert table[("baseline", "definitely_bad", "count")] == pytest.approx(260.0)
    assert table[("quarterly", "definitely_bad", "count_difference")] == pytest.approx(
        150 * (HAND[3, 0] - HAND[1, 0])
    )
    assert table[("quarterly", "definitely_good", "share_difference")] == pytest.approx(
        150 * (HAND[3, 4] - HAND[1, 4]) / 1000
    )


def test_region_specific_probabilities_are_used_per_region():
    probs = np.zeros((2, 6, 5, 5))
    probs[..., 0] = 1.0  # every region: all "definitely bad" ...
    probs[:, 1, :, :] = 0.0
    probs[:, 1, :, 4] = 1.0  # ... except Almaty: all "definitely good"
    sim = simulate_probabilities(probs, _scenario(), seed=1)
    assert sim.region_specific
    # Nur-Sultan's 600 NGOs all rate "definitely bad", Almaty's 400 all "definitely good"
    np.testing.assert_array_equal(sim.counts[:, 0], [[600, 0, 0, 0, 400]] * 2)
    np.testing.assert_allclose(sim.expected[:, 0], [[600, 0, 0, 0, 400]] * 2)


def test_no_intervention_reproduces_the_baseline_draw_for_draw():
    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.ones(5), size=(200, 1, 5))
    sim = simulate_probabilities(probs, _scenario(), seed=11)
    counts, expected = sim.counts, sim.expected
    np.testing.assert_array_equal(counts[:, 1], counts[:, 0])
    np.testing.assert_array_equal(expected[:, 1], expected[:, 0])
    table = _table(sim)
    for quality in QUALITY:
        assert table[("nothing", quality, "count_difference")] == 0


def test_same_seed_same_numbers_other_seed_other_numbers():
    probs = _constant(HAND, 50)
    first = simulate_probabilities(probs, _scenario(), seed=3)
    again = simulate_probabilities(probs, _scenario(), seed=3)
    other = simulate_probabilities(probs, _scenario(), seed=4)
    np.testing.assert_array_equal(first.counts, again.counts)
    pd.testing.assert_frame_equal(first.summary(), again.summary())
    assert not np.array_equal(first.counts, other.counts)


def test_no_seed_records_the_one_drawn():
    probs = _constant(HAND, 20)
    sim = simulate_probabilities(probs, _scenario())
    again = simulate_probabilities(probs, _scenario(), seed=sim.seed)
    np.testing.assert_array_equal(sim.counts, again.counts)


# --------------------------------------------------------------------------- sampling noise


def test_sampling_noise_is_multinomial_per_cell_and_coupled_for_moves():
    """Moments against the multinomial: mean n p, variance sum n p (1 - p).

    With the same probabilities in every draw, only sampling noise is left.  The policy moves
    m = 150 NGOs from "once a year" to "once a quarter"; the NGOs left in place keep their
    ratings, so the difference's variance is that of the moved NGOs only:
    m p_a (1 - p_a) + m p_b (1 - p_b).  Tolerances: 5 Monte Carlo standard errors.
    """
    S = 20_000
    sim = simulate_probabilities(_constant(HAND, S), _scenario(), seed=2)
    counts = sim.counts.astype(float)
    cells = {"baseline": [500, 300, 0, 0, 200], "quarterly": [500, 150, 0, 150, 200]}
    for p, name in ((0, "baseline"), (2, "quarterly")):
        n = np.array(cells[name], dtype=float)
        mean = n @ HAND
        var = n @ (HAND * (1 - HAND))
        se_mean = np.sqrt(var / S)
        assert np.all(np.abs(counts[:, p].mean(axis=0) - mean) < 5 * se_mean), name
        # the sample variance has relative standard error ~ sqrt(2 / S) for near-normal counts
        assert np.all(np.abs(counts[:, p].var(axis=0) / var - 1) < 5 * np.sqrt(2 / S)), name
    diff = counts[:, 2] - counts[:, 0]
    var_diff = 150 * (HAND[1] * (1 - HAND[1]) + HAND[3] * (1 - HAND[3]))
    assert np.all(np.abs(diff.mean(axis=0) - 150 * (HAND[3] - HAND[1])) < 5 * np.sqrt(var_diff / S))
    positive = var_diff > 0
    assert np.all(np.abs(diff.var(axis=0)[positive] / var_diff[positive] - 1) < 5 * np.sqrt(2 / S))
    assert np.all(diff.sum(axis=1) == 0)  # moving NGOs never changes the total


def test_intervals_widen_with_sampling_noise():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.full(5, 50.0), size=(400, 1, 5))
    sim = simulate_probabilities(probs, _scenario(), seed=1)
    noisy = sim.summary(noise=True).query("measure == 'count'")
    smooth = sim.summary(noise=False).query("measure == 'count'")
    width = (noisy["upper"] - noisy["lower"]).to_numpy()
    assert np.all(width > (smooth["upper"] - smooth["lower"]).to_numpy())
    assert np.all(noisy["lower"].to_numpy() <= noisy["estimate"].to_numpy())


# --------------------------------------------------------------------------- result object


def test_summary_draws_and_json_are_tidy_and_carry_the_note():
    sim = simulate_probabilities(_constant(HAND, 10), _scenario(), seed=1)
    summary = sim.summary(level=0.9)
    assert list(summary.columns) == [
        "scenario",
        "quality",
        "measure",
        "estimate",
        "lower",
        "upper",
        "note",
    ]
    # 3 scenarios x 5 levels x (count, share) + 2 policies x 5 levels x 2 differences
    assert len(summary) == 3 * 5 * 2 + 2 * 5 * 2
    assert (summary["note"] == NOTE).all() and summary.attrs["note"] == NOTE
    assert "not causal effects" in NOTE
    shares = summary.query("measure == 'share'").groupby("scenario", observed=True)["estimate"]
    np.testing.assert_allclose(shares.sum().to_numpy(), 1.0)
    draws = sim.draws
    assert list(draws.columns) == ["draw", "scenario", "quality", "count", "expected"]
    assert len(draws) == 10 * 3 * 5
    comp = sim.composition()
    assert comp.groupby("scenario", observed=True)["count"].sum().tolist() == [1000] * 3
    record = json.loads(json.dumps(sim.to_dict()))
    assert record["note"] == NOTE and record["seed"] == 1 and record["population_size"] == 1000
    assert {"summary", "composition", "scenario", "uncertainty"} <= set(record)


def test_result_arrays_are_copies():
    sim = simulate_probabilities(_constant(HAND, 4), _scenario(), seed=1)
    counts = sim.counts
    counts[:] = -1
    assert (sim.counts >= 0).all()


def test_bad_probabilities_and_level():
    with pytest.raises(SpecificationError, match="probabilities must have shape"):
        simulate_probabilities(np.full((2, 5, 5), 0.2), _scenario())
    with pytest.raises(SpecificationError, match="must add up to 1"):
        simulate_probabilities(np.full((2, 1, 5, 5), 0.3), _scenario())
    sim = simulate_probabilities(_constant(HAND, 2), _scenario(), seed=1)
    with pytest.raises(SpecificationError, match="level=1.5"):
        sim.summary(level=1.5)


def test_fit_baseline_without_a_fit_is_a_clear_error():
    scenario = _scenario(baseline={"source": "fit"})
    with pytest.raises(ScenarioError, match="baseline.source = 'fit' needs a fitted model"):
        simulate_probabilities(_constant(HAND, 2), scenario)


def test_article_baseline_is_the_reconstructions_mean():
    from interactmodel.reconstruct import reconstruct
    from interactmodel.simulation import ARTICLE_BASELINE_DRAWS, ARTICLE_BASELINE_SEED

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = reconstruct(ARTICLE_BASELINE_DRAWS, ARTICLE_BASELINE_SEED).to_frame()
    state = frame[frame["partner"] == "state"]
    by_hand = state["frequency"].astype(str).value_counts(normalize=True)
    shares = article_baseline("state")
    assert list(shares) == list(STATE)
    for level in STATE:
        assert shares[level] == pytest.approx(by_hand[level])


# --------------------------------------------------------------------------- fitted models


@pytest.fixture(scope="module")
def state_data():
    """Synthetic state ratings: quality rises with contact frequency, regions differ."""
    rng = np.random.default_rng(7)
    n = 1500
    freq = rng.integers(0, 5, n)
    region = rng.integers(0, 6, n)
    latent = 0.6 * freq + 0.3 * (region == 1) + rng.logistic(size=n)
    quality = np.digitize(latent, [0.0, 1.0, 2.0, 3.0])
    return pd.DataFrame(
        {
            "partner": pd.Categorical(["state"] * n, list(article.PARTNERS), ordered=True),
            "frequency": pd.Categorical.from_codes(freq, list(STATE), ordered=True),
            "quality": pd.Categorical.from_codes(quality, list(QUALITY), ordered=True),
            "region": pd.Categorical.from_codes(region, list(article.SAMPLE_REGIONS)),
        }
    )


@pytest.fixture(scope="module")
def ml_fit(state_data):
    return OrdinalModel("quality ~ frequency").fit(state_data)


def test_ml_expected_counts_match_predictions_at_the_estimate(ml_fit, state_data):
    scenario = _scenario()
    sim = simulate(ml_fit, scenario, seed=1, n_draws=4000)
    grid = pd.DataFrame({"frequency": pd.Categorical(list(STATE), list(STATE), ordered=True)})
    at_estimate = (
        ml_fit.predict_proba(grid)["probability"].to_numpy().reshape(5, 5)
    )  # rows: contact levels
    by_hand = np.array([500, 300, 0, 0, 200]) @ at_estimate
    # the mean over N(estimate, cov) draws is within a few NGOs of the plug-in prediction
    np.testing.assert_allclose(sim.expected[:, 0].mean(axis=0), by_hand, atol=3.0)
    assert sim.n_draws == 4000 and not sim.region_specific
    assert "N(estimate, cov)" in sim.uncertainty


def test_ml_no_intervention_and_same_seed(ml_fit):
    first = simulate(ml_fit, _scenario(), seed=9, n_draws=300)
    again = simulate(ml_fit, _scenario(), seed=9, n_draws=300)
    np.testing.assert_array_equal(first.counts, again.counts)
    np.testing.assert_array_equal(first.counts[:, 1], first.counts[:, 0])
    params = ml_fit.params.copy()
    pd.testing.assert_series_equal(ml_fit.params, params)  # simulating leaves the fit alone


def test_draws_with_crossed_thresholds_are_rescaled_and_reported(ml_fit, monkeypatch):
    from interactmodel import predicted

    def crossed(result, newdata, n_draws=None, seed=None, re="population"):
        probs = np.tile(HAND[None, :, :], (n_draws, 1, 1))
        probs[0, :, 2] = 0.5  # one draw: the clipped middle category makes the sum exceed 1
        return probs

    monkeypatch.setattr(predicted, "probability_draws", crossed)
    sim = simulate(ml_fit, _scenario(), seed=1, n_draws=4)
    assert "1 of 4 draws had thresholds out of order" in sim.uncertainty
    bad = HAND.copy()
    bad[:, 2] = 0.5
    bad /= bad.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(sim.expected[0, 0], np.array([500, 300, 0, 0, 200]) @ bad)
    np.testing.assert_allclose(sim.expected[1, 0], np.array([500, 300, 0, 0, 200]) @ HAND)


def test_baseline_from_the_fitted_data(ml_fit, state_data):
    scenario = _scenario(baseline={"source": "fit"})
    sim = simulate(ml_fit, scenario, seed=1, n_draws=50)
    by_hand = state_data["frequency"].astype(str).value_counts(normalize=True)
    shares = baseline_from_fit(ml_fit, "state")
    for level in STATE:
        assert shares[level] == pytest.approx(by_hand[level])
    nur_sultan = sim.composition().query("scenario == 'baseline' and region == 'nur_sultan'")
    expected = [600 * by_hand[level] for level in STATE]
    assert np.all(np.abs(nur_sultan["count"].to_numpy() - expected) < 1)
    assert "fitted data" in sim.baseline


def test_region_term_gives_region_specific_probabilities(state_data):
    fit = OrdinalModel("quality ~ frequency + region").fit(state_data)
    sim = simulate(fit, _scenario(), seed=1, n_draws=2000)
    assert sim.region_specific
    rows = [(r, f) for r in article.SAMPLE_REGIONS for f in STATE]
    grid = pd.DataFrame(
        {
            "frequency": pd.Categorical([f for _, f in rows], list(STATE), ordered=True),
            "region": pd.Categorical([r for r, _ in rows], list(article.SAMPLE_REGIONS)),
        }
    )
    probs = fit.predict_proba(grid)["probability"].to_numpy().reshape(6, 5, 5)
    cells = sim.composition().query("scenario == 'quarterly'")["count"].to_numpy().reshape(6, 5)
    by_hand = np.einsum("rf,rfk->k", cells, probs)
    np.testing.assert_allclose(sim.expected[:, 2].mean(axis=0), by_hand, atol=4.0)


@pytest.mark.slow
def test_bayes_group_region_model_uses_every_posterior_draw_and_region_effects():
    """Expected counts equal the composition times BayesResult.predict_proba's posterior means.

    ``(1 | region)`` makes the probabilities region-specific (group effects included); the
    expected count is linear in the probabilities, so its posterior mean is exactly
    sum over cells of n * mean P (no Monte Carlo tolerance needed).
    """
    rng = np.random.default_rng(7)
    n = 600
    freq, region = rng.integers(0, 5, n), rng.integers(0, 6, n)
    latent = 0.6 * freq + 0.8 * (region == 1) + rng.logistic(size=n)
    data = pd.DataFrame(
        {
            "frequency": pd.Categorical.from_codes(freq, list(STATE), ordered=True),
            "quality": pd.Categorical.from_codes(
                np.digitize(latent, [0.0, 1.0, 2.0, 3.0]), list(QUALITY), ordered=True
            ),
            "region": pd.Categorical.from_codes(region, list(article.SAMPLE_REGIONS)),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short chains: ESS warnings are expected
        fit = OrdinalModel("quality ~ frequency + (1 | region)").fit(
            data, engine="bayes", draws=200, tune=300, chains=2, seed=1
        )
    sim = simulate(fit, _scenario(), seed=1)
    assert sim.n_draws == 400 and sim.region_specific and sim.uncertainty == "posterior draws"
    rows = [(r, f) for r in article.SAMPLE_REGIONS for f in STATE]
    grid = pd.DataFrame(
        {
            "frequency": pd.Categorical([f for _, f in rows], list(STATE), ordered=True),
            "region": pd.Categorical([r for r, _ in rows], list(article.SAMPLE_REGIONS)),
        }
    )
    mean_p = fit.predict_proba(grid)["probability"].to_numpy().reshape(6, 5, 5)
    comp = sim.composition()["count"].to_numpy().reshape(3, 6, 5)
    by_hand = np.einsum("prf,rfk->pk", comp, mean_p)
    np.testing.assert_allclose(sim.expected.mean(axis=0), by_hand, rtol=1e-9)
    np.testing.assert_array_equal(sim.counts[:, 1], sim.counts[:, 0])


def test_models_a_scenario_cannot_drive(state_data):
    data = state_data.assign(size=np.arange(len(state_data)) % 3)
    with pytest.raises(ScenarioError, match=r"uses 'size', which a scenario cannot set"):
        simulate(OrdinalModel("quality ~ frequency + size").fit(data), _scenario(), seed=1)
    with pytest.raises(ScenarioError, match="has no frequency term"):
        simulate(OrdinalModel("quality ~ region").fit(state_data), _scenario(), seed=1)
    with pytest.raises(SpecificationError, match="must be a fitted model"):
        simulate("not a fit", _scenario(), seed=1)


def test_unseen_contact_level_is_a_scenario_error(state_data):
    data = state_data[state_data["frequency"] != "once_a_month"]
    fit = OrdinalModel("quality ~ frequency").fit(data)
    with pytest.raises(ScenarioError, match="cannot predict every cell of the scenario"):
        simulate(fit, _scenario(), seed=1, n_draws=10)


def test_default_fit_pools_reconstructions_and_splits_draws():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = fit_default("state", reconstructions=3, seed=1)
    assert len(fits) == 3
    scenario = load_scenario(REPO / "models/scenarios/state_quarterly_contact.toml")
    sim = simulate(fits, scenario, seed=1, n_draws=301)
    assert sim.n_draws == 301 and "3 fits" in sim.model and sim.population_size == 18306
    with pytest.raises(SpecificationError, match="fewer than the 3 fits"):
        simulate(fits, scenario, seed=1, n_draws=2)


# --------------------------------------------------------------------------- plot and CLI


def test_plot_returns_a_figure():
    sim = simulate_probabilities(_constant(HAND, 20), _scenario(), seed=1)
    fig = plot_simulation(sim)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    alone = simulate_probabilities(_constant(HAND, 20), _scenario(policies=[]), seed=1)
    assert len(plot_simulation(alone).axes) == 1


def test_cli_text_and_json(capsys, tmp_path):
    path = str(REPO / "models/scenarios/business_regular_contacts.toml")
    png = tmp_path / "sim.png"
    assert cli.main(["simulate", path, "--seed", "2", "--draws", "200", "--plot", str(png)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "No --fit given: fitted by ML to the business ratings of 10 reconstructions" in out
    assert "Note: These are associations carried forward, not causal effects" in out
    assert "occasional_to_regular" in out and png.stat().st_size > 0
    assert cli.main(["simulate", path, "--seed", "2", "--draws", "200", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["note"] == NOTE and record["n_draws"] == 200 and record["seed"] == 2
    assert "No --fit given" in record["fit"]
    assert cli.main(["simulate", path, "--plot", str(png)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err


def test_cli_simulates_a_saved_fit(capsys, tmp_path, ml_fit):
    from interactmodel import io

    io.save(ml_fit, tmp_path / "fit")
    path = str(REPO / "models/scenarios/state_quarterly_contact.toml")
    argv = ["simulate", path, "--fit", str(tmp_path / "fit"), "--draws", "100", "--format", "json"]
    assert cli.main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["fit"].startswith("Loaded from") and record["n_draws"] == 100
    direct = simulate(ml_fit, load_scenario(path), seed=0, n_draws=100)
    summary = direct.summary()
    assert [r["estimate"] for r in record["summary"]] == pytest.approx(summary["estimate"].tolist())
    assert cli.main(["simulate", path, "--fit", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_cli_bad_scenario_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'partner = "state"\n[[interventions]]\ntype = "move"\nfrom = "weekly"\n'
        'to = "once_a_month"\nshare = 0.3\n'
    )
    assert cli.main(["simulate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: interventions[0].from: unknown contact level 'weekly'")
