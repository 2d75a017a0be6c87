"""The maximum-likelihood engine against R: ``ordinal::clm``, ``MASS::polr``, ``nominal_test``, Brant.

Reference outputs: ``tests/reference/ml/outputs/*.json``, written by
``tests/reference/ml/make_reference.R`` (R 4.2.2, ordinal 2022.11.16, MASS 7.3-58.2, car 3.1-1;
see ``tests/reference/ml/README.md``).  Every model case file is compared in a loop.

Tolerances, per statistic (relative unless stated), and why:

=====================================  ===========  ===========================================
statistic                              tolerance    reason
=====================================  ===========  ===========================================
estimates, SEs, vcov (clm)             1e-5         clm stops at max|gradient| < 1e-6
log-likelihood, AIC, BIC               1e-9         (observed: agreement to ~1e-13)
Wald CIs                               1e-5         estimate -/+ 1.96 SE
profile CIs vs exact root finding      1e-6 abs     R's uniroot tol 1e-10 on clm refits
profile CIs vs ``confint.clm``         5e-4 abs     clm interpolates a spline (README: <= 1.5e-4)
predicted probabilities and SEs        1e-5         (+ 1e-9 absolute for probabilities near 0)
polr cases                             1e-4         polr's BFGS stops early (README: <= 1.4e-5)
cauchit vs ``cauchit_exact.json``      1e-5         exact likelihood, as here
cauchit vs clm                         5e-4 abs     clm uses -/+1e5 for the outer thresholds
nominal_test loglik / LRT              1e-6 abs     refits converge to clm's gradient tolerance
Brant chi2 (housing, wvs)              1e-6         deterministic linear algebra
Brant chi2 (wine)                      2e-3 abs     binary logits are separated (README)
=====================================  ===========  ===========================================
"""

from __future__ import annotations

import json
import re
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interactmodel import OrdinalModel
from interactmodel.errors import SeparationWarning

REFERENCE = Path(__file__).parent / "reference" / "ml"
OUTPUTS = REFERENCE / "outputs"
MODEL_CASES = sorted(
    p.stem for p in OUTPUTS.glob("*.json") if "thresholds" in json.loads(p.read_text())
)
OUTCOMES = {"wine": "rating", "housing": "Sat", "soup": "SURENESS", "wvs": "poverty"}


def reference(name: str) -> dict:
    return json.loads((OUTPUTS / f"{name}.json").read_text())


@cache
def dataset(name: str) -> pd.DataFrame:
    """The exported data with R's factor levels (the outcome an ordered categorical)."""
    frame = pd.read_csv(REFERENCE / "data" / f"{name}.csv", dtype=str)
    levels = json.loads((REFERENCE / "data" / f"{name}_levels.json").read_text())
    for column in frame.columns:
        if column in levels:
            ordered = column == OUTCOMES[name]
            frame[column] = pd.Categorical(frame[column], levels[column], ordered=ordered)
        else:
            frame[column] = frame[column].astype(float)
    return frame


def r_name(name: str, nominal: bool) -> str:
    """Our parameter name -> R's (``threshold[1|2]`` -> ``1|2``, ``temp[T.warm]`` -> ``tempwarm``)."""
    column = re.compile(r"\[T\.(.*?)\]")
    match = re.fullmatch(r"threshold\[(.*?)\](?::(.*))?", name)
    if match is None:
        return column.sub(r"\1", name)
    cut, effect = match.groups()
    if effect is not None:
        return cut + "." + column.sub(r"\1", effect)
    return f"{cut}.(Intercept)" if nominal else cut


@cache
def fitted(case: str):
    ref = reference(case)
    nominal = ref["nominal"]
    spec = OrdinalModel(ref["formula"], link=ref["link"], nominal=nominal)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every reference fit converges cleanly
        return spec.fit(dataset(ref["dataset"]), weights=ref["weights"])


def reference_table(ref: dict) -> pd.DataFrame:
    blocks = [ref["thresholds"], ref.get("nominal_coefficients"), ref["coefficients"]]
    rows = []
    for block in blocks:
        if block:
            rows += list(zip(block["names"], block["estimate"], block["se"], strict=True))
    return pd.DataFrame(rows, columns=["name", "estimate", "se"]).set_index("name")


def _ours(result, ref) -> pd.DataFrame:
    nominal = ref["nominal"] is not None
    table = result.summary()[["estimate", "se"]]
    table.index = [r_name(n, nominal) for n in table.index]
    return table


def _tolerance(ref: dict) -> dict[str, float]:
    """polr's BFGS stops early: README measures up to 1.4e-5 absolute on the estimates."""
    return {"rtol": 1e-4, "atol": 5e-5} if ref["engine"] == "polr" else {"rtol": 1e-5, "atol": 1e-8}


