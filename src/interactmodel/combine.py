"""Combine maximum-likelihood fits over reconstructed data sets (Rubin's rules).

The article publishes percentages, so each analysis runs on M reconstructed data sets that
are all consistent with the printed tables.  Treating them like multiple imputations, the
pooled estimate is the mean of the M estimates and its variance adds the between-data-set
spread to the average within-fit variance (Rubin 1987, ch. 3):

    Q = mean(q_m),   W = mean(se_m^2),   B = var(q_m, ddof=1),   T = W + (1 + 1/M) B

with ``nu = (M - 1) (1 + W / ((1 + 1/M) B))^2`` degrees of freedom for a t interval.  When the
reconstructions agree exactly (B = 0) or M = 1, the interval is the ordinary Wald interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from interactmodel.errors import SpecificationError
from interactmodel.results import MLResult

__all__ = ["pool_ml", "rubin"]


def pool_ml(results: Sequence[MLResult], level: float = 0.95) -> pd.DataFrame:
    """Pool maximum-likelihood fits of the same model by Rubin's rules.

    Parameters
    ----------
    results : sequence of MLResult
        Fits of one specification to M data sets; they must have the same parameters.
    level : float
        Confidence level of the pooled t intervals.

    Returns
    -------
    DataFrame
        Indexed by parameter: ``kind``, ``estimate``, ``within_var`` (W), ``between_var`` (B),
        ``se`` (sqrt T), ``df`` (infinite when B = 0), ``lower``, ``upper``, and
        ``fraction_between`` ((1 + 1/M) B / T, the share of the variance that comes from not
        knowing which data set the article had), plus ``n_reconstructions``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interactmodel import OrdinalModel
    >>> levels = ["bad", "mixed", "good"]
    >>> frames = [pd.DataFrame({
    ...     "quality": pd.Categorical(["bad", "mixed", "good", "good", "bad", "good"] * 5
    ...                               + ["good"] * k, levels, ordered=True),
    ...     "contact": ["rare", "rare", "often", "often", "often", "rare"] * 5 + ["often"] * k,
    ... }) for k in (0, 2)]
    >>> fits = [OrdinalModel("quality ~ contact").fit(f) for f in frames]
    >>> pooled = pool_ml(fits)
    >>> bool(pooled.loc["contact[T.rare]", "between_var"] > 0)
    True
    """
    if not 0 < level < 1:
        raise SpecificationError(f"level must be between 0 and 1, got {level!r}")
    results = list(results)
    if not results:
        raise SpecificationError("pool_ml needs at least one fitted result")
    names = results[0].names
    mismatched = [i for i, r in enumerate(results) if r.names != names]
    if mismatched:
        raise SpecificationError(
            f"fits {mismatched[:5]} have other parameters than fit 0 "
            f"({list(results[mismatched[0]].names)} vs {list(names)}); pool only fits of one "
            "specification whose data have the same levels"
        )
    pooled = rubin(
        np.vstack([r.params.to_numpy() for r in results]),
        np.vstack([r.bse.to_numpy() ** 2 for r in results]),
        level,
    )
    pooled.insert(0, "kind", list(results[0].kinds))
    pooled.index = pd.Index(list(names), name="parameter")
    return pooled


def rubin(estimates: np.ndarray, variances: np.ndarray, level: float = 0.95) -> pd.DataFrame:
    """Rubin's rules on arrays: ``estimates`` and ``variances`` of shape (M, n_parameters).

    Returns the columns of :func:`pool_ml` (without ``kind``), one row per parameter.
    """
    estimates = np.atleast_2d(np.asarray(estimates, dtype=float))
    variances = np.atleast_2d(np.asarray(variances, dtype=float))
    m = estimates.shape[0]
    q = estimates.mean(axis=0)
    within = variances.mean(axis=0)
    between = estimates.var(axis=0, ddof=1) if m > 1 else np.zeros_like(q)
    total = within + (1 + 1 / m) * between
    df = _rubin_df(m, within, between)
    crit = np.where(np.isinf(df), stats.norm.ppf(0.5 + level / 2), 0.0)
    finite = np.isfinite(df)
    crit[finite] = stats.t.ppf(0.5 + level / 2, df[finite])
    se = np.sqrt(total)
    return pd.DataFrame(
        {
            "estimate": q,
            "within_var": within,
            "between_var": between,
            "se": se,
            "df": df,
            "lower": q - crit * se,
            "upper": q + crit * se,
            "fraction_between": np.divide(
                (1 + 1 / m) * between, total, out=np.zeros_like(q), where=total > 0
            ),
            "n_reconstructions": m,
        }
    )


def _rubin_df(m: int, within: np.ndarray, between: np.ndarray) -> np.ndarray:
    """Rubin's (1987) degrees of freedom; infinite where the data sets agree exactly."""
    df = np.full(within.shape, np.inf)
    spread = (1 + 1 / m) * between
    positive = spread > 0
    if m > 1:
        ratio = within[positive] / spread[positive]
        df[positive] = (m - 1) * (1 + ratio) ** 2
    return df
