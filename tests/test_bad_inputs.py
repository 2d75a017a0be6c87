"""Bad input across the public API: every case a clear error or warning of ours, input unchanged.

One matrix of cases per entry point (``read_survey``, ``OrdinalModel(...)``, ``.fit`` with
``engine="ml"`` and -- failing before any sampling -- ``engine="bayes"``, ``predict_proba``,
``simulate`` and the command line).  Each case pins its message with ``match=``, checks that
the exception is one of ours (:class:`~interactmodel.errors.InteractModelError`, so no raw
pandas/formulaic/scipy error leaks through) and that the caller's frame is unchanged.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from interactmodel.errors import DataError, InteractModelError
from interactmodel.spec import OrdinalModel

QUALITY = ["bad", "mixed", "good"]


def _ordered(values, levels=QUALITY):
    return pd.Categorical(values, categories=levels, ordered=True)


def small_frame(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """A little survey with an ordered outcome, a text factor, a number and integer weights."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "quality": _ordered(rng.choice(QUALITY, n)),
            "label": pd.array(rng.choice(["b", "a", "c"], n), dtype="string"),
            "x": rng.normal(size=n),
            "w": rng.integers(1, 4, n).astype(float),
        }
    )


# --------------------------------------------------------------------------- fixed bugs


@pytest.mark.parametrize("dtype", ["string", "string[pyarrow]", "str", "object"])
def test_text_column_used_bare_is_a_factor_with_sorted_levels(dtype):
    """R codes a character vector as a factor with sorted levels; so must a pandas string."""
    data = small_frame()
    data["label"] = data["label"].astype(dtype)
    before = data.copy(deep=True)
    result = OrdinalModel("quality ~ label").fit(data)
    as_factor = data.assign(label=pd.Categorical(data["label"].astype(object), ["a", "b", "c"]))
    reference = OrdinalModel("quality ~ label").fit(as_factor)
    assert list(result.params.index) == list(reference.params.index)
    assert list(result.coefficients.index) == ["label[T.b]", "label[T.c]"]
    np.testing.assert_allclose(result.params, reference.params, rtol=0, atol=1e-10)
    new = data.iloc[:4]
    np.testing.assert_allclose(
        result.predict_proba(new)["probability"], reference.predict_proba(new)["probability"]
    )
    pd.testing.assert_frame_equal(data, before)


def test_infinite_covariate_is_an_error_when_fitting_and_predicting():
    """An inf reached scipy's QR ("array must not contain infs or NaNs") or gave NaN silently."""
    data = small_frame()
    data.loc[3, "x"] = np.inf
    before = data.copy(deep=True)
    with pytest.raises(DataError, match=r"column 'x' has 1 infinite value\(s\) inf \(rows 4\).*"
                       r"before fitting") as info:  # fmt: skip
        OrdinalModel("quality ~ x").fit(data)
    assert isinstance(info.value, InteractModelError)
    pd.testing.assert_frame_equal(data, before)
    result = OrdinalModel("quality ~ x").fit(data.drop(index=3))
    newdata = pd.DataFrame({"x": [0.0, -np.inf]})
    with pytest.raises(DataError, match=r"infinite value\(s\) -inf \(rows 2\).*before predicting"):
        result.predict_proba(newdata)


def test_repeated_column_name_is_an_error_not_an_attribute_error():
    """``data["x"]`` of a repeated name is a frame; it reached ``.dtype`` as an AttributeError."""
    data = pd.concat([small_frame(), small_frame()[["x"]]], axis=1)
    before = data.copy(deep=True)
    with pytest.raises(DataError, match=r"data has more than one column named 'x'; rename or drop"):
        OrdinalModel("quality ~ x").fit(data)
    pd.testing.assert_frame_equal(data, before)
    result = OrdinalModel("quality ~ x").fit(small_frame())
    newdata = pd.DataFrame([[0.1, 0.2]], columns=["x", "x"])
    with pytest.raises(DataError, match=r"newdata has more than one column named 'x'"):
        result.predict_proba(newdata)


