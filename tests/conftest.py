"""Fixtures shared by the tests of saved fits (``test_io.py``, ``test_saved_design.py``,
``test_formula_safety.py``): one weighted ML fit of :func:`tests.saved_fits.survey` with a
nominal term, saved once per test module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from interactmodel.io import save
from interactmodel.results import MLResult
from interactmodel.spec import OrdinalModel
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
