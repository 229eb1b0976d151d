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
    return _loss(w.sum(), (w**2).sum(), (w * _sign_error(d_mu, d_gap)).sum(), min_ess)


def _sign_error(d_mu: np.ndarray, d_gap: np.ndarray) -> np.ndarray:
    return (1.0 - np.sign(d_mu) * np.sign(d_gap)) / 2.0


def _loss(w_sum: float, w_sq_sum: float, weighted_error: float, min_ess: float) -> float | None:
    if w_sum <= 0 or w_sum**2 / w_sq_sum < min_ess:
        return None
    return float(weighted_error / w_sum)


def _axis_losses(models: pd.DataFrame, measure: str, target: str, axis: str, others: list[str],
                 n_test: int, min_ess: float) -> list[float]:
    """Losses of every environment along ``axis``, vectorized: all pairs of models
    that agree on the other hyperparameters (a self-join), grouped by the two
    configurations they come from."""
    frame = models[others].copy()
    frame["v"], frame["mu"], frame["gap"] = pd.factorize(models[axis], sort=True)[0], models[measure], models[target]
    pairs = frame.merge(frame, on=others, how="inner") if others else frame.merge(frame, how="cross")
    pairs = pairs[pairs["v_x"] < pairs["v_y"]]
    d_mu, d_gap = (pairs["mu_x"] - pairs["mu_y"]).to_numpy(float), (pairs["gap_x"] - pairs["gap_y"]).to_numpy(float)
    w = noise_weight(d_gap, n_test)
    sums = pd.DataFrame({"w": w, "w2": w**2, "we": w * _sign_error(d_mu, d_gap)})
    env = sums.groupby([pairs[c].to_numpy() for c in others + ["v_x", "v_y"]], sort=False, dropna=False).sum()
    losses = (_loss(r.w, r.w2, r.we, min_ess) for r in env.itertuples())
    return [v for v in losses if v is not None]


def sign_error_summary(models: pd.DataFrame, measure: str, target: str, axes: list[str],
                       n_test: int, min_ess: float) -> list[tuple]:
    """Rows (axis, n_environments, mean, p90, max), per axis and "all"."""
    losses = {axis: _axis_losses(models, measure, target, axis, [a for a in axes if a != axis], n_test, min_ess)
              for axis in axes}
    losses["all"] = [v for axis in axes for v in losses[axis]]
    return [(axis, len(v), *_describe(v)) for axis, v in losses.items()]


def _describe(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return float("nan"), float("nan"), float("nan")
    v = np.asarray(values)
    return float(v.mean()), float(np.percentile(v, 90)), float(v.max())