def test_numeric_covariate_given_as_text_when_predicting():
    """It gave formulaic's "generated columns that are inconsistent with specification"."""
    result = OrdinalModel("quality ~ x").fit(small_frame())
    newdata = pd.DataFrame({"x": ["1.5"]})
    with pytest.raises(DataError, match=r"column 'x' of newdata has dtype .* \(values '1\.5'\) but "
                       r"was numeric \(float64\).*pd\.to_numeric") as info:  # fmt: skip
        result.predict_proba(newdata)
    assert isinstance(info.value, InteractModelError)
    pd.testing.assert_frame_equal(newdata, pd.DataFrame({"x": ["1.5"]}))


SCENARIO_TOML = """
name = "quarterly"
partner = "state"
[baseline]
distribution = {very_rarely = 0.5, once_a_year = 0.5}
[[interventions]]
type = "move"
from = "once_a_year"
to = "once_a_quarter"
share = 0.3
"""


def test_scenario_file_not_utf8_or_a_folder(tmp_path):
    """A cp1251 scenario reached the user as a raw UnicodeDecodeError; a folder "did not exist"."""
    from interactmodel.errors import ScenarioError
    from interactmodel.scenario import load_scenario

    cp1251 = tmp_path / "cp1251.toml"
    cp1251.write_bytes((SCENARIO_TOML + 'description = "Сценарий: чаще"\n').encode("cp1251"))
    with pytest.raises(ScenarioError, match=r"cp1251\.toml is not UTF-8 text \(the byte 0xd1 .*"
                       r"TOML files must be UTF-8; save it as UTF-8"):  # fmt: skip
        load_scenario(cp1251)
    with pytest.raises(ScenarioError, match=r"is a folder, not a scenario file"):
        load_scenario(tmp_path)
    with_bom = tmp_path / "bom.toml"
    with_bom.write_text(SCENARIO_TOML, encoding="utf-8-sig")  # what Windows Notepad may save
    assert load_scenario(with_bom).partner == "state"


@pytest.mark.parametrize(
    ("writer", "message"),
    [
        (lambda frame, path: frame.to_parquet(path), r"is a Parquet file, not CSV text\. Fix: "
         r"rename it to \.parquet"),
        (lambda frame, path: __import__("pyreadstat").write_sav(frame, path),
         r"is an SPSS \.sav file, not CSV text\. Fix: rename it to \.sav"),
        (lambda frame, path: frame.to_csv(path, index=False, encoding="utf-16"),
         r"holds NUL bytes, so it is a binary file or UTF-16 text.*encoding='utf-16'"),
    ],
    ids=["parquet", "sav", "utf16"],
)  # fmt: skip
def test_binary_file_named_csv_is_not_blamed_on_its_encoding(tmp_path, writer, message):
    """These were "not UTF-8 text ... pass encoding='cp1251'", which sends the user astray."""
    from interactmodel.survey import read_survey

    frame = pd.DataFrame(
        {"partner": ["state"] * 2, "frequency": ["rare", "often"], "quality": ["bad", "good"]}
    )
    path = tmp_path / "survey.csv"
    writer(frame, path)
    levels = {"quality": ["bad", "good"], "frequency": ["rare", "often"]}
    with pytest.raises(DataError, match=message):
        read_survey(path, levels=levels)
    if "utf-16" in message:  # and a real UTF-16 file reads with its encoding
        assert read_survey(path, levels=levels, encoding="utf-16")["quality"].tolist() == [
            "bad",
            "good",
        ]


