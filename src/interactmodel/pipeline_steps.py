"""The steps of the main job (:func:`interactmodel.pipeline.reproduce`).

Each step takes what earlier steps produced and returns tidy frames; :class:`RunState`
collects them.  Nothing here writes files except :func:`write_outputs` at the very end.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interactmodel import article
from interactmodel.audit import AuditResult, audit_article
from interactmodel.combine import pool_ml
from interactmodel.reconstruct import Reconstructions, reconstruct
from interactmodel.results import MLResult
from interactmodel.spec import OrdinalModel

__all__ = ["RunState", "run_steps"]

Step = Callable[[str], Any]

#: Per-partner maximum-likelihood model: contact frequency as an unordered factor.
ML_FORMULA = "quality ~ frequency"


@dataclass
class RunState:
    """What the steps have computed so far (filled in order; frames are never modified)."""

    settings: Any
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    audit: dict[str, AuditResult] = field(default_factory=dict)
    reconstructions: Reconstructions | None = None
    ml_fits: dict[str, list[MLResult]] = field(default_factory=dict)
    bayes: Any = None
    loo_fits: dict[str, Any] = field(default_factory=dict)

    def note(self, key: str, text: str) -> None:
        self.notes.setdefault(key, []).append(text)

    def record_warnings(self, key: str, caught: list[warnings.WarningMessage]) -> None:
        for message in dict.fromkeys(str(w.message) for w in caught):
            self.note(key, message)


def run_steps(out: Path, settings: Any, step: Step) -> RunState:
    """Run every step in order and write the outputs into ``out``."""
    state = RunState(settings)
    with step("audit of Tables 1 and 2"):
        audit_step(state)
    with step(f"{settings.reconstructions} reconstructions of the respondent-level data"):
        reconstruction_step(state)
    with step("maximum-likelihood fits per partner, pooled by Rubin's rules"):
        ml_step(state)
    with step("Bayesian article model, pooled over reconstructions"):
        bayes_step(state)
    with step("LOO comparison of candidate models (reconstruction 1)"):
        loo_step(state)
    with step("effects of contact frequency (Bayes and ML)"):
        effects_step(state)
    with step("trend replacement (Figures 3 and 4)"):
        trends_step(state, out)
    with step("checks against the article and posterior predictive tables"):
        checks_step(state, out)
    with step("example scenarios for the registered sector"):
        scenarios_step(state, out)
    with step("saving fits"):
        fits_step(state, out)
    with step("writing tables and the report"):
        write_outputs(state, out)
        from interactmodel.pipeline_report import build_report
        from interactmodel.report import write_report

        write_report(build_report(state), out)
    return state


# ----------------------------------------------------------------------------- steps


def audit_step(state: RunState) -> None:
    settings = state.settings
    state.audit = audit_article(rounding=settings.rounding)
    verdicts, rows = [], []
    for name, result in state.audit.items():
        verdicts.append(
            {
                "table": name,
                "stated_n": result.stated_n,
                "rounding": result.rounding,
                "consistent_at_stated_n": result.consistent_at_stated_n,
                "smallest_consistent_total": result.smallest_consistent_total,
                "smallest_tolerance_pp": result.smallest_tolerance_pp,
                "verdict": result.verdict,
            }
        )
        rows.append(result.rows)
    state.tables["audit"] = pd.DataFrame(verdicts)
    state.tables["audit_rows"] = pd.concat(rows, ignore_index=True)


def reconstruction_step(state: RunState) -> None:
    settings = state.settings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state.reconstructions = reconstruct(
            settings.reconstructions,
            seed=settings.seed,
            rounding=settings.rounding,
            tolerance=settings.tolerance,
            region_rule=settings.region_rule,
        )
    state.record_warnings("reconstruction", caught)
    recs = state.reconstructions
    state.tables["reconstructions"] = recs.to_frame()
    state.tables["reconstruction_counts"] = recs.counts_frame()
    state.note("reconstruction", recs.region_note)
    state.note("reconstruction", recs.pairing_note)
    state.tables["reconstruction_settings"] = pd.DataFrame(
        [{"setting": k, "value": json.dumps(v)} for k, v in recs.defaults.items()]
    )


def ml_step(state: RunState) -> None:
    level = 0.95
    frames = []
    po_tests = []
    for partner in article.PARTNERS:
        fits = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for data in _reconstruction_frames(state):
                subset = data[data["partner"] == partner]
                fits.append(OrdinalModel(ML_FORMULA).fit(subset, engine="ml"))
        state.record_warnings(f"ml_{partner}", caught)
        state.ml_fits[partner] = fits
        pooled = pool_ml(fits, level=level).reset_index()
        pooled.insert(0, "partner", partner)
        frames.append(pooled)
        first = fits[0]
        nominal = first.nominal_test().assign(partner=partner, test="likelihood-ratio nominal")
        brant = first.brant_test().assign(partner=partner, test="Brant")
        po_tests.extend([nominal, brant])
    state.tables["ml_estimates"] = pd.concat(frames, ignore_index=True)
    state.tables["po_tests"] = pd.concat(po_tests, ignore_index=True)


def bayes_step(state: RunState) -> None:
    from interactmodel.pipeline import ARTICLE_MODEL
    from interactmodel.pooling import fit_pooled

    settings = state.settings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        state.bayes = fit_pooled(
            OrdinalModel(ARTICLE_MODEL),
            state.reconstructions,
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            seed=settings.seed,
            nuts_sampler=settings.nuts_sampler,
        )
    state.record_warnings("bayes", caught)
    state.tables["bayes_summary"] = state.bayes.summary(level=settings.level).reset_index()
    state.tables["bayes_diagnostics"] = _diagnostics_table(state.bayes.diagnostics)


def loo_step(state: RunState) -> None:
    import arviz as az

    from interactmodel.pipeline import CANDIDATE_MODELS

    settings = state.settings
    data = _reconstruction_frames(state)[0]
    loos = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for label, formula in CANDIDATE_MODELS.items():
            fit = OrdinalModel(formula).fit(
                data,
                engine="bayes",
                draws=settings.loo_draws,
                tune=settings.loo_draws,
                chains=settings.loo_chains,
                seed=settings.seed,
                nuts_sampler=settings.nuts_sampler,
            )
            state.loo_fits[label] = fit
            loos[label] = fit.loo(pointwise=True)
    state.record_warnings("loo", caught)
    comparison = az.compare(loos, ic="loo")
    comparison.index.name = "model"
    comparison.insert(0, "formula", [CANDIDATE_MODELS[m] for m in comparison.index])
    state.tables["loo_comparison"] = comparison.reset_index()


#: Contact changes whose effect on the share of good ratings the summary states in words.
HEADLINE_CONTRASTS: tuple[tuple[str, str, str], ...] = (
    ("state", "once_a_year", "once_a_quarter"),
    ("state", "very_rarely", "once_a_month"),
    ("business", "none_or_negotiating", "regular"),
    ("business", "single_contact", "regular"),
)
#: P(rating >= this level) is "a good relationship" (rather or definitely good).
GOOD = "rather_good"


def effects_step(state: RunState) -> None:
    from interactmodel.combine import rubin
    from interactmodel.effects import comparisons, predictions

    settings = state.settings
    level, seed = settings.level, settings.seed
    bayes_rows, ml_rows = [], []
    for partner, start, end in HEADLINE_CONTRASTS:
        pair = (start, end)
        bayes = comparisons(
            state.bayes, "frequency", contrast=pair, quantity="cumulative", level=level, seed=seed
        )
        bayes_rows.append(bayes.assign(partner=partner, engine="bayes"))
        per_fit = [
            comparisons(fit, "frequency", contrast=pair, quantity="cumulative", level=level)
            for fit in state.ml_fits[partner]
        ]
        pooled = rubin(
            np.vstack([c["estimate"].to_numpy() for c in per_fit]),
            np.vstack([c["std_error"].to_numpy() ** 2 for c in per_fit]),
            level,
        )
        ml = per_fit[0][["term", "contrast", "quantity", "outcome"]].copy()
        ml["estimate"], ml["std_error"] = pooled["estimate"], pooled["se"]
        ml["lower"], ml["upper"] = pooled["lower"], pooled["upper"]
        ml_rows.append(ml.assign(partner=partner, engine="ml (Rubin-pooled)"))
    state.tables["effects"] = pd.concat(bayes_rows + ml_rows, ignore_index=True)
    state.tables["effects_sequential"] = comparisons(
        state.bayes,
        "frequency",
        contrast="sequential",
        quantity=["cumulative", "expected"],
        level=level,
        seed=seed,
    )
    state.tables["positive_share_by_partner"] = predictions(
        state.bayes, by="partner", quantity="cumulative", level=level, seed=seed
    )


def trends_step(state: RunState, out: Path) -> None:
    from interactmodel.plots import plot_trends
    from interactmodel.trends import trend_frame, trend_lines

    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    lines = []
    for partner in article.PARTNERS:
        frame = trend_frame(
            partner, result=state.bayes, reconstructions=state.reconstructions, seed=0
        )
        state.tables[f"trends_{partner}"] = frame
        figure = plot_trends(frame)
        figure.savefig(figures / f"trends_{partner}.png", dpi=120, bbox_inches="tight")
        lines.append(trend_lines(partner))
    state.tables["trend_lines"] = pd.concat(lines, ignore_index=True)


def checks_step(state: RunState, out: Path) -> None:
    from interactmodel.checks import article_checks, posterior_predictive_tables
    from interactmodel.plots import plot_posterior_predictive

    settings = state.settings
    state.tables["article_checks"] = article_checks(
        state.bayes, state.reconstructions, level=settings.level, seed=settings.seed
    )
    ppc = posterior_predictive_tables(
        state.bayes, state.reconstructions, level=settings.level, seed=settings.seed
    )
    state.tables["posterior_predictive_tables"] = ppc
    figure = plot_posterior_predictive(ppc)
    figure.savefig(out / "figures" / "posterior_predictive.png", dpi=120, bbox_inches="tight")


def scenarios_step(state: RunState, out: Path) -> None:
    from interactmodel.plots_simulation import plot_simulation
    from interactmodel.scenario import EXAMPLES_DIR, load_scenario
    from interactmodel.simulation import simulate

    frames = []
    for path in sorted(EXAMPLES_DIR.glob("*.toml")):
        scenario = load_scenario(path)
        simulation = simulate(state.bayes, scenario, seed=state.settings.seed)
        frames.append(simulation.summary().assign(scenario_file=path.name))
        figure = plot_simulation(simulation)
        figure.savefig(out / "figures" / f"scenario_{path.stem}.png", dpi=120, bbox_inches="tight")
    state.tables["scenarios"] = pd.concat(frames, ignore_index=True)


def fits_step(state: RunState, out: Path) -> None:
    from interactmodel.io import save

    save(state.bayes, out / "fits" / "article_model")
    for partner, fits in state.ml_fits.items():
        save(fits[0], out / "fits" / f"ml_{partner}_reconstruction_1")


# ----------------------------------------------------------------------------- output


def write_outputs(state: RunState, out: Path) -> None:
    tables = out / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for name, frame in state.tables.items():
        frame.to_csv(tables / f"{name}.csv", index=False)


# ----------------------------------------------------------------------------- helpers


def _reconstruction_frames(state: RunState) -> list[pd.DataFrame]:
    from interactmodel.pooling import reconstruction_frames

    return reconstruction_frames(state.reconstructions)


def _diagnostics_table(diagnostics: dict[str, Any]) -> pd.DataFrame:
    rows = []
    per_fit = diagnostics.get("reconstructions") or [diagnostics]
    for i, diag in enumerate(per_fit, start=1):
        row: dict[str, Any] = {"reconstruction": i}
        for key, value in diag.items():
            if isinstance(value, (int, float, bool, np.integer, np.floating, np.bool_)):
                row[key] = value
            elif isinstance(value, (list, tuple)) and key == "failures":
                row[key] = "; ".join(map(str, value))
        rows.append(row)
    return pd.DataFrame(rows)
