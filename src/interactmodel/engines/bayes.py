"""Bayesian cumulative-link models in PyMC, sampled with NUTS (numpyro/JAX or PyMC).

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

Sampler: numpyro's NUTS on one flat vector of unconstrained parameters, with a dense metric
for models of up to 100 parameters (thresholds and group intercepts share a location, a ridge
that a diagonal metric crosses slowly) and, from 10,000 observations on, in coordinates
whitened by the Laplace approximation (posterior SDs of ~0.003 at a million ratings would
otherwise make the warm-up crawl).  The chains run in equal groups side by side, one thread
per group (``cores``), each group one after the other inside one compiled program; a chain's
draws depend only on its own key and starting point, so they are bit-identical whatever the
grouping (tested).

Compile once: all data arrays (counts, X, ranks, group indices, Z) are *inputs* of the compiled
JAX sampler, which is cached by model structure (shapes, link, priors, parameterisation and
sampler settings).  A second fit of same-shaped data -- another reconstruction, another seed --
runs without compiling anything.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.bayes_result import (
    BayesResult,
    ModelArrays,
    build_inference_data,
)
from interactmodel.diagnostics import convergence_diagnostics, warn_if_not_converged
from interactmodel.errors import SpecificationError, format_values
from interactmodel.priors import Prior, PriorSet, resolve_priors

__all__ = [
    "SUPPORTED_LINKS",
    "build_model",
    "choose_parameterization",
    "fit",
    "fit_design",
    "sample_arrays",
]

SUPPORTED_LINKS = ("logit", "probit")
# NUTS adapts a dense mass matrix up to this many unconstrained parameters.  Thresholds and
# group intercepts share a location (theta + c, r + c fit the data alike), a ridge that a
# diagonal metric crosses with long trajectories: on data-rich groups dense adaptation cut the
# mean leapfrog steps from ~490 to ~16 and raised the minimum ESS from ~400 to ~1700.
DENSE_MASS_MAX_PARAMETERS = 100
# From this many observations on (and with a dense metric), NUTS runs in coordinates whitened
# by the Laplace approximation (see _laplace).  At 1M ratings this halved the warm-up's
# leapfrog steps; at a few hundred it saves nothing and compiling BFGS and the Hessian costs
# ~5 s, so small data sets skip it.
WHITEN_MIN_OBSERVATIONS = 10_000
_SAMPLERS = ("numpyro", "pymc")

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


# --------------------------------------------------------------------------- compiling


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A PyMC model and, for numpyro, its JAX sampler with the data as inputs.

    Attributes
    ----------
    model : pymc.Model
    data_names : tuple of str
        The ``pm.Data`` variables, in the order the JAX functions take them.
    value_names : tuple of str
        Unconstrained value variables, in the order the JAX functions take them.
    out_names : tuple of str
        Constrained variables (free RVs and deterministics) returned per draw.
    run : callable or None
        Jitted ``run(keys, init_values, data) -> (outputs, stats)`` (numpyro only).
    executables : dict
        ``run`` compiled ahead of time, by the shapes and dtypes of its arguments.
    """

    model: Any
    data_names: tuple[str, ...]
    value_names: tuple[str, ...]
    out_names: tuple[str, ...]
    run: Any  # a jax.jit-wrapped function, or None for the PyMC sampler
    executables: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def executable(self, *args: Any) -> Any:
        """``run`` compiled for arguments shaped like ``args`` (compiled on first use).

        Compiling ahead of time, before any thread calls it, makes sure that groups of chains
        started side by side share one compilation instead of each compiling their own.
        """
        import jax

        leaves = jax.tree_util.tree_leaves(args)
        # arrays or jax.ShapeDtypeStruct: compiling needs only shapes and dtypes
        signature = tuple((tuple(a.shape), np.dtype(a.dtype).str) for a in leaves)
        found = self.executables.get(signature)
        if found is None:
            assert self.run is not None
            found = self.run.lower(*args).compile()
            self.executables[signature] = found
        return found


