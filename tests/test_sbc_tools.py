"""The rank and uniformity helpers of the SBC benchmark (benchmarks/sbc.py), by brute force.

The references are direct computations (sorting, explicit loops over bins, the Pearson formula,
binomial sums) and known facts: the rank of a value among L draws from its own distribution is
uniform on 0..L (Talts et al. 2018, theorem 1).
"""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.sbc import (
    central_interval_covers,
    histogram_band,
    rank_counts,
    rank_of,
    thin,
    uniformity_test,
)
from scipy import stats


def test_thin_takes_equally_spaced_draws_across_chains() -> None:
    draws = np.arange(2 * 500).reshape(2, 500)
    kept = thin(draws, 99)
    assert kept.shape == (99,)
    np.testing.assert_array_equal(kept, np.arange(0, 990, 10))
    # both chains contribute
    assert kept.min() < 500 <= kept.max()


def test_thin_rejects_more_draws_than_available() -> None:
    with pytest.raises(ValueError, match="n_keep=11 must be between 1 and the 10 draws"):
        thin(np.zeros(10), 11)


def test_rank_equals_position_in_sorted_draws() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        draws = rng.normal(size=99)
        true = rng.normal()
        brute = sum(1 for d in draws if d < true)
        assert rank_of(true, draws) == brute == np.searchsorted(np.sort(draws), true)


def test_rank_extremes() -> None:
    draws = np.array([1.0, 2.0, 3.0])
    assert rank_of(0.0, draws) == 0
    assert rank_of(4.0, draws) == 3


def test_ties_are_split_uniformly_at_random() -> None:
    # all three draws tie with the true value: the rank must be uniform on 0..3
    rng = np.random.default_rng(2)
    ranks = np.array([rank_of(1.0, np.ones(3), rng) for _ in range(4000)])
    counts = np.bincount(ranks, minlength=4)
    assert counts.sum() == 4000 and counts.size == 4
    assert stats.chisquare(counts).pvalue > 0.001
    # without an rng a tie counts as not below
    assert rank_of(1.0, np.ones(3)) == 0


def test_rank_counts_match_a_loop_over_bins() -> None:
    rng = np.random.default_rng(3)
    ranks = rng.integers(0, 100, size=500)
    expected = np.zeros(20, dtype=int)
    for r in ranks:
        for b in range(20):
            if 5 * b <= r < 5 * (b + 1):
                expected[b] += 1
    np.testing.assert_array_equal(rank_counts(ranks, 99, 20), expected)


def test_rank_counts_needs_bins_that_split_the_ranks_evenly() -> None:
    with pytest.raises(ValueError, match="100 possible ranks do not split into 30 equal bins"):
        rank_counts(np.array([0, 1]), 99, 30)
    with pytest.raises(ValueError, match=r"ranks must lie in 0..99, got 0..100"):
        rank_counts(np.array([0, 100]), 99, 20)


def test_uniformity_test_is_pearsons_chi_square() -> None:
    rng = np.random.default_rng(4)
    ranks = rng.integers(0, 100, size=300)
    observed = rank_counts(ranks, 99, 20)
    expected = 300 / 20
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    chi2, df, p = uniformity_test(ranks, 99, 20)
    assert df == 19
    assert chi2 == pytest.approx(statistic, rel=1e-12)
    assert p == pytest.approx(stats.chi2.sf(statistic, 19), rel=1e-10)


def test_ranks_of_a_calibrated_posterior_are_uniform_and_of_a_narrow_one_are_not() -> None:
    # true value and draws from the same distribution: uniform ranks (SBC's theorem);
    # draws from a distribution half as wide: a U-shaped histogram, rejected
    rng = np.random.default_rng(5)
    calibrated, narrow = [], []
    for _ in range(1000):
        true = rng.normal()
        calibrated.append(rank_of(true, rng.normal(size=99)))
        narrow.append(rank_of(true, rng.normal(scale=0.5, size=99)))
    assert uniformity_test(np.array(calibrated))[2] > 0.001
    assert uniformity_test(np.array(narrow))[2] < 1e-10


def test_central_interval_coverage_against_normal_quantiles() -> None:
    draws = np.random.default_rng(6).normal(size=400_000)
    z90, z50 = stats.norm.ppf(0.95), stats.norm.ppf(0.75)  # 1.645, 0.674
    assert central_interval_covers(draws, z90 - 0.03, 0.9)
    assert not central_interval_covers(draws, z90 + 0.03, 0.9)
    assert not central_interval_covers(draws, -(z90 + 0.03), 0.9)
    assert central_interval_covers(draws, z50 - 0.03, 0.5)
    assert not central_interval_covers(draws, z50 + 0.03, 0.5)


def test_histogram_band_is_the_binomial_central_range() -> None:
    n, p = 200, 1 / 20
    pmf = [stats.binom.pmf(k, n, p) for k in range(n + 1)]
    cdf = np.cumsum(pmf)
    lo = next(k for k in range(n + 1) if cdf[k] >= 0.005)
    hi = next(k for k in range(n + 1) if cdf[k] >= 0.995)
    assert histogram_band(200, 20, 0.99) == (lo, hi)
