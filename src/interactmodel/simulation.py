"""Scenario simulation: how many NGOs would rate their partner relationships how, if ...

:func:`simulate` carries a fitted model of relationship quality by contact frequency forward
to a whole population of NGOs (by default the 18,306 registered in 2022), first as it is (the
*baseline*) and then under each policy of a :class:`~interactmodel.scenario.Scenario` (e.g.
"30% of the NGOs that meet the state once a year meet it once a quarter").

How
---
The population is split into cells (region x contact level) of whole NGOs, see
:func:`interactmodel.scenario.composition`.  For every draw ``s`` of the model's parameters
(posterior draws of a Bayesian fit; draws from ``N(estimate, cov)`` of an ML fit; with several
fits, e.g. one per reconstruction of the article's tables, their draws are stacked), the model
gives ``p[s, cell, k] = P(quality k | partner, contact level, region)`` (the same for every
region when the model has no region term).  Then

* the **expected count** of rating ``k`` is ``sum over cells n[cell] * p[s, cell, k]``;
* the **simulated count** adds sampling noise: each cell's ratings are a multinomial draw of
  ``n[cell]`` NGOs with probabilities ``p[s, cell]``.

Intervals are quantiles over the draws, so they carry both parameter uncertainty and sampling
noise.  Policies are compared with the baseline on **common random numbers**: an NGO whose cell
a policy does not change keeps its simulated rating (the NGOs that stay in a shrunken cell are
a random subset of its baseline NGOs, drawn without replacement); only NGOs that move get new
ratings, from their new cell's probabilities.  Each policy's counts are still exactly
multinomial per cell, and a policy that changes nothing reproduces the baseline draw for draw.

What it is not
--------------
The results are associations carried forward, not causal effects (:data:`NOTE`); every output
says so.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interactmodel import article
from interactmodel.errors import (
    DataError,
    ScenarioError,
    SpecificationError,
    format_values,
)
from interactmodel.scenario import Scenario, composition, load_scenario

__all__ = [
    "NOTE",
    "SimulationResult",
    "baseline_from_fit",
    "fit_default",
    "simulate",
    "simulate_probabilities",
]

NOTE = (
    "These are associations carried forward, not causal effects: the model describes how "
    "relationship quality went together with contact frequency among the surveyed NGOs, and "
    "the simulation assumes that NGOs moved to another contact frequency would rate their "
    "relationships like the NGOs already there. Nothing here shows that changing how often "
    "NGOs meet a partner would change how they rate the relationship."
)
MEASURES = ("count", "share", "count_difference", "share_difference")
#: seed of the reconstructions behind ``baseline.source = "article"`` (a fixed, documented set)
ARTICLE_BASELINE_DRAWS = 100
ARTICLE_BASELINE_SEED = 20240516
DEFAULT_ML_DRAWS = 1000
#: reconstructions the default model is fitted to
DEFAULT_RECONSTRUCTIONS = 10
_SCENARIO_VARIABLES = ("frequency", "region", "partner")


# --------------------------------------------------------------------------- the result


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Simulated quality ratings of a population at the baseline and under each policy.

    Attributes
    ----------
    scenario : Scenario
    scenarios : tuple of str
        ``"baseline"`` and the policy names, in that order.
    outcome_levels : tuple of str
        The quality levels, worst to best.
    regions, frequency_levels : tuple of str
        The cells' regions and the partner's contact levels.
    seed : int
        The seed that reproduces these numbers.
    n_draws : int
        Number of parameter draws (= simulated populations per scenario).
    uncertainty : str
        Where the parameter draws came from.
    model : str
        The fitted formula(s), or a description of the probabilities given.
    region_specific : bool
        True when the model has a region term, so each region has its own probabilities.
    baseline : str
        Where the baseline contact-frequency distribution came from.
    note : str
        The causal caveat, :data:`NOTE`.
    """

    scenario: Scenario
    scenarios: tuple[str, ...]
    outcome_levels: tuple[str, ...]
    regions: tuple[str, ...]
    frequency_levels: tuple[str, ...]
    seed: int
    n_draws: int
    uncertainty: str
    model: str
    region_specific: bool
    baseline: str
    _composition: np.ndarray = field(repr=False)
    _counts: np.ndarray = field(repr=False)
    _expected: np.ndarray = field(repr=False)
    note: str = NOTE

    @property
    def population_size(self) -> int:
        return int(self._composition[0].sum())

    @property
    def counts(self) -> np.ndarray:
        """Simulated counts, shape (draws, scenarios, quality levels); a copy."""
        return self._counts.copy()

    @property
    def expected(self) -> np.ndarray:
        """Expected counts (no sampling noise), shape (draws, scenarios, quality levels)."""
        return self._expected.copy()

    @property
    def draws(self) -> pd.DataFrame:
        """Every draw, tidy: ``draw``, ``scenario``, ``quality``, ``count``, ``expected``."""
        S, P, K = self._counts.shape
        return pd.DataFrame(
            {
                "draw": np.repeat(np.arange(S), P * K),
                "scenario": self._categorical(np.tile(np.repeat(np.arange(P), K), S), "scenario"),
                "quality": self._categorical(np.tile(np.arange(K), S * P), "quality"),
                "count": self._counts.reshape(-1),
                "expected": self._expected.reshape(-1),
            }
        )

    def _categorical(self, codes: np.ndarray, what: str) -> pd.Categorical:
        levels = {
            "scenario": self.scenarios,
            "quality": self.outcome_levels,
            "region": self.regions,
            "frequency": self.frequency_levels,
        }[what]
        return pd.Categorical.from_codes(codes, list(levels), ordered=what != "region")

    def composition(self) -> pd.DataFrame:
        """Whole NGOs per cell: ``scenario``, ``region``, ``frequency``, ``count``."""
        P, R, F = self._composition.shape
        return pd.DataFrame(
            {
                "scenario": self._categorical(np.repeat(np.arange(P), R * F), "scenario"),
                "region": self._categorical(np.tile(np.repeat(np.arange(R), F), P), "region"),
                "frequency": self._categorical(np.tile(np.arange(F), P * R), "frequency"),
                "count": self._composition.reshape(-1),
            }
        )

    def summary(self, level: float = 0.95, noise: bool = True) -> pd.DataFrame:
        """Counts and shares of each quality level per scenario, and differences from baseline.

        Parameters
        ----------
        level : float
            Probability of the equal-tailed intervals (quantiles over the draws).
        noise : bool
            True: the simulated counts (parameter uncertainty and sampling noise).  False: the
            expected counts (parameter uncertainty only).

        Returns
        -------
        DataFrame
            One row per (scenario, quality, measure): ``scenario``, ``quality``, ``measure``
            (``count``, ``share``, and for policies ``count_difference`` and
            ``share_difference``, policy minus baseline), ``estimate`` (mean over draws),
            ``lower``, ``upper``, ``note`` (:data:`NOTE`).
        """
        if not isinstance(level, float | int) or not 0 < level < 1:
            raise SpecificationError(f"level={level!r} must be between 0 and 1, e.g. 0.95")
        values = (self._counts if noise else self._expected).astype(float)
        size = self.population_size
        parts = []
        for p, name in enumerate(self.scenarios):
            measures = {"count": values[:, p], "share": values[:, p] / size}
            if p > 0:
                diff = values[:, p] - values[:, 0]
                measures |= {"count_difference": diff, "share_difference": diff / size}
            for measure, draws in measures.items():
                lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
                parts.append(
                    pd.DataFrame(
                        {
                            "scenario": name,
                            "quality": list(self.outcome_levels),
                            "measure": measure,
                            "estimate": draws.mean(axis=0),
                            "lower": lo,
                            "upper": hi,
                        }
                    )
                )
        out = pd.concat(parts, ignore_index=True)
        out["scenario"] = pd.Categorical(out["scenario"], list(self.scenarios), ordered=True)
        out["quality"] = pd.Categorical(out["quality"], list(self.outcome_levels), ordered=True)
        out["measure"] = pd.Categorical(out["measure"], list(MEASURES), ordered=True)
        out["note"] = self.note
        out.attrs |= {"note": self.note, "interval": f"equal-tailed {level:.0%}"}
        return out

    def settings(self) -> dict[str, Any]:
        """How the numbers were made, ready for ``json.dumps``."""
        return {
            "note": self.note,
            "scenario": self.scenario.to_dict(),
            "population_size": self.population_size,
            "model": self.model,
            "region_specific": self.region_specific,
            "uncertainty": self.uncertainty,
            "baseline": self.baseline,
            "n_draws": self.n_draws,
            "seed": self.seed,
            "sampling_noise": "multinomial per (region, contact level) cell; policies share the "
            "baseline's draws for NGOs they do not move",
        }

    def to_dict(self, level: float = 0.95) -> dict[str, Any]:
        """Settings, summary and composition, ready for ``json.dumps``."""
        summary = self.summary(level).drop(columns="note")
        for column in ("scenario", "quality", "measure"):
            summary[column] = summary[column].astype(str)
        comp = self.composition()
        for column in ("scenario", "region", "frequency"):
            comp[column] = comp[column].astype(str)
        return {
            **self.settings(),
            "interval": f"equal-tailed {level:.0%}",
            "summary": summary.to_dict(orient="records"),
            "composition": comp.to_dict(orient="records"),
        }


