"""The immutable result of a maximum-likelihood cumulative-link fit: :class:`MLResult`.

Sign convention (``MASS::polr``, ``ordinal::clm``): ``link(P(Y <= k)) = theta_k - x' beta``,
so a positive location coefficient moves ratings up; a nominal effect named
``"threshold[a|b]:<column>"`` is *added to* threshold ``a|b``.

Every accessor returns a new pandas object, so changing what you get back never changes the
result; predicting never changes it either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special, stats

from interactmodel.design import Design
from interactmodel.errors import SpecificationError

if TYPE_CHECKING:
    from interactmodel.engines.ml import Problem
    from interactmodel.spec import OrdinalModel

__all__ = ["MLResult"]


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=float, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class MLResult:
    """A fitted cumulative-link model (maximum likelihood).

    Attributes
    ----------
    spec : OrdinalModel
    design : Design
        The collapsed design, whose encoding predictions reuse.
    outcome_levels : tuple of str
        The outcome levels with a threshold between each neighbouring pair (observed levels).
    names, kinds : tuple of str
        Parameter names and kinds (``"threshold"``, ``"nominal"``, ``"location"``).
    loglik : float
    nobs : float
        Total frequency weight.
    converged : bool
    n_iter : int
    max_abs_gradient : float
        max |d loglik / d parameter| at the estimate (natural parameters).
    hessian_condition : float
        Condition number of the observed information matrix.
    message : str
        How the optimiser stopped.
    """

    spec: OrdinalModel
    design: Design
    outcome_levels: tuple[str, ...]
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    loglik: float
    nobs: float
    converged: bool
    n_iter: int
    max_abs_gradient: float
    hessian_condition: float
    message: str
    _params_array: np.ndarray = field(repr=False)
    _cov_array: np.ndarray = field(repr=False)
    _problem: Problem = field(repr=False)
    engine: str = "ml"

    @classmethod
    def from_fit(cls, spec: OrdinalModel, design: Design, raw: dict[str, Any]) -> MLResult:
        """Build the result from the engine's raw numbers."""
        from interactmodel.engines.ml import parameter_names

        named = parameter_names(design, raw["outcome_levels"])
        return cls(
            spec=spec,
            design=design,
            outcome_levels=tuple(raw["outcome_levels"]),
            names=tuple(n for n, _ in named),
            kinds=tuple(k for _, k in named),
            loglik=float(raw["loglik"]),
            nobs=float(design.nobs),
            converged=bool(raw["converged"]),
            n_iter=int(raw["n_iter"]),
            max_abs_gradient=float(raw["max_abs_gradient"]),
            hessian_condition=float(raw["hessian_condition"]),
            message=str(raw["message"]),
            _params_array=_readonly(raw["params"]),
            _cov_array=_readonly(raw["cov"]),
            _problem=raw["problem"],
        )

    # ------------------------------------------------------------------ parameters

    @property
    def link(self) -> str:
        return self.spec.link

    @property
    def params(self) -> pd.Series:
        """Estimates: thresholds, nominal effects, then location coefficients."""
        return pd.Series(self._params_array.copy(), index=list(self.names), name="estimate")

    @property
    def parameter_kinds(self) -> pd.Series:
        return pd.Series(list(self.kinds), index=list(self.names), name="kind")

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance: the inverse observed information (analytic Hessian) at the estimate."""
        return pd.DataFrame(
            self._cov_array.copy(), index=list(self.names), columns=list(self.names)
        )

    @property
    def bse(self) -> pd.Series:
        """Standard errors."""
        return pd.Series(np.sqrt(np.diag(self._cov_array)), index=list(self.names), name="se")

    @property
    def thresholds(self) -> pd.Series:
        return self.params[[k == "threshold" for k in self.kinds]]

    @property
    def coefficients(self) -> pd.Series:
        """Location (proportional-odds) coefficients; positive moves ratings up."""
        return self.params[[k == "location" for k in self.kinds]]

    @property
    def n_params(self) -> int:
        return len(self.names)

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return -2.0 * self.loglik + np.log(self.nobs) * self.n_params

    def conf_int(self, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Confidence intervals, columns ``lower`` and ``upper``.

        Parameters
        ----------
        level : float
        method : {"wald", "profile"}
            ``"profile"``: profile-likelihood bounds found by root finding on the signed
            likelihood root (like ``confint.clm``, which interpolates a spline instead); given
            for location and nominal effects, NaN for thresholds.
        """
        _check_level(level)
        est, se = self._params_array, np.sqrt(np.diag(self._cov_array))
        if method == "wald":
            z = stats.norm.ppf(0.5 + level / 2)
            lower, upper = est - z * se, est + z * se
        elif method == "profile":
            from interactmodel.engines.ml import profile_bounds

            lower, upper = np.full(est.size, np.nan), np.full(est.size, np.nan)
            for i, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True)):
                if kind != "threshold":
                    lower[i], upper[i] = profile_bounds(self, name, level)
        else:
            raise SpecificationError(f"method={method!r}: use 'wald' or 'profile'")
        return pd.DataFrame({"lower": lower, "upper": upper}, index=list(self.names))

    def summary(self, level: float = 0.95, ci: str = "wald") -> pd.DataFrame:
        """One row per parameter: kind, estimate, se, z, p_value, lower, upper."""
        est, se = self._params_array, np.sqrt(np.diag(self._cov_array))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        bounds = self.conf_int(level, ci)
        return pd.DataFrame(
            {
                "kind": list(self.kinds),
                "estimate": est,
                "se": se,
                "z": z,
                "p_value": 2 * stats.norm.sf(np.abs(z)),
                "lower": bounds["lower"].to_numpy(),
                "upper": bounds["upper"].to_numpy(),
            },
            index=pd.Index(list(self.names), name="parameter"),
        )

    # ------------------------------------------------------------------ prediction

    def _cut_predictors(self, newdata: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cells = self.design.transform(newdata)
        problem = self._problem
        X, W = np.asarray(cells.X, float), np.asarray(cells.X_nominal, float)
        theta, gamma, beta = problem.unpack(self._params_array)
        z = theta[None, :] + W @ gamma - (X @ beta)[:, None]
        return z, X, W

    def predict_proba(self, newdata: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
        """Probability of every outcome level for each row of ``newdata``, with intervals.

        Returns
        -------
        DataFrame
            Tidy: one row per (newdata row, outcome level), columns ``row`` (position in
            ``newdata``), the model's covariates, ``level`` (ordered categorical),
            ``probability``, ``se`` (delta method, from the covariance of every parameter)
            and ``lower``/``upper`` (delta-method interval on the logit of the probability,
            back-transformed, so it stays inside (0, 1)).
        """
        _check_level(level)
        z, X, W = self._cut_predictors(newdata)
        probs = _category_probabilities(self._problem, z)
        var = np.empty_like(probs)
        for start in range(0, z.shape[0], 20_000):  # chunks bound the (n, K, params) Jacobian
            rows = slice(start, start + 20_000)
            jac = self._probability_jacobian(z[rows], X[rows], W[rows])
            var[rows] = np.einsum("mkp,pq,mkq->mk", jac, self._cov_array, jac)
        se = np.sqrt(np.clip(var, 0.0, None))
        n, K = probs.shape
        frame = newdata[list(self.design.encoding.variables)].reset_index(drop=True)
        out = frame.loc[np.repeat(np.arange(n), K)].reset_index(drop=True)
        out.insert(0, "row", np.repeat(np.arange(n), K))
        out["level"] = pd.Categorical(
            np.tile(self.outcome_levels, n), categories=list(self.outcome_levels), ordered=True
        )
        p, s = probs.ravel(), se.ravel()
        out["probability"], out["se"] = p, s
        out["lower"], out["upper"] = _logit_interval(p, s, level)
        return out

    def _probability_jacobian(self, z: np.ndarray, X: np.ndarray, W: np.ndarray) -> np.ndarray:
        """d P(Y = k) / d parameters, shape (n, K, n_params)."""
        problem = self._problem
        n, k1 = z.shape
        q = W.shape[1]
        dz = np.zeros((n, k1, problem.n_params))
        idx = np.arange(k1)
        dz[:, idx, idx] = 1.0
        for c in range(q):
            dz[:, idx, k1 + c * k1 + idx] = W[:, [c]]
        dz[:, :, k1 + q * k1 :] = -X[:, None, :]
        df = problem.link.pdf(z)[:, :, None] * dz  # d F(z_k)
        zeros = np.zeros((n, 1, problem.n_params))
        return np.concatenate([df, zeros], axis=1) - np.concatenate([zeros, df], axis=1)

    def predict(self, newdata: pd.DataFrame) -> pd.DataFrame:
        """Most likely outcome level and expected score (levels scored 1..K) of each row."""
        z, _, _ = self._cut_predictors(newdata)
        probs = _category_probabilities(self._problem, z)
        position = {lvl: i + 1 for i, lvl in enumerate(self.design.outcome_levels)}
        scores = np.array([position[lvl] for lvl in self.outcome_levels], dtype=float)
        labels = np.asarray(self.outcome_levels, dtype=object)[probs.argmax(axis=1)]
        return pd.DataFrame(
            {
                "predicted": pd.Categorical(
                    labels, categories=list(self.outcome_levels), ordered=True
                ),
                "expected_score": probs @ scores,
            },
            index=newdata.index,
        )

    # ------------------------------------------------------------------ diagnostics

    def nominal_test(self) -> pd.DataFrame:
        """Likelihood-ratio test of proportional odds for each location term.

        As ``ordinal::nominal_test``: each term in turn is refitted with threshold-specific
        (nominal) effects and compared with this fit.  Columns ``term``, ``df``, ``loglik``,
        ``aic``, ``lrt``, ``p_value``; the first row (``"<none>"``) is this model.
        """
        from interactmodel.engines.ml import nominal_test

        return nominal_test(self)

    def brant_test(self) -> pd.DataFrame:
        """Brant (1990) Wald test of proportional odds: omnibus, per term, per coefficient."""
        from interactmodel.engines.ml import brant_test

        return brant_test(self)


def _category_probabilities(problem: Problem, z: np.ndarray) -> np.ndarray:
    from interactmodel.engines.ml import _probabilities

    return np.clip(_probabilities(problem, z), 0.0, 1.0)


def _logit_interval(p: np.ndarray, se: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    zq = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = special.logit(p)
        half = zq * se / (p * (1 - p))
        lower, upper = special.expit(centre - half), special.expit(centre + half)
    return np.nan_to_num(lower, nan=0.0), np.nan_to_num(upper, nan=1.0)


def _check_level(level: float) -> None:
    if not (isinstance(level, float | int) and 0 < level < 1):
        raise SpecificationError(f"level={level!r} must be a number between 0 and 1, e.g. 0.95")
