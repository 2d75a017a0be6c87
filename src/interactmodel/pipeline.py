"""The main job: the whole re-analysis of the article, from printed tables to report.

``interactmodel reproduce`` (and ``make reproduce``) call :func:`reproduce`, which runs

    audit -> reconstructions -> ML fits (Rubin-pooled) and PO tests -> Bayesian fit (pooled
    over reconstructions) and LOO comparison -> effects, trends, checks -> scenarios -> report

Every step computes tidy frames first; files are written last, into a temporary folder that
replaces the output folder only when the run has succeeded, so a failed or interrupted run
never leaves a half-written report and never touches an existing folder without ``force``.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interactmodel import __version__
from interactmodel.errors import OutputExistsError, SpecificationError
from interactmodel.outputs import staged_folder

__all__ = ["ARTICLE_MODEL", "ReproduceSettings", "check_output_dir", "reproduce"]

#: The article model of the issues: partner-specific monotonic contact frequency, regions pooled.
ARTICLE_MODEL = "quality ~ partner + mo(frequency):partner + (1 | region)"

#: Candidate models compared by PSIS-LOO on one reconstruction.
CANDIDATE_MODELS = {
    "monotonic + region": ARTICLE_MODEL,
    "monotonic, no region": "quality ~ partner + mo(frequency):partner",
    "categorical frequency + region": "quality ~ frequency + (1 | region)",
    "categorical frequency, no region": "quality ~ frequency",
}


@dataclass(frozen=True)
class ReproduceSettings:
    """Every default of the main job; written to ``run.json`` and the report.

    Parameters
    ----------
    reconstructions : int
        Number M of respondent-level data sets drawn from the published tables.
    seed : int
        Seed of every random step (reconstructions, samplers, scenarios).
    rounding, tolerance, region_rule
        How reconstructions are drawn (see :func:`interactmodel.reconstruct.reconstruct`).
    draws, tune, chains
        NUTS settings per reconstruction for the article model.
    loo_draws, loo_chains
        NUTS settings of each candidate model in the LOO comparison.
    nuts_sampler : str
        ``"numpyro"`` (default) or ``"pymc"``.
    level : float
        Interval level of the headline effects (0.9: "90% interval").
    """

    reconstructions: int = 10
    seed: int = 20240516
    rounding: str = "half_up"
    tolerance: float | str = "auto"
    region_rule: str = "uniform"
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    loo_draws: int = 1000
    loo_chains: int = 2
    nuts_sampler: str = "numpyro"
    level: float = 0.9
    quick: bool = False

    @classmethod
    def quick_run(cls, **changes: Any) -> ReproduceSettings:
        """Settings for ``--quick``: fewer reconstructions and draws, same pipeline."""
        base = cls(
            reconstructions=3,
            draws=300,
            tune=300,
            chains=2,
            loo_draws=300,
            loo_chains=2,
            quick=True,
        )
        return replace(base, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Progress:
    """Prints one line per step with its duration to stderr."""

    enabled: bool = True
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        if self.enabled:
            print(f"[{t0 - self.started:6.1f}s] {name} ...", file=sys.stderr, flush=True)
        yield
        self.timings[name] = round(time.perf_counter() - t0, 2)
        if self.enabled:
            print(f"          done in {self.timings[name]:.1f}s", file=sys.stderr, flush=True)


def check_output_dir(out_dir: Path, force: bool) -> None:
    """Refuse to write into an existing non-empty folder unless ``force``.

    Raises
    ------
    OutputExistsError
        Naming the folder and the fix.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(
            f"{out_dir} exists and is not a folder; choose another --out or remove the file"
        )
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError(
            f"{out_dir} already exists and is not empty; nothing was written. Use --force to "
            f"replace it, or choose another --out"
        )


def reproduce(
    out_dir: str | Path = "out",
    settings: ReproduceSettings | None = None,
    *,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Run the whole re-analysis and write it to ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder; must be absent or empty unless ``force``.
    settings : ReproduceSettings, optional
        Defaults: :class:`ReproduceSettings` ().
    force : bool
        Replace an existing non-empty folder (only after the new run has succeeded).
    progress : bool
        Print a line per step to stderr.

    Returns
    -------
    Path
        The output folder.
    """
    out_dir = Path(out_dir)
    settings = settings or ReproduceSettings()
    if settings.reconstructions < 1:
        raise SpecificationError(
            f"reconstructions must be at least 1, got {settings.reconstructions}"
        )
    from interactmodel.pipeline_steps import run_steps

    tracker = _Progress(enabled=progress)
    with staged_folder(out_dir, check=lambda target: check_output_dir(target, force)) as staging:
        run_steps(staging, settings, tracker.step)
        _write_run_json(staging, settings, tracker.timings)
    if progress:
        total = time.perf_counter() - tracker.started
        print(f"wrote {out_dir}/ in {total:.0f}s", file=sys.stderr, flush=True)
    return out_dir


def _write_run_json(out: Path, settings: ReproduceSettings, timings: dict[str, float]) -> None:
    record = {
        "interactmodel": __version__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "settings": settings.to_dict(),
        "timings_seconds": timings,
        "versions": package_versions(),
    }
    (out / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n")


def package_versions() -> dict[str, str]:
    """Versions of the libraries a run depends on (those that are installed)."""
    from importlib import metadata

    names = ["numpy", "scipy", "pandas", "statsmodels", "pymc", "pytensor", "arviz", "numpyro"]
    names += ["jax", "matplotlib", "formulaic"]
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
