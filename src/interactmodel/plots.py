"""Figures drawn from the tidy frames of :mod:`interactmodel.trends` and
:mod:`interactmodel.checks`.  Nothing is computed here except the layout.

Only this module (and the report) imports matplotlib, with the non-interactive Agg backend;
every function returns a :class:`matplotlib.figure.Figure` and leaves saving to the caller.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from interactmodel.errors import DataError, format_values

__all__ = ["plot_posterior_predictive", "plot_trends"]

_COLOURS = {"negative": "#b2182b", "positive": "#2166ac"}
_TITLES = {
    "state": "Figure 3 (state): article curves vs the model",
    "business": "Figure 4 (business): article curves vs the model",
}


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} lacks column(s) {format_values(missing)}; build it with the function named "
            "in the docstring"
        )


def plot_trends(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """The article's curves and trend lines overlaid with the model's P(rating | frequency).

    Parameters
    ----------
    frame : DataFrame
        :func:`interactmodel.trends.trend_frame` for one partner.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Left axis: the article's curves (sums of two row percentages; markers and solid
        lines) with the degree-2 (dashed) and degree-3 (dotted) trend lines.  The same axis,
        also in percent: the model's P(negative | frequency) and P(positive | frequency)
        (thick line) with 50% (dark) and 90% (light) bands, and the reconstructions' shares
        (crosses) when present.
    """
    _require(frame, ["partner", "kind", "curve", "frequency_rank", "estimate"], "frame")
    partners = frame["partner"].unique()
    if len(partners) != 1:
        raise DataError(f"frame holds partners {format_values(partners)}; pass one partner's rows")
    partner = str(partners[0])
    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    labels = (
        frame[frame["kind"] == "article"]
        .drop_duplicates("frequency_rank")
        .sort_values("frequency_rank")
    )
    for curve, colour in _COLOURS.items():
        part = frame[frame["curve"] == curve]
        _draw_curve(ax, part, curve, colour)
    ax.set_xticks(labels["frequency_rank"], labels.get("frequency_label", labels["frequency"]))
    ax.tick_params(axis="x", labelrotation=20)
    ax.set_xlabel("Contact frequency")
    ax.set_ylabel("Percent")
    ax.set_ylim(bottom=0)
    ax.set_title(
        (title or _TITLES.get(partner, partner))
        + "\narticle: rows of P(frequency | rating) summed (200 per curve); "
        "model: P(rating | frequency)",
        fontsize=9,
    )
    fig.legend(loc="outside lower center", ncol=3, fontsize=7)
    return fig


def _draw_curve(ax: Any, part: pd.DataFrame, curve: str, colour: str) -> None:
    by_kind = {kind: rows.sort_values("frequency_rank") for kind, rows in part.groupby("kind")}
    if "model" in by_kind:
        model = by_kind["model"]
        x = model["frequency_rank"].to_numpy()
        for lo, hi, alpha in (("lower_90", "upper_90", 0.15), ("lower_50", "upper_50", 0.3)):
            if lo in model:
                ax.fill_between(x, model[lo], model[hi], color=colour, alpha=alpha, lw=0)
        ax.plot(x, model["estimate"], color=colour, lw=2.5, label=f"model P({curve} | frequency)")
    if "reconstructed" in by_kind:
        rec = by_kind["reconstructed"]
        ax.plot(
            rec["frequency_rank"],
            rec["estimate"],
            "x",
            color=colour,
            label=f"reconstructions: share {curve}",
        )
    if "article" in by_kind:
        art = by_kind["article"]
        ax.plot(
            art["frequency_rank"],
            art["estimate"],
            "o-",
            color="black" if curve == "negative" else "grey",
            lw=1,
            label=f"article: rows {'1+2' if curve == 'negative' else '4+5'} summed",
        )
    for kind, style in (("trend_degree_2", "--"), ("trend_degree_3", ":")):
        if kind in by_kind:
            trend = by_kind[kind]
            ax.plot(
                trend["frequency_rank"],
                trend["estimate"],
                style,
                color="black" if curve == "negative" else "grey",
                lw=1,
                label=f"article trend, degree {kind[-1]} ({curve})",
            )


def plot_posterior_predictive(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """Printed row percentages of Tables 1 and 2 against the model's replicated ones.

    Parameters
    ----------
    frame : DataFrame
        :func:`interactmodel.checks.posterior_predictive_tables`.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        One row of panels per partner, one panel per quality rating; in each, the printed
        percentage of every frequency column (black dots) and the model's replicated mean and
        interval (coloured bar), red where the printed value falls outside the interval.
    """
    _require(
        frame,
        ["partner", "quality", "frequency", "published", "model", "lower", "upper", "inside"],
        "frame",
    )
    partners = list(dict.fromkeys(frame["partner"]))
    qualities = list(dict.fromkeys(frame["quality"]))
    fig, axes = plt.subplots(
        len(partners),
        len(qualities),
        figsize=(3 * len(qualities), 3 * len(partners)),
        squeeze=False,
        sharey=True,
        layout="constrained",
    )
    for i, partner in enumerate(partners):
        for j, quality in enumerate(qualities):
            ax = axes[i, j]
            cells = frame[(frame["partner"] == partner) & (frame["quality"] == quality)]
            x = np.arange(len(cells))
            colours = np.where(cells["inside"], "#2166ac", "#b2182b")
            ax.vlines(x, cells["lower"], cells["upper"], colors=colours, lw=4, alpha=0.6)
            ax.plot(x, cells["model"], "_", color="white", ms=10)
            ax.plot(x, cells["published"], "o", color="black", ms=4)
            ax.set_xticks(x, cells["frequency"], rotation=60, fontsize=6)
            ax.set_title(f"{partner}: {quality}", fontsize=8)
            if j == 0:
                ax.set_ylabel("row percent")
    mode = frame.attrs.get("predictive", "")
    fig.suptitle(title or f"Tables 1-2: printed (dots) vs replicated ({mode}) intervals")
    return fig
