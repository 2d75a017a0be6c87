"""Bad input across the public API: every case a clear error or warning of ours, input unchanged.

One matrix of cases per entry point (``read_survey``, ``OrdinalModel(...)``, ``.fit`` with
``engine="ml"`` and -- failing before any sampling -- ``engine="bayes"``, ``predict_proba``,
``simulate`` and the command line).  Each case pins its message with ``match=``, checks that
the exception is one of ours (:class:`~interactmodel.errors.InteractModelError`, so no raw
pandas/formulaic/scipy error leaks through) and that the caller's frame is unchanged.
"""

from __future__ import annotations

import copy
import re

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


# --------------------------------------------------------------------------- the matrix
#
# Each case: ``make(tmp_path)`` builds the input (a frame, a dict or a file path), ``act(given,
# tmp_path)`` calls the API with it, and the call must raise ``error`` (one of ours) whose
# message matches ``match``.  The test then checks that the input is unchanged.

STATE = ("very_rarely", "once_a_year", "every_six_months", "once_a_quarter", "once_a_month")
BUSINESS = ("none_or_negotiating", "single_contact", "two_three_contacts", "annually", "regular")
CODES = ("definitely_bad", "rather_bad", "mixed", "rather_good", "definitely_good")
SURVEY_LEVELS = {"quality": list(CODES), "frequency": {"state": STATE, "business": BUSINESS}}
CYRILLIC_LABELS = ("Жаман", "Скорее плохие", "Аралас", "Скорее хорошие", "Хорошие")


def survey_frame(n_orgs: int = 10) -> pd.DataFrame:
    """A raw survey in the article's codes: each organisation rates both partners."""
    rows = []
    for i in range(n_orgs):
        for partner, scale in (("state", STATE), ("business", BUSINESS)):
            rows.append(
                {
                    "org_id": f"ngo{i:02d}",
                    "partner": partner,
                    "frequency": scale[(i + len(partner)) % 5],
                    "quality": CODES[(3 * i + len(partner)) % 5],
                    "region": ("almaty", "kostanay_region")[i % 2],
                    "weight": 1.0 + i % 3,
                }
            )
    return pd.DataFrame(rows)


def survey_with(**columns) -> pd.DataFrame:
    """``survey_frame()`` with some columns replaced (a callable gets the frame)."""
    frame = survey_frame()
    for name, value in columns.items():
        frame[name] = value(frame) if callable(value) else value
    return frame


def _read(given, tmp_path=None, **kwargs):
    from interactmodel.survey import read_survey

    return read_survey(given, **{"levels": SURVEY_LEVELS, **kwargs})


def _write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _cp1251_survey(tmp_path):
    """Kazakh and Russian quality labels, saved by Excel on a Russian Windows (cp1251).

    The Kazakh words use only letters cp1251 has ('Жаман' bad, 'Аралас' mixed); letters such
    as 'қ' need kz1048, which tests/test_survey_files.py covers.
    """
    labels = dict(zip(CODES, CYRILLIC_LABELS, strict=True))
    frame = survey_with(quality=lambda f: f["quality"].map(labels))
    path = tmp_path / "survey_cp1251.csv"
    frame.to_csv(path, index=False, encoding="cp1251")
    return path


def _fit(given, tmp_path=None, formula="quality ~ x", **kwargs):
    return OrdinalModel(formula).fit(given, **kwargs)


def _fit_bayes(given, tmp_path=None, formula="quality ~ x", spec=None, **kwargs):
    """Bayesian fits that must fail before any sampling (so they are cheap)."""
    spec = spec or OrdinalModel(formula)
    return spec.fit(given, engine="bayes", draws=10, tune=10, chains=1, seed=1, **kwargs)


def _state_data():
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "quality": _ordered(rng.choice(CODES, 80), CODES),
            "frequency": _ordered(np.resize(STATE, 80), STATE),
            "x": rng.normal(size=80),
        }
    )


_FITS: dict[str, object] = {}