_CACHE: dict[tuple[Any, ...], CompiledModel] = {}
_CACHE_SIZE = 16


def clear_cache() -> None:
    """Forget every compiled model (mainly for benchmarks that time a cold start)."""
    _CACHE.clear()


def _compiled(
    arrays: ModelArrays,
    link: str,
    priors: PriorSet,
    centered: tuple[bool, ...],
    sampler: str,
    settings: tuple[int, int, int, float],
) -> CompiledModel:
    whiten = bool(arrays.counts.sum() >= WHITEN_MIN_OBSERVATIONS)
    key = (arrays.structure(), link, priors.signature(), centered, sampler, settings, whiten)
    found = _CACHE.get(key)
    if found is not None:
        return found
    model = build_model(arrays, link, priors, centered)
    if sampler == "numpyro":
        compiled = _compile_numpyro(model, *settings, whiten=whiten)
    else:
        from pymc.util import get_default_varnames

        outs = get_default_varnames(model.unobserved_value_vars, include_transformed=False)
        compiled = CompiledModel(
            model,
            tuple(v.name for v in model.data_vars),
            tuple(v.name for v in model.value_vars),
            tuple(v.name for v in outs),
            None,
        )
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = compiled
    return compiled


def _jaxify_with_data_inputs(
    model: Any,
) -> tuple[Callable[..., Any], Callable[..., Any], list[str]]:
    """JAX functions of (value vars..., data...) for the log density and constrained outputs.

    ``pymc.sampling.jax`` bakes shared data into the graph as constants, so every new data set
    would retrace and recompile the sampler; here the data are replaced by symbolic inputs.
    """
    from pymc.sampling.jax import get_jaxified_graph
    from pymc.util import get_default_varnames
    from pytensor.graph.replace import clone_replace

    data_vars = list(model.data_vars)
    inputs = [v.type(name=v.name) for v in data_vars]
    replace = dict(zip(data_vars, inputs, strict=True))
    outs = get_default_varnames(model.unobserved_value_vars, include_transformed=False)
    graphs = clone_replace([model.logp(), *outs], replace=replace)
    every = list(model.value_vars) + inputs
    # one graph for both (PyTensor's rewrites run once); inside jax.jit, XLA drops the outputs
    # a caller does not use
    both = get_jaxified_graph(inputs=every, outputs=graphs)

    def logp_fn(*args: Any) -> Any:
        return both(*args)[:1]

    def out_fn(*args: Any) -> Any:
        return both(*args)[1:]

    return logp_fn, out_fn, [v.name for v in outs]


_STAT_FIELDS = ("diverging", "energy", "potential_energy", "num_steps", "accept_prob")


def _initial_point(model: Any) -> dict[str, np.ndarray]:
    """The model's initial point, computed once per model (it compiles a small function)."""
    cached = model.__dict__.get("_interactmodel_initial_point")
    if cached is None:
        cached = model.initial_point()
        model.__dict__["_interactmodel_initial_point"] = cached
    return cached


def _value_shapes(model: Any) -> list[tuple[int, ...]]:
    """Shapes of the unconstrained value variables, from the graph when it fixes them."""
    static = [v.type.shape for v in model.value_vars]
    if all(dim is not None for shape in static for dim in shape):
        return [tuple(int(d) for d in shape) for shape in static]
    point = _initial_point(model)
    return [np.shape(point[v.name]) for v in model.value_vars]


def _n_unconstrained(model: Any) -> int:
    return int(sum(np.prod(shape, dtype=int) for shape in _value_shapes(model)))


