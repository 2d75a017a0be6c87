"""Maximum-likelihood cumulative-link fit: interactmodel vs statsmodels' OrderedModel.

Survey-like data (partner x contact frequency x region, 5-level outcome drawn from a known
logit model) at 100,000 and 1,000,000 rows.  interactmodel collapses the rows to covariate
cells and runs Newton on the counts, so its time is dominated by the single pass that builds
the cells; OrderedModel evaluates the likelihood row by row (BFGS).  Both fits are timed in the
same process on the same data; the estimates are compared as a sanity check.

Run: ``python -m benchmarks.run ml`` (writes benchmarks/results/ml.json).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

SIZES = (100_000, 1_000_000)
LEVELS = ("definitely_bad", "rather_bad", "mixed", "rather_good", "definitely_good")
SEED = 20240601
#: statsmodels at 1,000,000 rows: off, because it took 21 s at 100,000 rows (BFGS, row-wise
#: likelihood, linear in rows), so ~200 s at 1M on a shared 2-core machine; the 1M ratio is
#: reported against a linear extrapolation of the measured 100k time, labelled as such
STATSMODELS_AT_1M = False


def make_data(n: int, seed: int = SEED) -> pd.DataFrame:
    """n survey-like rows with categorical predictors and an ordered outcome (true logit model)."""
    rng = np.random.default_rng(seed)
    partner = rng.integers(0, 2, n)
    frequency = rng.integers(0, 5, n)
    region = rng.integers(0, 6, n)
    eta = 0.4 * partner + 0.3 * frequency + 0.1 * region
    latent = eta + rng.logistic(size=n)
    outcome = np.searchsorted(np.array([-0.5, 0.5, 1.5, 2.5]), latent)
    return pd.DataFrame(
        {
            "quality": pd.Categorical.from_codes(outcome, LEVELS, ordered=True),
            "partner": pd.Categorical.from_codes(partner, ["state", "business"]),
            "frequency": pd.Categorical.from_codes(frequency, [f"f{i}" for i in range(5)]),
            "region": pd.Categorical.from_codes(region, [f"r{i}" for i in range(6)]),
        }
    )


def _time(fn: Any, repeats: int) -> tuple[float, Any]:
    best, value = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def _ours(data: pd.DataFrame) -> Any:
    from interactmodel import OrdinalModel

    return OrdinalModel("quality ~ partner + frequency + region").fit(data)


def _statsmodels(data: pd.DataFrame) -> Any:
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    exog = pd.get_dummies(data[["partner", "frequency", "region"]], drop_first=True, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = OrderedModel(data["quality"], exog, distr="logit")
        return model.fit(method="bfgs", disp=False, maxiter=1000)


def _compare(ours: Any, peer: Any) -> float:
    """max |difference| of the location coefficients (statsmodels names them partner_business)."""
    theirs = peer.params.to_numpy()[: len(ours.coefficients)]
    return float(np.max(np.abs(ours.coefficients.to_numpy() - theirs)))


def run() -> dict[str, Any]:
    _ours(make_data(1000))  # warm up: imports formulaic and scipy once
    record: dict[str, Any] = {"name": "ml", "sizes": {}}
    for n in SIZES:
        data = make_data(n)
        ours_s, ours = _time(lambda data=data: _ours(data), repeats=3)
        entry: dict[str, Any] = {
            "rows": n,
            "cells": ours.design.n_cells,
            "interactmodel_s": ours_s,
            "interactmodel_newton_iterations": ours.n_iter,
        }
        if n < 1_000_000 or STATSMODELS_AT_1M:
            peer_s, peer = _time(lambda data=data: _statsmodels(data), repeats=1)
            entry.update(
                statsmodels_s=peer_s,
                speedup=peer_s / ours_s,
                max_abs_coef_diff=_compare(ours, peer),
            )
        record["sizes"][str(n)] = entry
    big = record["sizes"][str(SIZES[-1])]
    small = record["sizes"][str(SIZES[0])]
    parts = [
        f"1M rows: interactmodel {big['interactmodel_s']:.3f} s",
        f"100k: {small['interactmodel_s']:.3f} s vs statsmodels {small['statsmodels_s']:.2f} s "
        f"(x{small['speedup']:.0f})",
    ]
    if "statsmodels_s" in big:
        parts.append(f"1M: statsmodels {big['statsmodels_s']:.1f} s (x{big['speedup']:.0f})")
    else:
        guess = small["statsmodels_s"] * SIZES[-1] / SIZES[0]
        big["statsmodels_s_extrapolated_linear"] = guess
        big["speedup_vs_extrapolated"] = guess / big["interactmodel_s"]
        big["statsmodels_note"] = "not run at 1M (too slow); linear extrapolation of 100k"
        parts.append(f"1M vs extrapolated statsmodels: x{guess / big['interactmodel_s']:.0f}")
    record["summary"] = "; ".join(parts)
    record["goal"] = "1,000,000 rows in under 1 s"
    record["goal_met"] = bool(big["interactmodel_s"] < 1.0)
    return record


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
