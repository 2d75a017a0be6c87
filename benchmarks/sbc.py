"""Simulation-based calibration (Talts et al. 2018) of the Bayesian engine.

For each simulated data set: draw every parameter from the model's *documented* default
priors (drawn here with numpy, independently of the engine's PyMC model), simulate ratings from
the cumulative-link model (computed here, independently of the engine's likelihood), fit with
``OrdinalModel(formula, link).fit(data, engine="bayes", ...)`` and record, for each parameter,
the rank of the true value among L posterior draws thinned from the chains.  If the engine's
prior, likelihood and sampler are right, each rank is uniform on 0..L; a histogram with a
trough or hump, a slope, or a U shape says the posterior is too wide, biased, or too narrow.

Models (data of the article's size, covariates drawn once and then held fixed, so that every
data set has the same covariate cells and the engine's compiled sampler is reused):

- ``article_logit``: ``quality ~ partner + mo(frequency):partner + (1 | region)``, cumulative
  logit; 245 organisations x 2 partners = 490 ratings in 6 regions, each partner's contact
  frequency on its own 5-level scale, drawn from the distribution implied by Tables 1-2.
- ``probit_fixed``: ``quality ~ partner + x``, cumulative probit, the same 490 ratings with a
  standardised numeric organisation-level covariate ``x``.

Default priors (``interactmodel.priors``): thresholds normal(0, 2.5) each, ordered; b and the
monotonic b normal(0, 2.5); simplex dirichlet(1); group sd halfnormal(1); group effects
normal(0, sd).  The ordered thresholds' prior density is the product of the normal densities
on the ordered region, i.e. the distribution of 4 sorted independent normal(0, 2.5) draws.

Run::

    .venv/bin/python -m benchmarks.sbc run --model article_logit --n-sims 200 --workers 2
    .venv/bin/python -m benchmarks.sbc run --model probit_fixed --n-sims 200 --workers 2
    .venv/bin/python -m benchmarks.sbc recheck --model probit_fixed --workers 2
    .venv/bin/python -m benchmarks.sbc report

``run`` appends one JSON line per data set to ``benchmarks/results/sbc_<model>_ranks.jsonl``
(so a long run can be watched and resumed: data sets already fitted by the same engine code
and sampler settings are skipped).  Each line records a fingerprint of the engine's source
files, and ``report`` uses the records of one fingerprint only, so a report never mixes
engine versions.  ``recheck`` refits the data sets whose fits diverged with
``target_accept=0.99``.  ``report`` writes ``benchmarks/results/sbc.md`` and the
rank-histogram figures ``benchmarks/results/sbc_<model>.png``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.markdown import markdown_table

RESULTS = Path(__file__).parent / "results"
SEED = 20240517
COVARIATE_SEED = 245
N_ORGS = 245
N_DRAWS_KEPT = 99  # L: ranks take the values 0..L, so L + 1 = 100 splits into 20 bins of 5
N_BINS = 20
THRESHOLD_SCALE = 2.5
B_SCALE = 2.5
SD_SCALE = 1.0

#: sampler settings of every SBC fit (per chain); thinning keeps L of chains * draws
SAMPLER = {"draws": 500, "tune": 500, "chains": 2, "nuts_sampler": "numpyro"}

# --------------------------------------------------------------------------- SBC statistics


def thin(draws: np.ndarray, n_keep: int = N_DRAWS_KEPT) -> np.ndarray:
    """``n_keep`` equally spaced draws of the concatenated chains.

    Parameters
    ----------
    draws : ndarray, shape (chain, draw) or (n,)
    n_keep : int
        L, the number of draws to keep; at most the number of draws.

    Returns
    -------
    ndarray, shape (n_keep,)
        Every ``n // n_keep``-th draw (from the start of each chain's block), which reduces the
        autocorrelation that would otherwise make the ranks too concentrated (Talts et al.
        2018, section 5.1).

    Examples
    --------
    >>> thin(np.arange(20).reshape(2, 10), 4).tolist()
    [0.0, 5.0, 10.0, 15.0]
    """
    flat = np.asarray(draws, dtype=float).reshape(-1)
    if not 1 <= n_keep <= flat.size:
        raise ValueError(f"n_keep={n_keep} must be between 1 and the {flat.size} draws")
    stride = flat.size // n_keep
    return flat[::stride][:n_keep]


def rank_of(true: float, draws: np.ndarray, rng: np.random.Generator | None = None) -> int:
    """The SBC rank: how many of ``draws`` are below ``true`` (0..len(draws)).

    Ties (possible for discrete or clipped draws) are split uniformly at random with ``rng``,
    so that the rank stays uniform under a correct posterior; without ``rng`` a tie counts
    as "not below".

    Examples
    --------
    >>> rank_of(0.5, np.array([0.1, 0.9, 0.3]))
    2
    """
    draws = np.asarray(draws, dtype=float)
    below = int(np.sum(draws < true))
    ties = int(np.sum(draws == true))
    if ties and rng is not None:
        below += int(rng.integers(0, ties + 1))
    return below


def rank_counts(ranks: np.ndarray, n_draws: int = N_DRAWS_KEPT, n_bins: int = N_BINS) -> np.ndarray:
    """Counts of ranks (0..n_draws) in ``n_bins`` bins of equal width.

    ``n_draws + 1`` (the number of possible ranks) must be a multiple of ``n_bins``, so that
    every bin holds the same number of rank values and has the same probability under
    uniformity.
    """
    ranks = np.asarray(ranks)
    if (n_draws + 1) % n_bins:
        raise ValueError(
            f"n_draws + 1 = {n_draws + 1} possible ranks do not split into {n_bins} equal bins; "
            "choose n_bins dividing n_draws + 1"
        )
    if ranks.size and (ranks.min() < 0 or ranks.max() > n_draws):
        raise ValueError(f"ranks must lie in 0..{n_draws}, got {ranks.min()}..{ranks.max()}")
    width = (n_draws + 1) // n_bins
    return np.bincount(ranks // width, minlength=n_bins)


def uniformity_test(
    ranks: np.ndarray, n_draws: int = N_DRAWS_KEPT, n_bins: int = N_BINS
) -> tuple[float, int, float]:
    """Pearson chi-square test that the binned ranks are uniform.

    Returns
    -------
    statistic, degrees of freedom (n_bins - 1), p-value
    """
    counts = rank_counts(ranks, n_draws, n_bins)
    result = stats.chisquare(counts)
    return float(result.statistic), n_bins - 1, float(result.pvalue)


def central_interval_covers(draws: np.ndarray, true: float, prob: float) -> bool:
    """Whether ``true`` lies in the central ``prob`` interval (equal-tailed) of ``draws``."""
    lower, upper = np.quantile(np.asarray(draws, dtype=float), [(1 - prob) / 2, (1 + prob) / 2])
    return bool(lower <= true <= upper)


def histogram_band(n_sims: int, n_bins: int = N_BINS, level: float = 0.99) -> tuple[int, int]:
    """Central ``level`` range of one bin's count under uniformity, Binomial(n_sims, 1/n_bins)."""
    dist = stats.binom(n_sims, 1.0 / n_bins)
    return int(dist.ppf((1 - level) / 2)), int(dist.ppf((1 + level) / 2))


