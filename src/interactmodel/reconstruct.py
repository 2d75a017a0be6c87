"""Respondent-level data sets consistent with the article's Tables 1 and 2.

The article publishes only row percentages, P(frequency | quality), for 245
NGOs.  A reconstruction is one respondent-level data set (one row per rating)
whose two count tables print exactly as Tables 1 and 2 under a stated
rounding rule, add up to the stated sample and meet any text figures given
as :class:`~interactmodel.feasibility.ShareConstraint`.

Sampling scheme
---------------
Each table is drawn **uniformly over all feasible integer tables**.  The
feasible tables are counted exactly (Python integers) by dynamic programming
in :mod:`interactmodel.feasibility`: for each row and row size ``n`` the number of
count vectors ``w_r(n)`` that print as that row; then the number of ways to
choose row sizes ``n_1..n_5`` adding up to the total, each weighted by
``prod_r w_r(n_r)``.  A draw picks the row sizes with probability
proportional to that product (backwards through the DP layers) and then each
row's counts uniformly among its ``w_r(n_r)`` vectors.  Every feasible table
therefore has probability exactly ``1 / count``: no table is favoured for
being "closer" to the printed numbers, because the article gives no reason to
prefer one reading of its rounding over another.

Why a tolerance: neither table can come from 245 NGOs under either rounding
rule (see :func:`~interactmodel.audit.audit_article`).  With
``tolerance="auto"`` (the default) each table uses the smallest tolerance
that makes 245 consistent; ``tolerance=0`` refuses instead.

What is *not* published, and so is made up at random (seeded):

* **pairing** -- each of the 245 organisations gave one state and one
  business rating; which state rating goes with which business rating is not
  published, so the two lists are paired by independent random permutations
  (the organisation's ``org_id`` is shared by its two rows);
* **region** -- no rating is published by region, so regions are assigned by
  ``region_rule``, independently of the ratings (see :data:`REGION_NOTE`).
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from interactmodel.audit import _row_list, audit_article, audit_table
from interactmodel.errors import ReconstructionWarning, SpecificationError, format_values
from interactmodel.feasibility import FeasibleTables, ShareConstraint, _RowSpace, feasible_tables

__all__ = [
    "REGION_NOTE",
    "TEXT_FIGURE_ROWS",
    "REGION_RULES",
    "Reconstructions",
    "article_constraints",
    "audit_article",
    "audit_table",
    "draw_tables",
    "reconstruct",
    "region_probabilities",
    "sample_table",
]

REGION_NOTE = (
    "Region was assigned at random, independently of the ratings; region effects fitted to "
    "these data reflect the prior only."
)
PAIRING_NOTE = (
    "State and business ratings were paired at random (the article does not publish which "
    "state rating goes with which business rating)."
)
REGION_RULES = ("uniform", "registry")


def _randbelow(bound: int, rng: np.random.Generator) -> int:
    """Uniform integer in ``0..bound-1`` for any Python int, by rejection on random bits."""
    if bound < 2**62:
        return int(rng.integers(bound))
    nbits = bound.bit_length()
    words = (nbits + 31) // 32
    while True:
        value = 0
        for word in rng.integers(0, 2**32, size=words, dtype=np.uint64):
            value = (value << 32) | int(word)
        value >>= 32 * words - nbits
        if value < bound:
            return value


def _cumulative(weights: Sequence[int]) -> list[int]:
    out, running = [], 0
    for w in weights:
        running += w
        out.append(running)
    return out


def _draw_index(cumulative: Sequence[int], rng: np.random.Generator) -> int:
    """Index ``i`` with probability ``weight_i / total`` (exact for integer weights)."""
    return bisect_right(cumulative, _randbelow(cumulative[-1], rng))


def _sample_vector(row: _RowSpace, n: int, rng: np.random.Generator) -> list[int]:
    """One count vector of size ``n``, uniform among those that print as ``row``."""
    tables = row.vector_tables(n)
    if tables is None:  # pragma: no cover - sizes come from the DP, which excludes this
        raise SpecificationError(f"row size {n} is not feasible for this row")
    bounds, suffix = tables
    residual = n - sum(lo for lo, _ in bounds)
    counts = []
    for j, (lo, hi) in enumerate(bounds):
        after = suffix[j + 1]  # ways for the later columns to take up the rest
        weights = [
            after[residual - k] if residual - k < len(after) else 0
            for k in range(min(hi - lo, residual) + 1)
        ]
        k = _draw_index(_cumulative(weights), rng)
        counts.append(lo + k)
        residual -= k
    return counts


class _TableSampler:
    """Uniform draws from a :class:`FeasibleTables`, caching the cumulative weights it uses."""

    def __init__(self, tables: FeasibleTables) -> None:
        if tables.count == 0:
            raise SpecificationError(f"no table is consistent with a total of {tables.total}")
        self.tables = tables
        self.combinations = _cumulative(tables.combination_weights)
        self._sizes: dict[tuple[int, int, int], list[int]] = {}

    def _size_weights(self, atom: int, i: int, remaining: int) -> list[int]:
        # P(row i of the atom has n | the first i rows hold `remaining`) ~ w(n) * ways(rest)
        key = (atom, i, remaining)
        if key not in self._sizes:
            before = self.tables.layers[atom][i - 1]
            weights = self.tables.weights[self.tables.atoms[atom][i - 1]]
            self._sizes[key] = _cumulative(
                [weights[n] * before[remaining - n] for n in range(remaining + 1)]
            )
        return self._sizes[key]

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        tables = self.tables
        combo = tables.combinations[_draw_index(self.combinations, rng)]
        sizes = [0] * len(tables.rows)
        for a, (atom, atom_total) in enumerate(zip(tables.atoms, combo, strict=True)):
            remaining = atom_total
            for i in range(len(atom), 0, -1):  # backwards through the DP layers
                n = _draw_index(self._size_weights(a, i, remaining), rng)
                sizes[atom[i - 1]] = n
                remaining -= n
        return np.array(
            [_sample_vector(row, n, rng) for row, n in zip(tables.rows, sizes, strict=True)]
        )


def sample_table(tables: FeasibleTables, rng: np.random.Generator) -> np.ndarray:
    """Draw one table uniformly among all ``tables.count`` feasible tables.

    Parameters
    ----------
    tables : FeasibleTables
        From :func:`interactmodel.feasibility.feasible_tables`.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        Integer counts, rows x columns.

    Examples
    --------
    >>> from interactmodel.feasibility import feasible_tables
    >>> tables = feasible_tables([[33, 67], [50, 50]], total=5)
    >>> sample_table(tables, np.random.default_rng(0)).tolist()
    [[1, 2], [1, 1]]
    """
    return _TableSampler(tables).draw(rng)


def _check_draws(m: object) -> int:
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 1:
        raise SpecificationError(f"m={m!r} must be a whole number of reconstructions >= 1")
    return int(m)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecificationError(
            f"seed={seed!r} must be a whole number >= 0 (reconstructions are always seeded)"
        )
    return int(seed)


def _streams(seed: int, m: int) -> list[np.random.Generator]:
    # one independent stream per reconstruction, so draw i does not depend on m
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(m)]


def draw_tables(
    percents: Any,
    m: int,
    seed: int,
    *,
    total: int,
    rounding: str = "half_up",
    tolerance: float | Fraction = 0.0,
    constraints: Sequence[ShareConstraint] = (),
    decimals: int = 0,
) -> np.ndarray:
    """Draw ``m`` count tables uniformly among those that print as ``percents``.

    Parameters
    ----------
    percents : DataFrame or array-like
        Printed row percentages, rows x columns.
    m : int
        Number of tables.
    seed : int
        Seed; the same seed gives the same tables.
    total, rounding, tolerance, constraints, decimals
        As in :func:`interactmodel.feasibility.feasible_tables`.

    Returns
    -------
    numpy.ndarray
        Shape ``(m, rows, columns)``, integer counts.

    Examples
    --------
    >>> draw_tables([[33, 67], [50, 50]], m=2, seed=1, total=5).tolist()
    [[[1, 2], [1, 1]], [[1, 2], [1, 1]]]
    """
    m, seed = _check_draws(m), _check_seed(seed)
    tables = feasible_tables(
        percents,
        total,
        rounding=rounding,
        tolerance=tolerance,
        constraints=constraints,
        decimals=decimals,
    )
    sampler = _TableSampler(tables)
    return np.stack([sampler.draw(rng) for rng in _streams(seed, m)])


def region_probabilities(rule: str | Mapping[str, float] = "uniform") -> dict[str, float]:
    """Probabilities of the six sample regions under a region rule.

    Parameters
    ----------
    rule : {"uniform", "registry"} or mapping
        ``"uniform"``: 1/6 each.  ``"registry"``: the regions' shares of
        registered NGOs printed in the article (Nur-Sultan 36%, Almaty 19%,
        Karaganda 17%, East Kazakhstan 15%; the 13% "other regions" split
        equally between Almaty region and Kostanay region).  A mapping gives
        a weight per region code (normalised to sum to 1).

    Returns
    -------
    dict
        Region code -> probability, in ``article.SAMPLE_REGIONS`` order.

    Examples
    --------
    >>> region_probabilities("registry")["almaty_region"]
    0.065
    """
    from interactmodel import article

    regions = article.SAMPLE_REGIONS
    if isinstance(rule, str):
        if rule == "uniform":
            weights = dict.fromkeys(regions, 1.0)
        elif rule == "registry":
            weights = _registry_weights()
        else:
            raise SpecificationError(
                f"region_rule={rule!r} is not a rule; use one of {format_values(REGION_RULES)} "
                f"or a mapping of region code to probability"
            )
    elif isinstance(rule, Mapping):
        unknown = [k for k in rule if k not in regions]
        if unknown:
            raise SpecificationError(
                f"region_rule has unknown region code(s) {format_values(unknown)}; valid codes "
                f"are {format_values(regions)}"
            )
        weights = {r: float(rule.get(r, 0.0)) for r in regions}
        if not all(math.isfinite(w) and w >= 0 for w in weights.values()) or not sum(
            weights.values()
        ):
            raise SpecificationError(
                f"region_rule weights must be finite, >= 0 and not all 0, got {dict(rule)!r}"
            )
    else:
        raise SpecificationError(f"region_rule={rule!r} must be a rule name or a mapping")
    total = sum(weights.values())
    return {r: weights[r] / total for r in regions}


def _registry_weights() -> dict[str, float]:
    from interactmodel import article

    figures = article.text_figures().set_index("figure_id")["value"]
    other = float(figures["region_share_other"]) / 2  # two sample regions share "other"
    return {
        "nur_sultan": float(figures["region_share_nur_sultan"]),
        "almaty": float(figures["region_share_almaty"]),
        "karaganda_region": float(figures["region_share_karaganda"]),
        "east_kazakhstan_region": float(figures["region_share_east_kazakhstan"]),
        "almaty_region": other,
        "kostanay_region": other,
    }


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields, not results
class Reconstructions:
    """``m`` respondent-level data sets consistent with the article's Tables 1 and 2.

    Organisation ``i`` of reconstruction ``k`` gave the state the rating
    ``quality["state"][k, i]`` at contact frequency ``frequency["state"][k, i]``
    (codes index ``article.QUALITY_LEVELS`` and the partner's
    ``article.FREQUENCY_LEVELS``), likewise for business, and sits in region
    ``article.SAMPLE_REGIONS[region[k, i]]``.  Use :meth:`to_frame` or
    :meth:`frame` for the tidy respondent-level frame and :attr:`defaults` for
    the settings to write next to any output.
    """

    counts: Mapping[str, np.ndarray]
    quality: Mapping[str, np.ndarray]
    frequency: Mapping[str, np.ndarray]
    region: np.ndarray
    seed: int
    stated_n: int
    rounding: str
    tolerance_pp: Mapping[str, float]
    tolerance_rule: str
    n_feasible_tables: Mapping[str, int]
    constraints: tuple[ShareConstraint, ...]
    region_rule: str
    region_probabilities: Mapping[str, float]
    region_is_synthetic: bool = True
    region_note: str = REGION_NOTE
    pairing_note: str = PAIRING_NOTE
    sampling: str = field(
        default="uniform over all integer tables consistent with the printed row percentages, "
        "the stated total and the constraints (exact dynamic-programming enumeration)"
    )

    def __len__(self) -> int:
        return int(self.region.shape[0])

    @property
    def log10_n_feasible_tables(self) -> dict[str, float]:
        """``log10`` of the number of feasible tables per partner."""
        return {p: math.log10(n) for p, n in self.n_feasible_tables.items()}

    @property
    def defaults(self) -> dict[str, Any]:
        """The settings and caveats of these reconstructions, ready for ``json.dumps``."""
        return {
            "source": "reconstructed from the article's Tables 1 and 2 (row percentages)",
            "draws": len(self),
            "seed": self.seed,
            "stated_n": self.stated_n,
            "sampling": self.sampling,
            "rounding": self.rounding,
            "tolerance_pp": dict(self.tolerance_pp),
            "tolerance_rule": self.tolerance_rule,
            "n_feasible_tables": dict(self.n_feasible_tables),
            "log10_n_feasible_tables": self.log10_n_feasible_tables,
            "constraints": [c.label for c in self.constraints],
            "pairing": self.pairing_note,
            "region_rule": self.region_rule,
            "region_probabilities": dict(self.region_probabilities),
            "region_is_synthetic": self.region_is_synthetic,
            "region_note": self.region_note,
        }

    def frame(self, i: int) -> pd.DataFrame:
        """Reconstruction ``i`` (0-based) as a respondent-level frame, one row per rating."""
        if not isinstance(i, int | np.integer) or not 0 <= i < len(self):
            raise SpecificationError(f"i={i!r} is not a reconstruction; use 0..{len(self) - 1}")
        return self._frame(np.array([i])).drop(columns="reconstruction")

    def to_frame(self) -> pd.DataFrame:
        """All reconstructions in one tidy frame, with a ``reconstruction`` column (1..m).

        Columns: ``org_id`` (unique across reconstructions), ``partner``,
        ``frequency``, ``quality``, ``region``, ``reconstruction``.
        """
        return self._frame(np.arange(len(self)))

    def _frame(self, which: np.ndarray) -> pd.DataFrame:
        from interactmodel import article

        n, partners = self.stated_n, article.PARTNERS
        per_org = len(partners)
        quality = np.stack([self.quality[p][which] for p in partners], axis=-1)
        offsets = np.cumsum([0] + [len(article.FREQUENCY_LEVELS[p]) for p in partners])[:-1]
        frequency = np.stack(
            [self.frequency[p][which] + off for p, off in zip(partners, offsets, strict=True)],
            axis=-1,
        )
        reconstruction = np.repeat(which + 1, n * per_org)
        org = np.tile(np.repeat(np.arange(1, n + 1), per_org), len(which))
        width = len(str(len(self)))
        org_id = [f"r{r:0{width}d}-ngo{o:03d}" for r, o in zip(reconstruction, org, strict=True)]
        frequency_levels = [f for p in partners for f in article.FREQUENCY_LEVELS[p]]
        return pd.DataFrame(
            {
                "org_id": pd.array(org_id, dtype="string"),
                "partner": pd.Categorical.from_codes(
                    np.tile(np.arange(per_org), n * len(which)), list(partners), ordered=True
                ),
                "frequency": pd.Categorical.from_codes(
                    frequency.reshape(-1), frequency_levels, ordered=True
                ),
                "quality": pd.Categorical.from_codes(
                    quality.reshape(-1), list(article.QUALITY_LEVELS), ordered=True
                ),
                "region": pd.Categorical.from_codes(
                    np.repeat(self.region[which].reshape(-1), per_org),
                    list(article.SAMPLE_REGIONS),
                ),
                "reconstruction": reconstruction,
            }
        )

    def counts_frame(self) -> pd.DataFrame:
        """The drawn count tables: one row per reconstruction x partner x quality x frequency."""
        from interactmodel import article

        parts = []
        for partner, counts in self.counts.items():
            m, rows, cols = counts.shape
            index = pd.MultiIndex.from_product(
                [
                    range(1, m + 1),
                    [partner],
                    article.QUALITY_LEVELS[:rows],
                    article.FREQUENCY_LEVELS[partner][:cols],
                ],
                names=["reconstruction", "partner", "quality", "frequency"],
            )
            parts.append(pd.DataFrame({"count": counts.reshape(-1)}, index=index).reset_index())
        return pd.concat(parts, ignore_index=True)


def _resolve_tolerance(
    percents: Any,
    name: str,
    stated_n: int,
    rounding: str,
    tolerance: object,
    constraints: Sequence[ShareConstraint],
) -> float:
    """The tolerance a table is drawn with: as given, or the smallest that fits ("auto")."""
    if isinstance(tolerance, str) and tolerance != "auto":
        raise SpecificationError(
            f"tolerance={tolerance!r} is not valid; use 'auto' or percentage points >= 0"
        )
    given = 0.0 if tolerance == "auto" else tolerance
    audit = audit_table(percents, stated_n, rounding, given, constraints, name=name)  # type: ignore[arg-type]
    if audit.consistent_at_stated_n:
        return float(given)  # type: ignore[arg-type]
    if tolerance != "auto" or audit.smallest_tolerance_pp is None:
        fix = (
            "drop or correct the contradicting constraints"
            if audit.smallest_tolerance_pp is None
            else f"pass tolerance='auto' or tolerance >= {audit.smallest_tolerance_pp}"
        )
        raise SpecificationError(f"cannot reconstruct: {audit.verdict} Fix: {fix}.")
    warnings.warn(
        f"{name} is not consistent with {stated_n} respondents under {rounding} rounding; "
        f"the reconstructions use the smallest tolerance that is, "
        f"{audit.smallest_tolerance_pp} pp.",
        ReconstructionWarning,
        stacklevel=3,
    )
    return audit.smallest_tolerance_pp


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A count table -> (row code, column code) of each respondent."""
    rows, cols = counts.shape
    flat = counts.reshape(-1)
    return np.repeat(np.repeat(np.arange(rows), cols), flat), np.repeat(
        np.tile(np.arange(cols), rows), flat
    )


