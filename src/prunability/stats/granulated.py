"""Granulated Kendall coefficient Ψ (Jiang et al. 2020).

Jiang et al. 2020 (*Fantastic Generalization Measures*, arXiv:1912.02178)
average τ over models that differ in a single hyperparameter, so that a
measure cannot score well merely by tracking the one hyperparameter that
dominates the gap:

    ψ_i = (1/m_i) Σ_{θ_1..θ_{i-1}, θ_{i+1}..θ_n} τ( ∪_{θ_i ∈ Θ_i} {(μ(θ), g(θ))} )
    Ψ   = (1/n) Σ_i ψ_i

(the paper's "granulated Kendall's coefficient"; equation numbers not verified
here; see /work/shared/references/measures.md §2). τ is the tau-a of
:mod:`prunability.stats.kendall`.

Conventions of this implementation:

* The axes are the given hyperparameters that take more than one value among
  the models passed in; ``seed_column`` is never an axis.
* For axis i, models are grouped by the values of all *other* given axes plus
  the seed, so every group holds models that differ only in θ_i. A group
  counts (towards m_i) when it has at least two distinct θ_i values, hence at
  least two models.
* ψ_i is NaN when axis i has no such group; Ψ (the row ``axis == "all"``)
  averages the finite ψ_i, and its ``n_groups`` is the total over axes.
* Models whose measure or target is NaN are dropped before grouping.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


ALL_AXES = "all"


def varying_axes(models: pd.DataFrame, axes: Sequence[str], seed_column: str | None = "seed") -> list[str]:
    """The axes (in the given order) that take more than one value in ``models``."""
    missing = [a for a in axes if a not in models.columns]
    if missing:
        raise KeyError(f"hyperparameter columns {missing} are not in the table (columns: {list(models.columns)})")
    return [a for a in axes if a != seed_column and models[a].nunique(dropna=False) > 1]


def _signs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sign(a − b) that also orders ±inf (inf vs inf is a tie)."""
    return (a > b).astype(np.int8) - (a < b).astype(np.int8)


def _group_taus(models: pd.DataFrame, measure: str, target: str, axis: str, keys: list[str]) -> list[float]:
    """τ of every group (fixed ``keys``) in which ``axis`` takes ≥ 2 values.

    Vectorized: every within-group pair of models at once (a self-join on the
    group code), τ-a of a group being the mean of its pairs' sign products."""
    group = models.groupby(keys, sort=False, dropna=False).ngroup().to_numpy() if keys else np.zeros(len(models), int)
    frame = pd.DataFrame({"g": group, "i": np.arange(len(models)), "v": pd.factorize(models[axis])[0],
                          "mu": models[measure].to_numpy(float), "gap": models[target].to_numpy(float)})
    pairs = frame.merge(frame, on="g")
    pairs = pairs[pairs["i_x"] < pairs["i_y"]]
    products = _signs(pairs["mu_x"].to_numpy(), pairs["mu_y"].to_numpy()) * _signs(
        pairs["gap_x"].to_numpy(), pairs["gap_y"].to_numpy())
    taus = pd.Series(products, index=pairs["g"].to_numpy()).groupby(level=0, sort=True).mean()
    distinct = frame.groupby("g")["v"].nunique()
    return taus[distinct.reindex(taus.index) >= 2].astype(float).tolist()


def granulated_kendall(
    models: pd.DataFrame,
    measure: str,
    target: str,
    axes: Sequence[str],
    *,
    seed_column: str | None = "seed",
) -> pd.DataFrame:
    """ψ_i for every varying axis and Ψ, as rows ``axis, psi, n_groups``.

    ``models`` has one row per model with the columns ``measure``, ``target``,
    the hyperparameter columns in ``axes`` and (if present) ``seed_column``.
    The last row is ``axis == "all"`` (Ψ). Never raises on small inputs: an
    empty table yields the single row ("all", NaN, 0).
    """
    models = models[models[measure].notna() & models[target].notna()]
    used = varying_axes(models, axes, seed_column)
    extra = [seed_column] if seed_column is not None and seed_column in models.columns else []
    rows = []
    for axis in used:
        keys = [a for a in axes if a not in (axis, seed_column)] + extra
        taus = _group_taus(models, measure, target, axis, keys)
        rows.append((axis, float(np.mean(taus)) if taus else float("nan"), len(taus)))
    psis = [psi for _, psi, _ in rows if np.isfinite(psi)]
    rows.append((ALL_AXES, float(np.mean(psis)) if psis else float("nan"), sum(n for *_, n in rows)))
    return pd.DataFrame(rows, columns=["axis", "psi", "n_groups"])
