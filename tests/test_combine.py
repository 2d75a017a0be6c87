"""Rubin's rules against R's mice::pool.scalar (tests/reference/combine/rubin.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interactmodel import OrdinalModel
from interactmodel.combine import pool_ml, rubin
from interactmodel.errors import SpecificationError

REFERENCE = json.loads((Path(__file__).parent / "reference" / "combine" / "rubin.json").read_text())


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: f"m{len(c['q'])}")
def test_rubin_matches_mice_pool_scalar(case: dict) -> None:
    q = np.array(case["q"])[:, None]
    u = np.array(case["u"])[:, None]
    pooled = rubin(q, u).iloc[0]
    assert pooled["estimate"] == pytest.approx(case["qbar"], rel=1e-12)
    assert pooled["within_var"] == pytest.approx(case["ubar"], rel=1e-12)
    assert pooled["between_var"] == pytest.approx(case["b"], rel=1e-12, abs=1e-15)
    assert pooled["se"] ** 2 == pytest.approx(case["t"], rel=1e-12)
    expected_df = np.inf if case["b"] == 0 else case["df"]
    assert pooled["df"] == pytest.approx(expected_df, rel=1e-10)


def _frames() -> list[pd.DataFrame]:
    levels = ["bad", "mixed", "good"]
    base_q = ["bad", "mixed", "good", "good", "mixed", "bad", "good", "bad"] * 5
    base_c = ["rare", "rare", "often", "often", "often", "rare", "rare", "often"] * 5
    return [
        pd.DataFrame(
            {
                "quality": pd.Categorical(base_q + ["good"] * k, levels, ordered=True),
                "contact": base_c + ["often"] * k,
            }
        )
        for k in (0, 2, 3)
    ]


def test_pool_ml_is_rubin_over_the_fits() -> None:
    fits = [OrdinalModel("quality ~ contact").fit(f) for f in _frames()]
    pooled = pool_ml(fits, level=0.9)
    by_hand = np.vstack([f.params for f in fits])
    assert pooled["estimate"].to_numpy() == pytest.approx(by_hand.mean(axis=0))
    assert list(pooled.index) == list(fits[0].params.index)
    assert set(pooled["kind"]) == {"threshold", "location"}
    assert (pooled["lower"] < pooled["estimate"]).all()
    assert (pooled["n_reconstructions"] == 3).all()


def test_single_fit_gives_its_wald_interval() -> None:
    fit = OrdinalModel("quality ~ contact").fit(_frames()[0])
    pooled = pool_ml([fit])
    wald = fit.conf_int(0.95, method="wald")
    np.testing.assert_allclose(pooled[["lower", "upper"]].to_numpy(), wald.to_numpy(), rtol=1e-12)


def test_pool_ml_rejects_fits_of_different_models() -> None:
    frames = _frames()
    a = OrdinalModel("quality ~ contact").fit(frames[0])
    b = OrdinalModel("quality ~ contact").fit(frames[0].assign(contact="rare").iloc[:-1])
    with pytest.raises(SpecificationError, match="other parameters than fit 0"):
        pool_ml([a, b])
    with pytest.raises(SpecificationError, match="level must be between 0 and 1"):
        pool_ml([a], level=95)
    with pytest.raises(SpecificationError, match="at least one fitted result"):
        pool_ml([])