# --------------------------------------------------------------------------- fixed covariates


def _frequency_probabilities(partner: str) -> np.ndarray:
    """P(frequency) implied by a table's row percentages and the assumed quality margins."""
    from benchmarks.calibration_ml import expected_counts

    counts = expected_counts(partner)
    by_frequency = counts.groupby("frequency", observed=False)["weight"].sum()
    return (by_frequency / by_frequency.sum()).to_numpy()


#: region shares of the sample: the article's national NGO shares (Nur-Sultan 36%, Almaty
#: 19%, Karaganda 17%, East Kazakhstan 15%) with "other regions" 13% split over the last two
REGION_SHARES = (0.36, 0.19, 0.17, 0.15, 0.065, 0.065)


def covariates(seed: int = COVARIATE_SEED) -> pd.DataFrame:
    """The 490 fixed (organisation, partner) rows: partner, frequency, region, x."""
    from interactmodel.article import FREQUENCY_LEVELS, PARTNERS, SAMPLE_REGIONS

    rng = np.random.default_rng(seed)
    region = rng.choice(len(SAMPLE_REGIONS), size=N_ORGS, p=REGION_SHARES)
    x = rng.standard_normal(N_ORGS)
    x = (x - x.mean()) / x.std()
    frequency_codes, partner_codes = [], []
    for p, partner in enumerate(PARTNERS):
        levels = np.asarray(FREQUENCY_LEVELS[partner])
        drawn = rng.choice(levels.size, size=N_ORGS, p=_frequency_probabilities(partner))
        frequency_codes.append(levels[drawn])
        partner_codes.append(np.full(N_ORGS, p))
    all_frequencies = [f for partner in PARTNERS for f in FREQUENCY_LEVELS[partner]]
    return pd.DataFrame(
        {
            "org_id": np.tile([f"org{i:03d}" for i in range(N_ORGS)], len(PARTNERS)),
            "partner": pd.Categorical.from_codes(
                np.concatenate(partner_codes), list(PARTNERS), ordered=True
            ),
            "frequency": pd.Categorical(
                np.concatenate(frequency_codes), all_frequencies, ordered=True
            ),
            "region": pd.Categorical.from_codes(
                np.tile(region, len(PARTNERS)), list(SAMPLE_REGIONS)
            ),
            "x": np.tile(x, len(PARTNERS)),
        }
    )


