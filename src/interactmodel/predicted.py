"""Predicted category probabilities of new rows, for ML and Bayesian fits.

The per-engine machinery under :mod:`interactmodel.effects`: where to predict
(:func:`make_grid`, ``marginaleffects::datagrid``), and what a fit says there --
:func:`probability_draws` (draws of the category probabilities, from the posterior or from the
asymptotic normal distribution of the ML estimate), :func:`fitted_probabilities` (their point
estimates) and, for the delta method, the analytic Jacobian of the ML probabilities with
respect to every parameter.

Maximum likelihood (``MLResult``)
    ``link(P(Y <= k)) = theta_k + w' gamma_k - x' beta`` at the estimate or at parameter draws;
    the cut points of a draw whose thresholds are out of order are kept non-decreasing, and a
    level the fit never observed has probability 0.
Bayes (``BayesResult``)
    Every posterior draw (or a seeded random subset); ``re="population"`` sets group effects
    to 0 (brms ``re_formula = NA``), ``re="group"`` uses the row's group (brms
    ``re_formula = NULL``), drawing the effects of a group not seen in the fit.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import DataError, SpecificationError, format_values
from interactmodel.links import get_link

__all__ = ["fitted_probabilities", "make_grid", "probability_draws"]

_RE = ("population", "group")


# --------------------------------------------------------------------------- checks


def _engine(result: Any) -> str:
    engine = getattr(result, "engine", None)
    if engine not in ("ml", "bayes"):
        raise SpecificationError(
            f"result must be a fitted model (MLResult or BayesResult), got {type(result).__name__}"
        )
    return str(engine)


def _check_level(level: object) -> float:
    if isinstance(level, bool) or not isinstance(level, float | int) or not 0 < level < 1:
        raise SpecificationError(f"level={level!r} must be a number between 0 and 1, e.g. 0.9")
    return float(level)


def _check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise SpecificationError(
            f"{name}={value!r} is not known; use one of {format_values(choices)}"
        )
    return str(value)


# --------------------------------------------------------------------------- grids


def _typical_values(result: Any) -> dict[str, Any]:
    """The weighted mode (categorical) or mean (numeric) of each covariate in the fitted data."""
    design = result.design
    cells, weight = design.cells, design.counts.sum(axis=1)
    typical: dict[str, Any] = {}
    for name in design.encoding.variables:
        column = cells[name]
        if name in design.encoding.categorical_levels or not pd.api.types.is_numeric_dtype(column):
            totals = pd.Series(weight).groupby(column.astype(object).to_numpy()).sum()
            typical[name] = totals.idxmax()
        else:
            typical[name] = float(np.average(column.to_numpy(dtype=float), weights=weight))
    return typical


def make_grid(result: Any, values: pd.DataFrame | Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A grid of predictor values with the fit's categories (``marginaleffects::datagrid``).

    Parameters
    ----------
    result : MLResult or BayesResult
    values : DataFrame or mapping, optional
        A DataFrame is used row by row; a mapping of column -> value(s) gives every combination
        of the listed values.  Covariates of the model that are not given are set to their
        typical value in the fitted data: the weighted mode of a categorical, the weighted mean
        of a numeric column.

    Returns
    -------
    DataFrame
        One row per grid point; categorical covariates carry the fitted categories.
    """
    design = result.design
    if values is None:
        values = {}
    if isinstance(values, pd.DataFrame):
        grid = values.reset_index(drop=True).copy()
    elif isinstance(values, Mapping):
        _check_grid_names(values, design.encoding.variables)
        listed = {k: _as_list(v) for k, v in values.items()}
        combos = list(itertools.product(*listed.values())) if listed else [()]
        grid = pd.DataFrame(combos, columns=list(listed))
    else:
        raise DataError(
            f"grid must be a DataFrame or a dict of lists, got {type(values).__name__}; "
            "e.g. grid={'frequency': ['once_a_year', 'once_a_month']}"
        )
    typical = _typical_values(result)
    for name in design.encoding.variables:
        if name not in grid.columns:
            grid[name] = typical[name]
    for name, levels in design.encoding.categorical_levels.items():
        if name in grid.columns:
            grid[name] = _categorical_like(grid[name], name, levels, design.cells[name])
    return grid


def _check_grid_names(values: Mapping[str, Any], variables: Sequence[str]) -> None:
    """A dict key that is not a covariate is a typo; ignoring it would predict somewhere else."""
    unknown = [name for name in values if name not in variables]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), list(variables), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(
            f"grid names {format_values(unknown)}, which the model does not use{hint}; its "
            f"covariates are {format_values(variables)}"
        )


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray | pd.Series):
        return [value]
    return list(value)