# --------------------------------------------------------------------------- sampling


def _subsample(counts: np.ndarray, keep: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Multivariate-hypergeometric subsample of ``keep`` of each cell's counted items.

    ``counts`` (..., K), ``keep`` broadcastable to (...,) with ``keep <= counts.sum(-1)``.
    Drawn level by level: the number kept of level k is hypergeometric given what is left.
    """
    left_total = counts.sum(axis=-1)
    left_sample = np.broadcast_to(keep, left_total.shape).astype(np.int64)
    out = np.zeros_like(counts)
    for k in range(counts.shape[-1] - 1):
        good = counts[..., k]
        taken = rng.hypergeometric(good, left_total - good, left_sample)
        out[..., k] = taken
        left_sample = left_sample - taken
        left_total = left_total - good
    out[..., -1] = left_sample
    return out


def _sample_counts(probs: np.ndarray, cells: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Simulated ratings per scenario: (S, P, K) from probs (S, R, F, K), cells (P, R, F)."""
    S = probs.shape[0]
    base = cells[0]
    baseline = rng.multinomial(np.broadcast_to(base, (S, *base.shape)), probs)
    totals = [baseline.sum(axis=(1, 2))]
    for policy in cells[1:]:
        stay = np.minimum(base, policy)
        arrive = np.broadcast_to(np.maximum(policy - base, 0), (S, *base.shape))
        kept = np.where((stay == base)[None, :, :, None], baseline, _subsample(baseline, stay, rng))
        totals.append((kept + rng.multinomial(arrive, probs)).sum(axis=(1, 2)))
    return np.stack(totals, axis=1)


def _check_probabilities(probs: np.ndarray, regions: int, levels: int) -> np.ndarray:
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 4 or probs.shape[1] not in (1, regions) or probs.shape[2] != levels:
        raise SpecificationError(
            f"probabilities must have shape (draws, 1 or {regions} regions, {levels} contact "
            f"levels, quality levels), got {probs.shape}"
        )
    if not np.all(np.isfinite(probs)) or probs.min() < -1e-9:
        raise SpecificationError(
            "probabilities hold negative or non-finite values; give probabilities in [0, 1] "
            "(from a fit, NaN draws mean a singular covariance: check the fit's convergence)"
        )
    probs = np.clip(probs, 0.0, None)
    sums = probs.sum(axis=-1, keepdims=True)
    if np.any(np.abs(sums - 1) > 1e-6):
        raise SpecificationError(
            "probabilities must add up to 1 over the quality levels in every draw and cell"
        )
    return np.broadcast_to(probs / sums, (probs.shape[0], regions, levels, probs.shape[3]))


def _seed(seed: int | None) -> int:
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        return int(entropy) % 2**63  # type: ignore[arg-type]  # recorded, so reproducible
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecificationError(f"seed={seed!r} must be a whole number >= 0 or None")
    return int(seed)


def simulate_probabilities(
    probabilities: np.ndarray,
    scenario: Scenario | str | Path,
    *,
    outcome_levels: Sequence[str] = article.QUALITY_LEVELS,
    baseline_distribution: Mapping[str, float] | None = None,
    seed: int | None = None,
    uncertainty: str = "probability draws given by the caller",
    model: str = "probabilities given by the caller",
    baseline: str | None = None,
) -> SimulationResult:
    """Simulate a scenario from draws of P(quality | region, contact level) given directly.

    :func:`simulate` calls this after drawing the probabilities from a fitted model; call it
    yourself for probabilities from elsewhere (another model, or made by hand).

    Parameters
    ----------
    probabilities : array, shape (draws, regions, contact levels, quality levels)
        ``regions`` is 1 (the same probabilities in every region) or 6 (``scenario.regions``
        order); contact levels in ``scenario.frequency_levels`` order.
    scenario : Scenario or path of a scenario file
    outcome_levels : sequence of str
        The quality levels of the last axis.
    baseline_distribution : mapping, optional
        Contact level -> share for regions whose baseline the scenario does not give.
    seed : int, optional
        Seed of the sampling noise; None draws one and records it in the result.
    uncertainty, model, baseline : str
        Descriptions recorded in the result.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> scenario = Scenario.from_dict({
    ...     "partner": "state",
    ...     "population": {"size": 1000, "region_shares": {"nur_sultan": 1.0}},
    ...     "baseline": {"distribution": {"very_rarely": 0.5, "once_a_month": 0.5}},
    ...     "interventions": [{"type": "move", "from": "very_rarely", "to": "once_a_month",
    ...                        "share": 0.2}]})
    >>> p = np.zeros((1, 1, 5, 5))
    >>> p[..., 0], p[..., 4] = 0.25, 0.75            # same everywhere ...
    >>> p[0, 0, 4] = [0, 0, 0, 0, 1]                 # ... except monthly contacts: all good
    >>> sim = simulate_probabilities(p, scenario, seed=1)
    >>> table = sim.summary(noise=False).set_index(["scenario", "quality", "measure"])
    >>> float(table.loc[("scenario", "definitely_good", "count_difference"), "estimate"])
    25.0
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    seed = _seed(seed)
    distribution, described = _baseline(scenario, baseline_distribution, None)
    probs = np.asarray(probabilities, dtype=float)
    return _build(
        scenario,
        probs,
        tuple(outcome_levels),
        distribution,
        noise_seed=seed,
        seed=seed,
        uncertainty=uncertainty,
        model=model,
        baseline=baseline or described,
        region_specific=probs.ndim == 4 and probs.shape[1] > 1,
    )


def _build(
    scenario: Scenario,
    probabilities: np.ndarray,
    outcome_levels: tuple[str, ...],
    distribution: Mapping[str, float] | None,
    *,
    noise_seed: int,
    seed: int,
    uncertainty: str,
    model: str,
    baseline: str,
    region_specific: bool,
) -> SimulationResult:
    regions, levels = scenario.regions, scenario.frequency_levels
    probs = _check_probabilities(probabilities, len(regions), len(levels))
    if probs.shape[3] != len(outcome_levels):
        raise SpecificationError(
            f"probabilities have {probs.shape[3]} quality levels but outcome_levels names "
            f"{len(outcome_levels)}"
        )
    cells = composition(scenario, distribution)
    expected = np.einsum("srfk,prf->spk", probs, cells)
    counts = _sample_counts(probs, cells, np.random.default_rng(noise_seed))
    return SimulationResult(
        scenario=scenario,
        scenarios=("baseline", *scenario.policy_names),
        outcome_levels=outcome_levels,
        regions=regions,
        frequency_levels=levels,
        seed=seed,
        n_draws=int(probs.shape[0]),
        uncertainty=uncertainty,
        model=model,
        region_specific=region_specific,
        baseline=baseline,
        _composition=_readonly(cells),
        _counts=_readonly(counts),
        _expected=_readonly(expected),
    )


def _describe_baseline(scenario: Scenario, source: str) -> str:
    given = sorted(scenario.baseline_by_region)
    if scenario.baseline_distribution is not None:
        text = "given in the scenario"
    else:
        text = source
    if given:
        text += f" (given for {', '.join(given)})"
    return text


# --------------------------------------------------------------------------- fitted models


def _as_results(result: Any) -> list[Any]:
    results = list(result) if isinstance(result, Sequence) else [result]
    if not results:
        raise SpecificationError("result is an empty list; pass a fitted model or a list of them")
    for i, item in enumerate(results):
        if getattr(item, "engine", None) not in ("ml", "bayes") or not hasattr(item, "design"):
            raise SpecificationError(
                f"result{'' if len(results) == 1 else f'[{i}]'} must be a fitted model "
                f"(OrdinalModel(...).fit(...)), got {type(item).__name__}"
            )
    levels = {tuple(r.design.outcome_levels) for r in results}
    formulas = {r.design.formula.formula for r in results}
    if len(levels) > 1 or len(formulas) > 1:
        raise SpecificationError(
            "the fits to pool have different formulas or outcome levels; pool fits of one model"
        )
    return results


def _check_model(result: Any) -> tuple[bool, str]:
    """Whether the model has a region term, and the ``re`` argument its draws need."""
    design = result.design
    variables = set(design.encoding.variables)
    if "frequency" not in variables:
        raise ScenarioError(
            f"the model {design.formula.formula!r} has no frequency term, so moving NGOs "
            "between contact levels cannot change its predictions; fit e.g. 'quality ~ frequency'"
        )
    others = sorted(variables - set(_SCENARIO_VARIABLES))
    if others:
        raise ScenarioError(
            f"the model {design.formula.formula!r} uses {format_values(others)}, which a "
            f"scenario cannot set (it sets only {format_values(_SCENARIO_VARIABLES)}); fit a "
            "model of those"
        )
    region_group = any(g.group == "region" for g in design.groups)
    return "region" in variables, "group" if region_group else "population"


def _grid(scenario: Scenario, regional: bool) -> pd.DataFrame:
    """One row per (region, contact level) of the scenario, in the conventions' categories."""
    regions = scenario.regions if regional else scenario.regions[:1]
    levels = scenario.frequency_levels
    all_levels = [lv for p in article.PARTNERS for lv in article.FREQUENCY_LEVELS[p]]
    return pd.DataFrame(
        {
            "partner": pd.Categorical(
                [scenario.partner] * (len(regions) * len(levels)),
                list(article.PARTNERS),
                ordered=True,
            ),
            "frequency": pd.Categorical(list(levels) * len(regions), all_levels, ordered=True),
            "region": pd.Categorical(np.repeat(regions, len(levels)), list(article.SAMPLE_REGIONS)),
        }
    )


def _split_draws(n_draws: int | None, n_results: int, engine: str) -> list[int | None]:
    if n_draws is None:
        if engine == "bayes":
            return [None] * n_results  # every posterior draw of every fit
        n_draws = DEFAULT_ML_DRAWS
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
        raise SpecificationError(f"n_draws={n_draws!r} must be a whole number >= 1 or None")
    if n_draws < n_results:
        raise SpecificationError(
            f"n_draws={n_draws} is fewer than the {n_results} fits pooled; ask for at least "
            "one draw per fit"
        )
    share, extra = divmod(int(n_draws), n_results)
    return [share + (i < extra) for i in range(n_results)]


def _probability_draws(
    results: list[Any], scenario: Scenario, n_draws: int | None, seed: int
) -> tuple[np.ndarray, bool]:
    """Stacked draws (S, regions or 1, levels, K) from every fit."""
    from interactmodel.predicted import probability_draws

    regional, re = _check_model(results[0])
    grid = _grid(scenario, regional)
    sizes = _split_draws(n_draws, len(results), results[0].engine)
    children = np.random.SeedSequence(seed).spawn(len(results))
    parts = []
    for result, size, child in zip(results, sizes, children, strict=True):
        try:
            probs = probability_draws(
                result, grid, n_draws=size, seed=int(child.generate_state(1)[0]), re=re
            )
        except DataError as exc:
            raise ScenarioError(
                f"the fitted model cannot predict every cell of the scenario ({exc}); fit it to "
                f"data with every {scenario.partner} contact level"
                + (" and region" if regional else "")
            ) from exc
        parts.append(
            probs.reshape(probs.shape[0], -1, len(scenario.frequency_levels), probs.shape[2])
        )
    return np.concatenate(parts, axis=0), regional


def _renormalise(probs: np.ndarray) -> tuple[np.ndarray, int]:
    """Probabilities that add up to 1, and how many draws needed it.

    A draw from ``N(estimate, cov)`` can put two thresholds in the wrong order; the category
    between them then has a negative probability, which is clipped at 0, so the rest add up to
    more than 1.  Such draws are rescaled (and counted in the result's ``uncertainty``).
    """
    probs = np.clip(probs, 0.0, None)
    sums = probs.sum(axis=-1, keepdims=True)
    off = np.abs(sums - 1.0) > 1e-9
    return probs / sums, int(off.reshape(off.shape[0], -1).any(axis=1).sum())


def baseline_from_fit(result: Any, partner: str) -> dict[str, float]:
    """The contact-frequency distribution of ``partner``'s ratings in the fitted data.

    With several fits (e.g. one per reconstruction) the distributions are averaged.

    Returns
    -------
    dict
        Contact level -> share, over ``article.FREQUENCY_LEVELS[partner]``.
    """
    levels = article.FREQUENCY_LEVELS[partner]
    shares = []
    for item in _as_results(result):
        design = item.design
        cells = design.cells
        weight = pd.Series(design.counts.sum(axis=1), index=cells.index)
        mine = cells["frequency"].astype(object).isin(levels)
        if "partner" in cells.columns:
            mine &= cells["partner"].astype(object) == partner
        totals = weight[mine].groupby(cells.loc[mine, "frequency"].astype(object)).sum()
        if totals.sum() <= 0:
            raise ScenarioError(
                f"baseline.source = 'fit': the fitted data hold no {partner} ratings; give "
                "baseline.distribution or use baseline.source = 'article'"
            )
        shares.append([float(totals.get(lv, 0.0)) / float(totals.sum()) for lv in levels])
    return dict(zip(levels, np.mean(shares, axis=0).tolist(), strict=True))


@functools.cache
def _article_distribution(partner: str) -> tuple[float, ...]:
    from interactmodel.reconstruct import reconstruct

    with warnings.catch_warnings():
        # the tables need a small rounding tolerance; the description says so
        warnings.simplefilter("ignore")
        recs = reconstruct(ARTICLE_BASELINE_DRAWS, ARTICLE_BASELINE_SEED)
    per_level = recs.counts[partner].sum(axis=1).mean(axis=0)
    return tuple((per_level / per_level.sum()).tolist())


def article_baseline(partner: str) -> dict[str, float]:
    """The contact-frequency distribution of ``partner`` in reconstructions of the article.

    The mean over :data:`ARTICLE_BASELINE_DRAWS` reconstructions (seed
    :data:`ARTICLE_BASELINE_SEED`) of the share of the 245 NGOs at each contact level.
    """
    return dict(zip(article.FREQUENCY_LEVELS[partner], _article_distribution(partner), strict=True))


def _baseline(
    scenario: Scenario, given: Mapping[str, float] | None, results: list[Any] | None
) -> tuple[Mapping[str, float] | None, str]:
    """The distribution for regions whose baseline the scenario does not give, and its story."""
    if not scenario.uses_baseline_source:
        return None, _describe_baseline(scenario, "given in the scenario")
    if given is not None:
        return given, _describe_baseline(scenario, "given by the caller")
    if scenario.baseline_source == "article":
        text = (
            f"the mean of {ARTICLE_BASELINE_DRAWS} reconstructions of the article's "
            f"{'Table 1' if scenario.partner == 'state' else 'Table 2'} (seed "
            f"{ARTICLE_BASELINE_SEED})"
        )
        return article_baseline(scenario.partner), _describe_baseline(scenario, text)
    if results is None:
        raise ScenarioError(
            "baseline.source = 'fit' needs a fitted model; give baseline.distribution in the "
            "scenario, pass baseline_distribution, or use baseline.source = 'article'"
        )
    text = "the contact frequencies of the fitted data" + (
        f" (mean over {len(results)} fits)" if len(results) > 1 else ""
    )
    return baseline_from_fit(results, scenario.partner), _describe_baseline(scenario, text)


def _as_scenario(scenario: Any) -> Scenario:
    """A Scenario from a Scenario, a dict as ``tomllib`` would parse the file, or a path."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    if isinstance(scenario, str | os.PathLike):
        return load_scenario(Path(scenario))
    raise ScenarioError(
        f"scenario must be a Scenario, a dict of its settings or the path of a .toml file, got "
        f"{type(scenario).__name__}; see models/scenarios/ for examples"
    )


def simulate(
    result: Any,
    scenario: Scenario | Mapping[str, Any] | str | Path,
    *,
    seed: int | None = None,
    n_draws: int | None = None,
) -> SimulationResult:
    """Simulate relationship quality in a population at the baseline and under each policy.

    Parameters
    ----------
    result : MLResult, BayesResult, or a list of them
        A model of quality by contact ``frequency`` (and optionally ``region``, ``partner``).
        A list pools fits of one model (e.g. to several reconstructions of the article's
        tables) by stacking their parameter draws, ``n_draws`` split equally.
    scenario : Scenario, dict or path of a scenario TOML file
        A dict holds what the TOML file would (``Scenario.from_dict``).
    seed : int, optional
        Seeds the parameter draws and the sampling noise; the same seed gives the same numbers.
        None draws a seed and records it in the result (``.seed``).
    n_draws : int, optional
        Parameter draws in all: Bayes, a random subset of the posterior (default every draw);
        ML, draws from ``N(estimate, cov)`` (default 1000).

    Returns
    -------
    SimulationResult
        ``.summary()``: counts and shares of each quality level with intervals, per scenario,
        and differences from the baseline; ``.draws``: every draw.

    Raises
    ------
    ScenarioError
        If the model uses a variable the scenario cannot set, has no frequency term, or cannot
        predict a cell of the scenario; or for an invalid scenario file.

    Examples
    --------
    >>> import warnings
    >>> from interactmodel.scenario import EXAMPLES_DIR
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     fits = fit_default("state", reconstructions=2, seed=1)
    >>> sim = simulate(fits, EXAMPLES_DIR / "state_quarterly_contact.toml", seed=1, n_draws=200)
    >>> sim.population_size
    18306
    """
    results = _as_results(result)
    scenario = _as_scenario(scenario)
    seed = _seed(seed)
    parameter_seed, noise_seed = np.random.SeedSequence(seed).generate_state(2)
    probs, regional = _probability_draws(results, scenario, n_draws, int(parameter_seed))
    probs, crossed = _renormalise(probs)
    distribution, baseline = _baseline(scenario, None, results)
    engine = results[0].engine
    uncertainty = (
        "posterior draws" if engine == "bayes" else "draws from N(estimate, cov) of the ML fit"
    ) + (f", stacked over {len(results)} fits" if len(results) > 1 else "")
    if crossed:
        uncertainty += (
            f"; {crossed} of {probs.shape[0]} draws had thresholds out of order, so their "
            "probabilities were clipped at 0 and rescaled to add up to 1"
        )
    pooled = f", {len(results)} fits pooled" if len(results) > 1 else ""
    return _build(
        scenario,
        probs,
        tuple(results[0].design.outcome_levels),
        distribution,
        noise_seed=int(noise_seed),
        seed=seed,
        uncertainty=uncertainty,
        model=f"{results[0].design.formula.formula} ({engine}{pooled})",
        baseline=baseline,
        region_specific=regional,
    )


def fit_default(
    partner: str, reconstructions: int = DEFAULT_RECONSTRUCTIONS, seed: int = 0
) -> list[Any]:
    """The quick default model: ``quality ~ frequency`` by ML on reconstructions of the article.

    One fit per reconstruction of the article's Tables 1 and 2 (``partner``'s ratings only);
    pass the list to :func:`simulate`, which stacks their parameter draws.

    Parameters
    ----------
    partner : {"state", "business"}
    reconstructions : int
        How many reconstructions to fit.
    seed : int
        Seed of the reconstructions.

    Returns
    -------
    list of MLResult

    Warns
    -----
    ReconstructionWarning
        The article's tables need a small rounding tolerance to fit 245 NGOs.
    """
    from interactmodel.reconstruct import reconstruct
    from interactmodel.spec import OrdinalModel

    if partner not in article.PARTNERS:
        raise ScenarioError(f"partner={partner!r}: use one of {format_values(article.PARTNERS)}")
    frame = reconstruct(reconstructions, seed).to_frame()
    frame = frame[frame["partner"] == partner]
    spec = OrdinalModel("quality ~ frequency")
    return [spec.fit(part) for _, part in frame.groupby("reconstruction", sort=True)]
