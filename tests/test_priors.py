"""Tests of interactmodel.priors: the Prior type, the defaults and override validation."""

from __future__ import annotations

import dataclasses

import pytest

from interactmodel.errors import SpecificationError
from interactmodel.priors import DEFAULT_PRIORS, Prior, PriorSet, resolve_priors


def test_defaults_are_the_contract_priors() -> None:
    # /tmp/bayes_contract.md: normal(0, 2.5) thresholds and b, dirichlet(1), halfnormal(1), lkj(2)
    assert DEFAULT_PRIORS["thresholds"] == Prior("normal", mu=0, sigma=2.5)
    assert DEFAULT_PRIORS["b"] == Prior("normal", mu=0, sigma=2.5)
    assert DEFAULT_PRIORS["simplex"] == Prior("dirichlet", a=1)
    assert DEFAULT_PRIORS["sd"] == Prior("halfnormal", sigma=1)
    assert DEFAULT_PRIORS["cor"] == Prior("lkj", eta=2)


def test_prior_is_frozen_hashable_and_compares_by_value() -> None:
    prior = Prior("normal", mu=0, sigma=1)
    assert prior == Prior("normal", sigma=1.0)  # mu defaults to 0
    assert hash(prior) == hash(Prior("normal", sigma=1))
    assert prior != Prior("normal", sigma=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        prior.name = "cauchy"  # type: ignore[misc]
    params = prior.params
    params["sigma"] = 99.0  # a copy: the prior does not change
    assert prior.params["sigma"] == 1.0


@pytest.mark.parametrize(
    ("prior", "text"),
    [
        (Prior("normal", mu=0, sigma=2.5), "normal(0, 2.5)"),
        (Prior("student_t", nu=3, sigma=2.5), "student_t(3, 0, 2.5)"),
        (Prior("halfnormal", sigma=1), "halfnormal(1)"),
        (Prior("dirichlet", a=[1, 2, 3]), "dirichlet([1, 2, 3])"),
        (Prior("lkj", eta=2), "lkj(2)"),
        (Prior("exponential", lam=1), "exponential(1)"),
    ],
)
def test_describe_in_stan_style(prior: Prior, text: str) -> None:
    assert prior.describe() == text


def test_unknown_distribution_names_the_valid_ones() -> None:
    with pytest.raises(SpecificationError, match=r"'gaussian' is not supported.*'normal'"):
        Prior("gaussian", sigma=1)


def test_unknown_parameter_names_the_valid_ones() -> None:
    with pytest.raises(SpecificationError, match=r"unknown parameter\(s\) 'sd'.*'mu', 'sigma'"):
        Prior("normal", sd=1)


def test_missing_parameter_shows_how_to_give_it() -> None:
    with pytest.raises(SpecificationError, match=r"needs the parameter\(s\) 'sigma'.*sigma=1"):
        Prior("halfnormal")


@pytest.mark.parametrize(
    ("dist", "params", "message"),
    [
        ("normal", {"sigma": 0}, "sigma must be finite and > 0"),
        ("normal", {"sigma": -1}, "sigma must be finite and > 0"),
        ("normal", {"mu": float("nan"), "sigma": 1}, "mu must be finite"),
        ("normal", {"sigma": "wide"}, "sigma must be a number"),
        ("dirichlet", {"a": [1, 0]}, "every concentration must be finite and > 0"),
        ("lkj", {"eta": -2}, "eta must be finite and > 0"),
    ],
)
def test_invalid_values_are_rejected(dist: str, params: dict, message: str) -> None:
    with pytest.raises(SpecificationError, match=message):
        Prior(dist, **params)


def test_resolve_without_overrides_gives_defaults_everywhere() -> None:
    ps = resolve_priors(None, coefficients=["z", "w"], mo_blocks=[("mo(x)", 4)], groups=["g"])
    assert isinstance(ps, PriorSet)
    assert ps.thresholds == DEFAULT_PRIORS["thresholds"]
    assert ps.b == (DEFAULT_PRIORS["b"],) * 2
    assert ps.b_mo == (DEFAULT_PRIORS["b"],)
    assert ps.simplex == (DEFAULT_PRIORS["simplex"],)
    assert ps.sd == (DEFAULT_PRIORS["sd"],)
    assert ps.cor == (DEFAULT_PRIORS["cor"],)


def test_class_and_specific_overrides_take_precedence_in_that_order() -> None:
    wide, narrow = Prior("normal", sigma=5), Prior("normal", mu=1, sigma=0.5)
    ps = resolve_priors(
        {"b": wide, "b[w]": narrow, "sd[g]": Prior("exponential", lam=2)},
        coefficients=["z", "w"],
        mo_blocks=[("mo(x)", 4)],
        groups=["g"],
    )
    assert ps.b == (wide, narrow)
    assert ps.b_mo == (wide,)  # the class prior covers monotonic effects too
    assert ps.sd == (Prior("exponential", lam=2),)
    keys = [row[0] for row in ps.table()]
    assert "b[w]" in keys and "thresholds" in keys


def test_unknown_key_lists_the_valid_keys() -> None:
    with pytest.raises(SpecificationError, match=r"unknown key 'b\[x\]'.*'b\[z\]'.*'sd\[g\]'"):
        resolve_priors({"b[x]": Prior("normal", sigma=1)}, coefficients=["z"], groups=["g"])


def test_value_must_be_a_prior() -> None:
    with pytest.raises(SpecificationError, match=r"priors\['b'\] must be a Prior"):
        resolve_priors({"b": ("normal", 0, 1)})  # type: ignore[dict-item]


def test_support_must_fit_the_parameter_class() -> None:
    with pytest.raises(SpecificationError, match=r"sd needs a prior with positive support"):
        resolve_priors({"sd": Prior("normal", sigma=1)}, groups=["g"])
    with pytest.raises(SpecificationError, match=r"simplex needs a prior with simplex support"):
        resolve_priors({"simplex": Prior("halfnormal", sigma=1)})


def test_simplex_concentrations_must_match_the_steps() -> None:
    with pytest.raises(SpecificationError, match=r"3 concentrations but the term has 4 steps"):
        resolve_priors(
            {"simplex[mo(x)]": Prior("dirichlet", a=[1, 1, 1])}, mo_blocks=[("mo(x)", 4)]
        )
