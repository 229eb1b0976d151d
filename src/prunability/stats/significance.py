"""Uncertainty of Kendall's τ: bootstrap confidence intervals over models, and
p-values corrected for testing many measures at once.

- The interval resamples *models* with replacement (each model is one
  observation of (measure, target)) and takes the percentile interval of τ
  (``scipy.stats.bootstrap``, paired, percentile method; Efron & Tibshirani
  1993, ch. 13). Resamples come from a seeded generator.
- The p-value is that of the test of independence that accompanies
  ``scipy.stats.kendalltau`` (τ-b; exact for small tie-free samples).
- Holm (1979) and Benjamini–Hochberg (1995) corrections run over every
  (measure, target) of a study at once, through statsmodels ``multipletests``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

from prunability.stats.kendall import kendall_tau


def bootstrap_interval(x, y, *, level: float = 0.95, resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of τ over resampled models; NaN when n < 3."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3:
        return float("nan"), float("nan")
    result = stats.bootstrap(
        (x, y), lambda a, b: kendall_tau(a, b), paired=True, vectorized=False, n_resamples=resamples,
        confidence_level=level, method="percentile", rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def independence_p_value(x, y) -> float:
    """Two-sided p-value of H0: τ = 0 (scipy's Kendall test); NaN when n < 3 or a column is constant."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.kendalltau(x, y).pvalue)


def corrected(p_values, method: str) -> np.ndarray:
    """Multiple-testing corrected p-values ("holm" or "fdr_bh"); NaNs stay NaN and are not counted."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        out[finite] = multipletests(p[finite], method=method)[1]
    return out
