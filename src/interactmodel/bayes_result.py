"""The fitted Bayesian cumulative-link model: draws, tidy summary, predictions and LOO.

:class:`BayesResult` is immutable.  It keeps an ArviZ ``InferenceData`` (posterior,
log_likelihood, sample_stats, observed_data, and the predictive groups on request), the design
(so new data get the fit's encoding), the priors, and the sampler's diagnostics.

The log-likelihood is stored per *(cell, outcome)* pair with a positive count, not per row:
the leave-one-out predictive density of a row depends only on its cell and outcome, so
:meth:`BayesResult.loo` runs PSIS on the pairs and weights each pair by its count, which gives
exactly ``az.loo`` of the row-level log-likelihood at a fraction of the memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.errors import FitError, SpecificationError
from interactmodel.links import get_link

__all__ = [
    "BayesResult",
    "CellArrays",
    "GroupArrays",
    "ModelArrays",
    "MonotonicArrays",
    "build_inference_data",
    "linear_predictor",
    "log_category_probabilities",
    "parameter_table",
]


# --------------------------------------------------------------------------- arrays


@dataclass(frozen=True, eq=False)
class MonotonicArrays:
    """Rank (0..D) and activity (0/1) of each cell for one monotonic block."""

    rank: np.ndarray
    active: np.ndarray
    n_steps: int

    def taken(self) -> np.ndarray:
        """(n_cells, D) indicator of the steps each cell has taken (0 rows where inactive)."""
        taken = self.rank[:, None] > np.arange(self.n_steps)[None, :]
        return (taken & (self.active[:, None] > 0)).astype(float)


@dataclass(frozen=True, eq=False)
class GroupArrays:
    """Group index (-1 for a group not seen in the fit) and Z columns of each cell."""

    index: np.ndarray
    Z: np.ndarray
    n_levels: int


@dataclass(frozen=True, eq=False)
class CellArrays:
    """The covariates of a set of cells, as plain arrays (no names, no pandas)."""

    X: np.ndarray
    mo: tuple[MonotonicArrays, ...] = ()
    groups: tuple[GroupArrays, ...] = ()

    @property
    def n_cells(self) -> int:
        return int(self.X.shape[0])

    @classmethod
    def from_design(cls, design: Any, group_sizes: tuple[int, ...] | None = None) -> CellArrays:
        """From a ``Design`` or a ``CellDesign`` (new data) of :mod:`interactmodel.design`."""
        sizes = group_sizes or tuple(len(g.levels) for g in design.groups)
        return cls(
            X=np.asarray(design.X, dtype=float),
            mo=tuple(
                MonotonicArrays(
                    np.asarray(b.rank, dtype=np.int64),
                    np.asarray(b.active, dtype=float),
                    len(b.levels) - 1,
                )
                for b in design.mo
            ),
            groups=tuple(
                GroupArrays(np.asarray(g.index, dtype=np.int64), np.asarray(g.Z, dtype=float), n)
                for g, n in zip(design.groups, sizes, strict=True)
            ),
        )


@dataclass(frozen=True, eq=False)
class ModelArrays(CellArrays):
    """Covariates of the cells and the (weighted) count of each outcome level per cell."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @property
    def n_levels(self) -> int:
        return int(self.counts.shape[1])

    @classmethod
    def from_design(cls, design: Any, group_sizes: tuple[int, ...] | None = None) -> ModelArrays:
        cells = CellArrays.from_design(design, group_sizes)
        return cls(cells.X, cells.mo, cells.groups, np.asarray(design.counts, dtype=float))

    def with_counts(self, counts: np.ndarray) -> ModelArrays:
        """The same cells with other counts (another reconstruction of the data)."""
        counts = np.asarray(counts, dtype=float)
        if counts.shape != self.counts.shape:
            raise ValueError(f"counts have shape {counts.shape}, expected {self.counts.shape}")
        return ModelArrays(self.X, self.mo, self.groups, counts)

    def structure(self) -> tuple[Any, ...]:
        """Everything the compiled model depends on except the values of the data."""
        return (
            self.counts.shape,
            self.X.shape,
            tuple(m.n_steps for m in self.mo),
            tuple((g.n_levels, g.Z.shape) for g in self.groups),
        )

    def named_data(self) -> dict[str, np.ndarray]:
        """The arrays under the names of the model's ``pm.Data`` variables."""
        named = {"counts": self.counts}
        if self.X.shape[1]:
            named["X"] = self.X
        for m, block in enumerate(self.mo):
            named[f"mo_taken_{m}"] = block.taken()
        for g, group in enumerate(self.groups):
            named[f"group_index_{g}"] = group.index
            named[f"group_Z_{g}"] = group.Z
        return named