def test_complete_separation_warns_once_and_names_a_few_parameters():
    """Each group's ratings lie wholly above the previous group's: estimates run off."""
    from interactmodel.errors import SeparationWarning

    rows = [("g0", "bad"), ("g0", "mixed")] * 3 + [("g1", "good")] * 6
    data = pd.DataFrame(rows, columns=["group", "quality"]).assign(
        quality=lambda d: _ordered(d["quality"])
    )
    before = data.copy(deep=True)
    with pytest.warns(SeparationWarning, match=r"quasi-complete separation: group\[T\.g1\] = "
                      r"\d+ run off towards infinity.*engine='bayes' with a prior") as record:  # fmt: skip
        OrdinalModel("quality ~ group").fit(data)
    assert len(record) == 1
    pd.testing.assert_frame_equal(data, before)
    # an id column as a factor separates every level; the warning stays one readable line
    many = pd.DataFrame(
        {
            "org": [f"o{i:02d}" for i in range(20) for _ in range(2)],
            "quality": _ordered(["bad", "mixed"] * 10 + ["good", "good"] * 10),
        }
    )
    with pytest.warns(SeparationWarning, match=r"run off") as record:
        OrdinalModel("quality ~ org").fit(many)
    message = str(record[0].message)
    assert message.count("org[T.") == 5 and "(and 5 more)" in message  # o10..o19 run off


def _tiny_state_fit(n: int = 120, seed: int = 1):
    """A quick ML fit of quality ~ frequency on the state scale (every contact level seen)."""
    from interactmodel import article

    rng = np.random.default_rng(seed)
    levels = article.FREQUENCY_LEVELS["state"]
    data = pd.DataFrame(
        {
            "quality": _ordered(rng.choice(article.QUALITY_LEVELS, n), article.QUALITY_LEVELS),
            "frequency": _ordered(np.resize(levels, n), levels),
        }
    )
    return OrdinalModel("quality ~ frequency").fit(data)


def test_simulate_takes_a_scenario_dict_and_refuses_other_types(tmp_path):
    """A dict (or anything not a path) reached Path() as a raw TypeError."""
    import tomllib

    from interactmodel.errors import ScenarioError
    from interactmodel.simulation import simulate

    result = _tiny_state_fit()
    settings = tomllib.loads(SCENARIO_TOML)
    before = copy.deepcopy(settings)
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO_TOML, encoding="utf-8")
    from_dict = simulate(result, settings, seed=3, n_draws=20).summary()
    from_file = simulate(result, path, seed=3, n_draws=20).summary()
    pd.testing.assert_frame_equal(from_dict, from_file)
    assert settings == before
    with pytest.raises(ScenarioError, match=r"scenario must be a Scenario, a dict of its settings "
                       r"or the path of a \.toml file, got int"):  # fmt: skip
        simulate(result, 3, seed=1, n_draws=10)


# --------------------------------------------------------------------------- weights


def test_weights_are_frequency_weights_and_may_be_non_integer():
    """Decision (documented in ``OrdinalModel.fit``): accept non-integer weights, as clm does.

    Integer weights give the fit of the expanded rows; ``w / 2`` gives the same estimates
    with half the log-likelihood and standard errors times sqrt(2); rows of weight 0 are the
    fit without them.
    """
    data = small_frame()
    spec = OrdinalModel("quality ~ label + x")
    expanded = data.loc[data.index.repeat(data["w"].astype(int))].reset_index(drop=True)
    reference = spec.fit(expanded)
    before = data.copy(deep=True)
    weighted = spec.fit(data, weights="w")
    pd.testing.assert_frame_equal(data, before)
    np.testing.assert_allclose(weighted.params, reference.params, rtol=0, atol=1e-8)
    assert weighted.loglik == pytest.approx(reference.loglik, abs=1e-8)
    halved = spec.fit(data.assign(w=data["w"] / 2), weights="w")
    assert (data["w"] / 2 % 1 != 0).any()
    np.testing.assert_allclose(halved.params, reference.params, rtol=0, atol=1e-8)
    assert halved.loglik == pytest.approx(reference.loglik / 2, abs=1e-8)
    np.testing.assert_allclose(halved.bse, reference.bse * np.sqrt(2), rtol=1e-7)
    zero = data.assign(w=np.where(np.arange(len(data)) < 7, 0.0, data["w"]))
    dropped = data.iloc[7:]
    np.testing.assert_allclose(
        spec.fit(zero, weights="w").params, spec.fit(dropped, weights="w").params, atol=1e-10
    )
