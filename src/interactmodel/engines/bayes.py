"""Fitting Bayesian cumulative-link models: settings, priors, diagnostics and the result.

:func:`fit` (``OrdinalModel.fit(data, engine="bayes")``) and :func:`fit_design` check the
settings, resolve the priors and the parameterisation of the group effects, sample with NUTS
and return a :class:`~interactmodel.bayes_result.BayesResult` with its convergence
diagnostics.  The model itself is in :mod:`interactmodel.engines.bayes_model`; compiling and
running the sampler in :mod:`interactmodel.engines.nuts`.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.bayes_result import (
    BayesResult,
    ModelArrays,
    build_inference_data,
)
from interactmodel.diagnostics import convergence_diagnostics, warn_if_not_converged
from interactmodel.engines import nuts
from interactmodel.engines.bayes_model import build_model, choose_parameterization
from interactmodel.engines.nuts import SampleOutput, clear_cache, sample_arrays
from interactmodel.errors import SpecificationError, format_values
from interactmodel.priors import Prior, PriorSet, resolve_priors

__all__ = [
    "SUPPORTED_LINKS",
    "SampleOutput",
    "build_model",
    "choose_parameterization",
    "clear_cache",
    "fit",
    "fit_design",
    "sample_arrays",
]

SUPPORTED_LINKS = ("logit", "probit")
_SAMPLERS = ("numpyro", "pymc")


# --------------------------------------------------------------------------- settings


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
    # looked up on the module, where a test can make numpyro unavailable
    if nuts_sampler == "numpyro" and not nuts._numpyro_available():
        warnings.warn(
            "nuts_sampler='numpyro' needs jax and numpyro, which could not be imported; "
            "sampling with PyMC's own NUTS instead (slower to compile)",
            RuntimeWarning,
            stacklevel=3,
        )
        return "pymc"
    return nuts_sampler


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
        """Cores to sample on: ``cores``, or every core of the machine (see ``chain_groups``)."""
        return int(self.cores) if self.cores is not None else (os.cpu_count() or 1)

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

    def result(
        self,
        design: Any,
        link: str,
        priors: PriorSet,
        parameters: pd.DataFrame,
        diagnostics: dict[str, Any],
        centered: tuple[bool, ...],
        sampler: str,
        seed: int,
        idata: Any,
        extras: Mapping[str, Any],
    ) -> BayesResult:
        """The :class:`~interactmodel.bayes_result.BayesResult` of a fit with these settings.

        ``centered`` holds one flag per group term of ``design``; ``extras`` the fields that
        differ between a single and a pooled fit (``timings``, ``row_weights``,
        ``n_reconstructions``).
        """
        return BayesResult(
            idata=idata,
            design=design,
            link=link,
            priors=priors,
            parameters=parameters,
            diagnostics=diagnostics,
            centered={g.group: c for g, c in zip(design.groups, centered, strict=True)},
            sampler=sampler,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            seed=seed,
            target_accept=self.target_accept,
            **extras,
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
    extras = {
        "timings": {"fit_seconds": elapsed, "sampling_seconds": out.seconds},
        "row_weights": row_weights,
    }
    return settings.result(
        design, link, prior_set, table, diagnostics, centered, sampler, seed, idata, extras
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
    from interactmodel.design import build_design
    from interactmodel.formula import parse_formula

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
