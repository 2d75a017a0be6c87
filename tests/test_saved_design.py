"""The design of saved fits (interactmodel.saved_design): cells.csv, rows.csv and design.json
rebuild the fitted design exactly, for every supported covariate dtype; unsupported dtypes are
refused at save and damaged cells are reported."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interactmodel.design import build_design
from interactmodel.engines.ml import weighted_frame
from interactmodel.errors import SavedFitError
from interactmodel.io import load, save
from interactmodel.results import MLResult
from interactmodel.saved_design import load_design, readonly, write_design
from interactmodel.spec import OrdinalModel
from tests.saved_fits import FORMULA, assert_same_design


def test_load_design_rebuilds_the_fitted_design(ml_fit: MLResult, ml_folder: Path) -> None:
    spec = json.loads((ml_folder / "spec.json").read_text())
    design = load_design(ml_folder, spec, "ml")
    assert_same_design(design, ml_fit.design)
    assert not design.counts.flags.writeable and not design.row_cell.flags.writeable


def test_write_design_writes_the_design_files(ml_fit: MLResult, tmp_path: Path) -> None:
    write_design(ml_fit.design, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cells.csv", "design.json", "rows.csv"]
    record = json.loads((tmp_path / "design.json").read_text())
    assert record["n_cells"] == ml_fit.design.n_cells
    assert record["X_names"] == list(ml_fit.design.X_names)


def test_a_bayesian_fit_has_no_nominal_terms(ml_folder: Path) -> None:
    spec = json.loads((ml_folder / "spec.json").read_text())
    with pytest.raises(SavedFitError, match="spec.json is corrupt: a Bayesian fit has nominal"):
        load_design(ml_folder, spec, "bayes")


def test_readonly_copies() -> None:
    array = np.arange(3)
    frozen = readonly(array)
    assert not frozen.flags.writeable and array.flags.writeable
    assert np.array_equal(frozen, array)


def test_rebuilt_cells_needed_reordering(ml_fit: MLResult) -> None:
    # the premise of the fixture: rebuilding from the cells naively gives another cell order
    design = ml_fit.design
    naive = build_design(FORMULA, weighted_frame(design), weights="__weight__", nominal="~ contact")
    assert naive.n_cells == design.n_cells
    assert not naive.cells.equals(design.cells)


def test_zero_weight_row_is_kept_as_minus_one(ml_fit: MLResult, ml_folder: Path) -> None:
    loaded = load(ml_folder)
    assert loaded.design.row_cell[5] == -1 and loaded.design.row_outcome[5] == -1
    assert loaded.design.n_rows == 240


def test_every_supported_dtype_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 200
    frame = pd.DataFrame(
        {
            "y": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), ["lo", "mid", "hi"], True),
            "count": rng.integers(0, 4, n).astype("int32"),
            "flag": rng.random(n) < 0.4,
            "size": rng.normal(size=n).astype("float32"),
            "team": pd.Series(
                rng.choice(["b, with comma", 'a "quoted"', "c\nline"], n), dtype=object
            ),
            "grade": pd.Categorical(rng.choice([30, 10, 20], n), categories=[30, 10, 20]),
            "label": pd.Series(rng.choice(["p", "q"], n), dtype="string"),
        }
    )
    formula = "y ~ count + flag + size + team + grade + C(label) + np.log(count + 1) + {size ** 2}"
    fitted = OrdinalModel(formula).fit(frame)
    loaded = load(save(fitted, tmp_path / "fit"))
    assert_same_design(loaded.design, fitted.design)
    assert dict(loaded.design.cells.dtypes) == dict(fitted.design.cells.dtypes)
    pd.testing.assert_series_equal(loaded.params, fitted.params, check_exact=True)
    pd.testing.assert_frame_equal(
        loaded.predict_proba(frame.head(7)), fitted.predict_proba(frame.head(7)), check_exact=True
    )


def test_unsupported_dtype_is_refused_at_save(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "y": pd.Categorical(rng.choice(["lo", "hi"], 60), ["lo", "hi"], True),
            "day": pd.Series(pd.to_datetime(rng.choice(["2020-01-01", "2021-01-01"], 60))),
        }
    )
    fitted = OrdinalModel("y ~ C(day)").fit(frame)
    with pytest.raises(SavedFitError, match="column 'day' of dtype datetime64"):
        save(fitted, tmp_path / "fit")
    assert not (tmp_path / "fit").exists()


def test_corrupt_cells(ml_copy: Path) -> None:
    lines = (ml_copy / "cells.csv").read_text().splitlines()
    lines[3] = ",".join(lines[3].split(",")[:-1] + ["lots"])
    (ml_copy / "cells.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SavedFitError, match="cells.csv is corrupt: a count is not a number"):
        load(ml_copy)
    lines[0] = lines[0].replace("region", "area")
    (ml_copy / "cells.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SavedFitError, match="cells.csv is corrupt: its header"):
        load(ml_copy)


def test_unknown_level_in_cells(ml_copy: Path) -> None:
    text = (ml_copy / "cells.csv").read_text()
    (ml_copy / "cells.csv").write_text(text.replace(",often,", ",sometimes,", 1))
    with pytest.raises(SavedFitError, match="column 'contact' does not fit its dtype"):
        load(ml_copy)
