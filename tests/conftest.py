"""Fixtures shared by several test modules.

The tests of saved fits (``test_io.py``, ``test_saved_design.py``, ``test_formula_safety.py``):
one weighted ML fit of :func:`tests.saved_fits.survey` with a nominal term, saved once per test
module.  The tests of effects and predicted probabilities (``test_effects.py``,
``test_predicted.py``): the ML fit of the wine data and the brms monotonic case of
:mod:`tests.effect_fits`, fitted once per session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from interactmodel.io import save
from interactmodel.results import MLResult
from interactmodel.spec import OrdinalModel
from tests.effect_fits import fit_brms_case, read_wine
from tests.saved_fits import FORMULA, survey


@pytest.fixture(scope="module")
def survey_data() -> pd.DataFrame:
    return survey()


@pytest.fixture(scope="module")
def ml_fit(survey_data: pd.DataFrame) -> MLResult:
    return OrdinalModel(FORMULA, nominal="~ contact").fit(survey_data, weights="w")


@pytest.fixture(scope="module")
def ml_folder(ml_fit: MLResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save(ml_fit, tmp_path_factory.mktemp("saved") / "ml_fit")


@pytest.fixture
def ml_copy(ml_folder: Path, tmp_path: Path) -> Path:
    """A private copy of the saved ML fit, for tests that damage it."""
    return Path(shutil.copytree(ml_folder, tmp_path / "copy"))


@pytest.fixture(scope="session")
def wine() -> pd.DataFrame:
    return read_wine()


@pytest.fixture(scope="session")
def wine_fit(wine: pd.DataFrame) -> MLResult:
    return OrdinalModel("rating ~ temp + contact").fit(wine)


@pytest.fixture(scope="session")
def mo_fit():
    return fit_brms_case("cumulative_logit_mo", "y ~ mo(x) + z")
