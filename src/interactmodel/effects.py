"""Predictions, comparisons and odds ratios with uncertainty, for ML and Bayesian fits.

The vocabulary is that of R's ``marginaleffects``: :func:`predictions` of category
probabilities, cumulative shares ``P(Y >= k)`` and the expected rating on any grid of
predictor values; :func:`comparisons` of those quantities between two values of one predictor
(differences or ratios), at chosen values or averaged over the fitted rows (average marginal
effects); :func:`odds_ratios` of the location coefficients.  Every function returns a tidy
DataFrame with ``estimate``, ``std_error``, ``lower`` and ``upper``.

Uncertainty
-----------
Maximum likelihood (``MLResult``)
    Delta method with the **analytic** Jacobian of the category probabilities with respect to
    every parameter (thresholds, nominal and location effects) and the inverse observed
    information of the fit; every quantity here is a linear map of the probabilities, except
    ratios, which get the quotient rule.  (``marginaleffects`` uses forward finite differences
    and ``emmeans`` the analytic gradient; the analytic Jacobian agrees with ``emmeans`` to
    rounding.)  Intervals are Wald, ``estimate +- z * std_error``, like both R packages, so a
    probability's interval may cross 0 or 1.
Bayes (``BayesResult``)
    The quantity is computed for every posterior draw; ``estimate`` is the posterior mean,
    ``std_error`` the posterior standard deviation and ``lower``/``upper`` equal-tailed
    quantiles.  For models with group-level terms ``re="population"`` sets every group effect
    to 0 (the population-level prediction; brms ``re_formula = NA``) and ``re="group"``
    includes the effect of the row's group (brms ``re_formula = NULL``).

:func:`probability_draws` gives the raw material of both: draws of the category probabilities
of new rows, from the posterior or from the asymptotic normal distribution of the ML estimate.
It, :func:`fitted_probabilities`, :func:`make_grid` and the analytic Jacobian live in
:mod:`interactmodel.predicted` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from interactmodel.errors import DataError, SpecificationError, format_values
from interactmodel.predicted import (
    _RE,
    _bayes_probabilities,
    _check_choice,
    _check_level,
    _engine,
    _ml_jacobian,
    _ml_probabilities,
    _posterior_arrays,
    fitted_probabilities,
    make_grid,
    probability_draws,
)

__all__ = [
    "COMPARISONS",
    "QUANTITIES",
    "comparisons",
    "fitted_probabilities",
    "make_grid",
    "odds_ratios",
    "predictions",
    "probability_draws",
]

QUANTITIES = ("probability", "cumulative", "expected")
COMPARISONS = ("difference", "ratio")


# --------------------------------------------------------------------------- checks


def _quantities(quantity: str | Sequence[str]) -> list[str]:
    wanted = [quantity] if isinstance(quantity, str) else list(quantity)
    if not wanted:
        raise SpecificationError(
            f"quantity is empty; use one or more of {format_values(QUANTITIES)}"
        )
    return [_check_choice(q, "quantity", QUANTITIES) for q in wanted]


# --------------------------------------------------------------------------- quantities


def _quantity_map(result: Any, quantity: str) -> tuple[np.ndarray, list[str]]:
    """Linear map L (K, m) from category probabilities to the quantity, and its outcome labels.

    ``probability``: identity; ``cumulative``: P(Y >= level) for the 2nd..K-th level;
    ``expected``: sum of score * P with the levels scored 1..K.
    """
    levels = list(result.design.outcome_levels)
    K = len(levels)
    if quantity == "probability":
        return np.eye(K), levels
    if quantity == "cumulative":
        return (np.arange(K)[:, None] >= np.arange(1, K)[None, :]).astype(float), levels[1:]
    return np.arange(1.0, K + 1)[:, None], ["expected"]


@dataclass(frozen=True)
class _Values:
    """A quantity's estimate per (row, outcome) and what its uncertainty needs.

    ML: ``estimate`` (n, m) and ``jacobian`` (n, m, P).  Bayes: ``draws`` (S, n, m) and
    ``estimate`` their mean.
    """

    estimate: np.ndarray
    jacobian: np.ndarray | None = None
    draws: np.ndarray | None = None


def _evaluate(result: Any, frame: pd.DataFrame, L: np.ndarray, ctx: dict[str, Any]) -> _Values:
    if _engine(result) == "ml":
        cells = result.design.transform(frame)
        params = np.asarray(result.params, dtype=float)[None, :]
        probs = _ml_probabilities(result, cells, params)[0]
        jac = np.einsum("nkp,km->nmp", _ml_jacobian(result, cells), L)
        return _Values(probs @ L, jacobian=jac)
    probs = _bayes_probabilities(result, frame, ctx["re"], ctx["n_draws"], ctx["seed"])
    draws = probs @ L
    return _Values(draws.mean(axis=0), draws=draws)


def _combine(a: _Values, b: _Values, comparison: str) -> _Values:
    """b - a or b / a, row by row."""
    if a.draws is not None and b.draws is not None:
        draws = b.draws - a.draws if comparison == "difference" else b.draws / a.draws
        return _Values(draws.mean(axis=0), draws=draws)
    assert a.jacobian is not None and b.jacobian is not None
    if comparison == "difference":
        return _Values(b.estimate - a.estimate, jacobian=b.jacobian - a.jacobian)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = b.estimate / a.estimate
        jac = (b.jacobian - ratio[:, :, None] * a.jacobian) / a.estimate[:, :, None]
    return _Values(ratio, jacobian=jac)


def _average(
    values: _Values, groups: np.ndarray, weights: np.ndarray
) -> tuple[_Values, np.ndarray]:
    """Weighted averages over rows within each group; returns them and the group codes."""
    codes = np.unique(groups)
    share = np.stack([np.where(groups == c, weights, 0.0) for c in codes])  # (G, n)
    share /= share.sum(axis=1, keepdims=True)
    estimate = share @ values.estimate if values.draws is None else None
    if values.draws is not None:
        draws = np.einsum("gn,snm->sgm", share, values.draws)
        return _Values(draws.mean(axis=0), draws=draws), codes
    assert values.jacobian is not None and estimate is not None
    return _Values(estimate, jacobian=np.einsum("gn,nmp->gmp", share, values.jacobian)), codes


def _ratio_of_averages(
    a: _Values, b: _Values, groups: np.ndarray, weights: np.ndarray
) -> tuple[_Values, np.ndarray]:
    avg_a, codes = _average(a, groups, weights)
    avg_b, _ = _average(b, groups, weights)
    return _combine(avg_a, avg_b, "ratio"), codes


def _summaries(values: _Values, result: Any, level: float) -> dict[str, np.ndarray]:
    """estimate, std_error, lower, upper (each (n, m))."""
    if values.draws is not None:
        tail = (1 - level) / 2
        lower, upper = np.nanquantile(values.draws, [tail, 1 - tail], axis=0)
        return {
            "estimate": values.estimate,
            "std_error": values.draws.std(axis=0, ddof=1),
            "lower": lower,
            "upper": upper,
        }
    assert values.jacobian is not None
    cov = np.asarray(result.cov, dtype=float)
    var = np.einsum("nmp,pq,nmq->nm", values.jacobian, cov, values.jacobian)
    se = np.sqrt(np.clip(var, 0.0, None))
    z = stats.norm.ppf(0.5 + level / 2)
    return {
        "estimate": values.estimate,
        "std_error": se,
        "lower": values.estimate - z * se,
        "upper": values.estimate + z * se,
    }


def _tidy(
    columns: pd.DataFrame, labels: list[str], summary: dict[str, np.ndarray], extra: dict[str, Any]
) -> pd.DataFrame:
    """One row per (row of ``columns``, outcome label)."""
    n, m = summary["estimate"].shape
    frame = columns.iloc[np.repeat(np.arange(n), m)].reset_index(drop=True)
    for name, value in reversed(list(extra.items())):
        frame.insert(0, name, value)
    frame["outcome"] = np.tile(labels, n)
    for key in ("estimate", "std_error", "lower", "upper"):
        frame[key] = summary[key].reshape(-1)
    return frame


def _method(result: Any, level: float) -> str:
    if _engine(result) == "ml":
        return f"delta method (analytic Jacobian), Wald {level:.0%} interval"
    return f"posterior mean, sd and equal-tailed {level:.0%} interval"


def _by_columns(by: str | Sequence[str] | None, frame: pd.DataFrame) -> list[str]:
    names = [] if by is None else [by] if isinstance(by, str) else list(by)
    missing = [b for b in names if b not in frame.columns]
    if missing:
        raise DataError(
            f"by={by!r} names column(s) {format_values(missing)} that are not in the grid or the "
            f"fitted data; use some of {format_values(frame.columns)}"
        )
    return names


def _group_codes(frame: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group of each row and one row of ``by`` values per group (in code order)."""
    if not by:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=[0])
    codes, uniques = pd.MultiIndex.from_frame(frame[by].astype(object)).factorize()
    keys = pd.DataFrame(list(uniques), columns=by)
    for name in by:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            keys[name] = pd.Categorical(keys[name], dtype=frame[name].dtype)
    return np.asarray(codes, dtype=np.int64), keys


