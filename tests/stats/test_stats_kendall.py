"""Kendall tau-a (Jiang et al. 2020) against scipy, hand counts and a naive O(n²) matrix."""

import tracemalloc

import numpy as np
import pytest
from scipy import stats

from prunability.stats.kendall import kendall_tau


def naive_tau_a(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = x.size
    s = np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])
    return s.sum() / (n * (n - 1))


@pytest.mark.parametrize("seed", range(3))
def test_equals_scipy_tau_b_without_ties(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=300)
    y = 0.5 * x + rng.normal(size=300)
    assert kendall_tau(x, y) == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)


def test_hand_computed_value_with_ties_is_tau_a_not_tau_b():
    # pairs i<j: (1,2)+ (1,3)+ (1,4)+ (2,3)0 (2,4)- (3,4)0  -> C - D = 2 of 6 pairs
    x, y = [1, 2, 2, 3], [1, 3, 2, 2]
    assert kendall_tau(x, y) == pytest.approx(2 / 6)
    # tau-b divides by sqrt((6 - 1) * (6 - 1)) instead: a different number
    assert stats.kendalltau(x, y).statistic == pytest.approx(2 / 5)


def test_monotone_and_reversed():
    x = np.linspace(-3, 3, 50)
    assert kendall_tau(x, np.exp(x)) == 1.0
    assert kendall_tau(x, -x**3) == -1.0


def test_constant_input_gives_zero_not_nan():
    assert kendall_tau([1, 2, 3], [5, 5, 5]) == 0.0


@pytest.mark.parametrize("chunk_rows", [1, 7, 100, 5000])
def test_chunked_equals_unchunked_and_naive(chunk_rows):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 20, size=600).astype(float)  # many ties
    y = x + rng.integers(0, 10, size=600)
    expected = naive_tau_a(x, y)
    assert kendall_tau(x, y, chunk_rows=chunk_rows) == pytest.approx(expected, abs=1e-15)
    assert kendall_tau(x, y, chunk_rows=chunk_rows) == kendall_tau(x, y, chunk_rows=10_000)


def test_nan_observations_dropped_and_infinities_ordered():
    x = [1.0, 2.0, np.nan, 3.0, 4.0]
    y = [1.0, 2.0, 9.0, np.nan, np.inf]
    assert kendall_tau(x, y) == kendall_tau([1, 2, 4], [1, 2, np.inf]) == 1.0


def test_fewer_than_two_observations_is_nan():
    assert np.isnan(kendall_tau([], []))
    assert np.isnan(kendall_tau([1.0], [2.0]))
    assert np.isnan(kendall_tau([1.0, np.nan], [np.nan, 2.0]))


def test_length_mismatch_raises():
    with pytest.raises(ValueError):
        kendall_tau([1, 2, 3], [1, 2])


def test_ten_thousand_models_in_bounded_memory():
    rng = np.random.default_rng(2)
    x = rng.normal(size=10_000)
    y = x + rng.normal(size=10_000)
    tracemalloc.start()
    try:
        tau = kendall_tau(x, y, chunk_rows=256)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tau == pytest.approx(stats.kendalltau(x, y).statistic, abs=1e-12)
    assert peak < 40e6  # the full n×n sign matrix would take 100 MB as int8, 800 MB as float