# --------------------------------------------------------------------------- models


def _sorted_thresholds(rng: np.random.Generator, n: int = 4) -> dict[str, float]:
    from interactmodel.article import QUALITY_LEVELS

    values = np.sort(rng.normal(0.0, THRESHOLD_SCALE, size=n))
    labels = [f"{a}|{b}" for a, b in zip(QUALITY_LEVELS[:-1], QUALITY_LEVELS[1:], strict=True)]
    return {f"threshold[{label}]": float(v) for label, v in zip(labels, values, strict=True)}


def _mo_names(partner: str) -> tuple[str, list[str]]:
    from interactmodel.article import FREQUENCY_LEVELS

    block = f"mo(frequency):partner[{partner}]"
    levels = FREQUENCY_LEVELS[partner]
    steps = [f"{block}:simplex[{a}->{b}]" for a, b in zip(levels[:-1], levels[1:], strict=True)]
    return block, steps


def article_prior(rng: np.random.Generator) -> dict[str, float]:
    """One draw of every parameter of the article model from its default priors."""
    from interactmodel.article import PARTNERS, SAMPLE_REGIONS

    params = _sorted_thresholds(rng)
    params["partner[T.business]"] = float(rng.normal(0.0, B_SCALE))
    for partner in PARTNERS:
        block, _ = _mo_names(partner)
        params[block] = float(rng.normal(0.0, B_SCALE))
    for partner in PARTNERS:
        _, steps = _mo_names(partner)
        for name, share in zip(steps, rng.dirichlet(np.ones(len(steps))), strict=True):
            params[name] = float(share)
    sd = float(abs(rng.normal(0.0, SD_SCALE)))
    params["sd(Intercept | region)"] = sd
    for region in SAMPLE_REGIONS:
        params[f"r_region[{region},Intercept]"] = float(rng.normal(0.0, sd))
    return params


def article_eta(params: dict[str, float], data: pd.DataFrame) -> np.ndarray:
    """eta of each row: partner effect + b * D * cumulative simplex share + region effect.

    brms's ``mo()``: ``b * D * sum_{j <= rank} zeta_j`` with D = 4 steps, rank 0..4 of the
    row's frequency on its partner's own scale.
    """
    from interactmodel.article import FREQUENCY_LEVELS

    eta = params["partner[T.business]"] * (data["partner"] == "business").to_numpy(float)
    for partner, levels in FREQUENCY_LEVELS.items():
        block, steps = _mo_names(partner)
        cumulative = np.concatenate([[0.0], np.cumsum([params[s] for s in steps])])
        rows = (data["partner"] == partner).to_numpy()
        rank = pd.Categorical(data["frequency"][rows].astype(str), list(levels)).codes
        eta[rows] += params[block] * len(steps) * cumulative[rank]
    effects = np.array([params[f"r_region[{r},Intercept]"] for r in data["region"].astype(str)])
    return eta + effects


def probit_prior(rng: np.random.Generator) -> dict[str, float]:
    """One draw of the probit model's parameters from the default priors."""
    params = _sorted_thresholds(rng)
    params["partner[T.business]"] = float(rng.normal(0.0, B_SCALE))
    params["x"] = float(rng.normal(0.0, B_SCALE))
    return params


def probit_eta(params: dict[str, float], data: pd.DataFrame) -> np.ndarray:
    business = (data["partner"] == "business").to_numpy(float)
    return params["partner[T.business]"] * business + params["x"] * data["x"].to_numpy(float)


@dataclass(frozen=True)
class SBCModel:
    """A model to calibrate: formula, link, prior sampler and linear predictor."""

    name: str
    formula: str
    link: str
    draw_prior: Callable[[np.random.Generator], dict[str, float]]
    eta: Callable[[dict[str, float], pd.DataFrame], np.ndarray]


MODELS = {
    "article_logit": SBCModel(
        "article_logit",
        "quality ~ partner + mo(frequency):partner + (1 | region)",
        "logit",
        article_prior,
        article_eta,
    ),
    "probit_fixed": SBCModel(
        "probit_fixed", "quality ~ partner + x", "probit", probit_prior, probit_eta
    ),
}