@pytest.mark.parametrize("case", MODEL_CASES)
def test_estimates_and_standard_errors(case):
    ref = reference(case)
    result = fitted(case)
    ours, theirs = _ours(result, ref), reference_table(ref)
    assert sorted(ours.index) == sorted(theirs.index)
    ours = ours.loc[theirs.index]
    if ref["link"] == "cauchit":
        # clm's cauchit maximises a slightly different likelihood: see cauchit_exact below
        np.testing.assert_allclose(ours["estimate"], theirs["estimate"], atol=5e-4)
        return
    np.testing.assert_allclose(ours["estimate"], theirs["estimate"], **_tolerance(ref))
    np.testing.assert_allclose(ours["se"], theirs["se"], **_tolerance(ref))


@pytest.mark.parametrize("case", MODEL_CASES)
def test_covariance_matrix(case):
    ref = reference(case)
    if ref["link"] == "cauchit":
        pytest.skip("clm's cauchit likelihood differs (outer thresholds -/+1e5)")
    result = fitted(case)
    names = [r_name(n, ref["nominal"] is not None) for n in result.names]
    ours = result.cov.set_axis(names, axis=0).set_axis(names, axis=1)
    order = ref["vcov_names"]
    np.testing.assert_allclose(
        ours.loc[order, order].to_numpy(), np.array(ref["vcov"]), **_tolerance(ref)
    )


@pytest.mark.parametrize("case", MODEL_CASES)
def test_likelihood_and_information_criteria(case):
    ref = reference(case)
    result = fitted(case)
    assert result.nobs == pytest.approx(ref["nobs"])
    assert result.converged
    assert result.max_abs_gradient < 1e-6
    if ref["link"] == "cauchit":
        exact = reference("cauchit_exact")["cases"][case]
        assert result.loglik == pytest.approx(exact["loglik"], rel=1e-9)
        return
    rel = 1e-9 if ref["engine"] == "clm" else 1e-7
    assert result.loglik == pytest.approx(ref["loglik"], rel=rel)
    assert result.aic == pytest.approx(ref["aic"], rel=rel)
    assert result.bic == pytest.approx(ref["bic"], rel=rel)


@pytest.mark.parametrize("case", ["wine_cauchit", "housing_cauchit"])
def test_cauchit_matches_exact_likelihood(case):
    exact = reference("cauchit_exact")["cases"][case]
    result = fitted(case)
    theirs = pd.DataFrame(
        {
            "estimate": exact["thresholds"]["estimate"] + exact["coefficients"]["estimate"],
            "se": exact["thresholds"]["se"] + exact["coefficients"]["se"],
        },
        index=exact["thresholds"]["names"] + exact["coefficients"]["names"],
    )
    ours = _ours(result, {"nominal": None}).loc[theirs.index]
    np.testing.assert_allclose(ours["estimate"], theirs["estimate"], rtol=1e-5)
    np.testing.assert_allclose(ours["se"], theirs["se"], rtol=1e-5)


@pytest.mark.parametrize("case", MODEL_CASES)
def test_wald_intervals(case):
    ref = reference(case)
    if ref["link"] == "cauchit":
        pytest.skip("clm's cauchit likelihood differs (outer thresholds -/+1e5)")
    result = fitted(case)
    ci = ref["confint_wald"]
    ours = result.conf_int().set_axis([r_name(n, False) for n in result.names]).loc[ci["names"]]
    np.testing.assert_allclose(ours["lower"], ci["lower"], **_tolerance(ref))
    np.testing.assert_allclose(ours["upper"], ci["upper"], **_tolerance(ref))


PROFILE_EXACT = reference("confint_profile_exact")["cases"]


@pytest.mark.parametrize("case", sorted(PROFILE_EXACT))
def test_profile_intervals_match_exact_root_finding(case):
    exact = PROFILE_EXACT[case]
    result = fitted(case)
    ci = result.conf_int(method="profile")
    ci.index = [r_name(n, False) for n in ci.index]
    ci = ci.loc[exact["names"]]
    # cauchit: R's exact profile is of clm's (-/+1e5) likelihood, 1.2e-4 from the exact one
    atol = 5e-4 if result.link == "cauchit" else 1e-6
    np.testing.assert_allclose(ci["lower"], exact["lower"], atol=atol)
    np.testing.assert_allclose(ci["upper"], exact["upper"], atol=atol)


@pytest.mark.parametrize("case", [c for c in MODEL_CASES if reference(c)["engine"] == "clm"])
def test_profile_intervals_match_confint_clm(case):
    """confint.clm interpolates a spline through the profile: agreement to its accuracy."""
    ref = reference(case)
    result = fitted(case)
    ci = result.conf_int(method="profile")
    ci.index = [r_name(n, ref["nominal"] is not None) for n in ci.index]
    theirs = ref["confint_profile"]
    ci = ci.loc[theirs["names"]]
    np.testing.assert_allclose(ci["lower"], theirs["lower"], atol=5e-4)
    np.testing.assert_allclose(ci["upper"], theirs["upper"], atol=5e-4)


