"""Tests of interactmodel.pooling: Bayesian fits pooled over reconstructed data sets."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from interactmodel.engines import nuts
from interactmodel.errors import ConvergenceWarning, DataError, FitError
from interactmodel.pooling import fit_pooled, reconstruction_frames

LEVELS = ["bad", "mixed", "good", "great"]
SETTINGS = {"draws": 300, "tune": 300, "chains": 2}


class Spec:
    def __init__(self, formula: str, link: str = "logit") -> None:
        self.formula, self.link, self.priors, self.nominal, self.levels = (
            formula, link, None, None, None,
        )  # fmt: skip


def frame(seed: int, shift: float = 0.0, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.tile(["g1", "g2", "g3"], n // 3)
    z = np.tile([0, 1], n // 2)
    eta = 0.8 * z + np.select([g == "g1", g == "g2"], [-0.4, 0.1], 0.3) + shift
    y = (eta[:, None] + rng.logistic(size=n)[:, None] > np.array([-1.0, 0.0, 1.0])).sum(axis=1)
    return pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, LEVELS, ordered=True),
            "z": z,
            "g": pd.Categorical(g, categories=["g1", "g2", "g3"]),
        }
    )


class FakeReconstructions:
    """The interface of interactmodel.reconstruct.Reconstructions that pooling uses."""

    def __init__(self, frames: list[pd.DataFrame]) -> None:
        self.frames = frames

    def to_frame(self) -> pd.DataFrame:
        return pd.concat(
            [f.assign(reconstruction=i + 1) for i, f in enumerate(self.frames)], ignore_index=True
        )


def pooled(spec: Spec, recs: object, seed: int = 1, **kwargs: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # short runs: ESS < 400 expected
        return fit_pooled(spec, recs, seed=seed, **(SETTINGS | kwargs))


@pytest.fixture(scope="module")
def frames() -> list[pd.DataFrame]:
    return [frame(1), frame(2), frame(3, shift=1.5)]


@pytest.fixture(scope="module")
def result(frames: list[pd.DataFrame]) -> object:
    copies = [f.copy() for f in frames]
    nuts.clear_cache()
    calls = []
    original = nuts._compile_numpyro

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)

    nuts._compile_numpyro = counting  # type: ignore[assignment]
    try:
        fit = pooled(Spec("y ~ z + (1 | g)"), FakeReconstructions(frames))
    finally:
        nuts._compile_numpyro = original  # type: ignore[assignment]
    for f, c in zip(frames, copies, strict=True):
        pd.testing.assert_frame_equal(f, c)  # inputs untouched
    return fit, len(calls)


def test_one_compile_for_all_reconstructions(result: tuple) -> None:
    _, compiles = result
    assert compiles == 1


def test_posterior_stacks_the_chains_of_every_reconstruction(result: tuple) -> None:
    fit, _ = result
    post = fit.idata.posterior
    assert fit.n_reconstructions == 3 and fit.chains == 2 and fit.draws == 300
    assert post.sizes["chain"] == 6 and post.sizes["draw"] == 300
    assert post["reconstruction"].to_numpy().tolist() == [1, 1, 2, 2, 3, 3]
    assert fit.idata.attrs["n_reconstructions"] == 3
    counts = fit.idata.observed_data["counts"]
    assert counts.sum(["cell", "outcome"]).to_numpy().tolist() == [240, 240, 240]
    assert len(fit.diagnostics["reconstructions"]) == 3


def test_reconstruction_uncertainty_shows_in_the_intervals(result: tuple, frames: list) -> None:
    fit, _ = result
    summary = fit.summary()
    post = fit.idata.posterior
    theta = post["thresholds"].to_numpy()[..., 0]  # (6 chains, draws)
    per_reconstruction = theta.reshape(3, -1)
    # the pooled posterior is the equal mixture: its mean is the mean of the three means ...
    assert summary.loc["threshold[bad|mixed]", "mean"] == pytest.approx(per_reconstruction.mean())
    np.testing.assert_allclose(per_reconstruction.mean(), per_reconstruction.mean(axis=1).mean())
    # ... and the shifted third data set widens it beyond any single reconstruction's spread
    assert summary.loc["threshold[bad|mixed]", "sd"] > 1.2 * per_reconstruction.std(axis=1).max()
    # a latent shift of +1.5 moves the thresholds (theta - eta) down by about 1.5
    assert per_reconstruction[2].mean() < per_reconstruction[0].mean() - 0.8


def test_reconstruction_draws_do_not_depend_on_the_others(frames: list, result: tuple) -> None:
    fit, _ = result
    alone = pooled(Spec("y ~ z + (1 | g)"), [frames[0]])
    np.testing.assert_array_equal(
        alone.idata.posterior["thresholds"].to_numpy(),
        fit.idata.posterior["thresholds"].to_numpy()[:2],
    )


def test_long_frame_and_list_give_the_same_fit(frames: list, result: tuple) -> None:
    fit, _ = result
    long = FakeReconstructions(frames).to_frame()
    from_long = pooled(Spec("y ~ z + (1 | g)"), long)
    np.testing.assert_array_equal(
        from_long.idata.posterior["b"].to_numpy(), fit.idata.posterior["b"].to_numpy()
    )
    assert [len(f) for f in reconstruction_frames(long)] == [240, 240, 240]


def test_loo_is_refused_for_a_pooled_fit(result: tuple) -> None:
    fit, _ = result
    with pytest.raises(FitError, match=r"not defined for a fit pooled over reconstructions"):
        fit.loo()


def test_bad_reconstructions_are_rejected(frames: list) -> None:
    spec = Spec("y ~ z + (1 | g)")
    with pytest.raises(DataError, match=r"no 'reconstruction' column"):
        fit_pooled(spec, frames[0])
    with pytest.raises(DataError, match=r"no reconstructions given"):
        fit_pooled(spec, [])
    with pytest.raises(DataError, match=r"must be DataFrames; item\(s\) \[1\]"):
        fit_pooled(spec, [frames[0], "frame2.csv"])
    other = frames[1].assign(g=frames[1]["g"].astype(str))
    with pytest.raises(DataError, match=r"reconstruction 2 has other dtypes .*\['g'\]"):
        fit_pooled(spec, [frames[0], other])


def test_article_model_on_real_reconstructions() -> None:
    """quality ~ partner + mo(frequency):partner + (1 | region) on two reconstructions."""
    from interactmodel.reconstruct import reconstruct

    recs = reconstruct(2, seed=11)
    spec = Spec("quality ~ partner + mo(frequency):partner + (1 | region)")
    fit = pooled(spec, recs, draws=200, tune=200)
    summary = fit.summary()
    assert fit.n_reconstructions == 2
    assert {"mo(frequency):partner[state]", "mo(frequency):partner[business]"} <= set(summary.index)
    state = summary.index[summary.index.str.startswith("mo(frequency):partner[state]:simplex")]
    assert state.str.contains("very_rarely->once_a_year").any()  # the state scale's own steps
    assert fit.centered == {"region": False}  # ~80 ratings per region: non-centred
