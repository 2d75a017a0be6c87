"""Reference fits shared by ``test_effects.py`` and ``test_predicted.py`` (fixtures in
``conftest.py``): the wine data of ``ordinal::clm`` and the brms cases with their posterior
``epred`` references.

References: tests/reference/ml/README.md (wine, R 4.2.2) and tests/reference/bayes/README.md
(brms 2.18.0).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

from interactmodel.spec import OrdinalModel

REFERENCE = Path(__file__).parent / "reference"


def read_wine() -> pd.DataFrame:
    levels = json.loads((REFERENCE / "ml" / "data" / "wine_levels.json").read_text())
    data = pd.read_csv(REFERENCE / "ml" / "data" / "wine.csv", dtype=str)
    for column, order in levels.items():
        if column in data:
            data[column] = pd.Categorical(data[column], order, ordered=column == "rating")
    return data


def bayes_available() -> str | None:
    try:
        import interactmodel.engines.bayes  # noqa: F401
    except Exception as exc:  # the engine (PyMC/numpyro) may be missing or broken
        return f"the Bayesian engine cannot be imported ({type(exc).__name__}: {exc})"
    return None


def brms_case(case: str) -> tuple[pd.DataFrame, dict]:
    ref = json.loads((REFERENCE / "bayes" / "outputs" / f"{case}.json").read_text())
    data = pd.read_csv(REFERENCE / "bayes" / "data" / ref["data"])
    data["y"] = pd.Categorical(
        data["y"].astype(str), [str(v) for v in ref["levels"]["y"]], ordered=True
    )
    if "x" in data:
        data["x"] = pd.Categorical(
            data["x"].astype(str), [str(v) for v in ref["levels"]["x"]], ordered=True
        )
    if "g" in data:
        data["g"] = pd.Categorical(data["g"], ref["levels"]["g"])
    return data, ref


def fit_brms_case(case: str, formula: str):
    reason = bayes_available()
    if reason:
        pytest.skip(reason)
    data, ref = brms_case(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2 x 500 draws: ESS warnings are expected
        fit = OrdinalModel(formula).fit(
            data, engine="bayes", draws=500, tune=500, chains=2, seed=11, nuts_sampler="numpyro"
        )
    return fit, ref