def _newdata(ref: dict) -> pd.DataFrame:
    data = dataset(ref["dataset"])
    frame = pd.DataFrame(ref["newdata"])
    for column in frame.columns:
        if isinstance(data[column].dtype, pd.CategoricalDtype):
            frame[column] = pd.Categorical(frame[column], data[column].cat.categories)
    return frame


@pytest.mark.parametrize("case", MODEL_CASES)
def test_predicted_probabilities_and_standard_errors(case):
    ref = reference(case)
    result = fitted(case)
    newdata = _newdata(ref)
    tidy = result.predict_proba(newdata)
    probs = tidy.pivot(index="row", columns="level", values="probability")
    assert list(probs.columns) == ref["outcome_levels"]
    expected = np.array(ref["predicted_probabilities"])
    if ref["link"] == "cauchit":
        np.testing.assert_allclose(probs.to_numpy(), expected, atol=2e-4)
        return
    np.testing.assert_allclose(probs.to_numpy(), expected, rtol=_tolerance(ref)["rtol"], atol=1e-9)
    if ref["predicted_se"] is not None:
        se = tidy.pivot(index="row", columns="level", values="se").to_numpy()
        np.testing.assert_allclose(se, np.array(ref["predicted_se"]), rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("case", [c for c in MODEL_CASES if reference(c)["engine"] == "clm"])
def test_hessian_condition_number(case):
    ref = reference(case)
    if ref["link"] == "cauchit":
        pytest.skip("clm's cauchit likelihood differs (outer thresholds -/+1e5)")
    assert fitted(case).hessian_condition == pytest.approx(ref["condition_number"], rel=1e-4)


@pytest.mark.parametrize("name", ["nominal_test_wine", "nominal_test_housing"])
def test_nominal_test(name):
    ref = reference(name)
    case = f"{ref['dataset']}_logit"
    table = fitted(case).nominal_test()
    theirs = pd.DataFrame(ref["table"])
    assert table["term"].tolist() == theirs["term"].tolist()
    np.testing.assert_allclose(table["loglik"], theirs["logLik"], atol=1e-6)
    np.testing.assert_allclose(table["aic"], theirs["AIC"], atol=2e-6)
    np.testing.assert_allclose(table["lrt"][1:], theirs["LRT"][1:].astype(float), atol=2e-6)
    np.testing.assert_allclose(table["p_value"][1:], theirs["p_value"][1:].astype(float), atol=1e-6)
    assert table["df"][1:].tolist() == theirs["df"][1:].astype(int).tolist()


@pytest.mark.parametrize(
    ("name", "case", "atol"),
    [("brant_wine", "wine_logit", 2e-3), ("brant_housing", "housing_logit", 1e-6)],
)
def test_brant_test(name, case, atol):
    """housing: our weighted 72 cells against R's expanded 1681 rows."""
    ref = reference(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)  # wine: documented separation
        table = fitted(case).brant_test()
    by_term = table[table["kind"] != "coefficient"]
    theirs = pd.DataFrame(ref["tests"])
    assert by_term["test"].tolist() == theirs["test"].tolist()
    np.testing.assert_allclose(by_term["chi2"], theirs["chi2"], rtol=1e-6, atol=atol)
    assert by_term["df"].tolist() == theirs["df"].tolist()
    by_coef = table[table["kind"] != "term"]
    theirs = pd.DataFrame(ref["tests_by_coefficient"])
    assert [r_name(n, False) for n in by_coef["test"]] == theirs["test"].tolist()
    np.testing.assert_allclose(by_coef["chi2"], theirs["chi2"], rtol=1e-6, atol=atol)


def test_brant_wvs_with_numeric_covariate():
    ref = reference("brant_wvs")
    spec = OrdinalModel(ref["formula"])
    table = spec.fit(dataset("wvs")).brant_test()
    theirs = pd.DataFrame(ref["tests_by_coefficient"])
    ours = table[table["kind"] != "term"]
    np.testing.assert_allclose(ours["chi2"], theirs["chi2"], rtol=1e-6)


def test_weighted_housing_equals_expanded_rows():
    """Frequency weights on 72 cells give the fit of the 1681 expanded rows."""
    cells = dataset("housing")
    expanded = cells.loc[cells.index.repeat(cells["Freq"].astype(int))].reset_index(drop=True)
    spec = OrdinalModel("Sat ~ Infl + Type + Cont")
    weighted, plain = spec.fit(cells, weights="Freq"), spec.fit(expanded)
    assert plain.nobs == weighted.nobs == 1681
    pd.testing.assert_series_equal(weighted.params, plain.params, rtol=1e-10)
    pd.testing.assert_series_equal(weighted.bse, plain.bse, rtol=1e-10)
    assert weighted.loglik == pytest.approx(plain.loglik, rel=1e-12)
    pd.testing.assert_frame_equal(weighted.nominal_test(), plain.nominal_test(), rtol=1e-8)
    pd.testing.assert_frame_equal(weighted.brant_test(), plain.brant_test(), rtol=1e-8)
