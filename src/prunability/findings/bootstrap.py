"""Percentile bootstrap over rows (models, or model pairs): the 95 % interval of
any statistic of a table (Efron & Tibshirani 1993, ch. 13), from a seeded
generator, so a report is reproducible bit for bit."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd


def percentile_interval(frame: pd.DataFrame, statistic: Callable[[pd.DataFrame], float], *,
                        resamples: int, seed: int, level: float = 0.95) -> tuple[float, float]:
    """The (low, high) percentiles of ``statistic`` over row resamples; NaN with fewer
    than 3 rows or when fewer than half the resamples give a finite value."""
    n = len(frame)
    if n < 3:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = np.array([statistic(frame.iloc[rng.integers(0, n, n)].reset_index(drop=True))
                       for _ in range(resamples)], dtype=float)
    values = values[np.isfinite(values)]
    if len(values) < resamples / 2:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def with_interval(frame: pd.DataFrame, statistic: Callable[[pd.DataFrame], float], *, resamples: int,
                  seed: int) -> tuple[float, float, float]:
    """(estimate, low, high), the interval widened to contain the estimate (a
    percentile interval can miss it for skewed statistics such as a maximum)."""
    value = float(statistic(frame)) if len(frame) else float("nan")
    low, high = percentile_interval(frame, statistic, resamples=resamples, seed=seed)
    if np.isfinite(value) and np.isfinite(low):
        low, high = min(low, value), max(high, value)
    return value, low, high