def _laplace(potential: Callable[[Any], Any], init: Any, scale: Any) -> tuple[Any, Any]:
    """Mode and a square-root covariance of the Laplace approximation, for whitening.

    NUTS then samples u with z = mode + L u, in which the posterior is close to N(0, I).  The
    warm-up (step size, metric, with Stan's regularisation of the metric towards the identity)
    assumes parameters of about unit scale; with a million ratings the posterior SDs are
    ~0.003.  BFGS runs on potential / scale (scale = number of observations) so that its first
    steps are of unit size; the Hessian's eigenvalues are floored at 1 because a simplex share
    whose posterior piles up at zero has no interior mode (flat or negative curvature), and
    such directions are simply left at unit scale.  The map is linear and fixed before
    sampling, so the posterior is unchanged.  If anything is not finite the map is the
    identity at ``init``.
    """
    import jax
    import jax.numpy as jnp
    from jax.scipy.optimize import minimize

    mode = minimize(lambda z: potential(z) / scale, init, method="BFGS", options={"maxiter": 100}).x
    hessian = jax.hessian(potential)(mode)
    values, vectors = jnp.linalg.eigh(0.5 * (hessian + hessian.T))
    usable = jnp.all(jnp.isfinite(mode)) & jnp.all(jnp.isfinite(values))
    factor = vectors / jnp.sqrt(jnp.maximum(jnp.where(usable, values, 1.0), 1.0))
    return jnp.where(usable, mode, init), jnp.where(usable, factor, jnp.eye(mode.shape[0]))


def _compile_numpyro(
    model: Any, tune: int, draws: int, chains: int, target_accept: float, whiten: bool = False
) -> CompiledModel:
    import jax
    import jax.numpy as jnp
    from numpyro.infer.hmc import hmc

    logp_fn, out_fn, out_names = _jaxify_with_data_inputs(model)
    shapes = _value_shapes(model)
    sizes = [int(np.prod(shape)) for shape in shapes]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    dense = int(starts[-1]) <= DENSE_MASS_MAX_PARAMETERS
    whiten = whiten and dense
    data_names = [v.name for v in model.data_vars]

    def unflatten(z: Any) -> list[Any]:
        return [z[a : a + n].reshape(s) for a, n, s in zip(starts[:-1], sizes, shapes, strict=True)]

    def potential_z(z: Any, data: tuple[Any, ...]) -> Any:
        return -logp_fn(*unflatten(z), *data)[0]

    # NUTS moves one flat vector u (z = mode + L u, see _laplace), not a list of arrays: every
    # leapfrog step then updates one leaf instead of one per variable
    def to_z(u: Any, mode: Any, factor: Any) -> Any:
        # factor is a matrix (Laplace map) or, for large models, a vector of ones
        return mode + (factor @ u if factor.ndim == 2 else factor * u)

    def potential_fn_gen(*args: Any) -> Callable[[Any], Any]:
        *data, mode, factor = args
        return lambda u: potential_z(to_z(u, mode, factor), tuple(data))

    init_kernel, sample_kernel = hmc(potential_fn_gen=potential_fn_gen, algo="NUTS")

    def one_chain(key: Any, init: Any, data: tuple[Any, ...]) -> Any:
        start_key, key = jax.random.split(key)
        if whiten:
            scale = 1.0 + data[data_names.index("counts")].sum()
            mode, factor = _laplace(lambda z: potential_z(z, data), init, scale)
            # each chain starts at its own draw from the Laplace approximation
            start = jax.random.normal(start_key, init.shape)
        else:
            mode, factor, start = init, jnp.ones(init.shape[0]), jnp.zeros(init.shape)
        args = (*data, mode, factor)
        state = init_kernel(
            start,
            num_warmup=tune,
            target_accept_prob=target_accept,
            dense_mass=dense,
            model_args=args,
            rng_key=key,
        )

        def step(state: Any, _: Any) -> Any:
            state = sample_kernel(state, model_args=args)
            stats = tuple(getattr(state, f) for f in _STAT_FIELDS)
            return state, (state.z, stats + (state.adapt_state.step_size,))

        # one scan over warm-up and sampling: the NUTS kernel is traced and compiled once
        _, (zs, stats) = jax.lax.scan(step, state, None, length=tune + draws)
        warmup_steps = stats[_STAT_FIELDS.index("num_steps")][:tune].sum()
        stats = tuple(s[tune:] for s in stats)
        zs = jax.vmap(lambda u: to_z(u, mode, factor))(zs[tune:])
        outs = jax.vmap(lambda z: out_fn(*unflatten(z), *data))(zs)
        return outs, stats, warmup_steps

    def run(keys: Any, init: Any, data: tuple[Any, ...]) -> Any:
        # chains one after the other (lax.map), not vmap: vmapping NUTS's nested while loops
        # took several times longer to trace and compile, for no faster sampling on CPU
        return jax.lax.map(lambda args: one_chain(args[0], args[1], data), (keys, init))

    return CompiledModel(
        model,
        tuple(v.name for v in model.data_vars),
        tuple(v.name for v in model.value_vars),
        tuple(out_names),
        jax.jit(run),
    )


