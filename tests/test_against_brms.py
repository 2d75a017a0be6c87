"""The Bayesian engine against brms: posterior means, SDs and predicted probabilities.

References: tests/reference/bayes/outputs/<case>.json, written by
tests/reference/bayes/make_reference.R (brms 2.18 / rstan, 4 chains x 1000 draws after 1000
warm-up, adapt_delta 0.95, ``bf(..., center = FALSE)``, the contract's default priors) on the
data of tests/reference/bayes/make_data.R (300 rows per case, committed as CSV).

Tolerance, per statistic, from the Monte Carlo error of both fits:

    |ours - brms| <= Z * sqrt(mcse_ours**2 + mcse_brms**2) + SLACK

with Z = 4 (about 1 in 16,000 per comparison for two exact samplers) and SLACK = 0.01 for
parameters (on the latent scale) to absorb the error of the MCSE estimates themselves.  For
category probabilities (posterior_epred), whose MCSE we do not estimate, ``mcse_ours`` is
taken equal to brms's (same number of draws, similar ESS) and SLACK = 0.005.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from interactmodel.engines import bayes

REFERENCE = Path(__file__).parent / "reference" / "bayes"
Z = 4.0
SLACK = 0.01
SLACK_PROBABILITY = 0.005
CASES = ("cumulative_logit_mo", "cumulative_logit_group", "cumulative_probit")


class _Spec:
    """The attributes engines.bayes.fit reads from a specification."""

    def __init__(self, formula: str, link: str) -> None:
        self.formula, self.link, self.priors, self.nominal, self.levels = (
            formula,
            link,
            None,
            None,
            None,
        )


def _reference(case: str) -> dict[str, Any]:
    return json.loads((REFERENCE / "outputs" / f"{case}.json").read_text())


def _encode(frame: pd.DataFrame, levels: dict[str, list[Any]], ordered: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for name in ordered:
        if name in frame.columns:
            frame[name] = pd.Categorical(frame[name], categories=levels[name], ordered=True)
    return frame


def _our_name(brms_name: str) -> str:
    """brms parameter name -> ours (see interactmodel.bayes_result.parameter_table)."""
    if match := re.fullmatch(r"b_Intercept\[(\d+)\]", brms_name):
        k = int(match[1])
        return f"threshold[{k}|{k + 1}]"
    if match := re.fullmatch(r"bsp_mo(\w+)", brms_name):
        return f"mo({match[1]})"
    if match := re.fullmatch(r"simo_mo(\w+?)1\[(\d+)\]", brms_name):
        j = int(match[2])
        return f"mo({match[1]}):simplex[{j}->{j + 1}]"
    if match := re.fullmatch(r"sd_(\w+)__(\w+)", brms_name):
        return f"sd({match[2]} | {match[1]})"
    if brms_name.startswith("r_"):
        return brms_name  # r_g[g1,Intercept] is already our name
    return brms_name.removeprefix("b_")


@pytest.fixture(scope="module", params=CASES)
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Any, pd.DataFrame]:
    ref = _reference(request.param)
    data = pd.read_csv(REFERENCE / "data" / ref["data"])
    ordered = [n for n in ("y", "x") if n in data.columns]
    data = _encode(data, ref["levels"], ordered)
    result = bayes.fit(
        _Spec(ref["formula"], ref["link"]),
        data,
        draws=1000,
        tune=1000,
        chains=4,
        seed=20250501,
        target_accept=ref["adapt_delta"],
    )
    return ref, result, data


def test_posterior_means_agree_with_brms(case: tuple[dict[str, Any], Any, pd.DataFrame]) -> None:
    ref, result, _ = case
    params = ref["parameters"]
    ours = result.summary()
    names = [_our_name(n) for n in params["names"]]
    assert sorted(names) == sorted(ours.index), "every brms parameter has one of ours and back"
    mean = ours.loc[names, "mean"].to_numpy()
    bound = Z * np.hypot(ours.loc[names, "mcse_mean"], params["mcse_mean"]) + SLACK
    gap = np.abs(mean - np.array(params["mean"]))
    bad = {
        n: (round(m, 4), round(b, 4))
        for n, m, b, g, t in zip(names, mean, params["mean"], gap, bound, strict=True)
        if g > t
    }
    assert not bad, f"{ref['case']}: means differ beyond tolerance (ours, brms): {bad}"


def test_posterior_sds_agree_with_brms(case: tuple[dict[str, Any], Any, pd.DataFrame]) -> None:
    ref, result, _ = case
    params = ref["parameters"]
    ours = result.summary()
    names = [_our_name(n) for n in params["names"]]
    sd = ours.loc[names, "sd"].to_numpy()
    bound = Z * np.hypot(ours.loc[names, "mcse_sd"], params["mcse_sd"]) + SLACK
    gap = np.abs(sd - np.array(params["sd"]))
    bad = {
        n: (round(s, 4), round(b, 4))
        for n, s, b, g, t in zip(names, sd, params["sd"], gap, bound, strict=True)
        if g > t
    }
    assert not bad, f"{ref['case']}: SDs differ beyond tolerance (ours, brms): {bad}"


def test_category_probabilities_agree_with_brms_epred(
    case: tuple[dict[str, Any], Any, pd.DataFrame],
) -> None:
    ref, result, data = case
    epred = ref["epred"]
    newdata = pd.DataFrame(epred["newdata"])
    for name in ("x",):
        if name in newdata.columns:
            newdata[name] = pd.Categorical(
                newdata[name], categories=data[name].cat.categories, ordered=True
            )
    predicted = result.predict_proba(newdata)
    K = len(epred["categories"])
    ours = predicted["probability"].to_numpy().reshape(len(newdata), K)
    brms = np.array(epred["mean"])
    bound = Z * np.sqrt(2.0) * np.array(epred["mcse_mean"]) + SLACK_PROBABILITY
    assert np.all(np.abs(ours - brms) <= bound), np.max(np.abs(ours - brms) - bound)
    sds = predicted["sd"].to_numpy().reshape(len(newdata), K)
    np.testing.assert_allclose(sds, np.array(epred["sd"]), atol=SLACK_PROBABILITY, rtol=0.1)


def test_the_fit_converged_like_brms(case: tuple[dict[str, Any], Any, pd.DataFrame]) -> None:
    ref, result, _ = case
    assert ref["diagnostics"]["divergent"] == 0
    assert result.diagnostics["converged"], result.diagnostics["failures"]
    assert result.diagnostics["divergences"] == 0
