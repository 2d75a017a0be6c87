"""Maximum-likelihood cumulative-link engine: Newton-Raphson on collapsed cell counts.

The model, with the sign convention of ``MASS::polr`` and ``ordinal::clm``::

    link(P(Y <= k | x, w)) = theta_k + w' gamma_k - x' beta,      k = 1..K-1

``x`` are the location (proportional-odds) columns, so a positive ``beta`` moves ratings up;
``w`` are the nominal (threshold-specific) columns, whose effects ``gamma_k`` are *added to the
thresholds* exactly as ``clm(..., nominal = ~ w)`` reports them.

The log-likelihood ``sum_cells sum_k n_ck log P_ck`` needs only the weighted count of each
outcome in each covariate cell, so the cost does not grow with the number of rows.  Its
gradient and Hessian are analytic (see :func:`loglik_derivatives`).  The optimiser works on
``(theta_1, log(theta_2 - theta_1), ...)`` so the thresholds stay ordered, takes Newton steps
with a backtracking line search from the marginal cumulative proportions, and reports the
natural parameters with the covariance from the observed information in those parameters.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, special, stats

from interactmodel.design import Design, build_design
from interactmodel.errors import (
    ConvergenceWarning,
    FitError,
    FormulaError,
    SeparationWarning,
    format_values,
)
from interactmodel.links import Link, get_link

if TYPE_CHECKING:
    from interactmodel.results import MLResult
    from interactmodel.spec import OrdinalModel

__all__ = ["Problem", "fit", "fit_design", "loglik_derivatives", "profile_bounds"]

GRADIENT_TOL = 1e-6  # max |gradient| accepted as converged (clm's default gradTol)
STEP_TOL = 1e-10  # a Newton step this small ends the iterations
MAX_ITER = 100


@dataclass(frozen=True, eq=False)
class Problem:
    """The collapsed data of one cumulative-link likelihood.

    ``counts`` (n_cells, K) hold only the outcome levels that were observed; the parameter
    vector is ``[theta (K-1), gamma (q * (K-1), column-major: all cuts of w_1 first), beta]``.
    """

    counts: np.ndarray
    X: np.ndarray
    W: np.ndarray
    link: Link
    ridge: float = 0.0  # L2 penalty on beta (the scikit-learn wrapper's alpha); 0 = pure ML

    @property
    def n_cuts(self) -> int:
        return self.counts.shape[1] - 1

    @property
    def n_params(self) -> int:
        return self.n_cuts * (1 + self.W.shape[1]) + self.X.shape[1]

    def unpack(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Split natural parameters into theta (K-1,), gamma (q, K-1) and beta (p,)."""
        k1, q = self.n_cuts, self.W.shape[1]
        theta = params[:k1]
        gamma = params[k1 : k1 + q * k1].reshape(q, k1)
        return theta, gamma, params[k1 + q * k1 :]

    def cut_predictors(self, params: np.ndarray) -> np.ndarray:
        """z_ck = theta_k + w_c' gamma_k - x_c' beta, shape (n_cells, K-1)."""
        theta, gamma, beta = self.unpack(params)
        return theta[None, :] + self.W @ gamma - (self.X @ beta)[:, None]


# --------------------------------------------------------------------------- likelihood


def _probabilities(problem: Problem, z: np.ndarray) -> np.ndarray:
    link, n = problem.link, z.shape[0]
    lower = np.column_stack([np.full(n, -np.inf), z])
    upper = np.column_stack([z, np.full(n, np.inf)])
    # differences of upper tails above zero keep small upper-category probabilities precise
    return np.where(lower > 0, link.sf(lower) - link.sf(upper), link.cdf(upper) - link.cdf(lower))


def loglik(problem: Problem, params: np.ndarray) -> float:
    """The weighted log-likelihood; ``-inf`` where a counted category gets probability <= 0."""
    probs = _probabilities(problem, problem.cut_predictors(params))
    counted = problem.counts > 0
    if np.any(probs[counted] <= 0) or np.any(probs < -1e-12) or not np.all(np.isfinite(probs)):
        return -np.inf
    return float(np.sum(problem.counts[counted] * np.log(probs[counted]))) - _penalty(
        problem, params
    )