def _categorical_like(
    column: pd.Series, name: str, levels: Sequence[Any], fitted: pd.Series
) -> pd.Series:
    values = column.astype(object)
    unknown = sorted({str(v) for v in values if v not in set(levels)})
    if unknown:
        raise DataError(
            f"grid column {name!r} has level(s) {format_values(unknown)} not seen in the fit; "
            f"use one of {format_values(levels)}"
        )
    ordered = isinstance(fitted.dtype, pd.CategoricalDtype) and bool(fitted.dtype.ordered)
    return pd.Series(pd.Categorical(values, categories=list(levels), ordered=ordered))


# --------------------------------------------------------------------------- ML engine


def _ml_unpack(result: Any, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """theta (S, K-1), gamma (S, q, K-1), beta (S, p) from parameter rows (S, n_params)."""
    kinds = np.asarray(result.kinds)
    theta = params[:, kinds == "threshold"]
    gamma = params[:, kinds == "nominal"].reshape(params.shape[0], -1, theta.shape[1])
    return theta, gamma, params[:, kinds == "location"]


def _ml_cut_predictors(result: Any, cells: Any, params: np.ndarray) -> np.ndarray:
    """z = theta_k + w' gamma_k - x' beta, shape (S, n, K-1)."""
    theta, gamma, beta = _ml_unpack(result, params)
    X, W = np.asarray(cells.X, float), np.asarray(cells.X_nominal, float)
    z = theta[:, None, :] - (beta @ X.T)[:, :, None]
    if W.shape[1]:
        z = z + np.einsum("nq,sqk->snk", W, gamma)
    return z


def _ml_fitted_columns(result: Any) -> np.ndarray:
    """Positions of the ML fit's (observed) outcome levels among all declared levels."""
    declared = list(result.design.outcome_levels)
    return np.array([declared.index(level) for level in result.outcome_levels])


def _ml_probabilities(result: Any, cells: Any, params: np.ndarray) -> np.ndarray:
    """Category probabilities (S, n, K) over all declared outcome levels (0 if unobserved)."""
    link = get_link(result.link)
    # a parameter draw can put thresholds out of order; keeping the cut points non-decreasing
    # keeps every probability >= 0 and their sum 1 (no change for ordered thresholds)
    z = np.maximum.accumulate(_ml_cut_predictors(result, cells, params), axis=2)
    S, n, _ = z.shape
    lower = np.concatenate([np.full((S, n, 1), -np.inf), z], axis=2)
    upper = np.concatenate([z, np.full((S, n, 1), np.inf)], axis=2)
    fitted = np.where(lower > 0, link.sf(lower) - link.sf(upper), link.cdf(upper) - link.cdf(lower))
    probs = np.zeros((S, n, len(result.design.outcome_levels)))
    probs[:, :, _ml_fitted_columns(result)] = np.clip(fitted, 0.0, 1.0)
    return probs


def _ml_jacobian(result: Any, cells: Any) -> np.ndarray:
    """d P(Y = k) / d parameters at the estimate, shape (n, K, n_params) (analytic)."""
    params = np.asarray(result.params, dtype=float)
    z = _ml_cut_predictors(result, cells, params[None, :])[0]
    kinds = np.asarray(result.kinds)
    n, k1 = z.shape
    X, W = np.asarray(cells.X, float), np.asarray(cells.X_nominal, float)
    dz = np.zeros((n, k1, params.size))
    cut = np.arange(k1)
    dz[:, cut, np.flatnonzero(kinds == "threshold")] = 1.0
    nominal = np.flatnonzero(kinds == "nominal").reshape(-1, k1)  # (q, K-1), w_1's cuts first
    for c in range(nominal.shape[0]):
        dz[:, cut, nominal[c]] = W[:, [c]]
    dz[:, :, kinds == "location"] = -X[:, None, :]
    dF = get_link(result.link).pdf(z)[:, :, None] * dz
    zeros = np.zeros((n, 1, params.size))
    fitted = np.concatenate([dF, zeros], axis=1) - np.concatenate([zeros, dF], axis=1)
    jac = np.zeros((n, len(result.design.outcome_levels), params.size))
    jac[:, _ml_fitted_columns(result), :] = fitted
    return jac


# --------------------------------------------------------------------------- Bayes engine


def _posterior_arrays(result: Any) -> dict[str, np.ndarray]:
    """Every posterior variable flattened over (chain, draw): arrays (S, ...)."""
    post = result.idata.posterior
    return {
        name: post[name].to_numpy().reshape(-1, *post[name].shape[2:]) for name in post.data_vars
    }


def _thin(n_total: int, n_draws: int | None, seed: int | None) -> np.ndarray:
    if n_draws is None or n_draws >= n_total:
        return np.arange(n_total)
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
        raise SpecificationError(f"n_draws={n_draws!r} must be a positive integer or None")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_total, size=int(n_draws), replace=False))