def fitted(formula: str = "quality ~ frequency"):
    """A tiny ML fit, made once per formula (results are immutable, so sharing is safe)."""
    if formula not in _FITS:
        _FITS[formula] = OrdinalModel(formula).fit(_state_data())
    return _FITS[formula]


def _predict(given, tmp_path=None, formula="quality ~ frequency", **kwargs):
    return fitted(formula).predict_proba(given, **kwargs)


def _simulate(given, tmp_path=None, formula="quality ~ frequency", **kwargs):
    from interactmodel.simulation import simulate

    return simulate(fitted(formula), given, **{"seed": 1, "n_draws": 20, **kwargs})


def _predictions(grid, formula="quality ~ frequency", **kwargs):
    from interactmodel.effects import predictions

    return predictions(fitted(formula), grid, **kwargs)


def _comparisons(variable, **kwargs):
    from interactmodel.effects import comparisons

    formula = "quality ~ x" if variable == "x" else "quality ~ frequency"
    return comparisons(fitted(formula), variable, **kwargs)


def _scenario(**changes):
    import tomllib

    settings = tomllib.loads(SCENARIO_TOML)
    settings.update(changes)
    return settings


def _case(make, act, error, match, id):
    return pytest.param(make, act, error, match, id=id)


def _frame(**columns):
    return lambda tmp_path: survey_with(**columns)


def _small(**changes):
    def make(tmp_path):
        data = small_frame()
        for name, value in changes.items():
            data[name] = value(data) if callable(value) else value
        return data

    return make


def _nan_at(row):
    return lambda d: d["x"].where(d.index != row)


