"""Link functions against scipy.stats distributions (the ordinal::clm conventions)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from interactmodel.errors import SpecificationError
from interactmodel.links import LINKS, category_probabilities, cumulative_probabilities, get_link

# clm: cloglog F(x) = 1 - exp(-exp(x)) is the minimum-Gumbel cdf (scipy gumbel_l);
# loglog F(x) = exp(-exp(-x)) is the maximum-Gumbel cdf (scipy gumbel_r)
SCIPY = {
    "logit": stats.logistic,
    "probit": stats.norm,
    "cloglog": stats.gumbel_l,
    "loglog": stats.gumbel_r,
    "cauchit": stats.cauchy,
}
X = np.linspace(-8, 8, 161)


@pytest.mark.parametrize("name", sorted(LINKS))
def test_cdf_sf_pdf_ppf_match_scipy(name):
    link, dist = get_link(name), SCIPY[name]
    np.testing.assert_allclose(link.cdf(X), dist.cdf(X), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(link.sf(X), dist.sf(X), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(link.pdf(X), dist.pdf(X), rtol=1e-12, atol=1e-300)
    p = np.linspace(0.001, 0.999, 99)
    np.testing.assert_allclose(link.ppf(p), dist.ppf(p), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(LINKS))
def test_density_derivative_by_central_differences(name):
    link, dist = get_link(name), SCIPY[name]
    h = 1e-5
    numeric = (dist.pdf(X + h) - dist.pdf(X - h)) / (2 * h)
    np.testing.assert_allclose(link.dpdf(X), numeric, rtol=1e-6, atol=1e-10)


def test_cloglog_and_loglog_formulas_as_clm():
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(get_link("cloglog").cdf(x), 1 - np.exp(-np.exp(x)))
    np.testing.assert_allclose(get_link("loglog").cdf(x), np.exp(-np.exp(-x)))


@pytest.mark.parametrize("name", sorted(LINKS))
def test_infinite_arguments(name):
    link = get_link(name)
    x = np.array([-np.inf, np.inf])
    np.testing.assert_array_equal(link.cdf(x), [0.0, 1.0])
    np.testing.assert_array_equal(link.sf(x), [1.0, 0.0])
    np.testing.assert_array_equal(link.pdf(x), [0.0, 0.0])
    np.testing.assert_array_equal(link.dpdf(x), [0.0, 0.0])


@pytest.mark.parametrize("name", sorted(LINKS))
def test_category_probabilities_by_definition(name):
    thresholds = np.array([-1.0, 0.3, 2.0])
    eta = np.array([-2.0, 0.0, 1.5, 30.0])
    probs = category_probabilities(thresholds, eta, name)
    dist = SCIPY[name]
    cum = dist.cdf(thresholds[None, :] - eta[:, None])
    expected = np.diff(np.column_stack([np.zeros(4), cum, np.ones(4)]), axis=1)
    np.testing.assert_allclose(probs, expected, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(cumulative_probabilities(thresholds, eta, name), cum, rtol=1e-12)


def test_upper_tail_keeps_relative_precision():
    # P(Y = 3) = 1 - F(40 - 0) for logit is ~4.2e-18: 1 - cdf would give 0
    probs = category_probabilities(np.array([-40.0, 40.0]), np.array([0.0]), "logit")
    assert probs[0, 2] == pytest.approx(stats.logistic.sf(40.0), rel=1e-12)


def test_threshold_matrix_per_row():
    thresholds = np.array([[-1.0, 1.0], [0.0, 2.0]])
    probs = category_probabilities(thresholds, np.array([0.0, 0.0]), "probit")
    assert probs[1, 0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="thresholds has 2 rows but eta has 3"):
        category_probabilities(thresholds, np.zeros(3), "probit")


def test_unknown_link_lists_the_valid_ones():
    with pytest.raises(SpecificationError, match=r"link='logistic' is not a known link.*'probit'"):
        get_link("logistic")
