"""The survey that the saved-fit tests fit, and the check that a loaded design is the fitted one.

Shared by ``test_io.py``, ``test_saved_design.py`` and ``test_formula_safety.py``; the fixtures
built from it (``survey_data``, ``ml_fit``, ``ml_folder``, ``ml_copy``) are in ``conftest.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

QUALITY = ["definitely_bad", "rather_bad", "mixed", "rather_good", "definitely_good"]
FORMULA = "quality ~ contact + region + x"


def survey(n: int = 240, seed: int = 11) -> pd.DataFrame:
    """Ratings from a cumulative logit; the first rows put region 'east' with contact 'often'
    only, so 'east' is coded first in the data but its cells come last (the loader must put
    the rebuilt cells back in the fitted order)."""
    rng = np.random.default_rng(seed)
    contact = rng.choice(["rarely", "often"], n)
    region = rng.choice(["north", "south", "west"], n)
    region[:12], contact[:12] = "east", "often"
    x = rng.normal(size=n).round(1)
    eta = 0.8 * (contact == "often") - 0.5 * (region == "south") + 0.4 * x
    latent = eta + rng.logistic(size=n)
    codes = np.searchsorted([-1.5, -0.5, 0.5, 1.5], latent)
    return pd.DataFrame(
        {
            "quality": pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(QUALITY, ordered=True)
            ),
            "contact": pd.Categorical(contact, categories=["rarely", "often"]),
            "region": region,
            "x": x,
            "w": np.where(np.arange(n) == 5, 0.0, rng.uniform(0.5, 2.0, n)),
        }
    )


def assert_same_design(loaded: Any, fitted: Any) -> None:
    pd.testing.assert_frame_equal(loaded.cells, fitted.cells, check_exact=True)
    for name in ("counts", "X", "X_nominal", "row_cell", "row_outcome"):
        assert np.array_equal(getattr(loaded, name), getattr(fitted, name)), name
    for name in ("outcome_levels", "X_names", "X_nominal_names", "nobs", "n_rows", "weights"):
        assert getattr(loaded, name) == getattr(fitted, name), name
    assert loaded.encoding.categorical_levels == fitted.encoding.categorical_levels
    for a, b in zip(loaded.mo, fitted.mo, strict=True):
        assert (a.name, a.levels) == (b.name, b.levels)
        assert np.array_equal(a.rank, b.rank) and np.array_equal(a.active, b.active)
    for a, b in zip(loaded.groups, fitted.groups, strict=True):
        assert (a.name, a.levels, a.Z_names) == (b.name, b.levels, b.Z_names)
        assert np.array_equal(a.index, b.index) and np.array_equal(a.Z, b.Z)
