"""Compiling and running NUTS on the PyMC model of :mod:`interactmodel.engines.bayes_model`.

Sampler: numpyro's NUTS on one flat vector of unconstrained parameters, with a dense metric
for models of up to 100 parameters (thresholds and group intercepts share a location, a ridge
that a diagonal metric crosses slowly) and, from 10,000 observations on, in coordinates
whitened by the Laplace approximation (posterior SDs of ~0.003 at a million ratings would
otherwise make the warm-up crawl).  The chains run in equal groups side by side, one thread
per group (``cores``), each group one after the other inside one compiled program; a chain's
draws depend only on its own key and starting point, so they are bit-identical whatever the
grouping (tested).  PyMC's own NUTS (``nuts_sampler="pymc"``, also the fallback when JAX or
numpyro cannot be imported) samples the same model with the same choice of metric.

Compile once: all data arrays (counts, X, ranks, group indices, Z) are *inputs* of the compiled
JAX sampler, which is cached by model structure (shapes, link, priors, parameterisation and
sampler settings).  A second fit of same-shaped data -- another reconstruction, another seed --
runs without compiling anything.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from interactmodel.bayes_result import ModelArrays
from interactmodel.engines.bayes_model import build_model
from interactmodel.priors import PriorSet

__all__ = [
    "DENSE_MASS_MAX_PARAMETERS",
    "WHITEN_MIN_OBSERVATIONS",
    "CompiledModel",
    "SampleOutput",
    "chain_groups",
    "clear_cache",
    "sample_arrays",
]

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
    import pytensor

    # no stack trace recorded on every graph node (PyTensor's default keeps 8 frames per node
    # for its error messages): ~0.2 s of a cold start, for graphs we generate ourselves
    with pytensor.config.change_flags(traceback__limit=0):
        model = build_model(arrays, link, priors, centered)
        if sampler == "numpyro":
            compiled = _compile_numpyro(model, *settings, whiten=whiten)
        else:
            compiled = _pymc_compiled(model)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = compiled
    return compiled


def _pymc_compiled(model: Any) -> CompiledModel:
    """The model for PyMC's own sampler (which compiles when it samples)."""
    from pymc.util import get_default_varnames

    outs = get_default_varnames(model.unobserved_value_vars, include_transformed=False)
    return CompiledModel(
        model,
        tuple(v.name for v in model.data_vars),
        tuple(v.name for v in model.value_vars),
        tuple(v.name for v in outs),
        None,
    )


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
    # the same metric as the numpyro path: dense for small models (see DENSE_MASS_...)
    dense = _n_unconstrained(model) <= DENSE_MASS_MAX_PARAMETERS
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="QuadPotentialFullAdapt is an experimental")
        idata = pm.sample(
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
            init="jitter+adapt_full" if dense else "jitter+adapt_diag",
        )
    posterior = {name: idata.posterior[name].to_numpy() for name in compiled.out_names}
    keep = ("diverging", "energy", "lp", "n_steps", "tree_depth", "acceptance_rate", "step_size")
    stats = {k: idata.sample_stats[k].to_numpy() for k in keep if k in idata.sample_stats}
    return posterior, stats, np.full(chains, -1)


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
