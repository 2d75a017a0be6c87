"""The frozen model specification and engine dispatch."""

from __future__ import annotations

import dataclasses
import doctest
import sys
import types

import numpy as np
import pandas as pd
import pytest

import interactmodel
from interactmodel import spec as spec_module
from interactmodel.errors import FormulaError, SpecificationError
from interactmodel.spec import OrdinalModel

LEVELS = ["bad", "mixed", "good"]


def frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "quality": pd.Categorical(rng.choice(LEVELS, n), LEVELS, ordered=True),
            "contact": rng.choice(["rare", "often"], n),
            "region": rng.choice(["a", "b", "c"], n),
            "w": rng.integers(1, 3, n),
        }
    )


def test_public_names_are_exported():
    assert interactmodel.OrdinalModel is OrdinalModel


def test_spec_is_frozen_and_parsed():
    spec = OrdinalModel("quality ~ contact + region", link="probit", nominal="~ region")
    assert spec.parsed.outcome == "quality"
    assert spec.nominal == "~ region"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.link = "logit"  # type: ignore[misc]
    other = spec.update(link="cloglog")
    assert other.link == "cloglog" and spec.link == "probit"
    assert other.parsed == spec.parsed


def test_bad_link_lists_the_valid_links():
    with pytest.raises(SpecificationError, match=r"link='logistic'.*'logit', 'probit', 'cloglog'"):
        OrdinalModel("quality ~ contact", link="logistic")


def test_bad_formula_fails_at_construction():
    with pytest.raises(FormulaError, match=r"must have one '~'"):
        OrdinalModel("quality contact")


@pytest.mark.parametrize(
    ("nominal", "expected"), [(["contact"], ("contact",)), ("~ contact", "~ contact"), ([], None)]
)
def test_nominal_is_normalised(nominal, expected):
    assert OrdinalModel("quality ~ region", nominal=nominal).nominal == expected


@pytest.mark.parametrize("nominal", [5, "~ ", [1, 2]])
def test_bad_nominal(nominal):
    with pytest.raises(FormulaError, match="nominal"):
        OrdinalModel("quality ~ region", nominal=nominal)


def test_priors_and_levels_are_checked_and_frozen():
    spec = OrdinalModel("quality ~ contact", priors={"b": "anything"}, levels=LEVELS)
    assert spec.levels == tuple(LEVELS)
    with pytest.raises(TypeError):
        spec.priors["b"] = 1  # type: ignore[index]
    with pytest.raises(SpecificationError, match="priors must be a mapping"):
        OrdinalModel("quality ~ contact", priors=[1])
    with pytest.raises(SpecificationError, match="levels must be a list"):
        OrdinalModel("quality ~ contact", levels="bad")


def test_unknown_engine():
    with pytest.raises(SpecificationError, match=r"engine='stan' is not known.*'ml', 'bayes'"):
        OrdinalModel("quality ~ contact").fit(frame(), engine="stan")


def test_ml_engine_rejects_group_terms_and_points_to_bayes():
    spec = OrdinalModel("quality ~ contact + (1 | region)")
    with pytest.raises(FormulaError, match=r"\(1 \| region\).*engine='bayes'"):
        spec.fit(frame())


def test_ml_engine_rejects_monotonic_terms():
    data = frame()
    data["freq"] = pd.Categorical(data["region"], ["a", "b", "c"], ordered=True)
    with pytest.raises(FormulaError, match=r"mo\(freq\).*engine='bayes'"):
        OrdinalModel("quality ~ mo(freq)").fit(data)


def test_ml_engine_takes_no_sampler_options():
    with pytest.raises(TypeError, match=r"engine='ml' takes no options \['draws'\]"):
        OrdinalModel("quality ~ contact").fit(frame(), draws=10)


def test_bayes_engine_is_called_lazily_with_the_spec(monkeypatch):
    calls = []
    fake = types.ModuleType("interactmodel.engines.bayes")
    fake.fit = lambda spec, data, weights=None, **kw: (
        calls.append((spec, data, weights, kw)) or "ok"
    )
    monkeypatch.setitem(sys.modules, "interactmodel.engines.bayes", fake)
    spec = OrdinalModel("quality ~ contact + (1 | region)")
    data = frame()
    assert spec.fit(data, engine="bayes", weights="w", draws=10, seed=3) == "ok"
    ((called_spec, called_data, weights, kwargs),) = calls
    assert called_spec is spec and called_data is data
    assert weights == "w" and kwargs == {"draws": 10, "seed": 3}


def test_fit_returns_a_new_result_and_leaves_spec_and_data_alone():
    spec = OrdinalModel("quality ~ contact", levels=None)
    data = frame()
    before = data.copy(deep=True)
    first, second = spec.fit(data, weights="w"), spec.fit(data, weights="w")
    assert first is not second and first.spec is spec
    pd.testing.assert_frame_equal(data, before)
    pd.testing.assert_series_equal(first.params, second.params)


def test_string_outcome_with_levels():
    data = frame()
    data["quality"] = data["quality"].astype(str)
    with pytest.raises(ValueError, match="ordered categorical.*levels="):
        OrdinalModel("quality ~ contact").fit(data)
    result = OrdinalModel("quality ~ contact", levels=LEVELS).fit(data)
    assert result.outcome_levels == tuple(LEVELS)


def test_docstring_examples_run():
    assert doctest.testmod(spec_module).failed == 0
