"""OrdinalClassifier: scikit-learn's estimator checks, pipelines, and agreement with OrdinalModel."""

from __future__ import annotations

import doctest
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from interactmodel import OrdinalModel
from interactmodel import sklearn as sklearn_module
from interactmodel.errors import ConvergenceWarning, DataError
from interactmodel.sklearn import EXPECTED_FAILED_CHECKS, OrdinalClassifier

LABELS = np.array(["low", "mid", "high"])


def ordinal_data(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    latent = X @ np.array([3.0, -1.5, 0.0]) + rng.logistic(size=n)
    return X, LABELS[np.searchsorted([-1.5, 1.5], latent)]


def test_passes_check_estimator():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(
            OrdinalClassifier(), expected_failed_checks=EXPECTED_FAILED_CHECKS, on_fail=None
        )
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) >= 60


def test_matches_ordinal_model_on_the_same_data():
    X, y = ordinal_data()
    clf = OrdinalClassifier(levels=["low", "mid", "high"], link="probit").fit(X, y)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["y"] = pd.Categorical(y, ["low", "mid", "high"], ordered=True)
    result = OrdinalModel("y ~ a + b + c", link="probit").fit(frame)
    np.testing.assert_allclose(clf.coef_, result.coefficients, rtol=1e-8)
    np.testing.assert_allclose(clf.thresholds_, result.thresholds, rtol=1e-8)
    tidy = result.predict_proba(frame.head(5))
    wide = tidy.pivot(index="row", columns="level", values="probability").to_numpy()
    np.testing.assert_allclose(clf.predict_proba(X[:5]), wide, rtol=1e-10)
    assert clf.coef_[0] > 0  # positive coefficient: higher classes


def test_cross_val_score_and_pipeline():
    X, y = ordinal_data()
    pipe = make_pipeline(StandardScaler(), OrdinalClassifier(levels=["low", "mid", "high"]))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.6)  # majority class: 0.41
    pipe.fit(X, y)
    assert set(pipe.predict(X)) <= set(LABELS)


def test_class_order_from_ordered_categorical_and_levels():
    X, y = ordinal_data()
    categorical = pd.Series(pd.Categorical(y, ["low", "mid", "high"], ordered=True))
    clf = OrdinalClassifier().fit(X, categorical)
    assert clf.classes_.tolist() == ["low", "mid", "high"]
    sorted_clf = OrdinalClassifier().fit(X, y)  # alphabetical: high < low < mid
    assert sorted_clf.classes_.tolist() == ["high", "low", "mid"]
    with pytest.raises(DataError, match=r"label\(s\) 'high' that are not in levels"):
        OrdinalClassifier(levels=["low", "mid"]).fit(X, y)


def test_weights_equal_repeated_rows():
    X, y = ordinal_data(n=80)
    w = np.random.default_rng(1).integers(0, 3, len(y))
    weighted = OrdinalClassifier().fit(X, y, sample_weight=w)
    repeated = OrdinalClassifier().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9)


def test_separation_warns_and_alpha_shrinks():
    X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    y = np.array([0, 0, 1, 1, 2, 2])
    with pytest.warns(ConvergenceWarning, match="set alpha > 0"):
        OrdinalClassifier().fit(X, y)
    penalised = OrdinalClassifier(alpha=1.0).fit(X, y)
    assert penalised.converged_ and 0 < penalised.coef_[0] < 5
    assert penalised.predict([[5.0]]).tolist() == [2]
    np.testing.assert_allclose(penalised.expected_score([[0.0], [5.0]]).round(), [1, 3])


def test_docstring_examples_run():
    assert doctest.testmod(sklearn_module).failed == 0
