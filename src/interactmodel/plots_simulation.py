"""Figures of scenario simulations (:mod:`interactmodel.simulation`).

Figures are built on matplotlib's object interface with the Agg canvas, so nothing here touches
pyplot's global state or needs a display.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["plot_simulation"]


def plot_simulation(simulation: Any, level: float = 0.95, noise: bool = True) -> Figure:
    """Shares of each quality rating per scenario, and differences from the baseline.

    Parameters
    ----------
    simulation : SimulationResult
        From :func:`interactmodel.simulation.simulate`.
    level : float
        Probability of the intervals drawn as error bars.
    noise : bool
        Include sampling noise in the intervals (see ``SimulationResult.summary``).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the share of NGOs at each quality level in each scenario; right (when there are
        policies): each policy's difference from the baseline in number of NGOs.  The caveat
        that these are associations, not causal effects, is printed under the panels.

    Examples
    --------
    >>> import numpy as np
    >>> from interactmodel.scenario import Scenario
    >>> from interactmodel.simulation import simulate_probabilities
    >>> scenario = Scenario.from_dict({"partner": "state",
    ...     "baseline": {"distribution": {"very_rarely": 1.0}},
    ...     "interventions": [{"type": "move", "from": "very_rarely", "to": "once_a_month",
    ...                        "share": 0.5}]})
    >>> p = np.full((20, 1, 5, 5), 0.2)
    >>> fig = plot_simulation(simulate_probabilities(p, scenario, seed=1))
    >>> len(fig.axes)
    2
    """
    summary = simulation.summary(level=level, noise=noise)
    scenarios = list(simulation.scenarios)
    levels = list(simulation.outcome_levels)
    has_policies = len(scenarios) > 1
    fig = Figure(figsize=(11 if has_policies else 6.5, 4.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2 if has_policies else 1, squeeze=False)[0]
    _bars(axes[0], summary, "share", scenarios, levels)
    axes[0].set_ylabel("share of NGOs")
    axes[0].set_title(f"{simulation.scenario.partner} partners: quality ratings")
    if has_policies:
        _bars(axes[1], summary, "count_difference", scenarios[1:], levels, first_colour=1)
        axes[1].axhline(0, color="0.3", linewidth=0.8)
        axes[1].set_ylabel("NGOs, policy minus baseline")
        axes[1].set_title("difference from the baseline")
    fig.suptitle(
        f"{simulation.scenario.name}: {simulation.population_size:,} NGOs, "
        f"{simulation.n_draws:,} draws, {level:.0%} intervals",
        fontsize="medium",
    )
    fig.supxlabel("Associations carried forward, not causal effects.", fontsize="small")
    return fig


def _bars(
    ax: Any,
    summary: Any,
    measure: str,
    scenarios: list[str],
    levels: list[str],
    first_colour: int = 0,
) -> None:
    # a policy keeps its colour in both panels: colour i+1 when the baseline is left out
    rows = summary[summary["measure"] == measure]
    width = 0.8 / max(len(scenarios), 1)
    x = np.arange(len(levels))
    for i, name in enumerate(scenarios):
        part = rows[rows["scenario"] == name].set_index("quality").loc[levels]
        est = part["estimate"].to_numpy()
        err = np.vstack([est - part["lower"].to_numpy(), part["upper"].to_numpy() - est])
        offset = (i - (len(scenarios) - 1) / 2) * width
        ax.bar(
            x + offset, est, width, yerr=err, capsize=2, label=name, color=f"C{first_colour + i}"
        )
    ax.set_xticks(x, [lv.replace("_", " ") for lv in levels], rotation=20)
    ax.legend(fontsize="small")
