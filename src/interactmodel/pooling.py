"""Bayesian fits pooled over reconstructed data sets.

The article publishes percentages, not respondent-level data, so every analysis runs on
*reconstructions*: data sets consistent with the published tables.  :func:`fit_pooled` fits
the same Bayesian model to each of M reconstructions and stacks the posterior draws (the
chains of reconstruction 1, then those of 2, ...), so the pooled posterior is the equal
mixture of the M posteriors: every interval carries both the sampling uncertainty and the
uncertainty about which data set the article had.

The reconstructions are collapsed on the *union* of their covariate cells, so every one has
the same array shapes and the compiled sampler is reused: one compile for all M fits.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import DataError, SpecificationError
from interactmodel.priors import Prior

__all__ = ["fit_pooled", "reconstruction_frames"]


def reconstruction_frames(reconstructions: Any) -> list[pd.DataFrame]:
    """Split reconstructions into one frame per data set.

    Parameters
    ----------
    reconstructions : object with ``to_frame()``, DataFrame, or iterable of DataFrames
        The output of :func:`interactmodel.reconstruct.reconstruct`, a long frame with a
        ``reconstruction`` column, or any iterable of respondent-level frames.

    Returns
    -------
    list of DataFrame
        In the order of the ``reconstruction`` column's values (or of the iterable).
    """
    if hasattr(reconstructions, "to_frame"):
        reconstructions = reconstructions.to_frame()
    if isinstance(reconstructions, pd.DataFrame):
        if "reconstruction" not in reconstructions.columns:
            raise DataError(
                "the frame of reconstructions has no 'reconstruction' column saying which data "
                "set each row belongs to; add one, or pass a list of frames"
            )
        groups = reconstructions.groupby("reconstruction", sort=True, observed=True)
        return [part.drop(columns="reconstruction") for _, part in groups]
    frames = list(reconstructions)
    bad = [i for i, f in enumerate(frames) if not isinstance(f, pd.DataFrame)]
    if bad:
        raise DataError(
            f"reconstructions must be DataFrames; item(s) {bad[:5]} are "
            f"{sorted({type(frames[i]).__name__ for i in bad})}"
        )
    return frames


def _union(frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, np.ndarray]:
    """All frames stacked (with the same dtypes) and the reconstruction of each row."""
    if not frames:
        raise DataError("no reconstructions given; pass at least one data set")
    first = frames[0].dtypes
    for i, frame in enumerate(frames[1:], start=2):
        common = [c for c in first.index if c in frame.columns]
        changed = [c for c in common if frame[c].dtype != first[c]]
        if changed:
            raise DataError(
                f"reconstruction {i} has other dtypes than reconstruction 1 in column(s) "
                f"{changed}; give every reconstruction the same categories and order"
            )
    source = np.concatenate([np.full(len(f), i) for i, f in enumerate(frames)])
    return pd.concat(frames, ignore_index=True), source


def _counts_by_source(design: Any, source: np.ndarray, weights: np.ndarray, m: int) -> np.ndarray:
    """Counts (m, n_cells, K) of each reconstruction on the union's cells."""
    n_cells, K = design.counts.shape
    rows = design.row_cell >= 0
    key = source[rows] * n_cells * K + design.row_cell[rows] * K + design.row_outcome[rows]
    flat = np.bincount(key, weights=weights[rows], minlength=m * n_cells * K)
    return flat.reshape(m, n_cells, K)


