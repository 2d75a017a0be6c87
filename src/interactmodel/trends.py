"""The article's Figure 3 and Figure 4 curves, their polynomial trends, and the model's curves.

What the article drew
---------------------
Tables 1 and 2 are *row* percentages: row r (a quality rating) gives the distribution of contact
frequency among the NGOs that gave that rating, ``P(frequency | rating)``.  Figure 3 (state)
plots, for each frequency column, the sum of rows 1 + 2 ("rather negative") and the sum of rows
4 + 5 ("rather positive") of Table 1, with polynomial trend lines; each curve adds up to 200
over the five columns because each row adds up to 100.  Figure 4 (business) does the same with
Table 2, and the Conclusions' "33.5%" and "36.5%" are the averages of the rows 4 + 5 and rows
1 + 2 sums over the "Annually" and "Regular contacts" columns.

What a reader wants instead
---------------------------
"How likely is a positive rating at a given contact frequency?" is ``P(rating | frequency)``.
It is not a sum of row percentages: turning ``P(frequency | rating)`` around needs the number of
NGOs behind each row (Bayes' rule, ``P(r | f) = P(f | r) n_r / sum_r' P(f | r') n_r'``), and
the article does not print the row sizes.  :func:`model_curves` gives it from a fitted model
(with 50% and 90% intervals), and :func:`reconstructed_curves` from reconstructed data sets
(whose row sizes are consistent with the printed percentages).  :data:`EXPLANATION` says this
in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from interactmodel import article
from interactmodel.errors import DataError, SpecificationError, format_values

__all__ = [
    "CURVE_ROWS",
    "EXPLANATION",
    "FIGURE4_AVERAGE_COLUMNS",
    "article_curves",
    "curve_sums",
    "figure4_averages",
    "model_curves",
    "polynomial_trend",
    "reconstructed_curves",
    "trend_frame",
    "trend_lines",
]

#: Which quality rows each curve sums (Table rows 1 + 2 and rows 4 + 5).
CURVE_ROWS: dict[str, tuple[str, ...]] = {
    "negative": ("definitely_bad", "rather_bad"),
    "positive": ("rather_good", "definitely_good"),
}
#: The Table 2 columns whose average gives the Conclusions' 33.5% and 36.5%.
FIGURE4_AVERAGE_COLUMNS = ("annually", "regular")
_FIGURES = {"state": "Figure 3", "business": "Figure 4"}

EXPLANATION = (
    "The article's curves add up row percentages of Tables 1 and 2. Each row of those tables "
    "describes the NGOs that gave one rating and says how often they were in contact, "
    "P(frequency | rating). Summing rows 1 and 2 at a frequency therefore does not give the "
    "share of negative ratings among NGOs with that frequency: it adds two percentages of two "
    "different groups, which is why each curve always adds up to 200 over the five "
    "frequencies, whatever the data. The question the curves seem to answer - among NGOs in "
    "contact once a month, what share rate the relationship positively? - is P(rating | "
    "frequency). Answering it needs the number of NGOs behind each rating, which the article "
    "does not print. The model curves estimate P(rating | frequency) directly from (reconstructed) "
    "respondent-level data, with intervals that carry the sampling uncertainty and, when fitted "
    "to several reconstructions, the uncertainty about which data set the article had."
)


# --------------------------------------------------------------------------- article curves


def _check_partner(partner: object) -> str:
    if partner not in article.PARTNERS:
        raise SpecificationError(
            f"partner={partner!r} is not known; use one of {format_values(article.PARTNERS)}"
        )
    return str(partner)


def _frequency_frame(partner: str) -> pd.DataFrame:
    table = article.table1() if partner == "state" else article.table2()
    columns = table.drop_duplicates("frequency").sort_values("frequency_rank")
    return columns[["frequency", "frequency_rank", "frequency_label"]].reset_index(drop=True)


def article_curves(partner: str) -> pd.DataFrame:
    """The Figure 3 (state) or Figure 4 (business) curves, recomputed from Table 1 or 2.

    Parameters
    ----------
    partner : {"state", "business"}

    Returns
    -------
    DataFrame
        One row per (curve, frequency column): ``partner``, ``figure``, ``curve``
        ("negative" = rows 1 + 2, "positive" = rows 4 + 5), ``frequency`` (code),
        ``frequency_rank`` (1..5, the x of the trend lines), ``frequency_label`` (as printed)
        and ``percent`` (sum of the two row percentages).

    Examples
    --------
    >>> curves = article_curves("state")
    >>> curves.query("curve == 'positive'")["percent"].tolist()
    [5.0, 34.0, 50.0, 58.0, 53.0]
    """
    partner = _check_partner(partner)
    matrix = article.table_matrix(partner)
    columns = _frequency_frame(partner)
    parts = []
    for curve, rows in CURVE_ROWS.items():
        sums = matrix.loc[list(rows)].sum(axis=0)
        part = columns.copy()
        part.insert(0, "curve", curve)
        part["percent"] = sums.loc[list(columns["frequency"].astype(str))].to_numpy(dtype=float)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "figure", _FIGURES[partner])
    out.insert(0, "partner", partner)
    return out


def curve_sums(partner: str) -> pd.Series:
    """Each curve summed over the five frequency columns (the article's "sum is 200")."""
    curves = article_curves(partner)
    return curves.groupby("curve", sort=False)["percent"].sum()


def figure4_averages(columns: Sequence[str] = FIGURE4_AVERAGE_COLUMNS) -> pd.Series:
    """Averages of the Figure 4 curves over ``columns`` of Table 2.

    With the default ("Annually", "Regular contacts") these are the Conclusions' figures:
    positive (rows 4 + 5) ``(31 + 36) / 2 = 33.5`` and negative ("rather complex", rows 1 + 2)
    ``(40 + 33) / 2 = 36.5``.
    """
    known = article.FREQUENCY_LEVELS["business"]
    unknown = [c for c in columns if c not in known]
    if unknown or not columns:
        raise SpecificationError(
            f"columns {format_values(unknown)} are not Table 2 frequency codes; "
            f"use some of {format_values(known)}"
        )
    curves = article_curves("business")
    chosen = curves[curves["frequency"].astype(str).isin(list(columns))]
    return chosen.groupby("curve", sort=False)["percent"].mean()


# --------------------------------------------------------------------------- trend lines


def polynomial_trend(y: Sequence[float], degree: int) -> dict[str, Any]:
    """Least-squares polynomial on x = 1..n, as a spreadsheet's polynomial trend line.

    Parameters
    ----------
    y : sequence of float
        The curve, one value per frequency column.
    degree : int
        2 or 3 in the article (any ``1 <= degree < len(y)``).

    Returns
    -------
    dict
        ``coefficients`` (intercept first: ``y = c0 + c1 x + c2 x^2 + ...``), ``fitted`` and
        ``r_squared`` (``1 - SS_res / SS_tot``, the R^2 a spreadsheet prints).

    Examples
    --------
    >>> fit = polynomial_trend([1.0, 4.0, 9.0, 16.0, 25.0], 2)
    >>> [abs(round(float(c), 10)) for c in fit["coefficients"]], round(fit["r_squared"], 12)
    ([0.0, 0.0, 1.0], 1.0)
    """
    values = np.asarray(y, dtype=float)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise DataError(f"y must be a list of finite numbers, got {y!r}")
    if isinstance(degree, bool) or not isinstance(degree, int) or not 1 <= degree < values.size:
        raise SpecificationError(
            f"degree={degree!r} must be an integer from 1 to {values.size - 1} for {values.size} "
            "points"
        )
    x = np.arange(1.0, values.size + 1)
    design = np.vander(x, degree + 1, increasing=True)
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    fitted = design @ coefficients
    total = float(np.sum((values - values.mean()) ** 2))
    residual = float(np.sum((values - fitted) ** 2))
    return {
        "coefficients": coefficients,
        "fitted": fitted,
        "r_squared": 1.0 - residual / total if total > 0 else 1.0,
    }


def trend_lines(partner: str, degrees: Sequence[int] = (2, 3)) -> pd.DataFrame:
    """Polynomial trend lines of both curves of a partner's figure.

    Returns
    -------
    DataFrame
        One row per (curve, degree): ``partner``, ``curve``, ``degree``, ``c0``..``c3``
        (intercept first; NaN beyond the degree), ``r_squared`` and ``fitted`` (tuple of the
        five fitted values at x = 1..5).
    """
    curves = article_curves(partner)
    rows = []
    for curve, part in curves.groupby("curve", sort=False):
        y = part.sort_values("frequency_rank")["percent"].to_numpy()
        for degree in degrees:
            fit = polynomial_trend(y, degree)
            coefs = list(fit["coefficients"]) + [np.nan] * (3 - degree)
            rows.append(
                {
                    "partner": partner,
                    "curve": curve,
                    "degree": degree,
                    **{f"c{i}": c for i, c in enumerate(coefs[: max(4, degree + 1)])},
                    "r_squared": fit["r_squared"],
                    "fitted": tuple(fit["fitted"]),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- model curves


def _results(result: Any) -> list[Any]:
    results = list(result) if isinstance(result, list | tuple) else [result]
    if not results:
        raise SpecificationError("result is an empty list; pass a fitted model or several")
    return results


def _curve_grid(result: Any, partner: str, frequency: str, partner_column: str) -> pd.DataFrame:
    from interactmodel.predicted import make_grid

    levels = list(article.FREQUENCY_LEVELS[partner])
    fitted = result.design.encoding.categorical_levels.get(frequency)
    if fitted is None:
        raise DataError(
            f"the model has no categorical covariate {frequency!r}; model_curves needs the "
            "contact frequency in the formula (e.g. 'quality ~ partner + mo(frequency):partner')"
        )
    missing = [lv for lv in levels if lv not in fitted]
    if missing:
        raise DataError(
            f"the model was not fitted with {partner} frequency level(s) {format_values(missing)}"
        )
    values: dict[str, Any] = {frequency: levels}
    if partner_column in result.design.encoding.variables:
        values[partner_column] = [partner]
    return make_grid(result, values)


def _curve_draws(
    results: list[Any],
    partner: str,
    n_draws: int | None,
    seed: int | None,
    frequency: str,
    partner_column: str,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Point estimates (5,) and draws (S, 5) of P(negative | f) and P(positive | f).

    Pooled over fits: the point estimates are averaged, the draws stacked.
    """
    from interactmodel.predicted import fitted_probabilities, probability_draws

    points: dict[str, list[np.ndarray]] = {curve: [] for curve in CURVE_ROWS}
    pieces: dict[str, list[np.ndarray]] = {curve: [] for curve in CURVE_ROWS}
    for i, result in enumerate(results):
        grid = _curve_grid(result, partner, frequency, partner_column)
        draw_seed = None if seed is None else seed + i
        probs = probability_draws(result, grid, n_draws=n_draws, seed=draw_seed)
        point = fitted_probabilities(result, grid)
        levels = list(result.design.outcome_levels)
        for curve, rows in CURVE_ROWS.items():
            missing = [r for r in rows if r not in levels]
            if missing:
                raise DataError(
                    f"the model's outcome levels {format_values(levels)} lack "
                    f"{format_values(missing)}"
                )
            index = [levels.index(r) for r in rows]
            pieces[curve].append(probs[:, :, index].sum(axis=2))
            points[curve].append(point[:, index].sum(axis=1))
    return {
        curve: (np.mean(points[curve], axis=0), np.concatenate(pieces[curve], axis=0))
        for curve in CURVE_ROWS
    }


def _interval_columns(
    draws: np.ndarray, levels: Sequence[float], point: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    out = {"estimate": 100 * (draws.mean(axis=0) if point is None else point)}
    for level in levels:
        tail = (1 - level) / 2
        lower, upper = np.quantile(draws, [tail, 1 - tail], axis=0)
        tag = f"{round(100 * level)}"
        out[f"lower_{tag}"], out[f"upper_{tag}"] = 100 * lower, 100 * upper
    return out


def model_curves(
    result: Any,
    partner: str,
    levels: Sequence[float] = (0.5, 0.9),
    n_draws: int | None = None,
    seed: int | None = 0,
    frequency: str = "frequency",
    partner_column: str = "partner",
) -> pd.DataFrame:
    """Model-implied P(negative | frequency) and P(positive | frequency), in percent.

    Parameters
    ----------
    result : MLResult, BayesResult, or a list of them
        A list (e.g. one fit per reconstruction) is pooled: the draws of every fit are stacked,
        so the intervals mix the fits equally.  A Bayesian fit pooled over reconstructions
        (:func:`interactmodel.pooling.fit_pooled`) is already one result.
    partner : {"state", "business"}
    levels : sequence of float
        Interval probabilities (default 50% and 90%).
    n_draws, seed
        Draws per fit (see :func:`interactmodel.predicted.probability_draws`; ML: draws from the
        asymptotic normal of the estimate, 1000 by default).  Other covariates of the model are
        held at their typical values (see :func:`interactmodel.predicted.make_grid`); group-level
        effects are set to 0 (population level).
    frequency, partner_column : str
        Names of the frequency and partner columns of the model.

    Returns
    -------
    DataFrame
        One row per (curve, frequency): ``partner``, ``curve``, ``frequency``,
        ``frequency_rank``, ``frequency_label``, ``estimate`` (ML: at the estimate; Bayes:
        posterior mean; averaged over pooled fits) and ``lower_50``, ``upper_50``,
        ``lower_90``, ``upper_90`` (equal-tailed quantiles of the draws), all in percent.
    """
    partner = _check_partner(partner)
    results = _results(result)
    draws = _curve_draws(results, partner, n_draws, seed, frequency, partner_column)
    columns = _frequency_frame(partner)
    parts = []
    for curve, (point, values) in draws.items():
        part = columns.copy()
        part.insert(0, "curve", curve)
        for name, column in _interval_columns(values, levels, point).items():
            part[name] = column
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "partner", partner)
    out.attrs["n_fits"] = len(results)
    return out


def reconstructed_curves(
    reconstructions: Any, partner: str, levels: Sequence[float] = (0.5, 0.9)
) -> pd.DataFrame:
    """P(negative | frequency) and P(positive | frequency) in reconstructed data sets, in %.

    Each reconstruction's count table gives the share of rows 1 + 2 (and 4 + 5) among the NGOs
    of each frequency column; the result summarises those shares over the reconstructions
    (mean and quantile intervals, which show how much the unpublished row sizes matter).

    Parameters
    ----------
    reconstructions : interactmodel.reconstruct.Reconstructions
    partner : {"state", "business"}
    levels : sequence of float

    Returns
    -------
    DataFrame
        As :func:`model_curves`.
    """
    partner = _check_partner(partner)
    counts = np.asarray(reconstructions.counts[partner], dtype=float)  # (m, quality, frequency)
    column_totals = counts.sum(axis=1)
    columns = _frequency_frame(partner)
    parts = []
    for curve, rows in CURVE_ROWS.items():
        index = [article.QUALITY_LEVELS.index(r) for r in rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = counts[:, index, :].sum(axis=1) / column_totals
        part = columns.copy()
        part.insert(0, "curve", curve)
        for name, column in _interval_columns(share, levels).items():
            part[name] = column
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "partner", partner)
    return out


def trend_frame(
    partner: str,
    result: Any = None,
    reconstructions: Any = None,
    degrees: Sequence[int] = (2, 3),
    seed: int | None = 0,
    n_draws: int | None = None,
) -> pd.DataFrame:
    """Everything a trend figure draws, in one tidy frame (percent).

    Rows have ``kind``: ``"article"`` (the printed curves), ``"trend_degree_2"``/``"_3"`` (the
    polynomial trend lines), ``"model"`` (P(rating | frequency) from ``result``, with
    ``lower_50``..``upper_90``) and ``"reconstructed"`` (the same share in the
    reconstructions).  Columns ``partner``, ``kind``, ``curve``, ``frequency``,
    ``frequency_rank``, ``frequency_label``, ``estimate`` and the interval columns.
    """
    curves = article_curves(partner).rename(columns={"percent": "estimate"})
    parts = [curves.drop(columns="figure").assign(kind="article")]
    trends = trend_lines(partner, degrees)
    for _, row in trends.iterrows():
        part = curves[curves["curve"] == row["curve"]].drop(columns="figure").copy()
        part["estimate"] = np.asarray(row["fitted"])
        parts.append(part.assign(kind=f"trend_degree_{row['degree']}"))
    if result is not None:
        parts.append(model_curves(result, partner, n_draws=n_draws, seed=seed).assign(kind="model"))
    if reconstructions is not None:
        parts.append(reconstructed_curves(reconstructions, partner).assign(kind="reconstructed"))
    out = pd.concat(parts, ignore_index=True)
    first = ["partner", "kind", "curve", "frequency", "frequency_rank", "frequency_label"]
    return out[first + [c for c in out.columns if c not in first]]