def simulate_ratings(
    model: SBCModel, params: dict[str, float], data: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """The covariates with a simulated ``quality`` column: P(Y <= k) = F(theta_k - eta)."""
    from interactmodel.article import QUALITY_LEVELS

    thresholds = np.array([v for k, v in params.items() if k.startswith("threshold[")])
    eta = model.eta(params, data)
    noise = rng.logistic(size=eta.size) if model.link == "logit" else rng.standard_normal(eta.size)
    quality = np.searchsorted(thresholds, eta + noise)
    out = data.copy()
    out["quality"] = pd.Categorical.from_codes(quality, list(QUALITY_LEVELS), ordered=True)
    return out


# --------------------------------------------------------------------------- one data set


def _limit_threads() -> None:
    # two worker processes share two cores: one XLA thread each, not one per core per process
    os.environ.setdefault(
        "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def sbc_replicate(task: tuple[str, int, int, dict[str, Any]]) -> dict[str, Any]:
    """Prior draw, simulated data, fit, ranks and interval coverage for one data set."""
    from interactmodel import OrdinalModel

    model_name, seed, replicate, sampler = task
    fingerprint = engine_fingerprint()  # hash the sources, then import them at once
    import interactmodel.engines.bayes  # noqa: F401

    model = MODELS[model_name]
    prior_seed, data_seed, fit_seed, tie_seed = np.random.SeedSequence([seed, replicate]).spawn(4)
    params = model.draw_prior(np.random.default_rng(prior_seed))
    data = simulate_ratings(model, params, covariates(), np.random.default_rng(data_seed))
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # one core per fit: the workers already fill the machine (the draws do not depend on
        # cores, so this is not a sampler setting)
        fit = OrdinalModel(model.formula, link=model.link).fit(
            data, engine="bayes", seed=int(fit_seed.generate_state(1)[0]), cores=1, **sampler
        )
    seconds = time.perf_counter() - start
    draws = fit.draws_frame()
    tie_rng = np.random.default_rng(tie_seed)
    ranks, cover50, cover90 = {}, {}, {}
    for name, true in params.items():
        chains = draws.pivot(index="draw", columns="chain", values=name).to_numpy().T
        ranks[name] = rank_of(true, thin(chains, N_DRAWS_KEPT), tie_rng)
        cover50[name] = central_interval_covers(chains, true, 0.5)
        cover90[name] = central_interval_covers(chains, true, 0.9)
    diag = fit.diagnostics
    summary = fit.summary()
    return {
        "model": model_name,
        "replicate": replicate,
        "true": params,
        "rank": ranks,
        "cover50": cover50,
        "cover90": cover90,
        "divergences": int(np.asarray(fit.idata.sample_stats["diverging"]).sum()),
        "max_r_hat": float(summary["r_hat"].max()),
        "min_ess_bulk": float(summary["ess_bulk"].min()),
        "min_ess_tail": float(summary["ess_tail"].min()),
        "converged": bool(diag.get("converged", True)),
        "category_counts": np.bincount(data["quality"].cat.codes, minlength=5).tolist(),
        "warnings": sorted({type(w.message).__name__ for w in caught}),
        "seconds": seconds,
        "sampler": sampler,
        "engine": fingerprint,
    }


# --------------------------------------------------------------------------- running


#: the source files whose content defines "the engine" for SBC: a run never mixes versions
ENGINE_FILES = (
    "engines/bayes.py",
    "engines/bayes_model.py",
    "engines/nuts.py",
    "bayes_result.py",
    "priors.py",
    "design.py",
    "formula.py",
    "diagnostics.py",
)
_FINGERPRINT: dict[str, str] = {}


def engine_fingerprint() -> dict[str, str]:
    """sha256 (12 hex digits) of the engine's source files, plus the git commit they sit on.

    The Bayesian engine was being changed while these studies ran; every record carries the
    fingerprint of the code that fitted it, and the report uses one fingerprint only.
    """
    if not _FINGERPRINT:
        import interactmodel

        root = Path(interactmodel.__file__).parent
        digest = hashlib.sha256()
        for name in ENGINE_FILES:
            digest.update((root / name).read_bytes())
        _FINGERPRINT["sha256"] = digest.hexdigest()[:12]
        _FINGERPRINT["commit"] = _git(["rev-parse", "--short", "HEAD"], root)
        paths = [str(root / name) for name in ENGINE_FILES]
        dirty = _git(["status", "--porcelain", "--", *paths], root)
        _FINGERPRINT["dirty"] = "yes" if dirty else "no"
    return dict(_FINGERPRINT)


def commit_with_fingerprint(sha: str, depth: int = 60) -> str:
    """The latest commit (of the last ``depth`` touching the engine) whose sources hash to ``sha``.

    Returns "" when none does (e.g. the runs used uncommitted engine code).
    """
    import interactmodel

    root = Path(_git(["rev-parse", "--show-toplevel"], Path(interactmodel.__file__).parent))
    relative = [f"src/interactmodel/{name}" for name in ENGINE_FILES]
    log = _git(["log", f"-{depth}", "--format=%h", "--", *relative], root)
    for commit in log.split():
        digest = hashlib.sha256()
        for path in relative:
            shown = subprocess.run(
                ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, check=False
            )
            digest.update(shown.stdout)
        if digest.hexdigest()[:12] == sha:
            return commit
    return ""


def _git(args: list[str], where: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=where, capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip()


def ranks_path(model: str, out: Path = RESULTS) -> Path:
    return out / f"sbc_{model}_ranks.jsonl"


def load_records(model: str, out: Path = RESULTS) -> list[dict[str, Any]]:
    path = ranks_path(model, out)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run(
    model: str,
    n_sims: int,
    seed: int = SEED,
    workers: int = 2,
    out: Path = RESULTS,
    sampler: dict[str, Any] | None = None,
) -> None:
    """Fit data sets 0..n_sims-1 not yet in the ranks file, appending one line each."""
    sampler = dict(SAMPLER if sampler is None else sampler)
    out.mkdir(parents=True, exist_ok=True)
    current = engine_fingerprint()["sha256"]
    done = {
        r["replicate"]
        for r in load_records(model, out)
        if _version(r) == current and r.get("sampler") == sampler
    }
    todo = [(model, seed, i, sampler) for i in range(n_sims) if i not in done]
    print(f"{model}: engine {current}, {len(done)} data sets done, {len(todo)} to go", flush=True)
    _limit_threads()
    start = time.perf_counter()
    with ranks_path(model, out).open("a") as sink:
        if workers > 1:
            with get_context("spawn").Pool(workers) as pool:
                for k, record in enumerate(pool.imap_unordered(sbc_replicate, todo), 1):
                    _write(sink, record, k, len(todo), start)
        else:
            for k, task in enumerate(todo, 1):
                _write(sink, sbc_replicate(task), k, len(todo), start)


#: the remedy tried for fits that diverged: smaller NUTS steps
RECHECK_TARGET_ACCEPT = 0.99


def recheck_path(model: str, out: Path = RESULTS) -> Path:
    return out / f"sbc_{model}_recheck.jsonl"


def recheck(model: str, workers: int = 2, out: Path = RESULTS, seed: int = SEED) -> None:
    """Refit, with target_accept 0.99 and the same seeds, every data set whose fit diverged."""
    records, _ = current_records(model, out)
    sampler = {**SAMPLER, "target_accept": RECHECK_TARGET_ACCEPT}
    todo = [(model, seed, r["replicate"], sampler) for r in records if r["divergences"] > 0]
    print(f"{model}: refitting {len(todo)} diverging fits at {sampler}", flush=True)
    _limit_threads()
    start = time.perf_counter()
    with recheck_path(model, out).open("w") as sink:
        with get_context("spawn").Pool(max(workers, 1)) as pool:
            for k, record in enumerate(pool.imap_unordered(sbc_replicate, todo), 1):
                _write(sink, record, k, len(todo), start)


def recheck_lines(model: str, records: list[dict[str, Any]], out: Path) -> list[str]:
    """A sentence comparing the diverging fits with their refits at target_accept 0.99."""
    path = recheck_path(model, out)
    if not path.exists():
        return []
    redone = {r["replicate"]: r for r in map(json.loads, path.read_text().splitlines())}
    before = [r for r in records if r["replicate"] in redone]
    if not before:
        return []
    after = [redone[r["replicate"]] for r in before]
    versions = sorted({_version(r) for r in after})
    same = versions == [_version(records[0])]
    return [
        f"Refitting the {len(before)} fits that diverged with `target_accept="
        f"{RECHECK_TARGET_ACCEPT}` (same data and seeds; `python -m benchmarks.sbc recheck "
        f"--model {model}`): divergent transitions {sum(r['divergences'] for r in before)} -> "
        f"{sum(r['divergences'] for r in after)}, fits with any "
        f"{sum(r['divergences'] > 0 for r in before)} -> "
        f"{sum(r['divergences'] > 0 for r in after)}, median fit time "
        f"{np.median([r['seconds'] for r in before]):.1f} s -> "
        f"{np.median([r['seconds'] for r in after]):.1f} s"
        + ("." if same else f" (refits by engine {', '.join(versions)}, a later version)."),
        "",
    ]


def _version(record: dict[str, Any]) -> str:
    return str(record.get("engine", {}).get("sha256", "unrecorded"))


def current_records(model: str, out: Path = RESULTS) -> tuple[list[dict[str, Any]], int]:
    """The records of one engine version and sampler setting, and how many others were left out.

    The version is the current engine's when it has records, else the latest one run;
    records without a fingerprint (from before fingerprints were recorded) are never used.
    """
    records = [r for r in load_records(model, out) if r.get("sampler") == SAMPLER and "engine" in r]
    if not records:
        return [], len(load_records(model, out))
    versions = pd.Series([_version(r) for r in records])
    current = engine_fingerprint()["sha256"]
    chosen = current if (versions == current).any() else versions.iloc[-1]
    kept = [r for r, v in zip(records, versions, strict=True) if v == chosen]
    return sorted(kept, key=lambda r: r["replicate"]), len(load_records(model, out)) - len(kept)


def _write(sink: Any, record: dict[str, Any], k: int, total: int, start: float) -> None:
    sink.write(json.dumps(record) + "\n")
    sink.flush()
    if k == 1 or k % 10 == 0 or k == total:
        elapsed = time.perf_counter() - start
        print(
            f"  {k}/{total} data sets, {elapsed:.0f} s, last fit {record['seconds']:.1f} s, "
            f"{record['divergences']} divergences",
            flush=True,
        )


# --------------------------------------------------------------------------- report


def parameter_table(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Per parameter: chi-square uniformity of the ranks and 50%/90% interval coverage."""
    names = list(records[0]["rank"])
    n = len(records)
    rows = []
    for name in names:
        ranks = np.array([r["rank"][name] for r in records])
        chi2, df, p = uniformity_test(ranks)
        c50 = np.mean([r["cover50"][name] for r in records])
        c90 = np.mean([r["cover90"][name] for r in records])
        rows.append(
            {
                "parameter": name,
                "n": n,
                "chi2": chi2,
                "df": df,
                "p_uniform": p,
                "mean_rank": ranks.mean() / N_DRAWS_KEPT,
                "cover50": c50,
                "cover50_se": np.sqrt(0.25 / n),
                "cover90": c90,
                "cover90_se": np.sqrt(0.09 / n),
                "passes": bool(p > 0.01 and 0.86 <= c90 <= 0.94),
            }
        )
    return pd.DataFrame(rows)


def plot_ranks(records: list[dict[str, Any]], title: str, path: Path) -> None:
    """One rank histogram per parameter with the 99% band of a uniform bin count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(records[0]["rank"])
    n_cols = 4
    n_rows = -(-len(names) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4 * n_cols, 2.4 * n_rows), squeeze=False)
    lo, hi = histogram_band(len(records))
    width = (N_DRAWS_KEPT + 1) // N_BINS
    edges = np.arange(N_BINS) * width
    for ax, name in zip(axes.ravel(), names, strict=False):
        counts = rank_counts(np.array([r["rank"][name] for r in records]))
        ax.axhspan(lo, hi, color="0.85", zorder=0)
        ax.axhline(len(records) / N_BINS, color="0.5", lw=0.8)
        ax.bar(edges, counts, width=width, align="edge", color="tab:blue", edgecolor="white")
        ax.set_title(name, fontsize=7)
        ax.set_xlim(0, N_DRAWS_KEPT + 1)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle(
        f"{title}: SBC ranks of {len(records)} data sets among L = {N_DRAWS_KEPT} thinned draws "
        f"({N_BINS} bins; grey: 99% range of a bin count under uniformity)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fit_health(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Sampler trouble and calibration, split by whether an outcome level never occurred.

    With an empty outcome level, the threshold next to it is bounded by the data on one side
    only, so its posterior reaches into the prior's tail: the geometry where NUTS diverges.
    """
    rows = []
    empty = np.array([min(r["category_counts"]) == 0 for r in records])
    for label, keep in (("an outcome level empty", empty), ("all levels observed", ~empty)):
        part = [r for r, k in zip(records, keep, strict=True) if k]
        if not part:
            continue
        ranks = np.array([list(r["rank"].values()) for r in part])
        rows.append(
            {
                "data sets": f"{label}: {len(part)}",
                "fits with divergences": f"{np.mean([r['divergences'] > 0 for r in part]):.0%}",
                "divergent transitions": int(sum(r["divergences"] for r in part)),
                "R-hat > 1.01": f"{np.mean([r['max_r_hat'] > 1.01 for r in part]):.0%}",
                "min bulk ESS < 100": f"{np.mean([r['min_ess_bulk'] < 100 for r in part]):.0%}",
                "ranks in outer 10%": f"{np.mean((ranks < 5) | (ranks > 94)):.1%}",
                "90% coverage (all parameters)": (
                    f"{np.mean([np.mean(list(r['cover90'].values())) for r in part]):.1%}"
                ),
            }
        )
    return pd.DataFrame(rows)


def model_section(
    model: SBCModel, records: list[dict[str, Any]], out: Path, left_out: int = 0
) -> list[str]:
    """The report section of one model: engine version, fit health, table, figure."""
    table = parameter_table(records)
    figure = out / f"sbc_{model.name}.png"
    plot_ranks(records, model.name, figure)
    divergent = [r["divergences"] for r in records]
    seconds = np.array([r["seconds"] for r in records])
    shown = pd.DataFrame(
        {
            "parameter": table["parameter"],
            "chi2 (19 df)": table["chi2"].map("{:.1f}".format),
            "p uniform": table["p_uniform"].map("{:.3f}".format),
            "mean rank / L": table["mean_rank"].map("{:.3f}".format),
            "50% coverage": [
                f"{100 * c:.1f}% (±{100 * s:.1f})"
                for c, s in zip(table["cover50"], table["cover50_se"], strict=True)
            ],
            "90% coverage": [
                f"{100 * c:.1f}% (±{100 * s:.1f})"
                for c, s in zip(table["cover90"], table["cover90_se"], strict=True)
            ],
            "passes": table["passes"].map({True: "yes", False: "**no**"}),
        }
    )
    failing = table[~table["passes"]]
    n_params = len(table)
    lines = [
        f"## `{model.name}`: `{model.formula}` (link {model.link})",
        "",
        f"Engine: source fingerprint {_version(records[0])}, "
        + (
            f"the engine sources of commit {commit}"
            if (commit := commit_with_fingerprint(_version(records[0])))
            else "uncommitted engine sources (working tree of commit "
            f"{records[0].get('engine', {}).get('commit', '?')})"
        )
        + f"; {left_out} records of other engine versions or sampler settings in the ranks "
        "file are not used.",
        "",
        f"{len(records)} data sets; fits took median {np.median(seconds):.1f} s "
        f"(max {seconds.max():.1f} s) each. Divergent transitions: "
        f"{sum(d > 0 for d in divergent)} of {len(records)} fits had any "
        f"(total {sum(divergent)}); max R-hat over fits "
        f"{max(r['max_r_hat'] for r in records):.3f}; min bulk ESS "
        f"{min(r['min_ess_bulk'] for r in records):.0f}; fits with R-hat > 1.05: "
        f"{sum(r['max_r_hat'] > 1.05 for r in records)}; fits flagged not converged by the "
        f"engine: {sum(not r['converged'] for r in records)}.",
        "",
        "Fits and calibration by data set (expected: 10.0% of ranks in the outer 10%, "
        "i.e. rank < 5 or > 94 of 0..99):",
        "",
        markdown_table(fit_health(records)),
        "",
        *recheck_lines(model.name, records, out),
        f"![rank histograms]({figure.name})",
        "",
        markdown_table(shown),
        "",
        (
            f"All {n_params} parameters pass (p > 0.01 and 90% coverage in [86%, 94%])."
            if failing.empty
            else "Not passing: " + ", ".join(failing["parameter"]) + "."
        ),
        f"With {n_params} parameters tested at the 0.01 level, the chance that at least one "
        f"fails by chance alone under a perfect engine is {1 - 0.99**n_params:.0%} "
        "(the tests are not independent, so this is a rough guide).",
        "",
    ]
    return lines


#: what the runs showed, beyond the tables (kept in step with the results by hand)
FINDINGS = [
    "Findings:",
    "",
    "1. **Calibrated.** Every parameter of both models -- thresholds, fixed and monotonic "
    "effects, every simplex share, the region SD and each region's effect -- has uniform "
    "ranks (no parameter below p = 0.01) and 90% coverage inside [86%, 94%].",
    "2. **Coverage a little under nominal is expected.** A 90% interval cut from 1,000 draws "
    "covers a true value drawn from the posterior with probability about 900/1001 = 89.9% "
    "even for independent draws (exchangeability), and less when autocorrelated draws make "
    "the 5% and 95% quantiles noisy; the mean over parameters (about 89.3-90%) is within "
    "that and the Monte Carlo error. The 50% intervals likewise cover about 49-50% on average.",
    "3. **Divergences come from prior draws that leave an outcome level empty.** In the "
    "probit model almost all divergent transitions are in data sets where some quality level "
    "never occurs (see the split table): the threshold next to an empty level is bounded by "
    "the data on one side only, so its posterior follows the tail of its normal(0, 2.5) "
    "prior, a funnel for NUTS in the ordered (log-gap) coordinates. On the probit scale "
    "normal(0, 2.5) is wide (2.5 probit units is about 4 logit units) and, with b ~ normal(0, "
    "2.5) on a standardised covariate, about a fifth of prior draws produce such data. The "
    "ranks in those data sets are still uniform, so the posteriors are right despite the "
    "warnings; `target_accept=0.99` removes most of the divergences (recheck line below) at "
    "about twice the time. What would remove them in the model: probit-scaled default "
    "priors (the logistic SD is 1.8 times the normal's, so sigma = 2.5 / 1.8, about 1.4, "
    "for thresholds and b under link='probit'), a decision for the engine's owner since it "
    "changes the default model. In the article (logit) model divergences are rarer per fit, "
    "a handful at most, and not tied to empty levels.",
    "4. **Occasional poorly mixing fits.** With 2 chains x 500 draws, 1 of the 1,000 "
    "article fits and 3 of the 500 probit fits reported here have R-hat > 1.05 (the engine "
    "warns about each). In an earlier run (engine sources of commit ab54909) six of 1,000 "
    "article fits did, with bulk ESS down to 6; the same six data sets refitted by the engine "
    "of commit caefa65 mixed well (R-hat <= 1.016, bulk ESS >= 175), so these are sampler "
    "accidents of short runs, not a property of the data. Almost every SBC fit is flagged "
    "'not converged' by the engine only because 2 x 500 draws give a bulk or tail ESS under "
    "its 400 threshold; that is the price of cheap SBC fits, not a calibration problem.",
    "5. **The engine changed while these runs were made** (denser metric, flat NUTS state, "
    "whitening for large data, chains in parallel threads). Each section names the fingerprint of the engine sources "
    "that produced it; rerun `python -m benchmarks.sbc run ...` to check a later version "
    "(records of other versions are kept in the ranks file but not used).",
]


def report(out: Path = RESULTS) -> None:
    """Write sbc.md and the figures from the ranks files present."""
    lines = [
        "# Simulation-based calibration of the Bayesian engine",
        "",
        f"Written by `python -m benchmarks.sbc report` on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} "
        f"({platform.machine()}, Python {platform.python_version()}), from the rank files "
        "`sbc_<model>_ranks.jsonl` made by `python -m benchmarks.sbc run ...` (see the module "
        "docstring of `benchmarks/sbc.py` for the commands).",
        "",
        "Method (Talts et al. 2018): draw the parameters from the default priors, simulate 490 "
        "ratings (245 organisations x 2 partners, covariates fixed across data sets), fit with "
        f"`engine='bayes'` ({SAMPLER['chains']} chains x {SAMPLER['draws']} draws after "
        f"{SAMPLER['tune']} warm-up, numpyro NUTS), thin to L = {N_DRAWS_KEPT} draws and record "
        "the rank of each true value among them. Uniformity: Pearson chi-square on "
        f"{N_BINS} bins of 5 ranks. Coverage: share of data sets whose central (equal-tailed) "
        "50% / 90% posterior interval, from all draws, contains the true value; ± is the "
        "binomial Monte Carlo SE at nominal coverage.",
        "",
    ]
    sections, verdicts = [], []
    for model in MODELS.values():
        records, left_out = current_records(model.name, out)
        if records:
            sections += model_section(model, records, out, left_out)
            table = parameter_table(records)
            verdicts.append(
                f"- `{model.name}` ({len(records)} data sets): {int(table['passes'].sum())} of "
                f"{len(table)} parameters pass; smallest uniformity p = "
                f"{table['p_uniform'].min():.3f}; 90% coverage "
                f"{100 * table['cover90'].min():.1f}-{100 * table['cover90'].max():.1f}%, "
                f"50% coverage {100 * table['cover50'].min():.1f}-"
                f"{100 * table['cover50'].max():.1f}%."
            )
        else:
            sections += [f"## `{model.name}`", "", "Not run yet.", ""]
    lines += ["## Summary", "", *verdicts, "", *FINDINGS, "", *sections]
    (out / "sbc.md").write_text("\n".join(lines))
    print(f"-> {out / 'sbc.md'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="fit simulated data sets, append ranks")
    run_parser.add_argument("--model", choices=sorted(MODELS), required=True)
    run_parser.add_argument("--n-sims", type=int, default=200)
    run_parser.add_argument("--seed", type=int, default=SEED)
    run_parser.add_argument("--workers", type=int, default=2)
    run_parser.add_argument("--out", type=Path, default=RESULTS)
    recheck_parser = sub.add_parser("recheck", help="refit diverging fits, target_accept 0.99")
    recheck_parser.add_argument("--model", choices=sorted(MODELS), required=True)
    recheck_parser.add_argument("--workers", type=int, default=2)
    recheck_parser.add_argument("--out", type=Path, default=RESULTS)
    report_parser = sub.add_parser("report", help="write sbc.md and figures")
    report_parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.command == "run":
        run(args.model, args.n_sims, args.seed, args.workers, args.out)
    elif args.command == "recheck":
        recheck(args.model, args.workers, args.out)
    else:
        report(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