SURVEY_CASES = [
    _case(lambda p: survey_frame().drop(columns="quality"), _read, "SchemaError",
          r"no column for quality: the data has no column named 'quality'.*Fix: pass "
          r"columns=\{'quality': '<your column>'\}", "survey-missing-column"),
    _case(lambda p: survey_frame(), lambda g, p: _read(g, columns={"quality": "Quality"}),
          "SchemaError", r"columns\['quality'\] = 'Quality' is not a column of the data.*"
          r"Did you mean 'quality'\?", "survey-wrong-column-name"),
    _case(_frame(quality=lambda f: f["quality"].replace("rather_good", "rather_god")), _read,
          "SchemaError", r"the value\(s\) 'rather_god' in rows .* are not in the level order "
          r"levels\['quality'\].*'rather_god' -> 'rather_good'", "survey-unknown-level"),
    _case(_frame(partner=lambda f: f["partner"].replace("business", "ngo")), _read,
          "SchemaError", r"column 'partner': the value\(s\) 'ngo' in rows 2, 4, .* are not in "
          r"the level order levels\['partner'\] = 'state', 'business'", "survey-unseen-partner"),
    _case(_frame(frequency=lambda f: f["frequency"].where(f.index != 2)), _read, "DataError",
          r"column 'frequency' is empty in rows 3 \(1 of 20 rows\).*Fix: fill in those cells",
          "survey-nan"),
    _case(_frame(weight=lambda f: f["weight"].where(f.index != 1, np.inf)), _read, "DataError",
          r"the weights inf in rows 2 are infinite", "survey-infinite-weight"),
    _case(_frame(weight=lambda f: f["weight"].where(f.index != 4, 0.0)), _read, "DataError",
          r"the weights 0\.0 in rows 5 are zero: a weight-0 row would count for nothing",
          "survey-zero-weight"),
    _case(_frame(weight=lambda f: -f["weight"]), _read, "DataError",
          r"the weights -1\.0, -2\.0, -3\.0 in rows 1, 2, .* are negative", "survey-negative-weight"),
    _case(lambda p: survey_frame().iloc[:0], _read, "DataError", r"the data has no rows",
          "survey-empty"),
    _case(lambda p: survey_frame().iloc[:1], _read, "DataError",
          r"column 'quality': every row has the rating 'definitely_bad'; an ordinal model needs at "
          r"least two observed quality categories", "survey-one-row"),
    _case(_frame(quality="mixed"), _read, "DataError", r"every row has the rating 'mixed'",
          "survey-single-category"),
    _case(_frame(org_id=lambda f: f["org_id"].replace("ngo03", "ngo02")), _read, "DataError",
          r"the \(org_id, partner\) pairs \('ngo02', 'state'\), \('ngo02', 'business'\) occur "
          r"more than once, in rows 5, 6, 7, 8", "survey-duplicate-ids"),
    _case(_frame(frequency=lambda f: f["frequency"].replace("once_a_quarter", "annually")), _read,
          "DataError", r"have partner 'state' but the frequency value\(s\) 'annually' of the "
          r"'business' scale", "survey-other-partners-scale"),
    _case(_frame(quality=lambda f: f["quality"].str.upper()),
          lambda g, p: _read(g, levels={**SURVEY_LEVELS, "quality": ["Mixed", *CODES]}),
          "DataError", r"the value\(s\) 'MIXED' in rows .* match more than one of "
          r"levels\['quality'\] = 'Mixed', 'definitely_bad', .* once case and spaces are "
          r"ignored\. Fix: spell those values exactly as one level", "survey-mixed-case-ambiguous"),
    _case(lambda p: survey_frame(), lambda g, p: _read(g, columns=["quality"]), "SchemaError",
          r"columns= must be a dict, got list \['quality'\]\. Fix: e\.g\. columns=\{",
          "survey-columns-not-a-dict"),
    _case(lambda p: p / "no_such_survey.csv", _read, "DataError",
          r"file '.*no_such_survey\.csv' does not exist \(working directory .*\)\. Fix: check "
          r"the path", "survey-missing-path"),
    _case(lambda p: _write(p, "survey.xlsx", "org_id,partner\n1,state\n"), _read, "DataError",
          r"could not be read as an Excel \.xlsx workbook \(BadZipFile.*give it the extension "
          r"of its format", "survey-csv-named-xlsx"),
    _case(lambda p: _write(p, "ragged.csv", "partner,frequency,quality\ns,a,b\ns,a,b,c\n"), _read,
          "DataError", r"ragged\.csv' could not be read as CSV \(ParserError: Error tokenizing "
          r"data\. C error: Expected 3 fields in line 3, saw 4\)\. Fix:", "survey-ragged-csv"),
    _case(_cp1251_survey, _read, "DataError",
          r"survey_cp1251\.csv' is not UTF-8 text \(the byte 0x.. cannot be decoded\)\. Fix: "
          r"pass the file's encoding: encoding='cp1251'", "survey-cp1251-without-encoding"),
]  # fmt: skip