_TABLE_NAMES = {"state": "Table 1 (state)", "business": "Table 2 (business)"}


def reconstruct(
    m: int,
    seed: int,
    rounding: str = "half_up",
    tolerance: float | str = "auto",
    stated_n: int | None = None,
    constraints: Sequence[ShareConstraint] = (),
    region_rule: str | Mapping[str, float] = "uniform",
    *,
    percents: Mapping[str, Any] | None = None,
) -> Reconstructions:
    """Draw ``m`` respondent-level data sets consistent with Tables 1 and 2.

    Parameters
    ----------
    m : int
        Number of reconstructions.
    seed : int
        Seed; the same seed gives the same reconstructions, and reconstruction
        ``i`` does not depend on ``m``.
    rounding : {"half_up", "half_even"}
        How the article rounded its percentages.
    tolerance : "auto" or float
        ``"auto"``: the rounding rule exactly if it fits the stated total,
        otherwise the smallest tolerance (pp, rounded up to 0.0001) that does,
        with a :class:`~interactmodel.errors.ReconstructionWarning`.  A number:
        that tolerance, and an error if no table fits.  ``0`` is strict.
    stated_n : int, optional
        Number of organisations (default ``article.SAMPLE_SIZE``, 245).
    constraints : sequence of ShareConstraint
        Text figures each table must also meet; each names its ``partner``
        (see :func:`article_constraints`).
    region_rule : {"uniform", "registry"} or mapping
        How regions are assigned (see :func:`region_probabilities`); always
        independently of the ratings.
    percents : mapping, optional
        ``{"state": grid, "business": grid}`` of 5 x 5 printed percents to use
        instead of the article's tables.

    Returns
    -------
    Reconstructions

    Raises
    ------
    SpecificationError
        If a table has no consistent integer table under the given tolerance
        or the constraints contradict each other.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     recs = reconstruct(m=2, seed=1)
    >>> recs.to_frame().shape
    (980, 6)
    >>> recs.defaults["region_is_synthetic"]
    True
    """
    from interactmodel import article

    m, seed = _check_draws(m), _check_seed(seed)
    stated_n = article.SAMPLE_SIZE if stated_n is None else stated_n
    for c in constraints:
        if not isinstance(c, ShareConstraint) or c.partner not in article.PARTNERS:
            raise SpecificationError(
                f"constraint {c!r} must be a ShareConstraint with partner one of "
                f"{format_values(article.PARTNERS)}"
            )
    probabilities = region_probabilities(region_rule)
    samplers, tolerances = {}, {}
    for partner in article.PARTNERS:
        grid = article.table_matrix(partner) if percents is None else percents[partner]
        mine = [c for c in constraints if c.partner == partner]
        tolerances[partner] = _resolve_tolerance(
            grid, _TABLE_NAMES[partner], stated_n, rounding, tolerance, mine
        )
        samplers[partner] = _TableSampler(
            feasible_tables(
                grid, stated_n, rounding=rounding, tolerance=tolerances[partner], constraints=mine
            )
        )
    shape = (m, stated_n)
    counts = {
        p: np.zeros((m, len(s.tables.rows), len(s.tables.rows[0].printed)), dtype=np.int64)
        for p, s in samplers.items()
    }
    quality = {p: np.zeros(shape, dtype=np.int8) for p in samplers}
    frequency = {p: np.zeros(shape, dtype=np.int8) for p in samplers}
    region = np.zeros(shape, dtype=np.int8)
    for k, rng in enumerate(_streams(seed, m)):
        for partner, sampler in samplers.items():
            counts[partner][k] = table = sampler.draw(rng)
            rows_, cols_ = _expand(table)
            order = rng.permutation(stated_n)  # random pairing of the two partners' ratings
            quality[partner][k], frequency[partner][k] = rows_[order], cols_[order]
        region[k] = rng.choice(len(probabilities), size=stated_n, p=list(probabilities.values()))
    frozen: list[np.ndarray] = [*counts.values(), *quality.values(), *frequency.values(), region]
    for array in frozen:  # the result is immutable, its arrays too
        array.flags.writeable = False
    return Reconstructions(
        counts=MappingProxyType(counts),
        quality=MappingProxyType(quality),
        frequency=MappingProxyType(frequency),
        region=region,
        seed=seed,
        stated_n=stated_n,
        rounding=rounding,
        tolerance_pp=MappingProxyType(tolerances),
        tolerance_rule="auto" if tolerance == "auto" else "given",
        n_feasible_tables=MappingProxyType({p: s.tables.count for p, s in samplers.items()}),
        constraints=tuple(constraints),
        region_rule=region_rule if isinstance(region_rule, str) else "explicit",
        region_probabilities=MappingProxyType(probabilities),
    )