# --------------------------------------------------------------------------- numpy predictor


def linear_predictor(
    draws: Mapping[str, np.ndarray],
    cells: CellArrays,
    new_group_effects: Mapping[int, np.ndarray] | None = None,
) -> np.ndarray:
    """eta of every cell for every draw, shape (S, n), from flattened draws (S, ...).

    ``new_group_effects[g]`` (S, q) is used for cells whose group index is -1 (a new group).
    """
    S = next(iter(draws.values())).shape[0]
    eta = np.zeros((S, cells.n_cells))
    if cells.X.shape[1]:
        eta += draws["b"] @ cells.X.T
    for m, block in enumerate(cells.mo):
        zeta = draws[f"simplex_{m}"]
        cumulative = np.concatenate([np.zeros((S, 1)), np.cumsum(zeta, axis=1)], axis=1)
        step = cumulative[:, block.rank] * block.active[None, :]
        eta += draws["b_mo"][:, m, None] * block.n_steps * step
    for g, group in enumerate(cells.groups):
        r = draws[f"r_{g}"]  # (S, J, q)
        seen = group.index >= 0
        effect = r[:, np.where(seen, group.index, 0), :]
        if not seen.all():
            if new_group_effects is None or g not in new_group_effects:
                raise FitError("cells of unseen groups need new_group_effects")
            effect[:, ~seen, :] = new_group_effects[g][:, None, :]
        eta += np.einsum("snq,nq->sn", effect, group.Z)
    return eta


def category_probabilities(thresholds: np.ndarray, eta: np.ndarray, link: str) -> np.ndarray:
    """P(Y = k) for thresholds (S, K-1) and eta (S, n): shape (S, n, K)."""
    fn = get_link(link)
    z = thresholds[:, None, :] - eta[:, :, None]
    S, n = eta.shape
    lower = np.concatenate([np.full((S, n, 1), -np.inf), z], axis=2)
    upper = np.concatenate([z, np.full((S, n, 1), np.inf)], axis=2)
    # upper tails where both ends are above zero keep small upper probabilities precise
    return np.where(lower > 0, fn.sf(lower) - fn.sf(upper), fn.cdf(upper) - fn.cdf(lower))


def log_category_probabilities(thresholds: np.ndarray, eta: np.ndarray, link: str) -> np.ndarray:
    """log P(Y = k), shape (S, n, K), floored at log(1e-300)."""
    return np.log(np.maximum(category_probabilities(thresholds, eta, link), 1e-300))


# --------------------------------------------------------------------------- naming


def _step_labels(levels: tuple[str, ...]) -> list[str]:
    return [f"{lo}->{hi}" for lo, hi in zip(levels[:-1], levels[1:], strict=True)]