def _penalty(problem: Problem, params: np.ndarray) -> float:
    if not problem.ridge:
        return 0.0
    beta = problem.unpack(params)[2]
    return 0.5 * problem.ridge * float(beta @ beta)


def loglik_derivatives(
    problem: Problem, params: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, gradient and Hessian in the natural parameters, analytically.

    With ``P_ck = F(z_ck) - F(z_c,k-1)``, ``a = n/P`` and ``b = n/P^2`` (per cell and category),
    the derivatives with respect to the cut predictors are::

        dl/dz_k        = f_k (a_k - a_{k+1})
        d2l/dz_k^2     = f'_k (a_k - a_{k+1}) - f_k^2 (b_k + b_{k+1})
        d2l/dz_k z_k+1 = b_{k+1} f_k f_{k+1}

    and the chain rule through ``dz_k/dtheta_m = [k = m]``, ``dz_k/dgamma_m = w [k = m]``,
    ``dz_k/dbeta = -x`` gives the parameter blocks.
    """
    z = problem.cut_predictors(params)
    probs = _probabilities(problem, z)
    counts = problem.counts
    counted = counts > 0
    value = float(np.sum(counts[counted] * np.log(probs[counted])))
    safe = np.where(counted, probs, 1.0)
    a = np.where(counted, counts / safe, 0.0)
    b = a / safe
    f, fp = problem.link.pdf(z), problem.link.dpdf(z)
    grad_z = f * (a[:, :-1] - a[:, 1:])
    diag = fp * (a[:, :-1] - a[:, 1:]) - f**2 * (b[:, :-1] + b[:, 1:])
    off = b[:, 1:-1] * f[:, :-1] * f[:, 1:]
    k1 = problem.n_cuts
    hz = np.zeros((z.shape[0], k1, k1))
    idx = np.arange(k1)
    hz[:, idx, idx] = diag
    hz[:, idx[:-1], idx[1:]] = off
    hz[:, idx[1:], idx[:-1]] = off
    grad, hess = _gradient(problem, grad_z), _hessian(problem, hz)
    if problem.ridge and problem.X.shape[1]:
        p = problem.X.shape[1]
        grad[-p:] -= problem.ridge * params[-p:]
        hess[-p:, -p:] -= problem.ridge * np.eye(p)
    return value - _penalty(problem, params), grad, hess


def _gradient(problem: Problem, grad_z: np.ndarray) -> np.ndarray:
    g_theta = grad_z.sum(axis=0)
    g_gamma = (problem.W.T @ grad_z).ravel()
    g_beta = -problem.X.T @ grad_z.sum(axis=1)
    return np.concatenate([g_theta, g_gamma, g_beta])


def _hessian(problem: Problem, hz: np.ndarray) -> np.ndarray:
    X, W = problem.X, problem.W
    k1, q, p = problem.n_cuts, W.shape[1], X.shape[1]
    rows = hz.sum(axis=2)
    h_tt = hz.sum(axis=0)
    h_bb = X.T @ (rows.sum(axis=1)[:, None] * X)
    h_tb = -(rows.T @ X)
    h_gg = np.einsum("iml,ic,id->cmdl", hz, W, W).reshape(q * k1, q * k1)
    h_gt = np.einsum("iml,ic->cml", hz, W).reshape(q * k1, k1)
    h_gb = -np.einsum("im,ic,ip->cmp", rows, W, X).reshape(q * k1, p)
    return np.block(
        [
            [h_tt, h_gt.T, h_tb],
            [h_gt, h_gg, h_gb],
            [h_tb.T, h_gb.T, h_bb],
        ]
    )


# --------------------------------------------------------------------------- optimiser


def _to_internal(params: np.ndarray, k1: int) -> np.ndarray:
    internal = params.copy()
    internal[1:k1] = np.log(np.diff(params[:k1]))
    return internal


def _to_natural(internal: np.ndarray, k1: int) -> np.ndarray:
    natural = internal.copy()
    with np.errstate(over="ignore"):  # a wild trial step; the line search then rejects it
        steps = np.exp(internal[1:k1])
    natural[:k1] = internal[0] + np.concatenate([[0.0], np.cumsum(steps)])
    return natural


def _internal_derivatives(
    problem: Problem, internal: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, gradient and Hessian in the ordered (first + log-increment) parameters."""
    k1 = problem.n_cuts
    value, grad, hess = loglik_derivatives(problem, _to_natural(internal, k1))
    jac = np.eye(grad.size)
    jac[:k1, 0] = 1.0
    steps = np.exp(internal[1:k1])
    for j in range(1, k1):
        jac[j, 1 : j + 1] = steps[:j]
    grad_int = jac.T @ grad
    hess_int = jac.T @ hess @ jac
    # second derivative of theta_j in log-increment m is exp(phi_m) for m <= j
    tail = np.cumsum(grad[:k1][::-1])[::-1]
    hess_int[np.arange(1, k1), np.arange(1, k1)] += steps * tail[1:]
    return value, grad_int, hess_int


@dataclass(frozen=True)
class _Optimum:
    params: np.ndarray
    loglik: float
    gradient: np.ndarray
    hessian: np.ndarray
    n_iter: int
    converged: bool
    message: str


def _newton_direction(grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    info = -hess
    try:
        factor = linalg.cho_factor(info)
        return linalg.cho_solve(factor, grad)
    except linalg.LinAlgError:
        # not positive definite away from the optimum: shift the spectrum to make it so
        eigval = np.linalg.eigvalsh(info)
        shift = max(0.0, -eigval.min()) + 1e-6 * max(1.0, abs(eigval).max())
        return np.linalg.solve(info + shift * np.eye(grad.size), grad)


def newton(
    problem: Problem, start: np.ndarray, free: np.ndarray | None = None, max_iter: int = MAX_ITER
) -> _Optimum:
    """Maximise the log-likelihood from natural ``start``; ``free`` masks the parameters moved."""
    k1 = problem.n_cuts
    internal = _to_internal(start, k1)
    free = np.ones(internal.size, dtype=bool) if free is None else free
    value, grad, hess = _internal_derivatives(problem, internal)
    if not np.isfinite(value):
        raise FitError("the log-likelihood is not finite at the starting values")
    message = f"reached the iteration limit ({max_iter})"
    converged, n_iter = False, 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 - n_iter is reported after the loop
        step = np.zeros_like(internal)
        step[free] = _newton_direction(grad[free], hess[np.ix_(free, free)])
        small_gradient = np.max(np.abs(grad[free]), initial=0.0) < GRADIENT_TOL
        if np.max(np.abs(step), initial=0.0) < STEP_TOL:
            converged, message = small_gradient, "Newton step below tolerance"
            break
        accepted, trial = _line_search(problem, internal, step, value)
        if accepted is None:
            converged = small_gradient
            message = "line search found no increase" + ("" if converged else " (gradient not 0)")
            break
        internal = trial
        value, grad, hess = _internal_derivatives(problem, internal)
    natural = _to_natural(internal, k1)
    _, grad_nat, hess_nat = loglik_derivatives(problem, natural)
    return _Optimum(natural, value, grad_nat, hess_nat, n_iter, converged, message)


def _line_search(
    problem: Problem, internal: np.ndarray, step: np.ndarray, value: float
) -> tuple[float | None, np.ndarray]:
    k1 = problem.n_cuts
    scale = 1.0
    for _ in range(40):
        trial = internal + scale * step
        trial_value = loglik(problem, _to_natural(trial, k1))
        # accept no loss beyond rounding, so the last quadratic steps are not rejected
        if np.isfinite(trial_value) and trial_value >= value - 1e-12 * max(1.0, abs(value)):
            return trial_value, trial
        scale /= 2.0
    return None, internal


def start_values(problem: Problem) -> np.ndarray:
    """Thresholds at the link quantiles of the marginal cumulative proportions; effects 0."""
    totals = problem.counts.sum(axis=0)
    cumulative = np.cumsum(totals)[:-1] / totals.sum()
    theta = problem.link.ppf(np.clip(cumulative, 1e-6, 1 - 1e-6))
    return np.concatenate([theta, np.zeros(problem.n_params - problem.n_cuts)])


# --------------------------------------------------------------------------- checks


def _check_terms(design: Design) -> None:
    if design.groups:
        raise FormulaError(
            f"group-level term(s) {format_values(g.name for g in design.groups)} need "
            "engine='bayes'; the maximum-likelihood engine fits fixed effects only "
            "(fit(data, engine='bayes'), or drop the term for engine='ml')"
        )
    if design.mo:
        raise FormulaError(
            f"monotonic term(s) {format_values(b.name for b in design.mo)} need engine='bayes'; "
            "for maximum likelihood use the ordered factor itself (treatment coding)"
        )


def _check_rank(design: Design, X: np.ndarray, W: np.ndarray, names: list[str]) -> None:
    """Raise if a column is a linear combination of the thresholds or of earlier columns.

    As R's model fitting, the later of two dependent columns is the one named (unpivoted QR).
    """
    used = design.counts.sum(axis=1) > 0
    matrix = np.column_stack([np.ones(int(used.sum())), W[used], X[used]])
    if matrix.shape[1] == 1:
        return
    r = linalg.qr(matrix, mode="r")[0]
    scale = np.maximum(np.linalg.norm(matrix, axis=0), 1e-300)
    # with fewer cells than columns, R has fewer diagonal entries: the rest are dependent
    diagonal = np.zeros(matrix.shape[1])
    diagonal[: min(r.shape)] = np.abs(np.diag(r))
    dependent = diagonal / scale < 1e-9
    if dependent.any():
        labels = ["(thresholds)", *names]
        aliased = [labels[i] for i in np.flatnonzero(dependent)]
        raise FitError(
            f"the column(s) {format_values(aliased)} are linear combinations of the thresholds "
            "or of earlier columns (often an interaction with an empty combination of levels, "
            "a constant column or a duplicated variable); drop or merge those terms"
        )


def _observed_levels(design: Design) -> np.ndarray:
    observed = np.flatnonzero(design.counts.sum(axis=0) > 0)
    if observed.size < design.n_levels:
        missing = [design.outcome_levels[i] for i in range(design.n_levels) if i not in observed]
        warnings.warn(
            f"outcome level(s) {format_values(missing)} of {design.outcome!r} never occur, so "
            "their thresholds are not estimable by maximum likelihood; they are dropped",
            ConvergenceWarning,
            stacklevel=4,
        )
    return observed


# --------------------------------------------------------------------------- fitting


def problem_from_design(design: Design, link: str | Link) -> tuple[Problem, tuple[str, ...]]:
    """The likelihood of ``design`` and the names of the outcome levels it keeps."""
    _check_terms(design)
    observed = _observed_levels(design)
    X = np.asarray(design.X, dtype=float)
    W = np.asarray(design.X_nominal, dtype=float)
    _check_rank(design, X, W, [*design.X_nominal_names, *design.X_names])
    counts = np.asarray(design.counts[:, observed], dtype=float)
    levels = tuple(design.outcome_levels[i] for i in observed)
    return Problem(counts, X, W, get_link(link)), levels


def fit_design(design: Design, link: str | Link = "logit") -> dict[str, Any]:
    """Fit by maximum likelihood; return the raw numbers a :class:`MLResult` is built from."""
    problem, levels = problem_from_design(design, link)
    optimum = newton(problem, start_values(problem))
    info = -optimum.hessian
    eigval = np.linalg.eigvalsh(info)
    condition = float(eigval.max() / eigval.min()) if eigval.min() > 0 else np.inf
    try:
        cov = np.linalg.inv(info) if eigval.min() > 0 else np.full_like(info, np.nan)
    except np.linalg.LinAlgError:
        cov = np.full_like(info, np.nan)
    return {
        "problem": problem,
        "outcome_levels": levels,
        "params": optimum.params,
        "cov": cov,
        "loglik": optimum.loglik,
        "converged": optimum.converged,
        "n_iter": optimum.n_iter,
        "max_abs_gradient": float(np.max(np.abs(optimum.gradient))),
        "hessian_condition": condition,
        "message": optimum.message,
    }


def parameter_names(design: Design, levels: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, kind) of each parameter, in the order of the parameter vector.

    Thresholds are ``"threshold[a|b]"``; nominal effects ``"threshold[a|b]:<column>"`` (added
    to that threshold, as ``clm`` reports ``"a|b.<column>"``); location effects keep their
    column names, e.g. ``"temp[T.warm]"``.
    """
    cuts = [f"{lo}|{hi}" for lo, hi in zip(levels[:-1], levels[1:], strict=True)]
    names = [(f"threshold[{c}]", "threshold") for c in cuts]
    names += [(f"threshold[{c}]:{w}", "nominal") for w in design.X_nominal_names for c in cuts]
    names += [(x, "location") for x in design.X_names]
    return names


def fit(spec: OrdinalModel, data: pd.DataFrame, weights: Any = None, **kwargs: Any) -> MLResult:
    """Fit ``spec`` to ``data`` by maximum likelihood (called by ``OrdinalModel.fit``).

    Raises
    ------
    FormulaError
        For ``(1 | g)`` or ``mo()`` terms (fit those with ``engine="bayes"``).
    FitError
        For collinear columns.
    """
    from interactmodel.results import MLResult

    if kwargs:
        raise TypeError(f"engine='ml' takes no options {sorted(kwargs)}; only weights=")
    design = build_design(
        spec.parsed, data, weights=weights, nominal=spec.nominal, levels=spec.levels
    )
    raw = fit_design(design, spec.link)
    result = MLResult.from_fit(spec, design, raw)
    _warn_problems(result)
    return result


def _warn_problems(result: MLResult) -> None:
    separated = separated_parameters(result)
    if separated:
        # name a few: a factor with many sparse levels (an id column) can separate dozens
        shown = ", ".join(f"{n} = {result.params[n]:.3g}" for n in separated[:5])
        if len(separated) > 5:
            shown += f" (and {len(separated) - 5} more)"
        warnings.warn(
            f"quasi-complete separation: {shown} run off towards infinity (Hessian condition "
            f"number {result.hessian_condition:.3g}); some combination of these predictors "
            "perfectly orders the outcome. Merge sparse levels, drop the term or use "
            "engine='bayes' with a prior",
            SeparationWarning,
            stacklevel=4,
        )
    elif not result.converged:
        warnings.warn(
            f"the maximum-likelihood fit did not converge: {result.message}; max |gradient| "
            f"= {result.max_abs_gradient:.3g}, Hessian condition number "
            f"{result.hessian_condition:.3g} after {result.n_iter} iterations",
            ConvergenceWarning,
            stacklevel=4,
        )


def separated_parameters(result: MLResult) -> list[str]:
    """Effects that diverge: huge on the latent scale with a vanishing curvature."""
    kinds = result.parameter_kinds
    se = result.bse
    out = []
    for name, value in result.params.items():
        if kinds[name] == "threshold":
            continue
        # a diverging effect is large and its curvature has vanished (SE of the same order)
        if abs(value) > 15 and not (np.isfinite(se[name]) and se[name] < abs(value) / 5):
            out.append(str(name))
    return out


# --------------------------------------------------------------------------- profile


def profile_bounds(result: MLResult, name: str, level: float = 0.95) -> tuple[float, float]:
    """Profile-likelihood interval of one location coefficient by root finding.

    Solves ``r(b) = +-z_{(1+level)/2}`` for the signed likelihood root
    ``r(b) = sign(b - b_hat) sqrt(2 (l_hat - l_p(b)))``, where ``l_p`` maximises over every
    other parameter with ``b`` fixed (``ordinal``'s ``profile.clm``, which then interpolates a
    spline; here the root is found to 1e-10).  A side that never reaches the cut-off (e.g.
    under separation) is +-inf.
    """
    problem: Problem = result._problem
    position = list(result.params.index).index(name)
    estimate = float(result.params.iloc[position])
    se = float(result.bse.iloc[position])
    cov = result.cov.to_numpy()
    cutoff = stats.norm.ppf(0.5 + level / 2)
    free = np.ones(problem.n_params, dtype=bool)
    free[position] = False
    start_cache = {"params": result._params_array}

    def root(value: float) -> float:
        # warm start: the other parameters move along their regression on this one
        start = result._params_array + cov[:, position] / cov[position, position] * (
            value - estimate
        )
        start[position] = value
        if not np.all(np.diff(start[: problem.n_cuts]) > 0) or not np.isfinite(
            loglik(problem, start)
        ):
            start = start_cache["params"].copy()
            start[position] = value
        optimum = newton(problem, start, free)
        start_cache["params"] = optimum.params
        drop = max(result.loglik - optimum.loglik, 0.0)
        return float(np.sign(value - estimate) * np.sqrt(2 * drop))

    bounds = []
    for side in (-1.0, 1.0):
        bounds.append(_bracket_root(root, estimate, side, se, cutoff))
    return bounds[0], bounds[1]


def _bracket_root(root: Any, estimate: float, side: float, se: float, cutoff: float) -> float:
    scale = se if np.isfinite(se) and se > 0 else 1.0
    near, width = estimate, cutoff * scale
    for _ in range(12):
        far = estimate + side * width
        try:
            value = root(far)
        except FitError:
            return side * np.inf
        if side * value >= cutoff:
            return optimize.brentq(
                lambda b: root(b) - side * cutoff, min(near, far), max(near, far), xtol=1e-10
            )
        near, width = far, width * 2
    return side * np.inf


# --------------------------------------------------------------------------- PO diagnostics


def weighted_frame(design: Design, weight_column: str = "__weight__") -> pd.DataFrame:
    """The collapsed design back as a frequency-weighted frame: one row per (cell, outcome)."""
    cell, level = np.nonzero(design.counts)
    frame = design.cells.iloc[cell].reset_index(drop=True)
    frame[design.outcome] = pd.Categorical(
        np.asarray(design.outcome_levels, dtype=object)[level],
        categories=list(design.outcome_levels),
        ordered=True,
    )
    frame[weight_column] = design.counts[cell, level]
    return frame


def location_terms(design: Design) -> list[str]:
    """The location terms of the formula, as formulaic names them (``"temp"``, ``"a:b"``)."""
    spec = design.encoding.fixed_spec
    if spec is None:
        return []
    return [str(term) for term in spec.terms if str(term) != "1"]


def nominal_test(result: MLResult) -> pd.DataFrame:
    """Likelihood-ratio test of proportional odds per location term (``ordinal::nominal_test``).

    Each term is refitted as a nominal (threshold-specific) effect on the same collapsed counts,
    so frequency weights give exactly the test of the expanded data.  A refit that fails
    (e.g. collinear columns) gives NaN in its row, as R gives NA.
    """
    from interactmodel.formula import _nominal_rhs

    design, spec = result.design, result.spec
    frame = weighted_frame(design)
    existing = _nominal_rhs(spec.nominal)
    rows = [{"term": "<none>", "df": np.nan, "loglik": result.loglik, "aic": result.aic}]
    for term in location_terms(design):
        row = {"term": term, "df": np.nan, "loglik": np.nan, "aic": np.nan}
        nominal = f"{existing} + {term}" if existing else term
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                refit = build_design(
                    spec.parsed, frame, weights="__weight__", nominal=nominal, levels=spec.levels
                )
                raw = fit_design(refit, spec.link)
        except FitError:
            rows.append(row)
            continue
        n_params = raw["params"].size
        row.update(
            df=n_params - result.n_params,
            loglik=raw["loglik"],
            aic=-2 * raw["loglik"] + 2 * n_params,
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    table["lrt"] = 2 * (table["loglik"] - result.loglik)
    table.loc[0, "lrt"] = np.nan
    table["p_value"] = stats.chi2.sf(table["lrt"], table["df"])
    table["df"] = table["df"].astype("Int64")
    return table[["term", "df", "loglik", "aic", "lrt", "p_value"]]


def _binary_logit(X: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Grouped logistic regression by Newton (IRLS), stopping as R's glm.fit(epsilon=1e-12)."""
    coef = np.zeros(X.shape[1])
    share = np.clip(successes.sum() / trials.sum(), 1e-6, 1 - 1e-6)
    coef[0] = np.log(share / (1 - share))
    deviance_old = np.inf
    for _ in range(100):
        pi = special.expit(X @ coef)
        information = X.T @ (X * (trials * pi * (1 - pi))[:, None])
        coef = coef + np.linalg.solve(information, X.T @ (successes - trials * pi))
        pi = np.clip(special.expit(X @ coef), 1e-300, 1 - 1e-16)
        deviance = -2 * np.sum(successes * np.log(pi) + (trials - successes) * np.log1p(-pi))
        if abs(deviance - deviance_old) / (abs(deviance) + 0.1) < 1e-12:
            break
        deviance_old = deviance
    return coef


def _brant_covariance(X: np.ndarray, trials: np.ndarray, fitted: list[np.ndarray]) -> np.ndarray:
    """Joint covariance of the binary-logit slopes (Brant 1990), symmetric."""
    cuts, k = len(fitted), X.shape[1] - 1
    inverse = [np.linalg.inv(X.T @ (X * (trials * pi * (1 - pi))[:, None])) for pi in fitted]
    V = np.zeros((cuts * k, cuts * k))
    for a in range(cuts):
        block_a = slice(a * k, (a + 1) * k)
        V[block_a, block_a] = inverse[a][1:, 1:]
        for b in range(a + 1, cuts):
            block_b = slice(b * k, (b + 1) * k)
            middle = X.T @ (X * (trials * (fitted[b] - fitted[a] * fitted[b]))[:, None])
            cross = (inverse[a] @ middle @ inverse[b])[1:, 1:]
            V[block_a, block_b], V[block_b, block_a] = cross, cross.T
    return V


def brant_test(result: MLResult) -> pd.DataFrame:
    """Brant (1990) Wald test that the binary-logit slopes are equal across cuts.

    For each cut k the grouped logit of ``I(Y > k)`` on the model's columns (with intercept) is
    fitted on the weighted cell counts (equal to the expanded-data fit); the test compares the
    slopes of cut 1 with those of cuts 2..K-1.  Returns rows ``kind`` = ``"omnibus"`` (all
    columns), ``"term"`` (a term's columns jointly) and ``"coefficient"``, with ``chi2``, ``df``,
    ``p_value``.  The covariance is the symmetric one (CRAN ``brant`` and ``car::poTest`` put
    the (k, l) block in the (l, k) position too; this differs only for multi-column rows).
    """
    design = result.design
    problem: Problem = result._problem
    counts = problem.counts
    X = np.column_stack([np.ones(counts.shape[0]), problem.W, problem.X])
    names = [*design.X_nominal_names, *design.X_names]
    used = counts.sum(axis=1) > 0
    X, counts = X[used], counts[used]
    trials = counts.sum(axis=1)
    upper = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1][:, 1:]  # count of Y > k, k = 1..K-1
    coefs, fitted = [], []
    for k in range(upper.shape[1]):
        coef = _binary_logit(X, upper[:, k], trials)
        coefs.append(coef)
        fitted.append(special.expit(X @ coef))
    if max(np.max(np.abs(c[1:]), initial=0.0) for c in coefs) > 15:
        warnings.warn(
            "a binary logit of the Brant test is (quasi-)separated; its statistics are approximate",
            SeparationWarning,
            stacklevel=3,
        )
    V = _brant_covariance(X, trials, fitted)
    slopes = np.concatenate([c[1:] for c in coefs])
    k = len(names)

    def wald(columns: list[int]) -> tuple[float, int]:
        rows = []
        for cut in range(1, len(coefs)):
            for c in columns:
                row = np.zeros(slopes.size)
                row[c], row[cut * k + c] = 1.0, -1.0
                rows.append(row)
        D = np.array(rows)
        d = D @ slopes
        return float(d @ np.linalg.solve(D @ V @ D.T, d)), len(rows)

    groups = [("omnibus", "Omnibus", list(range(k)))]
    groups += [("term", term, cols) for term, cols in _term_columns(design, names).items()]
    groups += [("coefficient", name, [i]) for i, name in enumerate(names)]
    table = []
    for kind, label, cols in groups:
        chi2, df = wald(cols)
        table.append({"test": label, "kind": kind, "chi2": chi2, "df": df})
    out = pd.DataFrame(table)
    out["p_value"] = stats.chi2.sf(out["chi2"], out["df"])
    return out


def _term_columns(design: Design, names: list[str]) -> dict[str, list[int]]:
    terms: dict[str, list[int]] = {}
    for spec in (design.encoding.nominal_spec, design.encoding.fixed_spec):
        if spec is None:
            continue
        for term, indices in spec.term_indices.items():
            cols = [
                names.index(spec.column_names[i]) for i in indices if spec.column_names[i] in names
            ]
            if str(term) != "1" and cols:
                terms.setdefault(str(term), cols)
    return terms