# Which quality rows each share printed in the article's text counts: our reading of the
# wording ("positive" = rows 4+5, "negative" = rows 1+2, "varying success" = row 3), each a
# share of all 245 NGOs.  The figure ids are those of ``article.text_figures()``.
TEXT_FIGURE_ROWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "positive_state_results": ("state", ("rather_good", "definitely_good")),
    "positive_state_sample": ("state", ("rather_good", "definitely_good")),
    "positive_business_results": ("business", ("rather_good", "definitely_good")),
    "positive_business_conclusions_32": ("business", ("rather_good", "definitely_good")),
    "business_negative_results": ("business", ("definitely_bad", "rather_bad")),
    "business_mixed_results": ("business", ("mixed",)),
}


def article_constraints(
    figure_ids: Sequence[str], rounding: str = "half_up"
) -> tuple[ShareConstraint, ...]:
    """Share constraints built from the article's text figures.

    Parameters
    ----------
    figure_ids : sequence of str
        Keys of :data:`TEXT_FIGURE_ROWS` (figure ids of ``article.text_figures()``).
    rounding : {"half_up", "half_even"}
        How the figures were rounded.

    Returns
    -------
    tuple of ShareConstraint
        Value and printed decimals from ``article.text_figures()``.

    Examples
    --------
    >>> [c.label for c in article_constraints(["positive_state_sample"])]
    ['positive_state_sample (73.1% of state ratings in rows 4+5)']
    """
    from interactmodel import article

    figures = article.text_figures().set_index("figure_id")
    out = []
    for figure_id in figure_ids:
        if figure_id not in TEXT_FIGURE_ROWS:
            raise SpecificationError(
                f"figure id {figure_id!r} cannot be used as a constraint; use one of "
                f"{format_values(TEXT_FIGURE_ROWS)}"
            )
        partner, rows = TEXT_FIGURE_ROWS[figure_id]
        printed = str(figures.loc[figure_id, "value_printed"]).rstrip("%").replace(",", ".")
        decimals = len(printed.partition(".")[2])
        positions = _row_list(frozenset(article.QUALITY_LEVELS.index(r) for r in rows))
        positions = ("row " if len(rows) == 1 else "rows ") + positions
        out.append(
            ShareConstraint(
                rows=rows,
                percent=float(figures.loc[figure_id, "value"]),
                decimals=decimals,
                rounding=rounding,
                partner=partner,
                label=f"{figure_id} ({printed}% of {partner} ratings in {positions})",
            )
        )
    return tuple(out)