def parameter_table(design: Any, priors: Any) -> pd.DataFrame:
    """One row per reported parameter: its name, class, variable, index and prior.

    Names (as the ML engine's where both have them): thresholds ``"threshold[lo|hi]"``; fixed effects as the design column (``"z"``,
    ``"partner[T.business]"``); monotonic effects as the block (``"mo(x)"``); simplex shares
    ``"mo(x):simplex[1->2]"``; ``"sd(Intercept | g)"``, ``"cor(Intercept, x | g)"``; group
    effects ``"r_g[level,Intercept]"``.
    """
    rows: list[tuple[str, str, str, tuple[int, ...], str]] = []
    levels = design.outcome_levels
    for k, label in enumerate(f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:], strict=True)):
        rows.append(
            (f"threshold[{label}]", "threshold", "thresholds", (k,), priors.thresholds.describe())
        )
    for j, name in enumerate(design.X_names):
        rows.append((name, "location", "b", (j,), priors.b[j].describe()))
    for m, block in enumerate(design.mo):
        rows.append((block.name, "monotonic", "b_mo", (m,), priors.b_mo[m].describe()))
    for m, block in enumerate(design.mo):
        prior = priors.simplex[m].describe()
        for j, step in enumerate(_step_labels(block.levels)):
            rows.append((f"{block.name}:simplex[{step}]", "simplex", f"simplex_{m}", (j,), prior))
    for g, group in enumerate(design.groups):
        for c, zname in enumerate(group.Z_names):
            rows.append(
                (f"sd({zname} | {group.group})", "sd", f"sd_{g}", (c,), priors.sd[g].describe())
            )
        for c1 in range(len(group.Z_names)):
            for c0 in range(c1):
                label = f"cor({group.Z_names[c0]}, {group.Z_names[c1]} | {group.group})"
                rows.append((label, "cor", f"cor_{g}", (c0, c1), priors.cor[g].describe()))
    for g, group in enumerate(design.groups):
        q = len(group.Z_names)
        for j, level in enumerate(group.levels):
            for c, zname in enumerate(group.Z_names):
                prior = (
                    f"normal(0, sd({zname} | {group.group}))"
                    if q == 1
                    else f"multi_normal(0, Sigma | {group.group})"
                )
                rows.append((f"r_{group.group}[{level},{zname}]", "group", f"r_{g}", (j, c), prior))
    return pd.DataFrame(rows, columns=["parameter", "kind", "variable", "index", "prior"])


def flatten_parameters(posterior: Any, table: pd.DataFrame) -> np.ndarray:
    """Draws of every parameter of ``table``: array (chain, draw, n_parameters)."""
    columns = []
    for variable, index in zip(table["variable"], table["index"], strict=True):
        values = posterior[variable].to_numpy()
        columns.append(values[(slice(None), slice(None), *index)])
    return np.stack(columns, axis=-1)


# --------------------------------------------------------------------------- inference data


def _coords_dims(design: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    levels = design.outcome_levels
    coords: dict[str, Any] = {
        "threshold": [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:], strict=True)],
        "coef": list(design.X_names),
        "mo_block": [b.name for b in design.mo],
        "cell": np.arange(design.counts.shape[0]),
        "outcome": list(levels),
    }
    dims: dict[str, list[str]] = {"thresholds": ["threshold"], "b": ["coef"], "b_mo": ["mo_block"]}
    for m, block in enumerate(design.mo):
        coords[f"step_{m}"] = _step_labels(block.levels)
        dims[f"simplex_{m}"] = [f"step_{m}"]
    for g, group in enumerate(design.groups):
        coords[f"level_{g}"] = list(group.levels)
        coords[f"column_{g}"] = list(group.Z_names)
        coords[f"column_{g}_bis"] = list(group.Z_names)
        dims[f"sd_{g}"] = [f"column_{g}"]
        dims[f"r_{g}"] = [f"level_{g}", f"column_{g}"]
        dims[f"z_{g}"] = [f"level_{g}", f"column_{g}"]
        dims[f"cor_{g}"] = [f"column_{g}", f"column_{g}_bis"]
    return coords, dims


