"""Saved fits (interactmodel.io): bit-exact round trips, files readable without interactmodel,
clear errors for bad folders, and no code run while loading.

The reference for "exact" is the fitted result in memory, compared with
``check_exact=True`` / ``np.array_equal`` (bit-identical floats); the files are checked with
the standard library's json and csv readers and with xarray directly, not with our loader.
"""

from __future__ import annotations

import csv
import json
import pickle
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from interactmodel.errors import ConvergenceWarning, DataError, OutputExistsError
from interactmodel.io import FORMAT, NewerFormatError, SavedFitError, load, save
from interactmodel.results import MLResult
from interactmodel.spec import OrdinalModel
from tests.saved_fits import FORMULA, QUALITY, assert_same_design, survey


def newdata() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact": pd.Categorical(["often", "rarely", "often"], ["rarely", "often"]),
            "region": ["east", "north", "west"],
            "x": [0.123456789, -1.0, 2.5],
        }
    )


def assert_same_ml(loaded: MLResult, fitted: MLResult) -> None:
    pd.testing.assert_series_equal(loaded.params, fitted.params, check_exact=True)
    pd.testing.assert_frame_equal(loaded.cov, fitted.cov, check_exact=True)
    pd.testing.assert_frame_equal(loaded.summary(), fitted.summary(), check_exact=True)
    pd.testing.assert_frame_equal(
        loaded.predict_proba(newdata()), fitted.predict_proba(newdata()), check_exact=True
    )
    for name in ("loglik", "nobs", "converged", "n_iter", "max_abs_gradient", "message"):
        assert getattr(loaded, name) == getattr(fitted, name), name
    assert loaded.aic == fitted.aic and loaded.bic == fitted.bic
    assert loaded.spec == fitted.spec


# --------------------------------------------------------------------------- ML round trip


def test_ml_round_trip_is_bit_identical(ml_fit: MLResult, ml_folder: Path) -> None:
    loaded = load(ml_folder)
    assert isinstance(loaded, MLResult)
    assert_same_ml(loaded, ml_fit)
    assert_same_design(loaded.design, ml_fit.design)


def test_ml_refitting_statistics_are_identical(ml_fit: MLResult, ml_folder: Path) -> None:
    # profile intervals and the nominal test refit on the rebuilt likelihood: identical
    # inputs give identical numbers only if the rebuilt cells are exactly the fitted ones
    loaded = load(ml_folder)
    pd.testing.assert_frame_equal(
        loaded.conf_int(method="profile"), ml_fit.conf_int(method="profile"), check_exact=True
    )
    pd.testing.assert_frame_equal(loaded.nominal_test(), ml_fit.nominal_test(), check_exact=True)


def test_save_does_not_change_the_result(survey_data: pd.DataFrame, tmp_path: Path) -> None:
    original = survey_data.copy()
    result = OrdinalModel(FORMULA).fit(survey_data)
    before = result.params.copy(), result.design.cells.copy()
    save(result, tmp_path / "fit")
    pd.testing.assert_series_equal(result.params, before[0], check_exact=True)
    pd.testing.assert_frame_equal(result.design.cells, before[1])
    pd.testing.assert_frame_equal(survey_data, original)
    loaded = load(tmp_path / "fit")
    with pytest.raises(ValueError, match="read-only"):
        loaded._params_array[0] = 0.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit"]  # no staging folder left


