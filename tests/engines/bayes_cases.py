"""Simulated ratings shared by the tests of the Bayesian engine: two monotonic scales (one per
level of g) and region effects, drawn from the model's latent-variable form with known values."""

from __future__ import annotations

import numpy as np
import pandas as pd

LEVELS = ["l1", "l2", "l3", "l4", "l5"]
X_LEVELS = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3", "b4", "b5"]}
REGIONS = [f"r{i}" for i in range(8)]
TRUTH = {
    "threshold": np.array([-1.5, -0.5, 0.5, 1.5]),
    "z": 0.7,
    "mo": {"A": 0.4, "B": -0.3},
    "simplex": {"A": np.array([0.7, 0.3]), "B": np.array([0.1, 0.2, 0.3, 0.4])},
    "sd": 0.5,
}


def simulate(n: int, seed: int, link: str = "logit") -> tuple[pd.DataFrame, np.ndarray]:
    """Rows from the latent-variable form, with two monotonic scales and region effects."""
    rng = np.random.default_rng(seed)
    g = rng.choice(["A", "B"], size=n)
    rank = np.where(g == "A", rng.integers(0, 3, n), rng.integers(0, 5, n))
    x = np.where(
        g == "A", np.take(X_LEVELS["A"], np.minimum(rank, 2)), np.take(X_LEVELS["B"], rank)
    )
    # rank is below 3 wherever g == "A"; the clipping only keeps the B rows' lookup in range
    z = rng.integers(0, 2, n)
    region_effect = rng.normal(0, TRUTH["sd"], len(REGIONS))
    region = rng.integers(0, len(REGIONS), n)
    eta = TRUTH["z"] * z + region_effect[region]
    for level in ("A", "B"):
        steps = len(X_LEVELS[level]) - 1
        cumulative = np.concatenate([[0.0], np.cumsum(TRUTH["simplex"][level])])
        step = cumulative[np.minimum(rank, steps)]
        eta += np.where(g == level, TRUTH["mo"][level] * steps * step, 0.0)
    noise = rng.logistic(size=n) if link == "logit" else rng.normal(size=n)
    y = (eta[:, None] + noise[:, None] > TRUTH["threshold"][None, :]).sum(axis=1)
    frame = pd.DataFrame(
        {
            "y": pd.Categorical.from_codes(y, LEVELS, ordered=True),
            "z": z,
            "x": pd.Categorical(x, categories=X_LEVELS["A"] + X_LEVELS["B"], ordered=True),
            "g": pd.Categorical(g, categories=["A", "B"]),
            "region": pd.Categorical(np.take(REGIONS, region), categories=REGIONS),
        }
    )
    return frame, region_effect


FORMULA = "y ~ z + mo(x):g + (1 | region)"
