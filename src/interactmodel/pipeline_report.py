"""Words and tables of the main job's report, composed from what the steps computed.

:func:`build_report` turns a :class:`~interactmodel.pipeline_steps.RunState` into a
:class:`~interactmodel.report.ReportContent`; :mod:`interactmodel.report` renders it.  The
first section is the one-page summary for policy teams: the main effects in words with their
intervals, and what the data cannot tell.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from interactmodel import article
from interactmodel.report import ReportContent, ReportSection

__all__ = ["build_report", "headline_sentences"]

#: How a contact level reads after "NGOs ..." and after "rather than ...".
_CONTACT_PHRASES = {
    "very_rarely": ("in contact with state agencies very rarely", "very rarely"),
    "once_a_year": ("in contact with state agencies once a year", "once a year"),
    "every_six_months": ("in contact with state agencies every six months", "every six months"),
    "once_a_quarter": ("in contact with state agencies once a quarter", "once a quarter"),
    "once_a_month": ("in contact with state agencies once a month", "once a month"),
    "none_or_negotiating": ("with no business contact yet", "no contact yet"),
    "single_contact": ("with a single business contact", "a single contact"),
    "two_three_contacts": ("with 2-3 business contacts", "2-3 contacts"),
    "annually": ("with yearly business contacts", "yearly contacts"),
    "regular": ("with regular business contacts", "regular contacts"),
}
_PARTNER_WORDS = {"state": "state agencies", "business": "businesses"}


def _points(value: float) -> str:
    return f"{100 * value:+.0f}".replace("-", "\u2212")


def headline_sentences(effects: pd.DataFrame, level: float, good: str = "rather_good") -> list[str]:
    """One sentence per headline contrast, from the Bayesian rows of the effects table.

    ``effects`` has the columns of :func:`interactmodel.effects.comparisons` plus ``partner``
    and ``engine``; the contrast ``"to - from"`` of P(rating >= ``good``) is read as the change
    in the share of good ratings, in percentage points.
    """
    rows = effects[(effects["engine"] == "bayes") & (effects["outcome"] == good)]
    sentences = []
    for row in rows.itertuples():
        end, start = (part.strip() for part in str(row.contrast).split(" - "))
        direction = "more" if row.estimate >= 0 else "less"
        sentences.append(
            f"NGOs {_CONTACT_PHRASES[end][0]} rather than {_CONTACT_PHRASES[start][1]} are "
            f"**{abs(100 * row.estimate):.0f} percentage points {direction} likely** to rate "
            f"the relationship as good ({level:.0%} interval {_points(row.lower)} to "
            f"{_points(row.upper)})."
        )
    return sentences


def _positive_shares(state: Any) -> list[str]:
    shares = state.tables["positive_share_by_partner"]
    rows = shares[shares["outcome"] == "rather_good"]
    level = state.settings.level
    out = []
    for row in rows.itertuples():
        out.append(
            f"{_PARTNER_WORDS[str(row.partner)].capitalize()}: {100 * row.estimate:.0f}% of the "
            f"ratings are good ({level:.0%} interval {100 * row.lower:.0f}-{100 * row.upper:.0f}%)."
        )
    return out


def _checks_summary(checks: pd.DataFrame) -> str:
    counts = checks["verdict"].value_counts()
    parts = [f"{counts.get(v, 0)} {v.replace('_', ' ')}" for v in counts.index]
    return f"Of {len(checks)} published figures checked: " + ", ".join(parts) + "."


def _scenario_sentence(state: Any) -> str | None:
    frame = state.tables.get("scenarios")
    if frame is None:
        return None
    pick = frame[
        (frame["scenario_file"] == "state_quarterly_contact.toml")
        & (frame["measure"] == "count_difference")
        & (frame["quality"].isin(["rather_good", "definitely_good"]))
    ]
    if pick.empty:
        return None
    policy = pick["scenario"].iloc[0]
    first = pick[pick["scenario"] == policy]
    total = first["estimate"].sum()
    return (
        f"Scenario '{policy}' (30% of the NGOs meeting state agencies once a year meet them "
        f"quarterly instead): about {total:+,.0f} of the 18,306 registered NGOs would rate the "
        "relationship with the state as good (intervals in the scenario table)."
    )


def _audit_sentence(state: Any) -> str:
    t1, t2 = state.audit["table1"], state.audit["table2"]
    if t1.consistent_at_stated_n and t2.consistent_at_stated_n:
        return "Tables 1 and 2 are consistent with 245 NGOs under the stated rounding."
    return (
        "The article prints only rounded row percentages, and they cannot come from 245 NGOs "
        f"with ordinary rounding: Table 1 needs at least {t1.smallest_consistent_total} and "
        f"Table 2 at least {t2.smallest_consistent_total} respondents. The analysis uses the "
        "respondent-level tables closest to consistent (each printed percentage off by at most "
        f"half a point plus {t1.smallest_tolerance_pp:.2f} (Table 1) and "
        f"{t2.smallest_tolerance_pp:.2f} (Table 2) points)."
    )


def _share_sentence(checks: pd.DataFrame) -> str:
    """The positive shares the tables imply, against those the text states."""
    parts = []
    for partner, stated in (("state", "56% or 73.1%"), ("business", "34% or 32%")):
        row = checks[checks["check"].str.startswith(f"positive_{partner}_results")]
        if not row.empty:
            parts.append(
                f"{row['recomputed'].iloc[0]:.0f}% of the ratings of {_PARTNER_WORDS[partner]} "
                f"are positive, not the {stated} the text states"
            )
    return "Read at face value, the tables imply that " + "; ".join(parts) + "." if parts else ""


def _summary_section(state: Any) -> ReportSection:
    settings = state.settings
    paragraphs = [
        "A re-analysis of the survey of 245 NGOs in 6 regions of Kazakhstan (Zambinova & "
        "Pritvorova 2024) from its published tables, with ordinal models that give every effect "
        "an interval in place of the article's trend lines.",
        *headline_sentences(state.tables["effects"], settings.level),
        *_positive_shares(state),
    ]
    scenario = _scenario_sentence(state)
    if scenario:
        paragraphs.append(scenario)
    cannot = [
        "**What the data cannot tell.** " + _audit_sentence(state),
        _share_sentence(state.tables["article_checks"]),
        "Region was assigned to the reconstructed respondents at random, so region effects "
        "reflect the prior only; which state rating goes with which business rating is unknown.",
        "All effects are associations between how often NGOs meet a partner and how they rate "
        "the relationship, not causal effects of contact.",
    ]
    return ReportSection(
        key="summary",
        title="Summary for policy teams",
        paragraphs=tuple(paragraphs + cannot),
        audience="policy",
    )


def _methods_sections(state: Any) -> list[ReportSection]:
    from interactmodel.pipeline import ARTICLE_MODEL
    from interactmodel.trends import EXPLANATION

    tables = state.tables
    settings = state.settings
    summary = tables["bayes_summary"]
    priors = summary.drop_duplicates("kind")[["kind", "prior"]]
    fixed = summary[summary["kind"] != "group"]
    return [
        ReportSection(
            key="audit",
            title="Can the published tables come from 245 NGOs?",
            paragraphs=tuple(r.verdict for r in state.audit.values()),
            tables=(
                ("Integer-consistency audit of Tables 1 and 2", tables["audit"]),
                ("Row sizes each printed row allows", tables["audit_rows"]),
                ("How the reconstructions were drawn", tables["reconstruction_settings"]),
            ),
        ),
        ReportSection(
            key="models",
            title="Models, priors and convergence",
            paragraphs=(
                f"Article model (Bayesian, cumulative logit): `{ARTICLE_MODEL}`, fitted to each "
                f"of {settings.reconstructions} reconstructions ({settings.chains} chains x "
                f"{settings.draws} draws each, {settings.nuts_sampler} NUTS) and pooled. "
                "mo(frequency):partner is a monotonic effect of contact frequency on each "
                "partner's own scale (Buerkner & Charpentier 2020).",
                "Maximum likelihood: `quality ~ frequency` per partner (frequency as an "
                "unordered factor), pooled over reconstructions by Rubin's rules. Sign "
                "convention: logit P(Y <= k) = theta_k - x'beta, so positive coefficients "
                "move ratings up.",
            ),
            tables=(
                ("Default priors", priors),
                ("Posterior summary of the article model (group effects omitted)", fixed),
                ("Convergence diagnostics per reconstruction", tables["bayes_diagnostics"]),
                ("Maximum-likelihood estimates (Rubin-pooled)", tables["ml_estimates"]),
                ("Proportional-odds tests (reconstruction 1)", tables["po_tests"]),
            ),
        ),
        ReportSection(
            key="loo",
            title="Model comparison (PSIS-LOO, reconstruction 1)",
            paragraphs=(
                "Higher elpd_loo is better; elpd_diff is the difference from the best model, "
                "dse its standard error.",
            ),
            tables=(("LOO comparison of the candidate models", tables["loo_comparison"]),),
        ),
        ReportSection(
            key="effects",
            title="Effects of contact frequency",
            tables=(
                ("Headline contrasts on P(rating >= level), Bayes and ML", tables["effects"]),
                ("Sequential contrasts (Bayes)", tables["effects_sequential"]),
            ),
        ),
        ReportSection(
            key="trends",
            title="The article's trend lines and what replaces them",
            paragraphs=(EXPLANATION,),
            tables=(
                ("Polynomial trend lines refitted to the article's curves", tables["trend_lines"]),
            ),
            figures=tuple(
                (
                    f"{_PARTNER_WORDS[p].capitalize()}: article curves vs model",
                    f"figures/trends_{p}.png",
                )
                for p in article.PARTNERS
            ),
        ),
        ReportSection(
            key="checks",
            title="Checks against the article",
            paragraphs=(_checks_summary(tables["article_checks"]),),
            tables=(("Every published figure the package can derive", tables["article_checks"]),),
        ),
        ReportSection(
            key="ppc",
            title="Posterior predictive check of Tables 1 and 2",
            tables=(("Replicated row percentages", tables["posterior_predictive_tables"]),),
            figures=(
                ("Replicated vs printed row percentages", "figures/posterior_predictive.png"),
            ),
        ),
        ReportSection(
            key="scenarios",
            title="Scenarios for the registered sector",
            paragraphs=(
                "Each scenario carries the article model forward to the 18,306 registered "
                "NGOs. These are associations carried forward, not causal effects.",
            ),
            tables=(("Scenario results", tables["scenarios"]),),
            figures=tuple(
                (f"Scenario {name}", f"figures/scenario_{name}.png")
                for name in sorted(
                    {f.removesuffix(".toml") for f in tables["scenarios"]["scenario_file"]}
                )
            ),
        ),
    ]


def build_report(state: Any) -> ReportContent:
    """The report's content from a finished run."""
    notes = {key: "; ".join(filter(None, texts)) for key, texts in state.notes.items()}
    return ReportContent(
        title="Contact and relationship quality: NGOs, the state and business in Kazakhstan",
        subtitle="A re-analysis of Zambinova & Pritvorova (2024), DOI "
        f"{article.SOURCE_DOI}, with interactmodel",
        sections=(_summary_section(state), *_methods_sections(state)),
        metadata={"settings": state.settings.to_dict(), "warnings": notes},
    )