SPEC_CASES = [
    _case(lambda p: None, lambda g, p: OrdinalModel("quality frequency"), "FormulaError",
          r"formula 'quality frequency' must have one '~'", "spec-no-tilde"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ x +"), "FormulaError",
          r"empty term \(a stray '\+'\) in formula 'quality ~ x \+'", "spec-stray-plus"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ C(x"), "FormulaError",
          r"unbalanced '\(' in .*add the missing '\)'", "spec-unbalanced"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ 0 + x"), "FormulaError",
          r"term '0' .* removes the intercept; .* drop the '0'/'- 1'", "spec-no-intercept"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ scale(x)"), "FormulaError",
          r"uses the transform scale\(\), which depends on the whole column", "spec-stateful"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ x", link="logistic"),
          "SpecificationError", r"link='logistic' is not a known link; use one of 'logit'",
          "spec-link"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ x", levels="bad,good"),
          "SpecificationError", r"levels must be a list of outcome levels", "spec-levels-text"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ x", priors=[1]),
          "SpecificationError", r"priors must be a mapping", "spec-priors"),
    _case(lambda p: None, lambda g, p: OrdinalModel("quality ~ x", nominal=3), "FormulaError",
          r"nominal must be a formula like '~ contact'", "spec-nominal"),
]  # fmt: skip

FIT_CASES = [
    _case(_small(), lambda g, p: _fit(g, formula="quality ~ lable"), "FormulaError",
          r"formula 'quality ~ lable' uses 'lable', which is not a column of the data; did you "
          r"mean 'label'\?", "fit-typo-column"),
    _case(_small(), lambda g, p: _fit(g, formula="quality ~ C(label, Sum(ref='z'))"),
          "FormulaError", r"cannot build the fixed-effect columns", "fit-bad-contrast"),
    _case(_small(x=_nan_at(5)), _fit, "DataError",
          r"column 'x' has 1 missing value\(s\) \(rows 6\); drop or fill those rows before fitting",
          "fit-nan"),
    _case(_small(x=lambda d: d["x"].where(d.index != 0, -np.inf)), _fit, "DataError",
          r"column 'x' has 1 infinite value\(s\) -inf \(rows 1\)", "fit-infinite"),
    _case(lambda p: small_frame().iloc[:0], _fit, "DataError", r"^data has no rows$", "fit-empty"),
    _case(lambda p: small_frame().iloc[:1], _fit, "DataError",
          r"outcome 'quality' takes only the level\(s\) '\w+' in the data; an ordinal model needs "
          r"at least two observed levels", "fit-one-row"),
    _case(_small(quality=_ordered(["mixed"] * 60)), _fit, "DataError",
          r"outcome 'quality' takes only the level\(s\) 'mixed'", "fit-single-category"),
    _case(_small(quality=lambda d: d["quality"].astype(str)), _fit, "DataError",
          r"outcome column 'quality' is of dtype str, so the order of its levels .* is "
          r"ambiguous; make it an ordered categorical", "fit-outcome-text"),
    _case(_small(quality=lambda d: d["quality"].astype(str)),
          lambda g, p: OrdinalModel("quality ~ x", levels=["Bad", "Mixed", "Good"]).fit(g),
          "DataError", r"outcome column 'quality' has value\(s\) .*'mixed'.* that are not among "
          r"the levels 'Bad', 'Mixed', 'Good'", "fit-outcome-mixed-case"),
    _case(_small(w=lambda d: d["w"].where(d.index != 2, -1.0)),
          lambda g, p: _fit(g, weights="w"), "DataError",
          r"weights 'w' must be finite and >= 0; rows 3 have -1\.0", "fit-negative-weight"),
    _case(_small(w=0.0), lambda g, p: _fit(g, weights="w"), "DataError",
          r"weights 'w' sum to zero; nothing to fit", "fit-zero-weights"),
    _case(_small(w=lambda d: d["w"].where(d.index != 9)), lambda g, p: _fit(g, weights="w"),
          "DataError", r"weights 'w' must be finite and >= 0; rows 10 have nan", "fit-nan-weight"),
    _case(_small(w="1"), lambda g, p: _fit(g, weights="w"), "DataError",
          r"weights 'w' must be numeric, got dtype", "fit-text-weights"),
    _case(_small(), lambda g, p: _fit(g, weights="weight"), "DataError",
          r"weights column 'weight' is not in the data; the columns are", "fit-weight-column"),
    _case(_small(), lambda g, p: _fit(g, weights=[1.0, 2.0]), "DataError",
          r"weights has 2 values but the data has 60 rows", "fit-weights-length"),
    _case(_small(x2=lambda d: 2 * d["x"]), lambda g, p: _fit(g, formula="quality ~ x + x2"),
          "FitError", r"the column\(s\) 'x2' are linear combinations of the thresholds or of "
          r"earlier columns", "fit-collinear"),
    _case(_small(), lambda g, p: _fit(g, formula="quality ~ x + (1 | label)"), "FormulaError",
          r"group-level term\(s\) '\(1 \| label\)' need engine='bayes'", "fit-group-term-ml"),
    _case(_small(), lambda g, p: _fit(g, formula="quality ~ x + quality"), "FormulaError",
          r"the outcome 'quality' of formula 'quality ~ x \+ quality' is also a predictor",
          "fit-outcome-on-both-sides"),
    _case(_small(), lambda g, p: _fit(g, engine="stan"), "SpecificationError",
          r"engine='stan' is not known; use one of 'ml', 'bayes'", "fit-engine"),
    _case(lambda p: small_frame().to_dict("list"), _fit, "DataError",
          r"data must be a pandas DataFrame, got dict", "fit-not-a-frame"),
    _case(lambda p: pd.concat([small_frame(), small_frame()[["x"]]], axis=1), _fit, "DataError",
          r"data has more than one column named 'x'", "fit-repeated-column"),
]  # fmt: skip

BAYES_CASES = [
    _case(_small(), lambda g, p: _fit_bayes(g, spec=OrdinalModel("quality ~ x", nominal="~ x")),
          "SpecificationError", r"nominal='~ x': threshold-specific effects are not supported "
          r"by engine='bayes'", "bayes-nominal"),
    _case(_small(), lambda g, p: _fit_bayes(g, spec=OrdinalModel("quality ~ x", link="cloglog")),
          "SpecificationError", r"link='cloglog' is not supported by engine='bayes'; use one of "
          r"'logit', 'probit'", "bayes-link"),
    _case(_small(), lambda g, p: OrdinalModel("quality ~ x").fit(g, engine="bayes", draws=0),
          "SpecificationError", r"draws must be an integer >= 1, got 0", "bayes-draws"),
    _case(_small(), lambda g, p: _fit_bayes(g, spec=OrdinalModel("quality ~ x", priors={
              "bogus": None})), "SpecificationError", r"priors has the unknown key 'bogus'; the "
          r"valid keys for this model are 'thresholds', 'b'", "bayes-prior-key"),
    _case(_small(), lambda g, p: _fit_bayes(g, formula="quality ~ lable"), "FormulaError",
          r"uses 'lable', which is not a column of the data; did you mean 'label'",
          "bayes-typo-column"),
    _case(_small(), lambda g, p: _fit_bayes(g, formula="quality ~ mo(label)"), "DataError",
          r"mo\(label\): column 'label' must be an ordered categorical", "bayes-mo-unordered"),
    _case(_small(), lambda g, p: _fit_bayes(g, nuts_sampler="stan"), "SpecificationError",
          r"nuts_sampler='stan' is not known; use one of 'numpyro', 'pymc'", "bayes-sampler"),
]  # fmt: skip

PREDICT_CASES = [
    _case(lambda p: pd.DataFrame({"freq": ["once_a_year"]}), _predict, "DataError",
          r"newdata lacks the column\(s\) 'frequency' the model uses; did you mean 'freq'\?",
          "predict-missing-column"),
    _case(lambda p: pd.DataFrame({"frequency": ["weekly"]}), _predict, "DataError",
          r"column 'frequency' of newdata has level\(s\) 'weekly' not seen when the model was "
          r"fitted \(seen: 'very_rarely',", "predict-unseen-level"),
    _case(lambda p: pd.DataFrame({"frequency": ["Once_a_year"]}), _predict, "DataError",
          r"level\(s\) 'Once_a_year' not seen when the model was fitted", "predict-mixed-case"),
    _case(lambda p: pd.DataFrame({"frequency": ["annually"]}), _predict, "DataError",
          r"level\(s\) 'annually' not seen", "predict-other-partners-level"),
    _case(lambda p: pd.DataFrame({"frequency": ["once_a_year", None]}), _predict, "DataError",
          r"column 'frequency' has 1 missing value\(s\) \(rows 2\); drop or fill those rows "
          r"before predicting", "predict-nan"),
    _case(lambda p: pd.DataFrame({"x": [0.0, np.inf]}),
          lambda g, p: _predict(g, formula="quality ~ x"), "DataError",
          r"column 'x' has 1 infinite value\(s\) inf \(rows 2\)", "predict-infinite"),
    _case(lambda p: pd.DataFrame({"frequency": ["once_a_year"]}),
          lambda g, p: _predict(g, level=95), "SpecificationError",
          r"level=95 must be a number between 0 and 1, e\.g\. 0\.95", "predict-level"),
    _case(lambda p: {"frequency": ["once_a_year"]}, _predict, "DataError",
          r"newdata must be a pandas DataFrame, got dict", "predict-not-a-frame"),
]  # fmt: skip

SIMULATE_CASES = [
    _case(lambda p: p / "no_such.toml", _simulate, "ScenarioError",
          r"scenario file .*no_such\.toml does not exist; give the path of a \.toml file",
          "simulate-missing-file"),
    _case(lambda p: _write(p, "bad.toml", "partner = state\n"), _simulate, "ScenarioError",
          r"bad\.toml is not valid TOML: Invalid value \(at line 1, column 11\)",
          "simulate-not-toml"),
    _case(lambda p: _scenario(partner="State"), _simulate, "ScenarioError",
          r"partner: unknown partner 'State'; use one of 'state', 'business'",
          "simulate-partner-case"),
    _case(lambda p: _scenario(interventions=[{"type": "move", "from": "annually",
                                              "to": "once_a_month", "share": 0.2}]),
          _simulate, "ScenarioError", r"interventions\[0\]\.from: unknown contact level "
          r"'annually' for partner 'state' \('annually' is on the business scale",
          "simulate-other-scale"),
    _case(lambda p: _scenario(interventions=[{"type": "move", "from": "once_a_year",
                                              "to": "once_a_month", "share": 30}]),
          _simulate, "ScenarioError", r"interventions\[0\]\.share: is above 1 \(30\); write "
          r"shares as fractions", "simulate-share-percent"),
    _case(lambda p: _scenario(baseline={"distribution": {"very_rarely": float("nan")}}),
          _simulate, "ScenarioError", r"baseline\.distribution\.very_rarely: must be a number "
          r"between 0 and 1, got nan", "simulate-nan-share"),
    _case(lambda p: _scenario(polices=[]), _simulate, "ScenarioError",
          r"polices: unknown key 'polices'; use only", "simulate-unknown-key"),
    _case(lambda p: _scenario(), lambda g, p: _simulate(g, n_draws=0), "SpecificationError",
          r"n_draws=0 must be a whole number >= 1 or None", "simulate-draws"),
    _case(lambda p: _scenario(), lambda g, p: _simulate(g, seed=-1), "SpecificationError",
          r"seed=-1 must be a whole number >= 0 or None", "simulate-seed"),
    _case(lambda p: _scenario(), lambda g, p: _simulate(g, formula="quality ~ x"),
          "ScenarioError", r"the model 'quality ~ x' has no frequency term", "simulate-no-frequency"),
    _case(lambda p: _scenario(partner="business", baseline={"distribution": {"regular": 1.0}},
                              interventions=[]), _simulate, "ScenarioError",
          r"the fitted model cannot predict every cell of the scenario \(column 'frequency' of "
          r"newdata has level\(s\) 'none_or_negotiating',.*fit it to data with every business "
          r"contact level", "simulate-unseen-levels"),
]  # fmt: skip

EFFECTS_CASES = [
    _case(lambda p: {"frequncy": ["once_a_year"]}, lambda g, p: _predictions(g), "DataError",
          r"grid names 'frequncy', which the model does not use \(did you mean 'frequency'\?\); "
          r"its covariates are 'frequency'", "effects-grid-typo"),
    _case(lambda p: {"frequency": ["weekly"]}, lambda g, p: _predictions(g), "DataError",
          r"grid column 'frequency' has level\(s\) 'weekly' not seen in the fit",
          "effects-grid-unseen-level"),
    _case(lambda p: None, lambda g, p: _comparisons("x", contrast=float("nan")),
          "SpecificationError", r"contrast=nan: the step of numeric 'x' must be a finite number",
          "effects-contrast-nan"),
    _case(lambda p: None, lambda g, p: _comparisons("frequency", contrast=("weekly", "monthly")),
          "DataError", r"contrast level\(s\) 'weekly', 'monthly' of 'frequency' were not seen",
          "effects-contrast-unseen"),
]  # fmt: skip

ALL_CASES = (
    SURVEY_CASES
    + SPEC_CASES
    + FIT_CASES
    + BAYES_CASES
    + PREDICT_CASES
    + SIMULATE_CASES
    + EFFECTS_CASES
)


def _snapshot(given):
    if isinstance(given, pd.DataFrame):
        return given.copy(deep=True), copy.deepcopy(given.attrs)
    if hasattr(given, "is_file"):
        return given.read_bytes() if given.is_file() else None
    return copy.deepcopy(given)


def _assert_unchanged(given, before) -> None:
    if isinstance(given, pd.DataFrame):
        pd.testing.assert_frame_equal(given, before[0])
        assert given.attrs == before[1]
    elif hasattr(given, "is_file"):
        assert (given.read_bytes() if given.is_file() else None) == before
    else:
        assert given == before


def test_the_matrix_is_large_enough():
    assert len(ALL_CASES) >= 45
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize(("make", "act", "error", "match"), ALL_CASES)
def test_bad_input(tmp_path, make, act, error, match):
    from interactmodel import errors

    given = make(tmp_path)
    before = _snapshot(given)
    with pytest.raises(getattr(errors, error), match=match) as info:
        act(given, tmp_path)
    assert isinstance(info.value, InteractModelError), repr(info.value)
    assert "\n" not in str(info.value)  # one line: the CLI prints it as "error: ..."
    _assert_unchanged(given, before)


# --------------------------------------------------------------------------- the same, read right


def test_mixed_case_labels_match_their_level():
    """The loose match that makes 'MIXED' ambiguous above reads unambiguous labels right."""
    raw = survey_with(quality=lambda f: " " + f["quality"].str.upper() + " ")
    before = raw.copy(deep=True)
    tidy = _read(raw)
    assert tidy["quality"].tolist() == survey_frame()["quality"].tolist()
    pd.testing.assert_frame_equal(raw, before)


def test_cp1251_survey_reads_with_its_encoding(tmp_path):
    path = _cp1251_survey(tmp_path)
    levels = {**SURVEY_LEVELS, "quality": list(CYRILLIC_LABELS)}
    recode = {"quality": dict(zip(CYRILLIC_LABELS, CODES, strict=True))}
    tidy = _read(path, levels=levels, recode=recode, encoding="cp1251")
    assert tidy["quality"].tolist() == survey_frame()["quality"].tolist()
    assert tidy["quality"].cat.categories.tolist() == list(CODES)


# --------------------------------------------------------------------------- the command line


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    """A good survey CSV and scenario, the cp1251 survey, a saved fit and broken files."""
    from interactmodel.io import save

    folder = tmp_path_factory.mktemp("cli")
    _random_survey().to_csv(folder / "survey.csv", index=False)
    _cp1251_survey(folder)
    _write(folder, "fake.parquet", "org_id,partner\n1,state\n")
    _write(folder, "scenario.toml", SCENARIO_TOML)
    _write(folder, "bad.toml", "partner = state\n")
    _write(folder, "cp1251.toml", (SCENARIO_TOML + 'description = "Чаще"\n').encode("cp1251"))
    save(fitted(), folder / "fit")
    return folder


def _random_survey(n_orgs: int = 150, seed: int = 5) -> pd.DataFrame:
    """A survey large and random enough for ``quality ~ frequency`` to fit without warnings."""
    rng = np.random.default_rng(seed)
    frame = survey_frame(n_orgs)
    scales = {"state": STATE, "business": BUSINESS}
    frame["frequency"] = [rng.choice(scales[p]) for p in frame["partner"]]
    frame["quality"] = rng.choice(CODES, len(frame))
    return frame


def _fit_argv(data: str, *extra: str) -> list[str]:
    return ["fit", data, "--formula", "quality ~ frequency", "--out", "{out}", *extra]


CLI_CASES = [
    pytest.param(_fit_argv("{dir}/survy.csv"),
                 r"file '.*survy\.csv' does not exist .*Did you mean 'survey\.csv'",
                 id="fit-missing-file"),
    pytest.param(_fit_argv("{dir}/fake.parquet"), r"fake\.parquet' could not be read as Parquet",
                 id="fit-not-parquet"),
    pytest.param(["fit", "{dir}/survey.csv", "--formula", "quality ~ frequncy", "--out", "{out}"],
                 r"uses 'frequncy', which is not a column of the data; did you mean 'frequency'\?",
                 id="fit-formula-typo"),
    pytest.param(["fit", "{dir}/survey.csv", "--formula", "quality ~ (frequency", "--out",
                  "{out}"], r"unbalanced '\(' in", id="fit-formula-unbalanced"),
    pytest.param(_fit_argv("{dir}/survey.csv", "--weights", "wieght"),
                 r"weights column 'wieght' is not in the data; did you mean 'weight'\?", id="fit-weights-column"),
    pytest.param(_fit_argv("{dir}/survey.csv", "--engine", "bayes", "--draws", "0"),
                 r"draws must be an integer >= 1, got 0", id="fit-bayes-draws"),
    pytest.param(_fit_argv("{dir}/survey.csv", "--engine", "bayes", "--cores", "0"),
                 r"cores must be a positive integer or None \(all cores\), got 0",
                 id="fit-bayes-cores"),
    pytest.param(_fit_argv("{dir}/survey.csv", "--engine", "bayes", "--link", "cloglog"),
                 r"link='cloglog' is not supported by engine='bayes'", id="fit-bayes-link"),
    pytest.param(["fit", "{dir}/survey.csv", "--formula", "quality ~ frequency", "--out",
                  "{dir}/survey.csv/fit"],
                 r"error: File exists \(.*survey\.csv\); check that the folders of every path",
                 id="fit-out-under-a-file"),
    pytest.param(["check", "{dir}/survey_cp1251.csv"],
                 r"is not UTF-8 text .*encoding='cp1251'", id="check-cp1251"),
    pytest.param(["check", "{dir}/survey.csv", "--schema", "{dir}/none.toml"],
                 r"schema file '.*none\.toml' does not exist", id="check-schema-missing"),
    pytest.param(["simulate", "{dir}/none.toml", "--fit", "{dir}/fit"],
                 r"scenario file .*none\.toml does not exist", id="simulate-missing-scenario"),
    pytest.param(["simulate", "{dir}/bad.toml", "--fit", "{dir}/fit"],
                 r"bad\.toml is not valid TOML", id="simulate-bad-toml"),
    pytest.param(["simulate", "{dir}/cp1251.toml", "--fit", "{dir}/fit"],
                 r"cp1251\.toml is not UTF-8 text", id="simulate-cp1251-toml"),
    pytest.param(["simulate", "{dir}/scenario.toml", "--fit", "{dir}/nofit"],
                 r"no saved fit at .*nofit", id="simulate-missing-fit"),
    pytest.param(["simulate", "{dir}/scenario.toml", "--fit", "{dir}/fit", "--draws", "20",
                  "--plot", "{out}.xyz"],
                 r"--plot .*out\.xyz: '\.xyz' is not an image format; end the name with \.png",
                 id="simulate-plot-format"),
    pytest.param(["simulate", "{dir}/scenario.toml", "--fit", "{dir}/fit", "--draws", "0"],
                 r"n_draws=0 must be a whole number >= 1", id="simulate-draws"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "message"), CLI_CASES)
def test_cli_bad_input_is_one_line_and_exit_code_2(cli_files, tmp_path, capsys, argv, message):
    from interactmodel import cli

    out = tmp_path / "out"
    args = [a.format(dir=cli_files, out=out) for a in argv]
    before = {p.name: p.read_bytes() for p in cli_files.iterdir() if p.is_file()}
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(message, err), err
    assert not list(tmp_path.iterdir())  # nothing written
    assert {p.name: p.read_bytes() for p in cli_files.iterdir() if p.is_file()} == before