def fit_pooled(
    spec: Any,
    reconstructions: Any,
    weights: str | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int | None = None,
    priors: Mapping[str, Prior] | None = None,
    nuts_sampler: str = "numpyro",
    target_accept: float = 0.9,
    progressbar: bool = False,
    parameterization: str | Mapping[str, str] = "auto",
    cores: int | None = None,
) -> Any:
    """Fit ``spec`` to each reconstruction and pool the posterior draws.

    Parameters
    ----------
    spec : OrdinalModel
    reconstructions : Reconstructions, DataFrame or iterable of DataFrame
        See :func:`reconstruction_frames`.  Not modified.
    weights : str, optional
        Name of a frequency-weight column present in every reconstruction.
    draws, tune, chains, seed, priors, nuts_sampler, target_accept, progressbar
        As for :func:`interactmodel.engines.bayes.fit`, as are ``parameterization`` and
        ``cores``; ``draws`` and ``chains`` are per reconstruction, so the pooled posterior has
        ``M * chains`` chains.

    Returns
    -------
    BayesResult
        ``n_reconstructions`` = M; ``idata.posterior`` has M x chains chains with a chain
        coordinate ``reconstruction`` (1..M); ``diagnostics["reconstructions"]`` holds each
        fit's diagnostics.  ``loo()`` is not defined for a pooled fit.

    Warns
    -----
    ConvergenceWarning
        Naming each reconstruction whose fit fails a convergence check.
    """
    from interactmodel.bayes_result import ModelArrays, parameter_table
    from interactmodel.design import build_design
    from interactmodel.engines import bayes
    from interactmodel.formula import parse_formula

    frames = reconstruction_frames(reconstructions)
    union, source = _union(frames)
    merged = dict(getattr(spec, "priors", None) or {}) | dict(priors or {})
    if getattr(spec, "nominal", None):
        raise SpecificationError("nominal effects are not supported by engine='bayes'")
    kwargs = {"levels": spec.levels} if getattr(spec, "levels", None) is not None else {}
    design = build_design(parse_formula(spec.formula), union, weights=weights, **kwargs)
    w = np.ones(len(union)) if weights is None else union[weights].to_numpy(dtype=float)
    m = len(frames)
    counts = _counts_by_source(design, source, w, m)
    settings = bayes.FitSettings(
        draws, tune, chains, nuts_sampler, target_accept, progressbar, cores
    )
    sampler = bayes._resolve_sampler(nuts_sampler)
    seed, sequence = bayes._seed_sequence(seed)
    link = getattr(spec, "link", "logit")
    # centring is decided once, on the average reconstruction, so all share one structure
    base = ModelArrays.from_design(design)
    _, prior_set, centered = bayes.prepare(
        design, link, merged, parameterization, base.with_counts(counts.mean(axis=0))
    )
    table = parameter_table(design, prior_set)
    outputs, per_fit = [], []
    for i, child in enumerate(sequence.spawn(m)):
        out = settings.sample(
            base.with_counts(counts[i]), link, prior_set, centered, child, sampler
        )
        outputs.append(out)
        per_fit.append(bayes._diagnose(out.posterior, out.sample_stats, table, len(base.groups)))
    diagnostics = _combine_diagnostics(per_fit)
    if diagnostics["failures"]:
        warnings.warn(
            f"Bayesian fits of {m} reconstructions may not have converged: "
            + "; ".join(diagnostics["failures"]),
            _convergence_warning(),
            stacklevel=2,
        )
    idata = _pooled_idata(outputs, counts, base, design, link, seed, chains)
    timings = {
        "sampling_seconds": float(sum(o.seconds for o in outputs)),
        "first_fit_seconds": float(outputs[0].seconds),
    }
    extras = {"n_reconstructions": m, "timings": timings}
    return settings.result(
        design, link, prior_set, table, diagnostics, centered, sampler, seed, idata, extras
    )


def _convergence_warning() -> type[Warning]:
    from interactmodel.errors import ConvergenceWarning

    return ConvergenceWarning


def _combine_diagnostics(per_fit: list[dict[str, Any]]) -> dict[str, Any]:
    """Worst case over reconstructions, with the failures labelled by reconstruction."""
    failures = [
        f"reconstruction {i}: {text}"
        for i, diag in enumerate(per_fit, start=1)
        for text in diag["failures"]
    ]
    worst_rhat = max(per_fit, key=lambda d: d["max_r_hat"])
    worst_bulk = min(per_fit, key=lambda d: d["min_ess_bulk"])
    worst_tail = min(per_fit, key=lambda d: d["min_ess_tail"])
    return {
        "divergences": int(sum(d["divergences"] for d in per_fit)),
        "draws": int(sum(d["draws"] for d in per_fit)),
        "max_r_hat": worst_rhat["max_r_hat"],
        "max_r_hat_parameter": worst_rhat["max_r_hat_parameter"],
        "min_ess_bulk": worst_bulk["min_ess_bulk"],
        "min_ess_bulk_parameter": worst_bulk["min_ess_bulk_parameter"],
        "min_ess_tail": worst_tail["min_ess_tail"],
        "min_ess_tail_parameter": worst_tail["min_ess_tail_parameter"],
        "bfmi": [v for d in per_fit for v in d["bfmi"]],
        "min_bfmi": float(np.nanmin([d["min_bfmi"] for d in per_fit])),
        "failures": failures,
        "converged": not failures,
        "reconstructions": per_fit,
    }


def _pooled_idata(
    outputs: Iterable[Any],
    counts: np.ndarray,
    base: Any,
    design: Any,
    link: str,
    seed: int,
    chains: int,
) -> Any:
    """InferenceData of the stacked chains (no log-likelihood: each fit had other data)."""
    import arviz as az

    from interactmodel.bayes_result import _coords_dims, _posterior_with_sd_cor

    outputs = list(outputs)
    m = len(outputs)
    posterior = {
        name: np.concatenate([o.posterior[name] for o in outputs], axis=0)
        for name in outputs[0].posterior
    }
    posterior = _posterior_with_sd_cor(posterior, len(base.groups))
    stats = {
        name: np.concatenate([o.sample_stats[name] for o in outputs], axis=0)
        for name in outputs[0].sample_stats
    }
    coords, dims = _coords_dims(design)
    coords["reconstruction_index"] = np.arange(1, m + 1)
    idata = az.from_dict(
        posterior=posterior,
        sample_stats=stats,
        observed_data={"counts": counts},
        coords=coords,
        dims={**dims, "counts": ["reconstruction_index", "cell", "outcome"]},
        attrs={
            "inference_library": f"pymc+{outputs[0].sampler}",
            "link": link,
            "formula": design.formula.formula,
            "seed": seed,
            "n_reconstructions": m,
            "chains_per_reconstruction": chains,
        },
    )
    labels = np.repeat(np.arange(1, m + 1), chains)
    for group in ("posterior", "sample_stats"):
        dataset = getattr(idata, group).assign_coords(reconstruction=("chain", labels))
        setattr(idata, group, dataset)
    return idata
