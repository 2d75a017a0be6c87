"""MCMC convergence diagnostics that are never silent.

Every Bayesian fit records divergences, R-hat, bulk and tail ESS and E-BFMI, and raises a
:class:`~interactmodel.errors.ConvergenceWarning` carrying the numbers when any of them fails
the usual thresholds (Vehtari et al. 2021; Betancourt 2016):

- any divergent transition after warm-up;
- R-hat > 1.01 for any parameter;
- bulk or tail ESS < 400 (summed over chains) for any parameter;
- E-BFMI < 0.3 in any chain.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> table = parameter_diagnostics(rng.normal(size=(4, 500, 2)), ["a", "b"])
>>> bool((table["r_hat"] < 1.01).all())
True
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import ConvergenceWarning

__all__ = [
    "THRESHOLDS",
    "bfmi",
    "convergence_diagnostics",
    "failures",
    "parameter_diagnostics",
    "warn_if_not_converged",
]

THRESHOLDS = {"r_hat": 1.01, "ess": 400.0, "bfmi": 0.3, "divergences": 0}


def parameter_diagnostics(values: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """R-hat, bulk/tail ESS and MCSE of each parameter.

    Parameters
    ----------
    values : ndarray, shape (chain, draw, n_parameters)
    names : sequence of str

    Returns
    -------
    DataFrame
        Indexed by parameter: ``mcse_mean``, ``mcse_sd``, ``ess_bulk``, ``ess_tail``, ``r_hat``
        (rank-normalised split R-hat; ArviZ's implementation).
    """
    import arviz as az
    import xarray as xr

    data = xr.Dataset({"x": (("chain", "draw", "parameter"), np.asarray(values, dtype=float))})
    with warnings.catch_warnings(), _numpy_arviz():
        # constant draws (e.g. a correlation's diagonal) give nan with a RuntimeWarning
        warnings.simplefilter("ignore", RuntimeWarning)
        stats = {
            "mcse_mean": az.mcse(data, method="mean")["x"].to_numpy(),
            "mcse_sd": _mcse_sd(np.asarray(values, dtype=float)),
            "ess_bulk": az.ess(data, method="bulk")["x"].to_numpy(),
            "ess_tail": az.ess(data, method="tail")["x"].to_numpy(),
            "r_hat": az.rhat(data)["x"].to_numpy(),
        }
    return pd.DataFrame(stats, index=pd.Index(list(names), name="parameter"))


@contextmanager
def _numpy_arviz() -> Iterator[None]:
    """ArviZ's numpy code path instead of its numba one, for the duration of the block.

    With numba installed ArviZ JIT-compiles a variance on its first ESS of every process
    (~0.35 s, a third of the post-processing of a fit); the numpy path computes the same
    numbers.  ArviZ's switch is global, so the previous state is restored afterwards.
    """
    from arviz.utils import Numba

    before = Numba.numba_flag
    Numba.numba_flag = False
    try:
        yield
    finally:
        Numba.numba_flag = before


def _mcse_sd(values: np.ndarray) -> np.ndarray:
    """MCSE of the posterior SD, ArviZ's formula (its numba path fails on numpy 2.4)."""
    import arviz as az
    import xarray as xr

    squared = (values - values.mean(axis=(0, 1))) ** 2
    data = xr.Dataset({"x": (("chain", "draw", "parameter"), squared)})
    ess = az.ess(data, method="mean")["x"].to_numpy()
    evar = squared.mean(axis=(0, 1))
    varvar = ((squared**2).mean(axis=(0, 1)) - evar**2) / ess
    return np.sqrt(varvar / evar / 4)


def bfmi(energy: np.ndarray) -> np.ndarray:
    """E-BFMI of each chain from the Hamiltonian energy, shape (chain, draw)."""
    energy = np.asarray(energy, dtype=float)
    numerator = np.square(np.diff(energy, axis=1)).mean(axis=1)
    return numerator / energy.var(axis=1)


def convergence_diagnostics(
    table: pd.DataFrame, diverging: np.ndarray, energy: np.ndarray | None
) -> dict[str, Any]:
    """Summarise a fit's diagnostics into a dict of numbers plus the list of failures.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`parameter_diagnostics`.
    diverging : ndarray of bool, shape (chain, draw)
    energy : ndarray, shape (chain, draw), or None

    Returns
    -------
    dict
        ``divergences``, ``max_r_hat`` / ``max_r_hat_parameter``, ``min_ess_bulk`` /
        ``min_ess_bulk_parameter``, ``min_ess_tail`` / ``min_ess_tail_parameter``, ``bfmi``
        (list per chain), ``min_bfmi``, ``failures`` (list of str) and ``converged`` (bool).
    """
    finite = table.replace([np.inf, -np.inf], np.nan)
    r_hat = finite["r_hat"].dropna()
    bulk = finite["ess_bulk"].dropna()
    tail = finite["ess_tail"].dropna()
    per_chain = bfmi(energy) if energy is not None else np.array([np.nan])
    diag: dict[str, Any] = {
        "divergences": int(np.asarray(diverging).sum()),
        "draws": int(np.asarray(diverging).size),
        "max_r_hat": float(r_hat.max()) if len(r_hat) else float("nan"),
        "max_r_hat_parameter": str(r_hat.idxmax()) if len(r_hat) else "",
        "min_ess_bulk": float(bulk.min()) if len(bulk) else float("nan"),
        "min_ess_bulk_parameter": str(bulk.idxmin()) if len(bulk) else "",
        "min_ess_tail": float(tail.min()) if len(tail) else float("nan"),
        "min_ess_tail_parameter": str(tail.idxmin()) if len(tail) else "",
        "bfmi": [float(v) for v in per_chain],
        "min_bfmi": float(np.nanmin(per_chain)) if np.isfinite(per_chain).any() else float("nan"),
    }
    diag["failures"] = failures(diag)
    diag["converged"] = not diag["failures"]
    return diag


def failures(diag: dict[str, Any]) -> list[str]:
    """The failed checks of a diagnostics dict, each a sentence with the numbers."""
    found = []
    if diag["divergences"] > THRESHOLDS["divergences"]:
        found.append(
            f"{diag['divergences']} divergent transition(s) out of {diag['draws']} draws "
            "(raise target_accept, e.g. 0.95, or change the parameterization)"
        )
    if diag["max_r_hat"] > THRESHOLDS["r_hat"]:
        found.append(
            f"R-hat {diag['max_r_hat']:.3f} > {THRESHOLDS['r_hat']} "
            f"for {diag['max_r_hat_parameter']}"
        )
    for kind in ("bulk", "tail"):
        value = diag[f"min_ess_{kind}"]
        if value < THRESHOLDS["ess"]:
            found.append(
                f"{kind} ESS {value:.0f} < {THRESHOLDS['ess']:.0f} "
                f"for {diag[f'min_ess_{kind}_parameter']} (draw more, e.g. draws=2000)"
            )
    if diag["min_bfmi"] < THRESHOLDS["bfmi"]:
        shown = ", ".join(f"{v:.2f}" for v in diag["bfmi"])
        found.append(f"E-BFMI {diag['min_bfmi']:.2f} < {THRESHOLDS['bfmi']} (per chain: {shown})")
    return found


def warn_if_not_converged(diag: dict[str, Any], context: str = "Bayesian fit") -> None:
    """Raise a ConvergenceWarning listing every failed check of ``diag``, if any."""
    if diag["failures"]:
        warnings.warn(
            f"{context} may not have converged: " + "; ".join(diag["failures"]),
            ConvergenceWarning,
            stacklevel=3,
        )