def test_unobserved_level_and_integer_levels(tmp_path: Path) -> None:
    # outcome given as integer scores with an explicit order; score 5 never occurs
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"score": rng.integers(1, 5, 150), "x": rng.normal(size=150)})
    with pytest.warns(ConvergenceWarning, match="never occur"):
        fitted = OrdinalModel("score ~ x", levels=[1, 2, 3, 4, 5], link="probit").fit(frame)
    save(fitted, tmp_path / "fit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading does not repeat the fit's warnings
        loaded = load(tmp_path / "fit")
    assert loaded.spec.levels == (1, 2, 3, 4, 5)
    assert loaded.outcome_levels == ("1", "2", "3", "4")
    assert loaded.design.outcome_levels == ("1", "2", "3", "4", "5")
    pd.testing.assert_series_equal(loaded.params, fitted.params, check_exact=True)


# --------------------------------------------------------------------------- plain files


def test_ml_files_are_plain_json_and_csv(ml_fit: MLResult, ml_folder: Path) -> None:
    spec = json.loads((ml_folder / "spec.json").read_text())
    assert spec["format"] == FORMAT and spec["format_version"] == 1 and spec["engine"] == "ml"
    assert (spec["formula"], spec["link"], spec["nominal"]) == (FORMULA, "logit", "~ contact")
    estimates = json.loads((ml_folder / "estimates.json").read_text())
    # estimates read with plain json equal the fitted floats bit for bit
    saved = pd.Series({p["name"]: p["estimate"] for p in estimates["parameters"]})
    assert list(saved.index) == list(ml_fit.params.index)
    assert np.array_equal(saved.to_numpy(dtype=float), ml_fit.params.to_numpy())
    assert np.array_equal(np.array(estimates["cov"]), ml_fit.cov.to_numpy())
    assert estimates["loglik"] == ml_fit.loglik
    with open(ml_folder / "cells.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    design = ml_fit.design
    counts = np.array([[float(r[f"count[{q}]"]) for q in QUALITY] for r in rows])
    assert np.array_equal(counts, design.counts)
    assert [r["region"] for r in rows] == design.cells["region"].tolist()
    assert [float(r["x"]) for r in rows] == design.cells["x"].tolist()
    with open(ml_folder / "rows.csv", newline="") as handle:
        cells = [int(r["cell"]) for r in csv.DictReader(handle)]
    assert cells == design.row_cell.tolist()
    readme = (ml_folder / "README.txt").read_text()
    for name in ("spec.json", "design.json", "cells.csv", "rows.csv", "estimates.json"):
        assert name in readme


# --------------------------------------------------------------------------- no code is run


def test_loading_never_unpickles(ml_fit: MLResult, ml_folder: Path, monkeypatch: Any) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pickle was used")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    pd.testing.assert_series_equal(load(ml_folder).params, ml_fit.params, check_exact=True)


# --------------------------------------------------------------------------- bad folders


def test_missing_folder_or_file(tmp_path: Path) -> None:
    with pytest.raises(SavedFitError, match="no saved fit at .*does not exist"):
        load(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SavedFitError, match="is a file, not a saved-fit folder"):
        load(tmp_path / "file.txt")
    with pytest.raises(SavedFitError, match="has no spec.json"):
        load(tmp_path)
    assert issubclass(SavedFitError, DataError)


@pytest.mark.parametrize("name", ["cells.csv", "design.json", "rows.csv", "estimates.json"])
def test_missing_file(ml_copy: Path, name: str) -> None:
    (ml_copy / name).unlink()
    with pytest.raises(SavedFitError, match=f"has no {name}, so the saved fit is incomplete"):
        load(ml_copy)


def test_corrupt_json(ml_copy: Path) -> None:
    text = (ml_copy / "estimates.json").read_text()
    (ml_copy / "estimates.json").write_text(text[: len(text) // 2])
    with pytest.raises(SavedFitError, match="estimates.json is corrupt: it is not valid JSON"):
        load(ml_copy)


def test_newer_format_version(ml_copy: Path) -> None:
    spec = json.loads((ml_copy / "spec.json").read_text())
    spec["format_version"] = 2
    (ml_copy / "spec.json").write_text(json.dumps(spec))
    with pytest.raises(NewerFormatError, match="format version 2 .* Upgrade interactmodel"):
        load(ml_copy)


def test_not_our_format(ml_copy: Path) -> None:
    (ml_copy / "spec.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(SavedFitError, match="its format is 'something-else'"):
        load(ml_copy)


def test_estimates_that_do_not_fit_the_design(ml_copy: Path) -> None:
    estimates = json.loads((ml_copy / "estimates.json").read_text())
    estimates["parameters"][0]["name"] = "threshold[renamed]"
    (ml_copy / "estimates.json").write_text(json.dumps(estimates))
    with pytest.raises(SavedFitError, match="parameter names do not fit the design"):
        load(ml_copy)
    n = len(estimates["parameters"])
    estimates["cov"] = estimates["cov"][:-1]
    (ml_copy / "estimates.json").write_text(json.dumps(estimates))
    with pytest.raises(SavedFitError, match=f"cov is not {n} x {n}"):
        load(ml_copy)


# --------------------------------------------------------------------------- overwriting


def test_never_overwrites_without_force(ml_fit: MLResult, tmp_path: Path) -> None:
    folder = tmp_path / "fit"
    folder.mkdir()  # an existing empty folder is fine
    save(ml_fit, folder)
    before = (folder / "spec.json").read_text()
    with pytest.raises(OutputExistsError, match=r"fit already exists .* force=True \(--force"):
        save(ml_fit, folder)
    assert (folder / "spec.json").read_text() == before
    other = OrdinalModel("quality ~ x").fit(survey(seed=2))
    save(other, folder, force=True)
    assert load(folder).spec.formula == "quality ~ x"


def test_force_never_deletes_other_folders(ml_fit: MLResult, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("precious")
    with pytest.raises(OutputExistsError, match="is not a saved fit .*nothing was written"):
        save(ml_fit, tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "precious"
    with pytest.raises(OutputExistsError, match="is not a folder"):
        save(ml_fit, tmp_path / "notes.txt", force=True)


def test_save_needs_a_result(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="takes a fitted MLResult or BayesResult"):
        save({"params": [1.0]}, tmp_path / "fit")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Bayes


BAYES_FORMULA = "quality ~ mo(contact_level) + contact + (1 | region)"
BAYES_SETTINGS = {"weights": "w", "draws": 100, "tune": 100, "chains": 1}


def bayes_frame(data: pd.DataFrame) -> pd.DataFrame:
    level = np.where(data["x"] > 0.5, "often", np.where(data["x"] > -0.5, "sometimes", "rare"))
    order = pd.CategoricalDtype(["rare", "sometimes", "often"], ordered=True)
    return data.assign(contact_level=pd.Categorical(level, dtype=order))


@pytest.fixture(scope="module")
def bayes_fit(survey_data: pd.DataFrame) -> Any:
    pytest.importorskip("numpyro", reason="the Bayesian test fits with numpyro")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 100 draws of one chain: ESS warnings by design
        return OrdinalModel(BAYES_FORMULA).fit(
            bayes_frame(survey_data), engine="bayes", seed=7, **BAYES_SETTINGS
        )


@pytest.fixture(scope="module")
def bayes_folder(bayes_fit: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(bayes_fit, tmp_path_factory.mktemp("saved") / "bayes_fit")


def bayes_newdata() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact_level": pd.Categorical(
                ["rare", "often", "sometimes"], ["rare", "sometimes", "often"], ordered=True
            ),
            "contact": pd.Categorical(["often", "rarely", "often"], ["rarely", "often"]),
            "region": ["east", "north", "atlantis"],
        }
    )


def test_bayes_round_trip_is_bit_identical(bayes_fit: Any, bayes_folder: Path) -> None:
    from interactmodel.bayes_result import BayesResult

    loaded = load(bayes_folder)
    assert isinstance(loaded, BayesResult)
    pd.testing.assert_series_equal(loaded.params, bayes_fit.params, check_exact=True)
    pd.testing.assert_frame_equal(loaded.summary(), bayes_fit.summary(), check_exact=True)
    known = bayes_newdata().head(2)
    pd.testing.assert_frame_equal(
        loaded.predict_proba(known), bayes_fit.predict_proba(known), check_exact=True
    )
    pd.testing.assert_frame_equal(
        loaded.predict_proba(bayes_newdata(), allow_new_groups=True, seed=3),
        bayes_fit.predict_proba(bayes_newdata(), allow_new_groups=True, seed=3),
        check_exact=True,
    )
    assert_same_design(loaded.design, bayes_fit.design)
    for name in ("diagnostics", "centered", "sampler", "draws", "seed", "timings", "link"):
        assert _same(getattr(loaded, name), getattr(bayes_fit, name)), name
    assert loaded.priors.signature() == bayes_fit.priors.signature()
    pd.testing.assert_frame_equal(loaded.parameters, bayes_fit.parameters)


def test_bayes_loo_is_identical(bayes_fit: Any, bayes_folder: Path) -> None:
    loaded = load(bayes_folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pareto k warnings of a short chain
        # the weights here are not whole numbers, so LOO is defined for the totals only
        a, b = loaded.loo(), bayes_fit.loo()
    # the posterior is bit-identical (tested above); the LOO totals are sums over the saved
    # cells, whose order of summation may differ after loading, hence the last-bit tolerance
    for key in ("elpd_loo", "se", "p_loo"):
        assert a[key] == pytest.approx(b[key], rel=1e-12, abs=0)


def test_bayes_files_are_plain_netcdf_and_json(bayes_fit: Any, bayes_folder: Path) -> None:
    import xarray as xr

    with xr.open_dataset(bayes_folder / "posterior.nc", group="posterior", engine="h5netcdf") as ds:
        for name in bayes_fit.idata.posterior.data_vars:
            assert np.array_equal(ds[name].to_numpy(), bayes_fit.idata.posterior[name].to_numpy())
    record = json.loads((bayes_folder / "bayes.json").read_text())
    assert record["result"]["seed"] == 7 and record["result"]["draws"] == 100
    assert record["priors"]["thresholds"] == {"dist": "normal", "params": {"mu": 0.0, "sigma": 2.5}}
    spec = json.loads((bayes_folder / "spec.json").read_text())
    assert spec["engine"] == "bayes" and spec["formula"] == bayes_fit.formula


def test_bayes_loading_never_unpickles(
    bayes_fit: Any, bayes_folder: Path, monkeypatch: Any
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pickle was used")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    pd.testing.assert_series_equal(load(bayes_folder).params, bayes_fit.params, check_exact=True)


def test_corrupt_posterior(bayes_folder: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(bayes_folder, tmp_path / "copy"))
    (copy / "posterior.nc").write_bytes(b"not a netCDF file")
    with pytest.raises(SavedFitError, match="posterior.nc is corrupt: it is not a readable"):
        load(copy)
    (copy / "posterior.nc").unlink()
    with pytest.raises(SavedFitError, match="has no posterior.nc"):
        load(copy)


def _same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN (diagnostics hold NaN R-hat for one chain)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


def test_pooled_fit_round_trips(bayes_fit: Any, survey_data: pd.DataFrame, tmp_path: Path) -> None:
    from interactmodel.pooling import fit_pooled

    first = bayes_frame(survey_data)
    second = first.assign(
        quality=pd.Categorical(first["quality"].to_numpy()[::-1], dtype=first["quality"].dtype)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # same cells and settings as bayes_fit: the compiled sampler is reused
        pooled = fit_pooled(OrdinalModel(BAYES_FORMULA), [first, second], seed=2, **BAYES_SETTINGS)
        loaded = load(save(pooled, tmp_path / "pooled"))
        pd.testing.assert_frame_equal(loaded.summary(), pooled.summary(), check_exact=True)
    assert loaded.n_reconstructions == 2
    assert loaded.idata.posterior["reconstruction"].values.tolist() == [1, 2]
    assert _same(loaded.diagnostics, pooled.diagnostics)