def _bayes_cells(result: Any, newdata: pd.DataFrame, re: str) -> Any:
    from interactmodel.bayes_result import CellArrays

    design = result.design
    frame = newdata
    if re == "population" and design.groups:
        # group columns are irrelevant at the population level: any fitted level will do
        frame = newdata.copy()
        for block in design.groups:
            frame[block.group] = block.levels[0]
    allow_new = re == "group"
    cell_design = design.transform(frame, allow_unseen_groups=allow_new)
    sizes = tuple(len(g.levels) for g in design.groups)
    cells = CellArrays.from_design(cell_design, sizes)
    if re == "population":
        cells = CellArrays(cells.X, cells.mo, ())
    return cells


def _bayes_probabilities(
    result: Any, newdata: pd.DataFrame, re: str, n_draws: int | None, seed: int | None
) -> np.ndarray:
    from interactmodel.bayes_result import (
        category_probabilities,
        linear_predictor,
        new_group_effects,
    )

    draws = _posterior_arrays(result)
    keep = _thin(draws["thresholds"].shape[0], n_draws, seed)
    draws = {k: v[keep] for k, v in draws.items()}
    cells = _bayes_cells(result, newdata, re)
    rng = np.random.default_rng(None if seed is None else seed + 1)
    eta = linear_predictor(draws, cells, new_group_effects(draws, cells, rng))
    probs = category_probabilities(draws["thresholds"], eta, result.link)
    return np.clip(probs, 0.0, 1.0)


# --------------------------------------------------------------------------- draws


def probability_draws(
    result: Any,
    newdata: pd.DataFrame,
    n_draws: int | None = None,
    seed: int | None = None,
    re: str = "population",
) -> np.ndarray:
    """Draws of the category probabilities of each row of ``newdata``.

    Parameters
    ----------
    result : MLResult or BayesResult
    newdata : DataFrame
        The model's covariates, one row per prediction.  Not modified.
    n_draws : int, optional
        Bayes: a random subset of this many posterior draws (all draws when None).  ML: the
        number of parameter draws (default 1000).
    seed : int, optional
        Seed of the subset (Bayes), of new-group effects (Bayes, ``re="group"`` with a group
        not seen in the fit) and of the parameter draws (ML).
    re : {"population", "group"}
        Bayes models with group-level terms: group effects set to 0, or the effect of the row's
        group (a new group gets effects drawn from the fitted population).  Ignored by ML.

    Returns
    -------
    ndarray, shape (draws, rows, K)
        ``K`` = number of outcome levels (``result.design.outcome_levels``); every draw's
        probabilities add up to 1 across the last axis.  ML: the probabilities at parameters
        drawn from the asymptotic normal ``N(estimate, cov)`` (a level the fit never observed
        has probability 0).

    Examples
    --------
    >>> from interactmodel.example_data import toy_ratings
    >>> from interactmodel.spec import OrdinalModel
    >>> result = OrdinalModel("quality ~ contact").fit(toy_ratings())
    >>> probability_draws(result, toy_ratings().head(2), n_draws=50, seed=1).shape
    (50, 2, 3)
    """
    engine = _engine(result)
    _check_choice(re, "re", _RE)
    if not isinstance(newdata, pd.DataFrame):
        raise DataError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    if engine == "bayes":
        return _bayes_probabilities(result, newdata, re, n_draws, seed)
    size = 1000 if n_draws is None else n_draws
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise SpecificationError(f"n_draws={n_draws!r} must be a positive integer or None")
    rng = np.random.default_rng(seed)
    estimate = np.asarray(result.params, dtype=float)
    params = rng.multivariate_normal(estimate, np.asarray(result.cov, dtype=float), size=size)
    return _ml_probabilities(result, result.design.transform(newdata), params)


def fitted_probabilities(result: Any, newdata: pd.DataFrame, re: str = "population") -> np.ndarray:
    """Point estimates of the category probabilities of each row, shape (rows, K).

    ML: the probabilities at the maximum-likelihood estimate (plug-in).  Bayes: the posterior
    mean of the probabilities (brms ``posterior_epred`` averaged over draws).

    Parameters
    ----------
    result : MLResult or BayesResult
    newdata : DataFrame
    re : {"population", "group"}
        As in :func:`probability_draws`.
    """
    engine = _engine(result)
    _check_choice(re, "re", _RE)
    if not isinstance(newdata, pd.DataFrame):
        raise DataError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    if engine == "bayes":
        return _bayes_probabilities(result, newdata, re, None, None).mean(axis=0)
    params = np.asarray(result.params, dtype=float)[None, :]
    return _ml_probabilities(result, result.design.transform(newdata), params)[0]