def _fitted_rows(result: Any) -> tuple[pd.DataFrame, np.ndarray]:
    design = result.design
    return design.cells.reset_index(drop=True), design.counts.sum(axis=1)


# --------------------------------------------------------------------------- predictions


def predictions(
    result: Any,
    grid: pd.DataFrame | Mapping[str, Any] | None = None,
    level: float = 0.9,
    quantity: str | Sequence[str] = "probability",
    by: str | Sequence[str] | None = None,
    re: str = "population",
    n_draws: int | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Predicted probabilities, cumulative shares or expected ratings with intervals.

    Parameters
    ----------
    result : MLResult or BayesResult
    grid : DataFrame or dict, optional
        Where to predict (see :func:`make_grid`: a dict of lists gives all combinations,
        covariates left out take their typical value).  None: the fitted data's covariate
        cells, weighted by their number of responses.
    level : float
        Interval probability.
    quantity : str or list of str
        ``"probability"`` (P(Y = level)), ``"cumulative"`` (P(Y >= level), for the 2nd..K-th
        level) and/or ``"expected"`` (expected rating, levels scored 1..K).
    by : str or list of str, optional
        Average the predictions within the groups of these columns (equal weights over grid
        rows; response weights over fitted cells), like ``avg_predictions(by=...)`` and
        ``emmeans``.  Without ``by`` every grid row is reported.
    re : {"population", "group"}
        Group-level effects of Bayesian models: 0, or those of each row's group.
    n_draws, seed : optional
        Bayes: thin the posterior to ``n_draws`` random draws (seeded).

    Returns
    -------
    DataFrame
        Grid (or ``by``) columns, ``quantity``, ``outcome``, ``estimate``, ``std_error``,
        ``lower``, ``upper``; ``attrs["method"]`` says how the interval was made.

    Examples
    --------
    >>> from interactmodel.example_data import toy_ratings
    >>> from interactmodel.spec import OrdinalModel
    >>> result = OrdinalModel("quality ~ contact").fit(toy_ratings())
    >>> out = predictions(result, {"contact": ["rare", "often"]}, quantity="expected")
    >>> out[["contact", "outcome"]].astype(str).values.tolist()
    [['rare', 'expected'], ['often', 'expected']]
    """
    _engine(result)
    level = _check_level(level)
    _check_choice(re, "re", _RE)
    frame, weights = _fitted_rows(result) if grid is None else (make_grid(result, grid), None)
    if weights is None:
        weights = np.ones(len(frame))
    by_names = _by_columns(by, frame)
    ctx = {"re": re, "n_draws": n_draws, "seed": seed}
    parts = []
    for q in _quantities(quantity):
        L, labels = _quantity_map(result, q)
        values = _evaluate(result, frame, L, ctx)
        columns = frame
        if by_names:
            groups, columns = _group_codes(frame, by_names)
            values, _ = _average(values, groups, weights)
        parts.append(_tidy(columns, labels, _summaries(values, result, level), {"quantity": q}))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["method"] = _method(result, level)
    return out


# --------------------------------------------------------------------------- comparisons


def _nesting(result: Any, variable: str) -> list[str]:
    """Categorical covariates that partition ``variable``'s levels (e.g. partner for frequency).

    A level of ``variable`` is only meaningful together with the one level of such a column it
    occurs with in the fit (the state and business contact scales, for instance).
    """
    cells = result.design.cells
    nested = []
    for name in result.design.encoding.categorical_levels:
        if name == variable:
            continue
        pairs = cells[[variable, name]].astype(object).drop_duplicates()
        if pairs[variable].is_unique and pairs[name].nunique() > 1:
            nested.append(name)
    return nested


def _scales(
    result: Any, variable: str, scales: Sequence[Sequence[Any]] | Mapping[str, Any] | None
) -> list[list[Any]]:
    """The ordered levels of ``variable`` on each of its scales (one list if it has one).

    Given ``scales`` are checked against the fitted levels; otherwise a categorical covariate
    that partitions ``variable``'s levels (see :func:`_nesting`) defines them.
    """
    levels = list(result.design.encoding.categorical_levels[variable])
    if scales is not None:
        lists = [list(v) for v in (scales.values() if isinstance(scales, Mapping) else scales)]
        unknown = sorted({str(lv) for scale in lists for lv in scale if lv not in levels})
        if unknown or not lists:
            raise SpecificationError(
                f"scales must be lists of levels of {variable!r} ({format_values(levels)}); "
                f"unknown: {format_values(unknown)}"
            )
        return lists
    nest = _nesting(result, variable)
    if not nest:
        return [levels]
    cells = result.design.cells[[variable, *nest]].astype(object).drop_duplicates()
    groups = cells.groupby(nest, sort=False)[variable].apply(set)
    return [[lv for lv in levels if lv in members] for members in groups]


def _contrast_pairs(
    result: Any, variable: str, contrast: Any, scales: list[list[Any]]
) -> list[tuple[Any, Any]]:
    categorical = variable in result.design.encoding.categorical_levels
    if isinstance(contrast, str):
        _check_choice(contrast, "contrast", ("sequential", "reference"))
        if not categorical:
            raise SpecificationError(
                f"contrast={contrast!r} needs a categorical variable; {variable!r} is numeric: "
                "give contrast=(from, to) or a step such as contrast=1"
            )
        pairs = []
        for scale in scales:
            if contrast == "sequential":
                pairs += list(zip(scale[:-1], scale[1:], strict=True))
            else:
                pairs += [(scale[0], lv) for lv in scale[1:]]
        return pairs
    if isinstance(contrast, tuple) and len(contrast) == 2:
        return [contrast]
    if isinstance(contrast, list) and all(isinstance(c, tuple) and len(c) == 2 for c in contrast):
        return list(contrast)
    if not categorical and isinstance(contrast, int | float) and not isinstance(contrast, bool):
        if not np.isfinite(contrast):
            raise SpecificationError(
                f"contrast={contrast!r}: the step of numeric {variable!r} must be a finite "
                "number, e.g. contrast=1"
            )
        return [("+", contrast)]
    raise SpecificationError(
        f"contrast={contrast!r} is not valid; use (from, to), a list of such pairs, "
        "'sequential', 'reference', or a numeric step for a numeric variable"
    )


def _rows_for_pair(
    result: Any, frame: pd.DataFrame, variable: str, pair: tuple[Any, Any], scales: list[list[Any]]
) -> np.ndarray:
    """Rows whose own level of ``variable`` is on the scale that holds both levels of the pair."""
    levels = result.design.encoding.categorical_levels[variable]
    unknown = [lv for lv in pair if lv not in levels]
    if unknown:
        raise DataError(
            f"contrast level(s) {format_values(unknown)} of {variable!r} were not seen in the fit; "
            f"use some of {format_values(levels)}"
        )
    home = [scale for scale in scales if pair[0] in scale and pair[1] in scale]
    if not home:
        raise DataError(
            f"contrast {pair!r} of {variable!r} mixes levels of different scales "
            f"{format_values([tuple(s) for s in scales])}; compare levels of one scale"
        )
    if len(scales) == 1:
        return np.ones(len(frame), dtype=bool)
    return frame[variable].astype(object).isin(home[0]).to_numpy()


def _counterfactual(
    frame: pd.DataFrame, variable: str, value: Any, step: Any = None
) -> pd.DataFrame:
    out = frame.copy()
    if value == "+":
        out[variable] = out[variable].astype(float) + float(step)
    elif isinstance(frame[variable].dtype, pd.CategoricalDtype):
        out[variable] = pd.Categorical([value] * len(out), dtype=frame[variable].dtype)
    else:
        out[variable] = value
    return out


def comparisons(
    result: Any,
    variable: str,
    contrast: Any = "sequential",
    by: str | Sequence[str] | None = None,
    at: pd.DataFrame | Mapping[str, Any] | None = None,
    average: bool = True,
    quantity: str | Sequence[str] = "probability",
    comparison: str = "difference",
    level: float = 0.9,
    re: str = "population",
    n_draws: int | None = None,
    seed: int | None = None,
    scales: Sequence[Sequence[Any]] | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Differences or ratios of predictions between two values of one predictor.

    For each pair ``(from, to)``, every row is predicted twice, with ``variable`` set to
    ``from`` and to ``to`` (all else as in the row), and the two are compared.

    Parameters
    ----------
    result : MLResult or BayesResult
    variable : str
        The predictor to change.
    contrast : (from, to), list of pairs, "sequential", "reference" or a number
        ``"sequential"``: each level against the one before; ``"reference"``: each level
        against the first.  When a variable's levels belong to different scales (contact
        frequency: one scale per partner), pairs stay within a scale and use only the rows
        whose own level is on that scale.  A number: the change ``x -> x + number`` of a
        numeric variable.
    by : str or list of str, optional
        Average within groups of these columns (with ``average=True``).
    at : DataFrame or dict, optional
        Rows to compare at (see :func:`make_grid`).  None: the fitted data (cells weighted by
        their number of responses), which with ``average=True`` gives average marginal effects.
    average : bool
        Average over rows (within ``by``); otherwise one result per row.
    quantity : str or list of str
        ``"probability"``, ``"cumulative"`` (P(Y >= level)) or ``"expected"``.
    comparison : {"difference", "ratio"}
        ``to - from`` or ``to / from``.  Averaged ratios are ratios of the averages
        (``marginaleffects``' ``"ratioavg"``).
    level, re, n_draws, seed
        As in :func:`predictions`.
    scales : list of level lists or dict, optional
        The scales of a categorical ``variable``, e.g. ``article.FREQUENCY_LEVELS``.  Default:
        found from a model covariate that partitions its levels (``partner`` for
        ``frequency``), else one scale of all levels.

    Returns
    -------
    DataFrame
        ``term`` (the variable), ``contrast`` ("to - from" or "to / from"), the ``by`` or row
        columns, ``quantity``, ``outcome``, ``estimate``, ``std_error``, ``lower``, ``upper``.

    Examples
    --------
    >>> from interactmodel.example_data import toy_ratings
    >>> from interactmodel.spec import OrdinalModel
    >>> result = OrdinalModel("quality ~ contact").fit(toy_ratings())
    >>> ame = comparisons(result, "contact", contrast=("rare", "often"), quantity="cumulative")
    >>> ame[["contrast", "outcome"]].values.tolist()
    [['often - rare', 'mixed'], ['often - rare', 'good']]
    """
    _engine(result)
    level = _check_level(level)
    _check_choice(re, "re", _RE)
    _check_choice(comparison, "comparison", COMPARISONS)
    if variable not in result.design.encoding.variables:
        raise DataError(
            f"variable={variable!r} is not a covariate of the model; use one of "
            f"{format_values(result.design.encoding.variables)}"
        )
    frame, weights = _fitted_rows(result) if at is None else (make_grid(result, at), None)
    weights = np.ones(len(frame)) if weights is None else weights
    by_names = _by_columns(by, frame)
    categorical = variable in result.design.encoding.categorical_levels
    scale_lists = _scales(result, variable, scales) if categorical else []
    ctx = {"re": re, "n_draws": n_draws, "seed": seed}
    sign = "-" if comparison == "difference" else "/"
    parts = []
    for pair in _contrast_pairs(result, variable, contrast, scale_lists):
        rows = (
            None if pair[0] == "+" else _rows_for_pair(result, frame, variable, pair, scale_lists)
        )
        sub = frame if rows is None else frame[rows].reset_index(drop=True)
        w = weights if rows is None else weights[rows]
        if sub.empty:
            continue
        if pair[0] == "+":
            lo, hi = sub, _counterfactual(sub, variable, "+", pair[1])
            label = f"+{pair[1]:g}"
        else:
            lo, hi = (_counterfactual(sub, variable, v) for v in pair)
            label = f"{pair[1]} {sign} {pair[0]}"
        for q in _quantities(quantity):
            L, labels = _quantity_map(result, q)
            a, b = _evaluate(result, lo, L, ctx), _evaluate(result, hi, L, ctx)
            columns = sub.drop(columns=[variable]) if pair[0] != "+" else sub
            if average:
                groups, columns = _group_codes(sub, by_names)
                if comparison == "ratio":
                    values, _ = _ratio_of_averages(a, b, groups, w)
                else:
                    values, _ = _average(_combine(a, b, comparison), groups, w)
            else:
                values = _combine(a, b, comparison)
            extra = {"term": variable, "contrast": label, "quantity": q}
            parts.append(_tidy(columns, labels, _summaries(values, result, level), extra))
    if not parts:
        raise DataError(
            f"no rows of the data or grid allow the contrast(s) {contrast!r} of {variable!r}"
        )
    out = pd.concat(parts, ignore_index=True)
    out.attrs["method"] = _method(result, level)
    return out


# --------------------------------------------------------------------------- odds ratios


def odds_ratios(result: Any, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
    """exp(coefficient) of every location effect, with an interval.

    With the sign convention ``logit P(Y <= k) = theta_k - x' beta``, ``exp(beta)`` is the odds
    of a *higher* rating (``P(Y > k) / P(Y <= k)``, the same for every k) relative to the
    reference, per unit of the column (logit link only for the odds interpretation).

    Parameters
    ----------
    result : MLResult or BayesResult
    level : float
    method : {"wald", "profile"}
        ML only: exp of the Wald or profile-likelihood bounds.  Bayes: quantiles of the
        per-draw exp(coefficient).

    Returns
    -------
    DataFrame
        ``term``, ``estimate``, ``std_error`` (ML: delta method ``exp(b) * se(b)``; Bayes:
        posterior sd of exp(b)), ``lower``, ``upper``, ``method``.  Bayes: ``estimate`` is the
        posterior median (so that it is exp of the coefficient's median); monotonic effects are
        given per step (``exp(b_mo)``) and over the whole scale (``exp(D * b_mo)``).
    """
    engine = _engine(result)
    level = _check_level(level)
    if engine == "ml":
        _check_choice(method, "method", ("wald", "profile"))
        location = [k == "location" for k in result.kinds]
        beta = result.params[location]
        bounds = result.conf_int(level, method).loc[beta.index]
        return pd.DataFrame(
            {
                "term": list(beta.index),
                "estimate": np.exp(beta.to_numpy()),
                "std_error": np.exp(beta.to_numpy()) * result.bse[beta.index].to_numpy(),
                "lower": np.exp(bounds["lower"].to_numpy()),
                "upper": np.exp(bounds["upper"].to_numpy()),
                "method": method,
            }
        )
    return _bayes_odds_ratios(result, level)


def _bayes_odds_ratios(result: Any, level: float) -> pd.DataFrame:
    draws = _posterior_arrays(result)
    columns: dict[str, np.ndarray] = {}
    if "b" in draws:
        for j, name in enumerate(result.design.X_names):
            columns[name] = draws["b"][:, j]
    for m, block in enumerate(result.design.mo):
        columns[f"{block.name} (one step)"] = draws["b_mo"][:, m]
        columns[f"{block.name} (lowest to highest)"] = draws["b_mo"][:, m] * block.n_steps
    names = list(columns)
    logs = np.column_stack([columns[n] for n in names]) if names else np.zeros((1, 0))
    values = np.exp(logs)
    tail = (1 - level) / 2
    lower, upper = np.exp(np.quantile(logs, [tail, 1 - tail], axis=0))
    return pd.DataFrame(
        {
            "term": names,
            "estimate": np.exp(np.median(logs, axis=0)),
            "std_error": values.std(axis=0, ddof=1),
            "lower": lower,
            "upper": upper,
            "method": "posterior",
        }
    )