# --------------------------------------------------------------------------- sampling


def _numpyro_available() -> bool:
    try:
        import jax  # noqa: F401
        import numpyro  # noqa: F401
    except Exception:  # an import of a broken JAX install can raise more than ImportError
        return False
    return True


def _initial_values(model: Any, chains: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The model's initial point plus uniform(-1, 1) jitter per chain (as PyMC does)."""
    point = _initial_point(model)
    values = []
    for var in model.value_vars:
        base = np.asarray(point[var.name], dtype=float)
        values.append(base + rng.uniform(-1.0, 1.0, size=(chains, *base.shape)))
    return values


def _data_values(compiled: CompiledModel, arrays: ModelArrays) -> tuple[np.ndarray, ...]:
    named = arrays.named_data()
    return tuple(named[name] for name in compiled.data_names)


def chain_groups(chains: int, cores: int) -> list[np.ndarray]:
    """Split chain indices into the most equal groups (at most ``cores``) that run side by side.

    The number of groups is the largest divisor of ``chains`` not above ``cores``, so every
    group has the same size and one compiled program serves them all.

    >>> [g.tolist() for g in chain_groups(4, 2)]
    [[0, 1], [2, 3]]
    >>> [g.tolist() for g in chain_groups(3, 2)]
    [[0, 1, 2]]
    """
    n = max(d for d in range(1, min(chains, cores) + 1) if chains % d == 0)
    return np.split(np.arange(chains), n)


def _run_numpyro(
    compiled: CompiledModel,
    arrays: ModelArrays,
    chains: int,
    seed: np.random.SeedSequence,
    cores: int = 1,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    import jax

    jitter_seed, key_seed = seed.spawn(2)
    # raw threefry keys straight from the seed (two 32-bit words per chain)
    keys = key_seed.generate_state(2 * chains, dtype=np.uint32).reshape(chains, 2)
    data = _data_values(compiled, arrays)
    groups = chain_groups(chains, cores)
    init_shape = jax.ShapeDtypeStruct((groups[0].size, _n_unconstrained(compiled.model)), float)
    with ThreadPoolExecutor(1) as pool:
        # XLA compiles (without the GIL) while the starting points are computed
        compiling = pool.submit(compiled.executable, keys[groups[0]], init_shape, data)
        values = _initial_values(compiled.model, chains, np.random.default_rng(jitter_seed))
        init = np.concatenate([v.reshape(chains, -1) for v in values], axis=1)
        run = compiling.result()

    def run_group(group: np.ndarray) -> Any:
        # JAX releases the GIL while a compiled program runs, so threads sample in parallel
        return jax.device_get(run(keys[group], init[group], data))

    if len(groups) == 1:
        parts = [run_group(groups[0])]
    else:
        with ThreadPoolExecutor(len(groups)) as pool:
            parts = list(pool.map(run_group, groups))
    outs, stats, warmup_steps = jax.tree_util.tree_map(
        lambda *xs: np.concatenate(xs, axis=0), *parts
    )
    posterior = dict(zip(compiled.out_names, outs, strict=True))
    diverging, energy, potential, n_steps, accept, step = (np.asarray(s) for s in stats)
    sample_stats = {
        "diverging": diverging.astype(bool),
        "energy": energy,
        "lp": -potential,
        "n_steps": n_steps.astype(np.int64),
        "tree_depth": np.floor(np.log2(np.maximum(n_steps, 1))).astype(np.int64) + 1,
        "acceptance_rate": accept,
        "step_size": step,
    }
    return posterior, sample_stats, np.asarray(warmup_steps)


def _run_pymc(
    compiled: CompiledModel,
    arrays: ModelArrays,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    seed: np.random.SeedSequence,
    progressbar: bool,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    import pymc as pm

    model = compiled.model
    with model:
        pm.set_data({k: v for k, v in arrays.named_data().items() if k in compiled.data_names})
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="QuadPotentialFullAdapt is an experimental")
        idata = _pymc_sample(model, draws, tune, chains, target_accept, seed, progressbar)
    posterior = {name: idata.posterior[name].to_numpy() for name in compiled.out_names}
    keep = ("diverging", "energy", "lp", "n_steps", "tree_depth", "acceptance_rate", "step_size")
    stats = {k: idata.sample_stats[k].to_numpy() for k in keep if k in idata.sample_stats}
    return posterior, stats, np.full(chains, -1)


def _pymc_sample(
    model: Any,
    draws: int,
    tune: int,
    chains: int,
    target_accept: float,
    seed: np.random.SeedSequence,
    progressbar: bool,
) -> Any:
    import pymc as pm

    return pm.sample(
        draws=draws,
        tune=tune,
        chains=chains,
        cores=1,
        model=model,
        random_seed=int(seed.generate_state(1)[0]),
        target_accept=target_accept,
        progressbar=progressbar,
        compute_convergence_checks=False,
        nuts_sampler="pymc",
        # the same metric as the numpyro path: dense for small models (see DENSE_MASS_...)
        init="jitter+adapt_full"
        if _n_unconstrained(model) <= DENSE_MASS_MAX_PARAMETERS
        else "jitter+adapt_diag",
    )


def _seed_sequence(seed: int | None) -> tuple[int, np.random.SeedSequence]:
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecificationError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed), np.random.SeedSequence(int(seed))


def _check_settings(draws: int, tune: int, chains: int, target_accept: float) -> None:
    for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if not isinstance(value, int | np.integer) or value < low:
            raise SpecificationError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0.5 <= float(target_accept) < 1.0:
        raise SpecificationError(
            f"target_accept must be in [0.5, 1), got {target_accept!r}; 0.9 is a good default"
        )


def _resolve_sampler(nuts_sampler: str) -> str:
    if nuts_sampler not in _SAMPLERS:
        raise SpecificationError(
            f"nuts_sampler={nuts_sampler!r} is not known; use one of {format_values(_SAMPLERS)}"
        )
    if nuts_sampler == "numpyro" and not _numpyro_available():
        warnings.warn(
            "nuts_sampler='numpyro' needs jax and numpyro, which could not be imported; "
            "sampling with PyMC's own NUTS instead (slower to compile)",
            RuntimeWarning,
            stacklevel=3,
        )
        return "pymc"
    return nuts_sampler


@dataclass(frozen=True)
class SampleOutput:
    """Raw output of one NUTS run: constrained draws and sampler statistics by chain."""

    posterior: dict[str, np.ndarray]
    sample_stats: dict[str, np.ndarray]
    sampler: str
    seconds: float
    warmup_leapfrog_steps: np.ndarray  # per chain; -1 where the sampler does not report it


def sample_arrays(
    arrays: ModelArrays,
    *,
    link: str,
    priors: PriorSet,
    centered: tuple[bool, ...],
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: np.random.SeedSequence,
    nuts_sampler: str = "numpyro",
    target_accept: float = 0.9,
    progressbar: bool = False,
    cores: int = 1,
) -> SampleOutput:
    """Sample the posterior of a model given as plain arrays (compiled once per structure).

    Parameters
    ----------
    arrays : ModelArrays
    link : {"logit", "probit"}
    priors : PriorSet
    centered : tuple of bool
        Per group term.
    draws, tune, chains : int
    seed : numpy.random.SeedSequence
    nuts_sampler : {"numpyro", "pymc"}
    target_accept : float
    progressbar : bool
    cores : int
        Groups of chains sampled side by side (numpyro; see :func:`chain_groups`).

    Returns
    -------
    SampleOutput
    """
    settings = (int(tune), int(draws), int(chains), float(target_accept))
    compiled = _compiled(arrays, link, priors, centered, nuts_sampler, settings)
    start = time.perf_counter()
    if nuts_sampler == "numpyro":
        posterior, stats, warmup = _run_numpyro(compiled, arrays, chains, seed, cores)
    else:
        posterior, stats, warmup = _run_pymc(
            compiled, arrays, draws, tune, chains, target_accept, seed, progressbar
        )
    return SampleOutput(posterior, stats, nuts_sampler, time.perf_counter() - start, warmup)


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class FitSettings:
    """Sampler settings shared by every fit of one call (and every reconstruction)."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    nuts_sampler: str = "numpyro"
    target_accept: float = 0.9
    progressbar: bool = False
    cores: int | None = None

    def __post_init__(self) -> None:
        _check_settings(self.draws, self.tune, self.chains, self.target_accept)
        if self.cores is not None and (
            isinstance(self.cores, bool)
            or not isinstance(self.cores, int | np.integer)
            or self.cores < 1
        ):
            raise SpecificationError(
                f"cores must be a positive integer or None (all cores), got {self.cores!r}"
            )

    @property
    def threads(self) -> int:
        """Groups of chains run side by side: ``cores``, or every core of the machine."""
        cores = self.cores if self.cores is not None else (os.cpu_count() or 1)
        return max(1, min(int(cores), self.chains))

    def sample(
        self,
        arrays: ModelArrays,
        link: str,
        priors: PriorSet,
        centered: tuple[bool, ...],
        seed: np.random.SeedSequence,
        sampler: str,
    ) -> SampleOutput:
        """:func:`sample_arrays` with these settings (``sampler`` already resolved)."""
        return sample_arrays(
            arrays,
            link=link,
            priors=priors,
            centered=centered,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            seed=seed,
            nuts_sampler=sampler,
            target_accept=self.target_accept,
            progressbar=self.progressbar,
            cores=self.threads,
        )


def prepare(
    design: Any,
    link: str,
    priors: Mapping[str, Prior] | None,
    parameterization: str | Mapping[str, str],
    arrays: ModelArrays | None = None,
) -> tuple[ModelArrays, PriorSet, tuple[bool, ...]]:
    """Arrays, resolved priors and the centring of each group term for a design."""
    if link not in SUPPORTED_LINKS:
        raise SpecificationError(
            f"link={link!r} is not supported by engine='bayes'; use one of "
            f"{format_values(SUPPORTED_LINKS)} (or engine='ml' for the other links)"
        )
    if getattr(design, "X_nominal", np.zeros((0, 0))).shape[1]:
        raise SpecificationError(
            "nominal (threshold-specific) effects are not supported by engine='bayes'; "
            "drop nominal= or use engine='ml'"
        )
    arrays = arrays if arrays is not None else ModelArrays.from_design(design)
    prior_set = resolve_priors(
        dict(priors or {}),
        coefficients=design.X_names,
        mo_blocks=[(b.name, len(b.levels) - 1) for b in design.mo],
        groups=[g.group for g in design.groups],
    )
    centered = choose_parameterization(
        arrays, link, prior_set.sd, parameterization, [g.group for g in design.groups]
    )
    return arrays, prior_set, centered


def _diagnose(
    posterior: Mapping[str, np.ndarray],
    stats: Mapping[str, np.ndarray],
    table: pd.DataFrame,
    n_groups: int,
) -> dict[str, Any]:
    from interactmodel.bayes_result import _posterior_with_sd_cor
    from interactmodel.diagnostics import parameter_diagnostics

    named = _posterior_with_sd_cor(dict(posterior), n_groups)
    columns = [
        named[var][(slice(None), slice(None), *index)]
        for var, index in zip(table["variable"], table["index"], strict=True)
    ]
    values = np.stack(columns, axis=-1)
    per_parameter = parameter_diagnostics(values, list(table["parameter"]))
    return convergence_diagnostics(per_parameter, stats["diverging"], stats.get("energy"))


def fit_design(
    design: Any,
    *,
    link: str = "logit",
    priors: Mapping[str, Prior] | None = None,
    settings: FitSettings = FitSettings(),
    seed: int | None = None,
    prior_predictive: bool = False,
    posterior_predictive: bool = False,
    parameterization: str | Mapping[str, str] = "auto",
    row_weights: np.ndarray | None = None,
) -> BayesResult:
    """Fit the Bayesian model to a collapsed :class:`~interactmodel.design.Design`.

    See :func:`fit` for the parameters; ``row_weights`` (the frequency weight of each input
    row, or None) only serves pointwise LOO.
    """
    from interactmodel.bayes_result import add_predictive, parameter_table

    sampler = _resolve_sampler(settings.nuts_sampler)
    seed, sequence = _seed_sequence(seed)
    sample_seed, pp_seed, prior_seed = sequence.spawn(3)
    arrays, prior_set, centered = prepare(design, link, priors, parameterization)
    start = time.perf_counter()
    out = settings.sample(arrays, link, prior_set, centered, sample_seed, sampler)
    elapsed = time.perf_counter() - start
    table = parameter_table(design, prior_set)
    diagnostics = _diagnose(out.posterior, out.sample_stats, table, len(arrays.groups))
    diagnostics["warmup_leapfrog_steps"] = [int(v) for v in out.warmup_leapfrog_steps]
    warn_if_not_converged(diagnostics, f"Bayesian fit of {design.formula.formula!r}")
    attrs = {
        "inference_library": f"pymc+{sampler}",
        "link": link,
        "formula": design.formula.formula,
        "seed": seed,
        "tuning_steps": settings.tune,
        "n_reconstructions": 1,
    }
    idata = build_inference_data(out.posterior, out.sample_stats, arrays, design, link, attrs)
    if posterior_predictive:
        rng = np.random.default_rng(pp_seed)
        add_predictive(idata, "posterior_predictive", _posterior_dict(idata), arrays, link, rng)
    if prior_predictive:
        _add_prior_predictive(idata, arrays, link, prior_set, centered, settings, prior_seed)
    return BayesResult(
        idata=idata,
        design=design,
        link=link,
        priors=prior_set,
        parameters=table,
        diagnostics=diagnostics,
        centered={g.group: c for g, c in zip(design.groups, centered, strict=True)},
        sampler=sampler,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        seed=seed,
        target_accept=settings.target_accept,
        timings={"fit_seconds": elapsed, "sampling_seconds": out.seconds},
        row_weights=row_weights,
    )


def _posterior_dict(idata: Any, group: str = "posterior") -> dict[str, np.ndarray]:
    data = getattr(idata, group)
    return {name: data[name].to_numpy() for name in data.data_vars}


def _add_prior_predictive(
    idata: Any,
    arrays: ModelArrays,
    link: str,
    priors: PriorSet,
    centered: tuple[bool, ...],
    settings: FitSettings,
    seed: np.random.SeedSequence,
) -> None:
    """Draw parameters from their priors (PyMC forward sampling) and simulate counts."""
    import arviz as az
    import pymc as pm

    from interactmodel.bayes_result import _posterior_with_sd_cor, add_predictive

    model = build_model(arrays, link, priors, centered)
    names = [v.name for v in model.free_RVs + model.deterministics]
    param_seed, count_seed = seed.spawn(2)
    with warnings.catch_warnings():
        # the likelihood is a Potential, which forward sampling ignores by design
        warnings.filterwarnings("ignore", message=".*Potential.*")
        prior = pm.sample_prior_predictive(
            draws=settings.draws,
            model=model,
            var_names=names,
            random_seed=int(param_seed.generate_state(1)[0]),
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    draws = _posterior_with_sd_cor(_posterior_dict(prior, "prior"), len(arrays.groups))
    post_dims = {name: idata.posterior[name].dims for name in idata.posterior.data_vars}
    coords = {k: v.values for k, v in idata.posterior.coords.items() if k not in ("chain", "draw")}
    kept = {k: v for k, v in draws.items() if k in post_dims}
    idata.extend(
        az.from_dict(
            prior=kept,
            coords=coords,
            dims={k: list(post_dims[k][2:]) for k in kept},
        )
    )
    rng = np.random.default_rng(count_seed)
    add_predictive(idata, "prior_predictive", kept, arrays, link, rng)


def fit(
    spec: Any,
    data: pd.DataFrame,
    weights: Any = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int | None = None,
    priors: Mapping[str, Prior] | None = None,
    nuts_sampler: str = "numpyro",
    target_accept: float = 0.9,
    prior_predictive: bool = False,
    posterior_predictive: bool = False,
    progressbar: bool = False,
    parameterization: str | Mapping[str, str] = "auto",
    cores: int | None = None,
) -> BayesResult:
    """Fit a Bayesian cumulative-link model (``spec.fit(data, engine="bayes", ...)``).

    Parameters
    ----------
    spec : OrdinalModel
        Provides ``formula``, ``link`` (``"logit"`` or ``"probit"``) and ``priors``.
    data : DataFrame
        One row per rating.  Never modified.
    weights : str or array-like, optional
        Frequency weights (a column name or one value per row).
    draws, tune, chains : int
        Posterior draws and warm-up iterations per chain, and the number of chains.
    seed : int, optional
        Seed of every random step (initial points, NUTS, predictive draws); the seed used is
        recorded on the result, so a fit with ``seed=None`` can be repeated.
    priors : mapping of str to Prior, optional
        Overrides of the default priors (on top of ``spec.priors``), see
        :mod:`interactmodel.priors`.
    nuts_sampler : {"numpyro", "pymc"}
        NUTS implementation; numpyro (JAX) compiles once per model structure.  Falls back to
        "pymc" with a warning when JAX/numpyro cannot be imported.
    target_accept : float
        Target acceptance rate of NUTS's step-size adaptation.
    prior_predictive, posterior_predictive : bool
        Add simulated outcome counts per cell to ``result.idata``.
    progressbar : bool
        Show PyMC's progress bar (``nuts_sampler="pymc"`` only).
    parameterization : {"auto", "centered", "non-centered"} or dict
        Of the group effects; see :func:`choose_parameterization` for the ``"auto"`` rule.
    cores : int, optional
        Threads that sample groups of chains side by side (numpyro only; default: every
        core).  The draws are the same for any value: each chain depends only on the seed.

    Returns
    -------
    BayesResult

    Raises
    ------
    SpecificationError
        For an unsupported link, nominal effects, a bad prior key or sampler setting.
    """
    from interactmodel.design import build_design, parse_formula

    merged = dict(getattr(spec, "priors", None) or {})
    merged.update(priors or {})
    nominal = getattr(spec, "nominal", None)
    if nominal:
        raise SpecificationError(
            f"nominal={nominal!r}: threshold-specific effects are not supported by "
            "engine='bayes'; drop nominal= or use engine='ml'"
        )
    kwargs = {"levels": spec.levels} if getattr(spec, "levels", None) is not None else {}
    design = build_design(parse_formula(spec.formula), data, weights=weights, **kwargs)
    settings = FitSettings(draws, tune, chains, nuts_sampler, target_accept, progressbar, cores)
    return fit_design(
        design,
        link=getattr(spec, "link", "logit"),
        priors=merged,
        settings=settings,
        seed=seed,
        prior_predictive=prior_predictive,
        posterior_predictive=posterior_predictive,
        parameterization=parameterization,
        row_weights=_row_weights(data, weights),
    )


def _row_weights(data: pd.DataFrame, weights: Any) -> np.ndarray | None:
    """The weight of each row (already validated by build_design), or None."""
    if weights is None:
        return None
    values = data[weights] if isinstance(weights, str) else np.asarray(weights)
    array = np.asarray(values, dtype=float).copy()
    array.setflags(write=False)
    return array
