"""Robust sign-error over coupled networks (Dziugaite et al. 2020, "In Search
of Robust Measures of Generalization", NeurIPS, §3–4).

An *environment* is a pair of hyperparameter configurations that differ in
exactly one hyperparameter. Within it, every pair of models (one per
configuration, any seeds) contributes the sign-error
    e = (1 − sign(Δμ) · sign(Δg)) / 2        (a tie in μ costs ½)
weighted by how surely the sign of Δg is not Monte Carlo noise of a test set of
n points: with φ = 2·exp(−2n(|Δg|/2)²), the Hoeffding confidence that the two
gaps' order is right is max(0, 1 − φ)², and pairs count with weight
w = max(0, that − ½) (the public code of the paper,
``experiments/coupled_networks``). The environment's loss is the weighted mean; environments whose
effective sample size (Σw)²/Σw² is below ``min_ess`` (12 in the paper) are
dropped. A measure is judged by the distribution of environment losses: its
mean, 90th percentile and maximum (the robust sign-error), over all
environments and per hyperparameter that differs.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd


def noise_weight(delta_gap: np.ndarray, n_test: int) -> np.ndarray:
    """Weight of a gap difference measured on ``n_test`` test points."""
    phi = 2.0 * np.exp(-2.0 * n_test * (np.abs(delta_gap) / 2.0) ** 2)
    confidence = np.maximum(0.0, 1.0 - phi) ** 2
    return np.maximum(0.0, confidence - 0.5)


def environment_loss(mu_a, gap_a, mu_b, gap_b, n_test: int, min_ess: float) -> float | None:
    """Weighted sign-error over all model pairs across two configurations, or None if too noisy."""
    d_mu = np.subtract.outer(np.asarray(mu_a, float), np.asarray(mu_b, float)).ravel()
    d_gap = np.subtract.outer(np.asarray(gap_a, float), np.asarray(gap_b, float)).ravel()
    w = noise_weight(d_gap, n_test)
    if w.sum() == 0 or w.sum() ** 2 / (w**2).sum() < min_ess:
        return None
    error = (1.0 - np.sign(d_mu) * np.sign(d_gap)) / 2.0
    return float((w * error).sum() / w.sum())


def _environments(models: pd.DataFrame, axes: list[str]):
    """(axis, rows of configuration a, rows of configuration b) for every coupled pair."""
    for axis in axes:
        others = [a for a in axes if a != axis]
        groups = models.groupby(others, dropna=False, sort=False) if others else [((), models)]
        for _, group in groups:
            configs = [rows for _, rows in group.groupby(axis, sort=True)]
            for a, b in itertools.combinations(configs, 2):
                yield axis, a, b


def sign_error_summary(models: pd.DataFrame, measure: str, target: str, axes: list[str],
                       n_test: int, min_ess: float) -> list[tuple]:
    """Rows (axis, n_environments, mean, p90, max), per axis and "all"."""
    losses: dict[str, list[float]] = {axis: [] for axis in axes}
    for axis, a, b in _environments(models, axes):
        loss = environment_loss(a[measure], a[target], b[measure], b[target], n_test, min_ess)
        if loss is not None:
            losses[axis].append(loss)
    losses["all"] = [v for axis in axes for v in losses[axis]]
    return [(axis, len(v), *_describe(v)) for axis, v in losses.items()]


def _describe(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return float("nan"), float("nan"), float("nan")
    v = np.asarray(values)
    return float(v.mean()), float(np.percentile(v, 90)), float(v.max())