def _posterior_with_sd_cor(
    posterior: dict[str, np.ndarray], n_groups: int
) -> dict[str, np.ndarray]:
    """Name the SDs and correlations of LKJ terms like those of intercept-only terms."""
    posterior = dict(posterior)
    for g in range(n_groups):
        if f"chol_{g}_stds" in posterior:
            posterior[f"sd_{g}"] = posterior.pop(f"chol_{g}_stds")
            posterior[f"cor_{g}"] = posterior.pop(f"chol_{g}_corr")
            posterior.pop(f"chol_{g}", None)
    return posterior


def pair_log_likelihood(
    posterior: Mapping[str, np.ndarray], arrays: ModelArrays, link: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log p of every (cell, outcome) pair with a positive count, shape (chain, draw, pairs).

    Returns the log-likelihood and each pair's cell, outcome and count.
    """
    chains, draws = posterior["thresholds"].shape[:2]
    flat = {k: v.reshape(chains * draws, *v.shape[2:]) for k, v in posterior.items()}
    eta = linear_predictor(flat, arrays)
    log_p = log_category_probabilities(flat["thresholds"], eta, link)
    cell, outcome = np.nonzero(arrays.counts > 0)
    pairs = log_p[:, cell, outcome].reshape(chains, draws, cell.size)
    return pairs, cell, outcome, arrays.counts[cell, outcome]


def build_inference_data(
    posterior: dict[str, np.ndarray],
    sample_stats: dict[str, np.ndarray],
    arrays: ModelArrays,
    design: Any,
    link: str,
    attrs: Mapping[str, Any],
) -> Any:
    """ArviZ InferenceData with posterior, sample_stats, log_likelihood and observed_data."""
    import arviz as az

    posterior = _posterior_with_sd_cor(posterior, len(arrays.groups))
    coords, dims = _coords_dims(design)
    loglik, cell, outcome, count = pair_log_likelihood(posterior, arrays, link)
    coords["pair"] = np.arange(cell.size)
    dims["cell_outcome"] = ["pair"]
    return az.from_dict(
        posterior=posterior,
        sample_stats=sample_stats,
        log_likelihood={"cell_outcome": loglik},
        observed_data={"counts": arrays.counts},
        constant_data={"pair_cell": cell, "pair_outcome": outcome, "pair_count": count},
        coords=coords,
        dims={
            **dims,
            "counts": ["cell", "outcome"],
            "pair_cell": ["pair"],
            "pair_outcome": ["pair"],
            "pair_count": ["pair"],
        },
        attrs=dict(attrs),
    )


def add_predictive(
    idata: Any,
    group: str,
    draws: Mapping[str, np.ndarray],
    arrays: ModelArrays,
    link: str,
    rng: np.random.Generator,
) -> None:
    """Add simulated outcome counts per cell (same totals as observed) as ``group``.

    ``draws`` are parameter draws by (chain, draw, ...); totals of weighted cells are rounded.
    """
    import arviz as az

    chains, n_draws = draws["thresholds"].shape[:2]
    flat = {k: v.reshape(chains * n_draws, *v.shape[2:]) for k, v in draws.items()}
    probs = category_probabilities(flat["thresholds"], linear_predictor(flat, arrays), link)
    probs = np.clip(probs, 0.0, None)
    probs /= probs.sum(axis=2, keepdims=True)
    totals = np.rint(arrays.counts.sum(axis=1)).astype(np.int64)
    simulated = rng.multinomial(totals, probs).reshape(chains, n_draws, *probs.shape[1:])
    groups: dict[str, Any] = {group: {"counts": simulated}}
    extra = az.from_dict(
        **groups,
        coords={
            "cell": np.arange(arrays.n_cells),
            "outcome": list(idata.observed_data.outcome.values),
        },
        dims={"counts": ["cell", "outcome"]},
    )
    idata.extend(extra)


def _hdi(samples: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Narrowest interval holding ``prob`` of the draws, along axis 0 (ArviZ's rule)."""
    ordered = np.sort(samples, axis=0)
    n = ordered.shape[0]
    inside = int(np.floor(prob * n))
    widths = ordered[inside:] - ordered[: n - inside]
    start = np.argmin(widths, axis=0)
    columns = np.arange(ordered.shape[1])
    return ordered[start, columns], ordered[start + inside, columns]


def interval_bounds(samples: np.ndarray, prob: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed (``"eti"``) or highest-density (``"hdi"``) interval along axis 0."""
    if not isinstance(prob, float | int) or not 0 < prob < 1:
        raise SpecificationError(f"level must be between 0 and 1, e.g. 0.9; got {prob!r}")
    if kind == "hdi":
        return _hdi(samples, prob)
    if kind == "eti":
        lower, upper = np.quantile(samples, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
        return lower, upper
    raise SpecificationError(
        f"interval={kind!r} is not known; use 'eti' (equal-tailed) or 'hdi' (highest density)"
    )


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True, eq=False)
class BayesResult:
    """A fitted Bayesian cumulative-link model (immutable).

    Attributes
    ----------
    idata : arviz.InferenceData
        ``posterior``, ``sample_stats``, ``log_likelihood`` (per (cell, outcome) pair),
        ``observed_data`` (counts per cell), ``constant_data`` and, on request,
        ``prior``/``prior_predictive``/``posterior_predictive``.  With pooled reconstructions
        the chains of all reconstructions are stacked and the chain coordinate
        ``reconstruction`` says which is which.
    design : interactmodel.design.Design
        The collapsed design, with the encoding used for new data.
    link : str
    priors : interactmodel.priors.PriorSet
    parameters : DataFrame
        One row per reported parameter (name, class, variable, index, prior).
    diagnostics : dict
        Divergences, R-hat, ESS, E-BFMI, the failed checks and ``converged`` (see
        :mod:`interactmodel.diagnostics`); per reconstruction under ``"reconstructions"``.
    centered : dict
        Grouping factor -> True when its effects were sampled centred.
    sampler, draws, tune, chains, seed, target_accept
        How the posterior was sampled (draws and chains per reconstruction).
    n_reconstructions : int
        1 for an ordinary fit; M when M reconstructed data sets were pooled.
    timings : dict
        Seconds spent compiling and sampling.
    row_weights : ndarray or None
        The frequency weight of each input row (None without weights), for pointwise LOO.
    """

    idata: Any
    design: Any
    link: str
    priors: Any
    parameters: pd.DataFrame
    diagnostics: dict[str, Any]
    centered: dict[str, bool]
    sampler: str
    draws: int
    tune: int
    chains: int
    seed: int
    target_accept: float
    n_reconstructions: int = 1
    timings: dict[str, float] = field(default_factory=dict)
    row_weights: np.ndarray | None = None

    # ------------------------------------------------------------ basics

    @property
    def formula(self) -> str:
        return str(self.design.formula.formula)

    @property
    def nobs(self) -> float:
        return float(self.design.nobs)

    @property
    def engine(self) -> str:
        return "bayes"

    @cached_property
    def _values(self) -> np.ndarray:
        """(chain, draw, n_parameters) draws of the reported parameters."""
        return flatten_parameters(self.idata.posterior, self.parameters)

    @cached_property
    def _flat_draws(self) -> dict[str, np.ndarray]:
        post = self.idata.posterior
        return {
            name: post[name].to_numpy().reshape(-1, *post[name].shape[2:])
            for name in post.data_vars
        }

    @cached_property
    def _parameter_stats(self) -> pd.DataFrame:
        from interactmodel.diagnostics import parameter_diagnostics

        names = list(self.parameters["parameter"])
        if self.n_reconstructions == 1:
            return parameter_diagnostics(self._values, names)
        return _pooled_stats(self._values, names, self.n_reconstructions)

    # ------------------------------------------------------------ summaries

    def summary(self, level: float = 0.9, interval: str = "eti") -> pd.DataFrame:
        """Tidy posterior summary, one row per parameter (indexed by parameter name).

        Parameters
        ----------
        level : float
            Interval probability (0.9 gives the 5% and 95% quantiles for ``"eti"``).
        interval : {"eti", "hdi"}
            Equal-tailed or highest-density interval.

        Returns
        -------
        DataFrame
            ``kind`` (threshold, location, monotonic, simplex, sd, cor, group), ``mean``,
            ``sd``, ``lower``, ``upper``, ``mcse_mean``, ``mcse_sd``, ``ess_bulk``,
            ``ess_tail``, ``r_hat`` and ``prior`` (the prior of that parameter).  With pooled
            reconstructions ESS is summed and R-hat is the worst over reconstructions.
        """
        values = self._values.reshape(-1, self._values.shape[-1])
        lower, upper = interval_bounds(values, level, interval)
        stats = self._parameter_stats
        frame = pd.DataFrame(
            {
                "kind": self.parameters["kind"].to_numpy(),
                "mean": values.mean(axis=0),
                "sd": values.std(axis=0, ddof=1),
                "lower": lower,
                "upper": upper,
            },
            index=pd.Index(self.parameters["parameter"].to_numpy(), name="parameter"),
        )
        for column in ("mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"):
            frame[column] = stats[column].to_numpy()
        frame["prior"] = self.parameters["prior"].to_numpy()
        frame.attrs["interval"] = f"{interval} {level:.0%}"
        return frame

    @property
    def params(self) -> pd.Series:
        """Posterior means, indexed by parameter name."""
        means = self._values.reshape(-1, self._values.shape[-1]).mean(axis=0)
        return pd.Series(
            means, index=pd.Index(self.parameters["parameter"], name="parameter"), name="mean"
        )

    def draws_frame(self) -> pd.DataFrame:
        """Every draw of every reported parameter: columns ``chain``, ``draw`` and parameters."""
        chains, draws, n = self._values.shape
        frame = pd.DataFrame(
            self._values.reshape(-1, n), columns=list(self.parameters["parameter"])
        )
        frame.insert(0, "draw", np.tile(np.arange(draws), chains))
        frame.insert(0, "chain", np.repeat(np.arange(chains), draws))
        return frame

    # ------------------------------------------------------------ prediction

    def predict_proba(
        self,
        newdata: pd.DataFrame,
        level: float = 0.9,
        interval: str = "eti",
        allow_new_groups: bool = False,
        seed: int | None = None,
    ) -> pd.DataFrame:
        """Posterior mean and interval of each category probability for each row of newdata.

        Parameters
        ----------
        newdata : DataFrame
            The covariates of the model (the outcome is not needed).  Not modified.
        level : float
            Interval probability.
        interval : {"eti", "hdi"}
        allow_new_groups : bool
            If True, a grouping-factor level not seen in the fit gets group effects drawn from
            the fitted population (per draw); otherwise such a level is an error.
        seed : int, optional
            Seed of those draws.

        Returns
        -------
        DataFrame
            Tidy, as the ML result's: one row per (row of newdata, outcome level): ``row``,
            the model's covariates, ``level`` (ordered categorical), ``probability``
            (posterior mean), ``sd`` (posterior SD), ``lower``, ``upper``.
        """
        if not allow_new_groups:
            _check_seen_groups(self.design, newdata)
        cell_design = self.design.transform(newdata, allow_unseen_groups=allow_new_groups)
        sizes = tuple(len(g.levels) for g in self.design.groups)
        cells = CellArrays.from_design(cell_design, sizes)
        draws = self._flat_draws
        new_effects = new_group_effects(draws, cells, np.random.default_rng(seed))
        eta = linear_predictor(draws, cells, new_effects)
        probs = category_probabilities(draws["thresholds"], eta, self.link)  # (S, n, K)
        S, n, K = probs.shape
        flat = probs.reshape(S, n * K)
        lower, upper = interval_bounds(flat, level, interval)
        levels = list(self.design.outcome_levels)
        covariates = newdata[list(self.design.encoding.variables)].reset_index(drop=True)
        frame = covariates.iloc[np.repeat(np.arange(n), K)].reset_index(drop=True)
        frame.insert(0, "row", np.repeat(np.arange(n), K))
        frame["level"] = pd.Categorical(np.tile(levels, n), categories=levels, ordered=True)
        frame["probability"] = flat.mean(axis=0)
        frame["sd"] = flat.std(axis=0, ddof=1)
        frame["lower"], frame["upper"] = lower, upper
        frame.attrs["interval"] = f"{interval} {level:.0%}"
        return frame

    # ------------------------------------------------------------ model comparison

    def loo(self, pointwise: bool = False, scale: str = "log") -> Any:
        """PSIS-LOO of the row-level data, computed on the collapsed (cell, outcome) pairs.

        Equals ``arviz.loo`` of the log-likelihood expanded to one column per row (each row's
        column is its pair's column): PSIS acts on each column separately and the relative
        efficiency comes from the shared posterior, so the row-level values are the pair
        values repeated ``count`` times.  With frequency weights a row of weight w counts as
        w observations.

        Returns
        -------
        arviz.ELPDData
            ``elpd_loo``, ``se``, ``p_loo``, ``n_samples``, ``n_data_points`` (rows),
            ``warning``, ``scale``, ``good_k``; with ``pointwise=True`` also ``loo_i`` and
            ``pareto_k`` per observation: per row of the data, a row of whole-number weight w
            repeated w times (rows of zero weight left out), as in the expanded data.
        """
        if self.n_reconstructions > 1:
            raise FitError(
                "loo() is not defined for a fit pooled over reconstructions (each has other "
                "data); fit one reconstruction to compare models"
            )
        return _collapsed_loo(self.idata, self.design, self.row_weights, pointwise, scale)


def _check_seen_groups(design: Any, newdata: pd.DataFrame) -> None:
    from interactmodel.errors import DataError, format_values

    for group in design.groups:
        if group.group not in newdata.columns:
            continue  # design.transform names the missing column
        values = newdata[group.group].astype(object).astype(str)
        unseen = values[~values.isin(list(group.levels))]
        if len(unseen):
            raise DataError(
                f"grouping factor {group.group!r} of newdata has level(s) "
                f"{format_values(unseen.tolist())} not seen in the fit (seen: "
                f"{format_values(group.levels)}); pass allow_new_groups=True to predict them as "
                "new groups, with effects drawn from the fitted population"
            )


def new_group_effects(
    draws: Mapping[str, np.ndarray], cells: CellArrays, rng: np.random.Generator
) -> dict[int, np.ndarray]:
    """Per-draw effects of a group level not seen in the fit, drawn from the fitted population.

    Returns ``{group term: (S, q) array}`` for the terms with an unseen level (index -1).
    """
    effects = {}
    for g, group in enumerate(cells.groups):
        if (group.index >= 0).all():
            continue
        sd = draws[f"sd_{g}"]  # (S, q)
        S, q = sd.shape
        normal = rng.standard_normal((S, q))
        if q == 1:
            effects[g] = normal * sd
        else:
            chol = np.linalg.cholesky(draws[f"cor_{g}"]) * sd[:, :, None]
            effects[g] = np.einsum("sij,sj->si", chol, normal)
    return effects


def _pooled_stats(values: np.ndarray, names: list[str], n_reconstructions: int) -> pd.DataFrame:
    """Per-reconstruction diagnostics combined: ESS summed, R-hat worst, MCSE of the mean."""
    from interactmodel.diagnostics import parameter_diagnostics

    parts = np.split(values, n_reconstructions, axis=0)
    tables = [parameter_diagnostics(part, names) for part in parts]
    stacked = {c: np.stack([t[c].to_numpy() for t in tables]) for c in tables[0].columns}
    return pd.DataFrame(
        {
            # the pooled mean is the average of M independent per-reconstruction means
            "mcse_mean": np.sqrt((stacked["mcse_mean"] ** 2).sum(axis=0)) / n_reconstructions,
            "mcse_sd": np.sqrt((stacked["mcse_sd"] ** 2).sum(axis=0)) / n_reconstructions,
            "ess_bulk": stacked["ess_bulk"].sum(axis=0),
            "ess_tail": stacked["ess_tail"].sum(axis=0),
            "r_hat": np.nanmax(stacked["r_hat"], axis=0),
        },
        index=pd.Index(names, name="parameter"),
    )


def _collapsed_loo(
    idata: Any, design: Any, row_weights: np.ndarray | None, pointwise: bool, scale: str
) -> Any:
    import arviz as az
    import xarray as xr
    from arviz.stats.stats_utils import ELPDData
    from scipy.special import logsumexp

    pairs = az.loo(idata, pointwise=True, var_name="cell_outcome", scale=scale)
    scale_value = {"log": 1.0, "negative_log": -1.0, "deviance": -2.0}[scale]
    count = idata.constant_data["pair_count"].to_numpy()
    loo_i = pairs["loo_i"].to_numpy()
    loglik = idata.log_likelihood["cell_outcome"].to_numpy()
    n_samples = loglik.shape[0] * loglik.shape[1]
    lppd_i = logsumexp(loglik.reshape(n_samples, -1), axis=0) - np.log(n_samples)
    n_total = count.sum()
    elpd = float(np.sum(count * loo_i))
    mean = elpd / n_total
    se = float(np.sqrt(n_total * np.sum(count * (loo_i - mean) ** 2) / n_total))
    p_loo = float(np.sum(count * lppd_i) - elpd / scale_value)
    n_points = int(n_total) if float(n_total).is_integer() else float(n_total)
    data = [elpd, se, p_loo, n_samples, n_points, bool(pairs["warning"])]
    index = ["elpd_loo", "se", "p_loo", "n_samples", "n_data_points", "warning"]
    if pointwise:
        pair_of_row = _pair_of_row(idata, design, row_weights)
        data += [
            xr.DataArray(loo_i[pair_of_row], dims=["observation"], name="loo_i"),
            xr.DataArray(pairs["pareto_k"].to_numpy()[pair_of_row], dims=["observation"]),
        ]
        index += ["loo_i", "pareto_k"]
    data += [pairs["scale"], pairs["good_k"]]
    index += ["scale", "good_k"]
    return ELPDData(data=data, index=index)


def _pair_of_row(idata: Any, design: Any, row_weights: np.ndarray | None) -> np.ndarray:
    """Index of the (cell, outcome) pair of each observation, in row order.

    A row of whole-number frequency weight w stands for w observations (as in the expanded
    data); rows of zero weight are left out.
    """
    cell = idata.constant_data["pair_cell"].to_numpy()
    outcome = idata.constant_data["pair_outcome"].to_numpy()
    K = len(design.outcome_levels)
    lookup = np.full(design.counts.shape[0] * K, -1, dtype=np.int64)
    lookup[cell * K + outcome] = np.arange(cell.size)
    rows = np.flatnonzero(design.row_cell >= 0)
    pair = lookup[design.row_cell[rows] * K + design.row_outcome[rows]]
    if row_weights is None:
        return pair
    weights = np.asarray(row_weights, dtype=float)[rows]
    if not np.all(weights == np.round(weights)):
        raise FitError(
            "pointwise LOO needs whole-number frequency weights (each row is then that many "
            "observations); use loo(pointwise=False) for the totals of non-integer weights"
        )
    return np.repeat(pair, weights.astype(np.int64))
