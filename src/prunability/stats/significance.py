"""Uncertainty of Kendall's τ: bootstrap confidence intervals over models, and
p-values corrected for testing many measures at once.

- The interval resamples *models* with replacement (each model is one
  observation of (measure, target)) and takes the percentile interval of τ
  (``scipy.stats.bootstrap``, paired, percentile method; Efron & Tibshirani
  1993, ch. 13). Resamples come from a seeded generator. Above
  ``BOOTSTRAP_MAX_MODELS`` models the bootstrap (O(resamples · n²)) gives way
  to the Fieller–Hartley–Pearson (1957) interval tanh(atanh τ ± z·√(0.437/(n−4))),
  which is accurate there and costs nothing.
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


BOOTSTRAP_MAX_MODELS = 300


def fieller_interval(tau: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Fieller, Hartley & Pearson (1957) interval of Kendall's τ via Fisher's z; NaN when n < 5."""
    if n < 5 or not np.isfinite(tau):
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + level / 2) * np.sqrt(0.437 / (n - 4))
    centre = np.arctanh(np.clip(tau, -1 + 1e-12, 1 - 1e-12))
    return float(np.tanh(centre - z)), float(np.tanh(centre + z))


def tau_interval(x, y, *, resamples: int, seed: int, level: float = 0.95) -> tuple[float, float]:
    """The bootstrap interval for up to BOOTSTRAP_MAX_MODELS models, Fieller's beyond."""
    if len(x) > BOOTSTRAP_MAX_MODELS:
        return fieller_interval(kendall_tau(x, y), len(x), level)
    return bootstrap_interval(x, y, level=level, resamples=resamples, seed=seed)


def bootstrap_interval(x, y, *, resamples: int, seed: int, level: float = 0.95) -> tuple[float, float]:
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
