"""scikit-learn estimator: :class:`OrdinalClassifier`, a cumulative-link model on a numeric X.

Numeric feature matrix in, ordered labels out.  The model and sign convention are those of
``MASS::polr`` / ``ordinal::clm``: ``link(P(y <= k)) = theta_k - X @ coef_``, so a positive
coefficient moves predictions towards higher classes.  The class order is the sorted order of
the labels, the category order of an ordered pandas Categorical ``y``, or ``levels``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from interactmodel.errors import ConvergenceWarning, DataError, format_values

__all__ = ["EXPECTED_FAILED_CHECKS", "OrdinalClassifier"]

#: checks of ``sklearn.utils.estimator_checks.check_estimator`` this estimator is not meant to
#: pass, and why (pass as ``check_estimator(est, expected_failed_checks=EXPECTED_FAILED_CHECKS)``)
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


class OrdinalClassifier(ClassifierMixin, BaseEstimator):
    """Cumulative-link (proportional-odds) classifier for ordered labels.

    Parameters
    ----------
    link : {"logit", "probit", "cloglog", "loglog", "cauchit"}
        Inverse link ``F`` of ``P(y <= k) = F(theta_k - X @ coef_)``.
    alpha : float
        L2 penalty ``alpha / 2 * ||coef_||^2`` on the coefficients (not the thresholds); 0 (the
        default) is plain maximum likelihood, which diverges when a feature separates classes.
    levels : sequence, optional
        The class labels from lowest to highest; by default the sorted labels (or the category
        order of an ordered pandas Categorical ``y``).
    max_iter : int
        Newton iterations.

    Attributes
    ----------
    classes_ : ndarray
        Class labels, lowest first.
    coef_ : ndarray of shape (n_features,)
    thresholds_ : ndarray of shape (n_classes - 1,)
    n_features_in_ : int
    converged_ : bool
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.5], [1.0], [1.5], [2.0], [2.5], [1.2], [0.2]])
    >>> y = np.array(["low", "low", "mid", "mid", "high", "high", "low", "mid"])
    >>> clf = OrdinalClassifier(levels=["low", "mid", "high"]).fit(X, y)
    >>> clf.predict([[2.4]]).tolist()
    ['high']
    """

    def __init__(
        self,
        link: str = "logit",
        alpha: float = 0.0,
        levels: Sequence[Any] | None = None,
        max_iter: int = 100,
    ) -> None:
        self.link = link
        self.alpha = alpha
        self.levels = levels
        self.max_iter = max_iter

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.poor_score = True  # class order is assumed, blobs have none
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> OrdinalClassifier:
        """Fit by (penalised) maximum likelihood on rows collapsed to unique feature vectors."""
        from interactmodel.engines.ml import Problem, newton, start_values
        from interactmodel.links import get_link

        order = _category_order(y)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        check_classification_targets(y)
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if self.alpha < 0:
            raise ValueError(f"alpha={self.alpha!r} must be >= 0")
        self.classes_ = self._classes(y, order)
        codes = _codes(y, self.classes_)
        present = np.unique(codes[weights > 0])
        if present.size < 2:
            raise ValueError(
                "OrdinalClassifier needs at least two classes with positive weight; got only "
                f"one class, {format_values(self.classes_[present].tolist())}"
            )
        cells, cell = np.unique(X, axis=0, return_inverse=True)
        K = self.classes_.size
        counts = np.bincount(
            cell.ravel() * K + codes, weights=weights, minlength=cells.shape[0] * K
        ).reshape(cells.shape[0], K)
        empty = np.zeros((cells.shape[0], 0))
        problem = Problem(counts, cells, empty, get_link(self.link), float(self.alpha))
        optimum = newton(problem, _safe_start(problem, start_values(problem)), None, self.max_iter)
        theta, _, beta = problem.unpack(optimum.params)
        self.thresholds_, self.coef_ = theta.copy(), beta.copy()
        self.converged_, self.n_iter_ = optimum.converged, optimum.n_iter
        if not optimum.converged:
            warnings.warn(
                f"OrdinalClassifier did not converge ({optimum.message}, max |gradient| "
                f"{np.max(np.abs(optimum.gradient)):.3g}); a feature may separate the classes: "
                "set alpha > 0 to penalise the coefficients",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _classes(self, y: np.ndarray, order: list[Any] | None) -> np.ndarray:
        if self.levels is not None:
            levels = list(self.levels)
            unknown = sorted(set(y.tolist()) - set(levels), key=str)
            if unknown:
                raise DataError(
                    f"y has label(s) {format_values(unknown)} that are not in "
                    f"levels={format_values(levels)}; add them in their place in the order"
                )
            return np.asarray(levels, dtype=y.dtype if y.dtype != object else object)
        if order is not None:
            return np.asarray([c for c in order if c in set(y.tolist())], dtype=y.dtype)
        return np.unique(y)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class (columns in ``classes_`` order)."""
        from interactmodel.links import category_probabilities

        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        probs = category_probabilities(self.thresholds_, X @ self.coef_, self.link)
        return np.clip(probs, 0.0, 1.0)

    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of each row."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def expected_score(self, X: Any) -> np.ndarray:
        """Expected class position (classes scored 1..K) of each row."""
        probs = self.predict_proba(X)
        return probs @ np.arange(1, probs.shape[1] + 1)


def _category_order(y: Any) -> list[Any] | None:
    dtype = getattr(y, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
        return list(dtype.categories)
    return None


def _codes(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    position = {label: i for i, label in enumerate(classes.tolist())}
    return np.fromiter((position[label] for label in y.tolist()), dtype=np.int64, count=len(y))


def _safe_start(problem: Any, start: np.ndarray) -> np.ndarray:
    """Thresholds from the marginal proportions must be strictly increasing to start."""
    k1 = problem.n_cuts
    theta = start[:k1]
    if k1 > 1 and np.any(np.diff(theta) <= 0):
        start = start.copy()
        start[:k1] = np.sort(theta) + np.arange(k1) * 1e-3
    return start
