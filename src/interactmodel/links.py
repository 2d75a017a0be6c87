"""Link functions of cumulative-link models and thresholds -> category probabilities, in numpy.

A cumulative-link model says ``P(Y <= k | x) = F(theta_k - eta)`` with ``eta = x' beta``, where
``F`` is the inverse link: a continuous distribution function.  A positive ``eta`` moves the
ratings up (the sign convention of ``MASS::polr`` and ``ordinal::clm``).

The five links follow ``ordinal::clm`` exactly:

========  =============================  ==================================
link      F(x)                           latent distribution
========  =============================  ==================================
logit     1 / (1 + exp(-x))              logistic
probit    Phi(x)                         standard normal
cloglog   1 - exp(-exp(x))               Gumbel (minimum), ``pgumbel(max=FALSE)``
loglog    exp(-exp(-x))                  Gumbel (maximum), ``pgumbel(max=TRUE)``
cauchit   1/2 + arctan(x) / pi           standard Cauchy
========  =============================  ==================================

Each :class:`Link` gives the distribution function ``cdf``, its upper tail ``sf`` (computed
directly, so small upper-tail probabilities keep their precision), the density ``pdf``, the
derivative of the density ``dpdf`` (for analytic Hessians) and the quantile function ``ppf``.

Examples
--------
>>> import numpy as np
>>> probs = category_probabilities(np.array([-1.0, 1.0]), np.array([0.0]), "logit")
>>> np.round(probs, 4).tolist()
[[0.2689, 0.4621, 0.2689]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from interactmodel.errors import SpecificationError

__all__ = ["LINKS", "Link", "category_probabilities", "cumulative_probabilities", "get_link"]

Array = np.ndarray
_Fn = Callable[[Array], Array]


@dataclass(frozen=True)
class Link:
    """An inverse link ``F`` with its tail, density, density derivative and quantiles."""

    name: str
    cdf: _Fn
    sf: _Fn
    pdf: _Fn
    dpdf: _Fn
    ppf: _Fn


def _finite(x: Array, values: Array) -> Array:
    """Density-type values are 0 at +-inf (where the formulas give nan)."""
    return np.where(np.isfinite(x), values, 0.0)


def _logit_pdf(x: Array) -> Array:
    p = special.expit(x)
    return p * special.expit(-x)


def _logit_dpdf(x: Array) -> Array:
    return _logit_pdf(x) * (special.expit(-x) - special.expit(x))


def _probit_pdf(x: Array) -> Array:
    return np.exp(-0.5 * np.square(x)) / np.sqrt(2.0 * np.pi)


def _probit_dpdf(x: Array) -> Array:
    with np.errstate(invalid="ignore"):
        return _finite(x, -x * _probit_pdf(x))


def _cloglog_pdf(x: Array) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(x, np.exp(x - np.exp(x)))


def _cloglog_dpdf(x: Array) -> Array:
    with np.errstate(over="ignore", invalid="ignore"):
        return _finite(x, np.nan_to_num(_cloglog_pdf(x) * (1.0 - np.exp(x))))


def _loglog_pdf(x: Array) -> Array:
    return _cloglog_pdf(-x)


def _loglog_dpdf(x: Array) -> Array:
    return -_cloglog_dpdf(-x)


def _cauchit_sf(x: Array) -> Array:
    # arctan(1/x)/pi keeps precision in the far upper tail where 1/2 - arctan(x)/pi cancels
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        upper = np.arctan(1.0 / np.where(x > 0, x, 1.0)) / np.pi
    return np.where(x > 0, upper, 0.5 - np.arctan(x) / np.pi)


def _cauchit_pdf(x: Array) -> Array:
    return 1.0 / (np.pi * (1.0 + np.square(x)))


def _cauchit_dpdf(x: Array) -> Array:
    with np.errstate(invalid="ignore", over="ignore"):
        return _finite(x, -2.0 * x / (np.pi * np.square(1.0 + np.square(x))))


def _with_errstate(fn: _Fn) -> _Fn:
    def wrapped(x: Array) -> Array:
        with np.errstate(over="ignore", under="ignore", divide="ignore"):
            return fn(np.asarray(x, dtype=float))

    wrapped.__doc__ = fn.__doc__
    return wrapped


LINKS: dict[str, Link] = {
    "logit": Link(
        "logit",
        special.expit,
        lambda x: special.expit(-np.asarray(x, dtype=float)),
        _logit_pdf,
        _logit_dpdf,
        special.logit,
    ),
    "probit": Link(
        "probit",
        special.ndtr,
        lambda x: special.ndtr(-np.asarray(x, dtype=float)),
        _probit_pdf,
        _probit_dpdf,
        special.ndtri,
    ),
    "cloglog": Link(
        "cloglog",
        _with_errstate(lambda x: -np.expm1(-np.exp(x))),
        _with_errstate(lambda x: np.exp(-np.exp(x))),
        _cloglog_pdf,
        _cloglog_dpdf,
        _with_errstate(lambda p: np.log(-np.log1p(-p))),
    ),
    "loglog": Link(
        "loglog",
        _with_errstate(lambda x: np.exp(-np.exp(-x))),
        _with_errstate(lambda x: -np.expm1(-np.exp(-x))),
        _loglog_pdf,
        _loglog_dpdf,
        _with_errstate(lambda p: -np.log(-np.log(p))),
    ),
    "cauchit": Link(
        "cauchit",
        lambda x: 0.5 + np.arctan(np.asarray(x, dtype=float)) / np.pi,
        _cauchit_sf,
        _cauchit_pdf,
        _cauchit_dpdf,
        lambda p: np.tan(np.pi * (np.asarray(p, dtype=float) - 0.5)),
    ),
}


def get_link(link: str | Link) -> Link:
    """Return the :class:`Link` named ``link`` (one of logit, probit, cloglog, loglog, cauchit).

    Raises
    ------
    SpecificationError
        For an unknown name, listing the valid ones.
    """
    if isinstance(link, Link):
        return link
    if link not in LINKS:
        raise SpecificationError(
            f"link={link!r} is not a known link; use one of {', '.join(map(repr, LINKS))}"
        )
    return LINKS[link]


def cumulative_probabilities(thresholds: Array, eta: Array, link: str | Link = "logit") -> Array:
    """``P(Y <= k)`` for k = 1..K-1: ``F(theta_k - eta)``, shape (n, K-1).

    ``thresholds`` is (K-1,) or, with threshold-specific (nominal) effects, (n, K-1).
    """
    fn = get_link(link)
    return fn.cdf(_linear(thresholds, eta))


def category_probabilities(thresholds: Array, eta: Array, link: str | Link = "logit") -> Array:
    """Probability of each of the K categories, shape (n, K).

    Parameters
    ----------
    thresholds : ndarray, shape (K-1,) or (n, K-1)
        Increasing cut points theta_1 < ... < theta_{K-1}.
    eta : ndarray, shape (n,)
        Linear predictor x' beta (positive moves ratings up).
    link : str or Link

    Returns
    -------
    ndarray, shape (n, K)
        ``F(theta_k - eta) - F(theta_{k-1} - eta)`` with theta_0 = -inf, theta_K = +inf.
        Differences of upper tails are used where both ends lie above zero, so small
        probabilities in the upper categories keep their relative precision.
    """
    fn = get_link(link)
    z = _linear(thresholds, eta)
    n = z.shape[0]
    lower = np.column_stack([np.full(n, -np.inf), z])
    upper = np.column_stack([z, np.full(n, np.inf)])
    from_cdf = fn.cdf(upper) - fn.cdf(lower)
    from_sf = fn.sf(lower) - fn.sf(upper)
    return np.where(lower > 0, from_sf, from_cdf)


def _linear(thresholds: Array, eta: Array) -> Array:
    thresholds = np.asarray(thresholds, dtype=float)
    eta = np.atleast_1d(np.asarray(eta, dtype=float))
    if thresholds.ndim == 1:
        return thresholds[None, :] - eta[:, None]
    if thresholds.shape[0] != eta.shape[0]:
        raise ValueError(
            f"thresholds has {thresholds.shape[0]} rows but eta has {eta.shape[0]} values"
        )
    return thresholds - eta[:, None]
