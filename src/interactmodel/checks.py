"""Every published figure the package can derive, recomputed and compared with the model.

:func:`article_checks` returns one row per check: each cell of Tables 1 and 2, their row sums,
the Figure 3-4 curves and the "sum is 200" statement, the Conclusions' 33.5% and 36.5%, the
text's shares of positive (and negative, mixed) ratings, the "more than 50%" statements and
the text-versus-table contradictions.  :func:`posterior_predictive_tables` replicates Tables 1
and 2 from a fitted model.

Columns
-------
``recomputed`` is the value recomputed from the embedded data: from the reconstructions when
they are given (the mean over them, with ``recomputed_min``/``recomputed_max``), otherwise from
the printed tables when the figure is a function of them (NaN when it needs the unpublished row
sizes).  ``feasible_min``/``feasible_max`` give, for shares of all 245 NGOs, the exact range
that any integer table printing as the article's table allows (from the row sizes of
:func:`interactmodel.audit.audit_table`, at the smallest tolerance that lets the table fit 245
NGOs at all).  ``model`` is the model-implied value with ``lower``/``upper``: for a Bayesian
fit the posterior predictive distribution of the figure in replicated tables (each replicate
re-draws every NGO's rating given its covariates, so frequency column sizes stay those of the
data and rating row sizes vary); for an ML fit the figure in the *expected* table at the
estimate, with an interval from parameter draws (asymptotic normal), without sampling noise.

Verdicts (first rule that applies)
----------------------------------
``contradicts_article``
    The article's own numbers rule the figure out: a text share that no integer table printing
    as the article's table (at the tolerance above) can meet; two printed values of the same
    quantity that cannot both hold; an "X%" or "more than X%" statement that is false in the
    printed figure it rests on, in the exact feasible range, or in every reconstruction.
``reproduced``
    The recomputed value, rounded half-up to the printed decimals, equals the published one
    (in every reconstruction), or a "more than" statement holds (in every reconstruction).
``within_rounding``
    The recomputed value is within the printing slack of the published one: half a printing
    unit plus the table's tolerance per printed cell that enters the figure (divided by the
    number of values averaged), in every reconstruction.
``within_interval`` / ``outside_interval``
    Otherwise: whether the published value lies in the model's interval (or, without a model,
    in the range of the reconstructions); for "more than X%", whether the interval reaches
    above X.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from interactmodel import article
from interactmodel.errors import DataError

__all__ = [
    "VERDICTS",
    "article_checks",
    "posterior_predictive_tables",
    "replicated_tables",
]

VERDICTS = (
    "reproduced",
    "within_rounding",
    "within_interval",
    "outside_interval",
    "contradicts_article",
)
_Q = article.QUALITY_LEVELS
_POSITIVE, _NEGATIVE, _MIXED = (3, 4), (0, 1), (2,)
_TABLE = {"state": "Table 1", "business": "Table 2"}

Tables = dict[str, np.ndarray]  # partner -> (draws, 5 quality, 5 frequency) counts


# --------------------------------------------------------------------------- quantities


def _row_percent(t: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * t / t.sum(axis=2, keepdims=True)


def _cell(p: str, q: int, f: int) -> Callable[[Tables], np.ndarray]:
    return lambda t: _row_percent(t[p])[:, q, f]


def _row_sum(p: str, q: int) -> Callable[[Tables], np.ndarray]:
    return lambda t: _row_percent(t[p])[:, q, :].sum(axis=1)


def _curve(p: str, rows: tuple[int, ...], cols: Sequence[int]) -> Callable[[Tables], np.ndarray]:
    """Mean over ``cols`` of the sum of the row percentages of ``rows`` (a Figure 3-4 value)."""
    return lambda t: _row_percent(t[p])[:, list(rows)][:, :, list(cols)].sum(axis=1).mean(axis=1)


def _curve_total(p: str, rows: tuple[int, ...]) -> Callable[[Tables], np.ndarray]:
    return lambda t: _row_percent(t[p])[:, list(rows)].sum(axis=(1, 2))


def _share(p: str, rows: tuple[int, ...], cols: Sequence[int] = range(5)) -> Callable:
    """Percent of the NGOs in ``cols`` whose rating is in ``rows`` (needs row sizes)."""

    def value(t: Tables) -> np.ndarray:
        inside = t[p][:, :, list(cols)]
        with np.errstate(invalid="ignore", divide="ignore"):
            return 100 * inside[:, list(rows)].sum(axis=(1, 2)) / inside.sum(axis=(1, 2))

    return value


def _row_part(p: str, q: int, cols: Sequence[int]) -> Callable[[Tables], np.ndarray]:
    """Sum of some row percentages of one row (the text's '13% = 2 + 11')."""
    return lambda t: _row_percent(t[p])[:, q, list(cols)].sum(axis=1)


def _constant(value: float) -> Callable[[Tables], np.ndarray]:
    """A printed number that does not depend on the data (one value per table draw)."""
    return lambda t: np.full(next(iter(t.values())).shape[0], value)


def _column_share(p: str, cols: Sequence[int]) -> Callable[[Tables], np.ndarray]:
    return lambda t: 100 * t[p][:, :, list(cols)].sum(axis=(1, 2)) / t[p].sum(axis=(1, 2))


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class _Spec:
    check: str
    source: str
    partner: str
    published: float
    value: Callable[[Tables], np.ndarray]
    from_table: bool
    decimals: int = 0
    qualifier: str = "exact"
    cells: int = 1
    averaged: int = 1
    share_rows: tuple[int, ...] | None = None  # a share of all NGOs: exact feasible range
    contradiction: str | None = None
    note: str = ""
    printed_only: bool = False  # about the printed numbers themselves: no data, no model


def _freq_index(partner: str, codes: Sequence[str]) -> list[int]:
    return [article.FREQUENCY_LEVELS[partner].index(c) for c in codes]


def _table_specs() -> list[_Spec]:
    specs = []
    for partner in article.PARTNERS:
        matrix, table = article.table_matrix(partner), _TABLE[partner]
        for q, quality in enumerate(_Q):
            for f, frequency in enumerate(article.FREQUENCY_LEVELS[partner]):
                specs.append(
                    _Spec(
                        f"{table} cell [{quality}, {frequency}]",
                        table,
                        partner,
                        float(matrix.loc[quality, frequency]),
                        _cell(partner, q, f),
                        True,
                        note="row percent P(frequency | rating)",
                    )
                )
        for q, quality in enumerate(_Q):
            specs.append(
                _Spec(
                    f"{table} row sum [{quality}]",
                    table,
                    partner,
                    100.0,
                    _row_sum(partner, q),
                    True,
                    cells=5,
                    note="row percentages add up to 100 (printed sum "
                    f"{matrix.loc[quality].sum():g})",
                )
            )
    return specs


def _figure_specs() -> list[_Spec]:
    from interactmodel.trends import CURVE_ROWS, article_curves

    specs = []
    for partner, figure in (("state", "Figure 3"), ("business", "Figure 4")):
        curves = article_curves(partner)
        for curve, rows in CURVE_ROWS.items():
            index = tuple(_Q.index(r) for r in rows)
            part = curves[curves["curve"] == curve]
            for _, row in part.iterrows():
                f = int(row["frequency_rank"]) - 1
                specs.append(
                    _Spec(
                        f"{figure} {curve} curve [{row['frequency']}]",
                        f"{figure}; {_TABLE[partner]} rows {'+'.join(str(i + 1) for i in index)}",
                        partner,
                        float(row["percent"]),
                        _curve(partner, index, [f]),
                        True,
                        cells=2,
                        note="sum of two row percentages (the figure's value, read from the table)",
                    )
                )
            specs.append(
                _Spec(
                    f"{figure} {curve} curve sums to 200",
                    f"{figure}; text: 'the sum of the percentages is 200'",
                    partner,
                    200.0,
                    _curve_total(partner, index),
                    True,
                    cells=10,
                    note="true by construction: two rows of 100% each",
                )
            )
    return specs


def _conclusion_specs() -> list[_Spec]:
    figures = article.text_figures().set_index("figure_id")
    cols = _freq_index("business", ("annually", "regular"))
    specs = []
    for figure_id, curve, rows in (
        ("positive_business_frequent_contacts", "positive", _POSITIVE),
        ("complex_business_frequent_contacts", "negative", _NEGATIVE),
    ):
        published = float(figures.loc[figure_id, "value"])
        specs.append(
            _Spec(
                f"{figure_id}: Figure 4 {curve} curve averaged over annually, regular",
                "Conclusions; Figure 4; Table 2",
                "business",
                published,
                _curve("business", rows, cols),
                True,
                decimals=1,
                cells=4,
                averaged=2,
                note="mean of the two column sums, as the article computes it",
            )
        )
        specs.append(
            _Spec(
                f"{figure_id}: read as P({curve} | annually or regular)",
                "Conclusions (wording: 'share ... among frequent contacts')",
                "business",
                published,
                _share("business", rows, cols),
                False,
                decimals=1,
                note="the share of such ratings among NGOs with annual or regular contacts, "
                "which the wording suggests; needs the row sizes",
            )
        )
    return specs


def _mixed_row_specs() -> list[_Spec]:
    """Results: the 'varying success' group (Table 2 row 3) by contact, as printed."""
    figures = article.text_figures().set_index("figure_id")
    specs = []
    for figure_id in (
        "mixed_business_no_contracts",
        "mixed_business_two_three_contracts",
        "mixed_business_annually",
        "mixed_business_two_per_year",
    ):
        codes = str(figures.loc[figure_id, "category"]).split("+")
        cols = _freq_index("business", codes)
        specs.append(
            _Spec(
                f"{figure_id} (Table 2 row 3, {' + '.join(codes)})",
                "Results; Table 2",
                "business",
                float(figures.loc[figure_id, "value"]),
                _row_part("business", 2, cols),
                True,
                cells=len(cols),
            )
        )
    return specs


_SHARES = (
    # figure id, partner, rows, qualifier; shares of all 245 NGOs' ratings of the partner
    ("positive_state_results", "state", _POSITIVE),
    ("positive_state_sample", "state", _POSITIVE),
    ("positive_state_discussion", "state", _POSITIVE),
    ("positive_state_conclusions", "state", _POSITIVE),
    ("positive_business_results", "business", _POSITIVE),
    ("positive_business_conclusions_32", "business", _POSITIVE),
    ("positive_business_conclusions_34", "business", _POSITIVE),
    ("business_negative_results", "business", _NEGATIVE),
    ("business_mixed_results", "business", _MIXED),
)


def _share_specs() -> list[_Spec]:
    figures = article.text_figures().set_index("figure_id")
    specs = []
    for figure_id, partner, rows in _SHARES:
        printed = str(figures.loc[figure_id, "value_printed"]).rstrip("%").replace(",", ".")
        qualifier = str(figures.loc[figure_id, "qualifier"])
        specs.append(
            _Spec(
                f"{figure_id}: share of {partner} ratings in rows "
                f"{'+'.join(str(r + 1) for r in rows)}",
                str(figures.loc[figure_id, "section"]),
                partner,
                float(figures.loc[figure_id, "value"]),
                _share(partner, rows),
                False,
                decimals=len(printed.partition(".")[2]),
                qualifier="more_than" if qualifier == "more_than" else "exact",
                share_rows=rows,
                note=str(figures.loc[figure_id, "wording"]),
            )
        )
    for first, second, partner in (
        ("positive_state_results", "positive_state_sample", "state"),
        ("positive_business_results", "positive_business_conclusions_32", "business"),
    ):
        a, b = (float(figures.loc[i, "value"]) for i in (first, second))
        specs.append(
            _Spec(
                f"{first} ({a:g}%) vs {second} ({b:g}%)",
                "text vs text",
                partner,
                b,
                _constant(a),
                True,
                decimals=1,
                contradiction=f"two printed values of the share of positive {partner} ratings: "
                f"{a:g}% and {b:g}% of the same 245 NGOs cannot both hold",
                note="recomputed = the other printed value",
                printed_only=True,
            )
        )
    return specs


def _statement_specs() -> list[_Spec]:
    """Conclusions: 'more than 50%' rate the state 'rather good' among monthly, quarterly and
    six-monthly contacts: as Figure 3 values, per subgroup and pooled."""
    codes = ("once_a_month", "once_a_quarter", "every_six_months")
    specs = []
    for code in codes:
        f = _freq_index("state", [code])
        specs.append(
            _Spec(
                f"positive_state_frequent_subgroups: Figure 3 positive curve [{code}] > 50",
                "Conclusions vs Figure 3",
                "state",
                50.0,
                _curve("state", _POSITIVE, f),
                True,
                qualifier="more_than",
                cells=2,
                note="the statement as the figure shows it (sum of rows 4+5 row percentages)",
                printed_only=True,
            )
        )
        specs.append(
            _Spec(
                f"positive_state_frequent_subgroups: P(positive | {code}) > 50%",
                "Conclusions",
                "state",
                50.0,
                _share("state", _POSITIVE, f),
                False,
                qualifier="more_than",
                note="the statement as worded: share rating 'rather good' in the subgroup",
            )
        )
    cols = _freq_index("state", codes)
    specs.append(
        _Spec(
            "positive_state_frequent_subgroups: P(positive | monthly, quarterly or six-monthly) "
            "> 50%",
            "Conclusions",
            "state",
            50.0,
            _share("state", _POSITIVE, cols),
            False,
            qualifier="more_than",
            note="the three subgroups pooled",
        )
    )
    for figure_id in ("business_no_experience_results", "business_negotiating_conclusions"):
        published = float(article.text_figures().set_index("figure_id").loc[figure_id, "value"])
        specs.append(
            _Spec(
                f"{figure_id}: share of NGOs with no business contact / negotiating",
                "Results; Conclusions",
                "business",
                published,
                _column_share("business", _freq_index("business", ["none_or_negotiating"])),
                False,
                note="the 'Missing/ under negotiation' column's share of all NGOs",
            )
        )
    return specs


def _sample_specs(tolerance: dict[str, float]) -> list[_Spec]:
    specs = []
    for partner in article.PARTNERS:
        audit = _audit(partner, 0.0)
        table = _TABLE[partner]
        specs.append(
            _Spec(
                f"{table} prints as a table of 245 NGOs (half-up rounding)",
                f"{table} note: 'a sociological survey of 245 NGOs'",
                partner,
                245.0,
                _constant(float(audit.smallest_consistent_total or np.nan)),
                True,
                contradiction=None if audit.consistent_at_stated_n else audit.verdict,
                note=f"recomputed = smallest consistent total; reconstructions use a tolerance "
                f"of {tolerance[partner]:g} pp",
                printed_only=True,
            )
        )
    return specs


# --------------------------------------------------------------------------- audit ranges


@cache
def _audit(partner: str, tolerance: float) -> Any:
    from interactmodel.audit import audit_table

    return audit_table(
        article.table_matrix(partner),
        stated_n=article.SAMPLE_SIZE,
        tolerance=tolerance,
        name=f"{_TABLE[partner]} ({partner})",
    )


@cache
def _reachable(partner: str, tolerance: float, rows: tuple[int, ...]) -> frozenset[int]:
    """Every count of NGOs in ``rows`` that some table of 245 printing as the article's has."""
    sizes = _audit(partner, tolerance).row_sizes
    n = article.SAMPLE_SIZE
    reach = np.zeros((n + 1, n + 1), dtype=bool)  # [total so far, in rows so far]
    reach[0, 0] = True
    for r in range(5):
        feasible = sizes[(sizes["row"] == r + 1) & sizes["feasible"]]["n"].to_numpy()
        new = np.zeros_like(reach)
        for size in feasible:
            shifted = np.zeros_like(reach)
            inside = size if r in rows else 0
            shifted[size:, inside:] = reach[: n + 1 - size, : n + 1 - inside]
            new |= shifted
        reach = new
    return frozenset(int(c) for c in np.flatnonzero(reach[n]))


def _smallest_tolerance(partner: str) -> float:
    return float(_audit(partner, 0.0).smallest_tolerance_pp or 0.0)


# --------------------------------------------------------------------------- replicated tables


def _covariate_counts(result: Any, reconstructions: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """Unique covariate rows (with partner and frequency) and their counts per data set (M, U)."""
    if reconstructions is not None:
        frame = (
            reconstructions.to_frame() if hasattr(reconstructions, "to_frame") else reconstructions
        )
        if "reconstruction" not in frame.columns:
            frame = frame.assign(reconstruction=1)
    else:
        frame = result.design.cells.copy()
        frame["reconstruction"] = 1
        frame["_n"] = result.design.counts.sum(axis=1)
    needed = [v for v in result.design.encoding.variables if v in frame.columns]
    if "frequency" not in frame.columns:
        raise DataError(
            "replicating Tables 1-2 needs each NGO's contact frequency: the model has no "
            "'frequency' covariate, so pass the reconstructions (reconstructions=...)"
        )
    keys = list(dict.fromkeys([*needed, "frequency"]))
    weight = frame["_n"] if "_n" in frame.columns else pd.Series(1.0, index=frame.index)
    grouped = (
        frame.assign(_n=weight)
        .groupby([*keys, "reconstruction"], observed=True, sort=True)["_n"]
        .sum()
        .unstack("reconstruction", fill_value=0.0)
    )
    cells = grouped.index.to_frame(index=False)
    for name in keys:
        cells[name] = cells[name].astype(frame[name].dtype)
    return cells, grouped.to_numpy().T


def replicated_tables(
    result: Any,
    reconstructions: Any = None,
    n_draws: int | None = 400,
    seed: int | None = 0,
    predictive: str | None = None,
) -> tuple[Tables, Tables]:
    """Tables 1 and 2 (counts) implied by a fitted model for the data's covariates.

    Parameters
    ----------
    result : MLResult or BayesResult
    reconstructions : Reconstructions or DataFrame, optional
        Whose covariates (frequency, region, ...) the replicates use, draw s using data set
        ``s mod M``; default the covariate cells of the fitted data.
    n_draws, seed
        Parameter draws (see :func:`interactmodel.predicted.probability_draws`) and the seed of
        the draws and of the simulated ratings.
    predictive : {"posterior", "fitted"}, optional
        ``"posterior"``: each NGO's rating drawn from its predicted probabilities (posterior
        predictive replicates; default for Bayes).  ``"fitted"``: expected counts (default for
        ML).

    Returns
    -------
    (draws, point) : dict, dict
        partner -> array (S, 5 quality, 5 frequency) of counts per draw, and partner -> array
        (M, 5, 5) of expected counts at the point estimate (ML) or posterior-mean probabilities
        (Bayes), one per data set.  Partners whose frequency scale the model does not know are
        left out.
    """
    from interactmodel.predicted import fitted_probabilities, probability_draws

    predictive = predictive or ("posterior" if result.engine == "bayes" else "fitted")
    cells, counts = _covariate_counts(result, reconstructions)
    re = "group" if result.design.groups else "population"
    probs = probability_draws(result, cells, n_draws=n_draws, seed=seed, re=re)
    point = fitted_probabilities(result, cells, re=re)
    S, M = probs.shape[0], counts.shape[0]
    n = counts[np.arange(S) % M]  # (S, U): the data set of each draw
    if predictive == "posterior":
        rng = np.random.default_rng(None if seed is None else seed + 7)
        p = probs / probs.sum(axis=2, keepdims=True)
        simulated = rng.multinomial(np.rint(n).astype(np.int64), p).astype(float)
    else:
        simulated = n[:, :, None] * probs
    expected = counts[:, :, None] * point[None]
    draws, points = {}, {}
    frequency = cells["frequency"].astype(object).to_numpy()
    for partner, levels in article.FREQUENCY_LEVELS.items():
        onehot = (frequency[:, None] == np.array(levels, dtype=object)[None, :]).astype(float)
        if not onehot.any():
            continue
        draws[partner] = np.einsum("suk,uf->skf", simulated, onehot)
        points[partner] = np.einsum("muk,uf->mkf", expected, onehot)
    return draws, points


def posterior_predictive_tables(
    result: Any,
    reconstructions: Any = None,
    level: float = 0.9,
    n_draws: int | None = 400,
    seed: int | None = 0,
    predictive: str | None = None,
) -> pd.DataFrame:
    """Replicated row percentages of Tables 1 and 2 against the printed ones.

    Returns
    -------
    DataFrame
        One row per (partner, quality, frequency): ``table``, ``partner``, ``quality``,
        ``frequency``, ``published``, ``model`` (mean of the replicates), ``lower``, ``upper``
        (equal-tailed ``level`` interval), ``p_value`` (two-sided predictive p-value,
        ``2 * min(P(rep <= published), P(rep >= published))``, capped at 1) and ``inside``.
    """
    draws, _ = replicated_tables(result, reconstructions, n_draws, seed, predictive)
    tail = (1 - level) / 2
    rows = []
    for partner, counts in draws.items():
        matrix = article.table_matrix(partner)
        percent = _row_percent(counts)
        lower, upper = np.nanquantile(percent, [tail, 1 - tail], axis=0)
        mean = np.nanmean(percent, axis=0)
        for q, quality in enumerate(_Q):
            for f, frequency in enumerate(article.FREQUENCY_LEVELS[partner]):
                printed = float(matrix.loc[quality, frequency])
                values = percent[:, q, f][~np.isnan(percent[:, q, f])]
                below, above = np.mean(values <= printed), np.mean(values >= printed)
                rows.append(
                    {
                        "table": _TABLE[partner],
                        "partner": partner,
                        "quality": quality,
                        "frequency": frequency,
                        "published": printed,
                        "model": mean[q, f],
                        "lower": lower[q, f],
                        "upper": upper[q, f],
                        "p_value": min(1.0, 2 * min(below, above)),
                        "inside": bool(lower[q, f] <= printed <= upper[q, f]),
                    }
                )
    out = pd.DataFrame(rows)
    out.attrs["predictive"] = predictive or ("posterior" if result.engine == "bayes" else "fitted")
    return out


# --------------------------------------------------------------------------- verdicts


def _rounds_to(values: np.ndarray, published: float, decimals: int) -> bool:
    scale = 10**decimals
    return bool(np.all(np.floor(values * scale + 0.5 + 1e-9) / scale == published))


def _verdict(
    spec: _Spec,
    recomputed: np.ndarray | None,
    feasible: frozenset[int] | None,
    interval: tuple[float, float] | None,
    tolerance: float,
) -> str:
    if spec.contradiction:
        return "contradicts_article"
    published = spec.published
    values = None if recomputed is None else recomputed[~np.isnan(recomputed)]
    if spec.qualifier == "more_than":
        n = article.SAMPLE_SIZE
        if feasible is not None and max(feasible) * 100 / n <= published:
            return "contradicts_article"
        if values is not None and values.size and np.all(values > published):
            return "reproduced"
        if values is not None and values.size and np.all(values <= published):
            return "contradicts_article"
        if interval is None:
            return "outside_interval"
        return "within_interval" if interval[1] > published else "outside_interval"
    if feasible is not None and not _share_feasible(spec, feasible):
        return "contradicts_article"
    if values is not None and values.size:
        if _rounds_to(values, published, spec.decimals):
            return "reproduced"
        slack = spec.cells * (0.5 * 10**-spec.decimals + tolerance) / spec.averaged
        if np.all(np.abs(values - published) <= slack + 1e-9):
            return "within_rounding"
    if interval is None:
        return "outside_interval"
    lo, hi = interval
    return "within_interval" if lo <= published <= hi else "outside_interval"


def _share_feasible(spec: _Spec, feasible: frozenset[int]) -> bool:
    from interactmodel.feasibility import count_bounds

    units = round(spec.published * 10**spec.decimals)
    lo, hi = count_bounds(units, article.SAMPLE_SIZE, decimals=spec.decimals)
    return any(lo <= c <= hi for c in feasible)


# --------------------------------------------------------------------------- article_checks


def _all_specs(tolerance: dict[str, float]) -> list[_Spec]:
    return [
        *_table_specs(),
        *_figure_specs(),
        *_conclusion_specs(),
        *_mixed_row_specs(),
        *_share_specs(),
        *_statement_specs(),
        *_sample_specs(tolerance),
    ]


def _printed_tables() -> Tables:
    return {p: article.table_matrix(p).to_numpy(dtype=float)[None] for p in article.PARTNERS}


def article_checks(
    result: Any = None,
    reconstructions: Any = None,
    level: float = 0.9,
    n_draws: int | None = 400,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Every published figure the package can derive: published, recomputed, model, verdict.

    Parameters
    ----------
    result : MLResult or BayesResult, optional
        A model fitted to (reconstructed) respondent-level data with the conventions' columns
        (``quality`` ~ ``frequency``, ``partner``, ...).  Without it the model columns are NaN.
    reconstructions : Reconstructions, optional
        Reconstructed data sets (:func:`interactmodel.reconstruct.reconstruct`): the recomputed
        values, and the covariates of the model's replicated tables.
    level : float
        Probability of the model interval.
    n_draws, seed
        Model draws (see :func:`replicated_tables`).

    Returns
    -------
    DataFrame
        One row per check that the inputs allow (figures that need the unpublished row sizes,
        such as P(positive | frequency), appear only with reconstructions or a model):
        ``check``, ``source``, ``partner``, ``published``, ``qualifier``, ``recomputed``,
        ``recomputed_min``, ``recomputed_max``, ``feasible_min``, ``feasible_max``, ``model``,
        ``lower``, ``upper``, ``verdict`` (one of :data:`VERDICTS`, rules in the module
        docstring) and ``note``.

    Examples
    --------
    >>> table = article_checks().set_index("check")
    >>> row = table.loc["Figure 3 positive curve sums to 200"]
    >>> float(row["recomputed"]), row["verdict"]
    (200.0, 'reproduced')
    >>> table.loc["positive_state_sample: share of state ratings in rows 4+5", "verdict"]
    'contradicts_article'
    """
    from interactmodel.predicted import _check_level

    level = _check_level(level)
    tolerance = (
        dict(reconstructions.tolerance_pp)
        if reconstructions is not None and hasattr(reconstructions, "tolerance_pp")
        else {p: _smallest_tolerance(p) for p in article.PARTNERS}
    )
    printed = _printed_tables()
    recs = (
        {p: np.asarray(reconstructions.counts[p], dtype=float) for p in article.PARTNERS}
        if reconstructions is not None and hasattr(reconstructions, "counts")
        else None
    )
    model_draws: Tables = {}
    model_points: Tables = {}
    if result is not None:
        model_draws, model_points = replicated_tables(result, reconstructions, n_draws, seed)
    tail = (1 - level) / 2
    rows = []
    for spec in _all_specs(tolerance):
        recomputed: np.ndarray | None
        if spec.printed_only:
            recomputed = spec.value(printed)
        elif recs is not None:
            recomputed = spec.value(recs)
        else:
            recomputed = spec.value(printed) if spec.from_table else None
        feasible = (
            _reachable(spec.partner, tolerance[spec.partner], spec.share_rows)
            if spec.share_rows is not None
            else None
        )
        model = lower = upper = np.nan
        interval = None
        if spec.partner in model_draws and not spec.printed_only:
            values = spec.value({spec.partner: model_draws[spec.partner]})
            point = spec.value({spec.partner: model_points[spec.partner]})
            # Bayes: mean of the posterior predictive; ML: the expected table at the estimate
            model = float(np.nanmean(values if result.engine == "bayes" else point))
            lower, upper = (float(v) for v in np.nanquantile(values, [tail, 1 - tail]))
            interval = (lower, upper)
        elif recomputed is not None and recs is not None and recomputed.size > 1:
            interval = (float(np.nanmin(recomputed)), float(np.nanmax(recomputed)))
        if recomputed is None and feasible is None and interval is None and not spec.contradiction:
            continue  # needs row sizes: derivable only from reconstructions or a model
        verdict = _verdict(spec, recomputed, feasible, interval, tolerance[spec.partner])
        rows.append(
            {
                "check": spec.check,
                "source": spec.source,
                "partner": spec.partner,
                "published": spec.published,
                "qualifier": spec.qualifier,
                "recomputed": _stat(recomputed, np.nanmean),
                "recomputed_min": _stat(recomputed, np.nanmin),
                "recomputed_max": _stat(recomputed, np.nanmax),
                "feasible_min": _percent(feasible, min),
                "feasible_max": _percent(feasible, max),
                "model": model,
                "lower": lower,
                "upper": upper,
                "verdict": verdict,
                "note": spec.contradiction or spec.note,
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["tolerance_pp"] = tolerance
    out.attrs["model"] = (
        None if result is None else "posterior predictive" if result.engine == "bayes" else "fitted"
    )
    return out


def _stat(values: np.ndarray | None, fn: Callable[[np.ndarray], Any]) -> float:
    if values is None or values.size == 0 or np.all(np.isnan(values)):
        return np.nan
    return float(fn(values))


def _percent(feasible: frozenset[int] | None, fn: Callable[[frozenset[int]], int]) -> float:
    if not feasible:
        return np.nan
    return float(Fraction(100 * fn(feasible), article.SAMPLE_SIZE))
