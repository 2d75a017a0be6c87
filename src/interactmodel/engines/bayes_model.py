"""The PyMC model of a collapsed design, and the parameterisation of its group effects.

The model (brms's ``cumulative`` family with ``center = FALSE``, so the two can be compared)::

    P(Y <= k | cell) = F(theta_k - eta),        F = logistic or standard normal cdf
    eta = X b + sum_m b_m * D_m * sum_{j <= rank_m} zeta_m[j] + sum_g Z_g r_g[group]

with ordered thresholds ``theta``, fixed effects ``b``, per monotonic block an average step
effect ``b_m`` and a simplex ``zeta_m`` of D_m step shares, and group effects ``r_g``.  The
likelihood is the multinomial kernel ``sum_cells sum_k count[cell, k] * log p[cell, k]`` on the
collapsed design, so the cost of a fit does not grow with the number of rows.

Group effects: non-centred (``r = sd * z``, or ``z @ L'`` with correlated slopes) or centred
(``r ~ Normal(0, sd)``).  With ``parameterization="auto"`` a term is centred when the data pin
every group's effect well below the prior scale of its SD (see :func:`choose_parameterization`),
which is the case with many observations per group, where the non-centred form makes a funnel
in the other direction and NUTS diverges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from interactmodel.bayes_result import ModelArrays
from interactmodel.errors import SpecificationError, format_values
from interactmodel.priors import Prior, PriorSet

__all__ = ["CENTRED_MIN_PRECISION", "build_model", "choose_parameterization"]

# Fisher information about a location shift per observation of the latent variable: 1/3 for
# the logistic distribution, 1 for the standard normal.  An upper bound for the categorised
# outcome, which is what we want for a "data are plentiful" rule.
_LOCATION_INFORMATION = {"logit": 1.0 / 3.0, "probit": 1.0}
# Centre a group term when sd(data-only estimate of each group effect) <= prior scale / 10,
# i.e. information * prior_scale**2 >= 100 for every group and column.
CENTRED_MIN_PRECISION = 100.0


# --------------------------------------------------------------------------- parameterisation


def _normalise_parameterization(value: str) -> str:
    text = str(value).lower().replace("-", "").replace("_", "").replace("centred", "centered")
    if text in ("auto", "centered", "noncentered"):
        return {"noncentered": "non-centered"}.get(text, text)
    raise SpecificationError(
        f"parameterization={value!r} is not known; use 'auto', 'centered' or 'non-centered' "
        "(or a dict from grouping factor to one of those)"
    )


def _prior_scale(prior: Prior) -> float:
    params = prior.params
    for key in ("sigma", "beta"):
        if key in params:
            return float(params[key])  # type: ignore[arg-type]
    if "lam" in params:
        return 1.0 / float(params["lam"])  # type: ignore[arg-type]
    if prior.dist == "gamma":
        return float(params["alpha"]) / float(params["beta"])  # type: ignore[arg-type]
    return 1.0


def choose_parameterization(
    arrays: ModelArrays,
    link: str,
    sd_priors: Iterable[Prior],
    requested: str | Mapping[str, str] = "auto",
    group_names: Iterable[str] | None = None,
) -> tuple[bool, ...]:
    """Decide, per group term, whether its effects are centred.

    Rule for ``"auto"``: let ``I_jc = i_link * sum_{cells of group j} count * Z[:, c]**2`` be the
    information the data carry about the effect of column c in group j (``i_link`` = 1/3 for
    logit, 1 for probit: the location information of the latent distribution, an upper bound
    for a categorised outcome) and ``s_c`` the prior scale of that column's SD.  The term is
    centred when ``min_jc I_jc * s_c**2 >= 100``, i.e. when every group effect would be known
    from its own data to within a tenth of the prior scale; otherwise it is non-centred.  At 245
    respondents in 6 regions ``I * s**2`` is about 27 (non-centred); at a million rows about
    50,000 (centred).

    Parameters
    ----------
    arrays : ModelArrays
    link : str
    sd_priors : iterable of Prior
        The SD prior of each group term.
    requested : str or mapping
        ``"auto"``, ``"centered"``, ``"non-centered"``, or a dict from grouping factor to one of
        those.
    group_names : iterable of str, optional
        Grouping factor of each term (for a dict ``requested``).

    Returns
    -------
    tuple of bool
        True where the term is centred.
    """
    sd_priors = list(sd_priors)
    names = (
        list(group_names)
        if group_names is not None
        else [f"group{i}" for i in range(len(arrays.groups))]
    )
    if isinstance(requested, Mapping):
        unknown = sorted(set(requested) - set(names))
        if unknown:
            raise SpecificationError(
                f"parameterization has unknown grouping factor(s) {format_values(unknown)}; "
                f"the model's are {format_values(names)}"
            )
        choices = [_normalise_parameterization(requested.get(n, "auto")) for n in names]
    else:
        choices = [_normalise_parameterization(requested)] * len(arrays.groups)
    total = arrays.counts.sum(axis=1)
    result = []
    for group, prior, choice in zip(arrays.groups, sd_priors, choices, strict=True):
        if choice != "auto":
            result.append(choice == "centered")
            continue
        weight = np.zeros((group.n_levels, group.Z.shape[1]))
        np.add.at(weight, group.index, total[:, None] * group.Z**2)
        precision = _LOCATION_INFORMATION[link] * weight * _prior_scale(prior) ** 2
        result.append(bool(precision.min() >= CENTRED_MIN_PRECISION))
    return tuple(result)


# --------------------------------------------------------------------------- the PyMC model


def _rv(prior: Prior, name: str, **kwargs: Any) -> Any:
    import pymc as pm

    return getattr(pm, prior.pymc_name)(name, **prior.params, **kwargs)


def _vector_rv(name: str, priors: tuple[Prior, ...]) -> Any:
    """One vector RV whose elements may have their own parameters (but one distribution)."""
    import pymc as pm

    dists = sorted({p.dist for p in priors})
    if len(dists) > 1:
        raise SpecificationError(
            f"the coefficients of {name!r} have priors of different families ({dists}); "
            "per-coefficient priors must use the same distribution as the others"
        )
    keys = priors[0].params.keys()
    params = {k: np.array([p.params[k] for p in priors], dtype=float) for k in keys}
    return getattr(pm, priors[0].pymc_name)(name, **params, shape=len(priors))


def _log_category_probs(theta: Any, eta: Any, link: str) -> Any:
    """log P(Y = k) for every cell, (n, K), without cancellation in either tail.

    P(first) = F(z_1) and P(last) = 1 - F(z_{K-1}) = F(-z_{K-1}) come straight from the cdf of
    the (reflected) argument; a middle category F(a) - F(b) is computed as F(-b) - F(-a) when
    the pair lies mostly in the upper tail (a + b > 0), so two numbers close to 1 are never
    subtracted.  One cdf per threshold and side and one log per category keeps the gradient
    cheap: transcendental functions dominate the cost of the likelihood.
    """
    import pytensor.tensor as pt

    z = theta[None, :] - eta[:, None]  # (n, K-1)
    if link == "logit":
        cdf, sf = pt.sigmoid(z), pt.sigmoid(-z)
    else:
        cdf, sf = 0.5 * pt.erfc(-z / np.sqrt(2.0)), 0.5 * pt.erfc(z / np.sqrt(2.0))
    upper_tail = (z[:, 1:] + z[:, :-1]) > 0
    middle = pt.switch(upper_tail, sf[:, :-1] - sf[:, 1:], cdf[:, 1:] - cdf[:, :-1])
    probs = pt.concatenate([cdf[:, :1], middle, sf[:, -1:]], axis=1)
    # underflow (|z| > 37 for probit, > 745 for logit) would give log(0)
    return pt.log(pt.maximum(probs, 1e-300))


def build_model(
    arrays: ModelArrays,
    link: str,
    priors: PriorSet,
    centered: tuple[bool, ...],
) -> Any:
    """The PyMC model of one collapsed design, with every array as ``pm.Data``.

    Parameters
    ----------
    arrays : ModelArrays
        Counts (n_cells x K), X, monotonic ranks and group indices.
    link : {"logit", "probit"}
    priors : PriorSet
    centered : tuple of bool
        Per group term, True for the centred parameterisation.

    Returns
    -------
    pymc.Model
        Free variables ``thresholds``, ``b``, ``b_mo``, ``simplex_<m>``, and per group term g
        ``sd_<g>`` (and ``chol_<g>`` with slopes) plus ``r_<g>`` (centred) or ``z_<g>`` with the
        deterministic ``r_<g>`` (non-centred).  The likelihood is the potential ``loglik``.
    """
    import pymc as pm
    import pytensor.tensor as pt
    from pymc.distributions.transforms import ordered

    K = arrays.n_levels
    # fixed shapes (no dims): the sampler reads every parameter's shape from the graph
    with pm.Model() as model:
        counts = pm.Data("counts", arrays.counts)
        theta = _rv(
            priors.thresholds,
            "thresholds",
            shape=K - 1,
            transform=ordered,
            initval=_initial_thresholds(arrays.counts),
        )
        eta = pt.zeros(arrays.n_cells)
        if arrays.X.shape[1]:
            X = pm.Data("X", arrays.X)
            # a broadcast product and sum, not pt.dot: XLA fuses it with the rest, while a tiny
            # dot goes through a BLAS call whose per-call overhead dominates the gradient
            eta = eta + pt.sum(X * _vector_rv("b", priors.b)[None, :], axis=1)
        if arrays.mo:
            b_mo = _vector_rv("b_mo", priors.b_mo)
            for m, block in enumerate(arrays.mo):
                eta = eta + _mo_term(m, block, b_mo[m], priors.simplex[m])
        for g, group in enumerate(arrays.groups):
            eta = eta + _group_term(g, group, priors.sd[g], priors.cor[g], centered[g])
        log_p = _log_category_probs(theta, eta, link)
        pm.Potential("loglik", pt.sum(counts * log_p))
    return model


def _initial_thresholds(counts: np.ndarray) -> np.ndarray:
    """Logits of the marginal cumulative proportions: a start that fits the margins."""
    margin = counts.sum(axis=0) + 0.5
    cumulative = np.cumsum(margin)[:-1] / margin.sum()
    start = np.log(cumulative / (1 - cumulative))
    return start + np.arange(start.size) * 1e-3  # strictly increasing even for ties


def _mo_term(m: int, block: Any, b: Any, prior: Prior) -> Any:
    import pymc as pm
    import pytensor.tensor as pt

    steps = block.n_steps
    a = np.broadcast_to(np.asarray(prior.params["a"], dtype=float), (steps,)).copy()
    zeta = pm.Dirichlet(f"simplex_{m}", a=a)
    # taken[i, j] = 1 when cell i is past step j, so sum_{j <= rank} zeta_j = taken @ zeta
    taken = pm.Data(f"mo_taken_{m}", block.taken())
    return b * steps * pt.sum(taken * zeta[None, :], axis=1)


def _group_term(g: int, group: Any, sd_prior: Prior, cor_prior: Prior, centered: bool) -> Any:
    import pymc as pm
    import pytensor.tensor as pt

    index = pm.Data(f"group_index_{g}", group.index)
    Z = pm.Data(f"group_Z_{g}", group.Z)
    J, q = group.n_levels, group.Z.shape[1]
    if q == 1:
        sd = _rv(sd_prior, f"sd_{g}", shape=1)
        if centered:
            r = pm.Normal(f"r_{g}", 0.0, sd[0], shape=(J, 1))
        else:
            z = pm.Normal(f"z_{g}", 0.0, 1.0, shape=(J, 1))
            r = pm.Deterministic(f"r_{g}", z * sd[0])
    else:
        sd_dist = getattr(pm, sd_prior.pymc_name).dist(**sd_prior.params, shape=q)
        chol, _, _ = pm.LKJCholeskyCov(
            f"chol_{g}", n=q, eta=cor_prior.params["eta"], sd_dist=sd_dist, compute_corr=True
        )
        if centered:
            r = pm.MvNormal(f"r_{g}", mu=np.zeros(q), chol=chol, shape=(J, q))
        else:
            z = pm.Normal(f"z_{g}", 0.0, 1.0, shape=(J, q))
            r = pm.Deterministic(f"r_{g}", pt.dot(z, chol.T))
    return pt.sum(Z * r[index], axis=1)
