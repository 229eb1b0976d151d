"""What AP does, and how the dead-neuron rate moves with sparsity, as tidy tables.

- ``ap_pairs``: per base method, twin schedule, sparsity and split, the paired
  difference AP − twin over models (an AP job and its twin share the model,
  its rounds, seeds and data order; pruning_jobs.py), with a percentile
  bootstrap interval of the mean difference (models resampled with
  replacement; Efron & Tibshirani 1993, ch. 13), and both networks' DNR.
  Liu et al. 2023 (arXiv 2212.06145) report AP adds 3–4 points on CIFAR at
  high sparsity.
- ``dnr_sparsity``: mean DNR of the pruned networks (eval mode, the fixed
  train-eval subset; prunability.dnr) per method, schedule and sparsity.
- ``dnr_trend``: Kendall τ between sparsity and DNR over every network of a
  job (every model, every sparsity): the paper's observation is τ < 0, the
  more a network is pruned, the lower its DNR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunability.pruning_jobs import base_schedule, is_ap
from prunability.stats.kendall import kendall_tau

PAIR_KEYS = ["model_id", "method", "twin_schedule", "sparsity", "split"]


def bootstrap_mean_interval(values, *, resamples: int, seed: int, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaN below two values)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def paired_networks(pruning: pd.DataFrame) -> pd.DataFrame:
    """Each AP network beside its twin: one row per model × method × twin schedule ×
    sparsity × split, with accuracy, loss and dnr of both (suffixes _ap, _twin)."""
    ap = pruning[pruning["schedule"].map(is_ap)].assign(twin_schedule=lambda d: d["schedule"].map(base_schedule))
    twin = pruning.assign(twin_schedule=pruning["schedule"])
    twin = twin[twin["twin_schedule"].isin(set(ap["twin_schedule"]))]
    columns = [*PAIR_KEYS, "accuracy", "loss", "dnr"]
    return ap[columns].merge(twin[columns], on=PAIR_KEYS, suffixes=("_ap", "_twin"), validate="one_to_one")


def ap_pairs(pruning: pd.DataFrame, *, resamples: int, seed: int) -> pd.DataFrame:
    """The paired effect of AP per (method, twin schedule, sparsity, split); empty without AP jobs."""
    pairs = paired_networks(pruning)
    rows = []
    for (method, schedule, sparsity, split), g in pairs.groupby(PAIR_KEYS[1:], sort=True):
        diff = g["accuracy_ap"] - g["accuracy_twin"]
        low, high = bootstrap_mean_interval(diff, resamples=resamples, seed=seed)
        rows.append({"method": method, "twin_schedule": schedule, "sparsity": sparsity, "split": split,
                     "n_models": int(diff.notna().sum()), "accuracy_twin": g["accuracy_twin"].mean(),
                     "accuracy_ap": g["accuracy_ap"].mean(), "accuracy_diff": diff.mean(),
                     "ci_low": low, "ci_high": high, "dnr_twin": g["dnr_twin"].mean(), "dnr_ap": g["dnr_ap"].mean(),
                     "dnr_diff": (g["dnr_ap"] - g["dnr_twin"]).mean()})
    columns = ["method", "twin_schedule", "sparsity", "split", "n_models", "accuracy_twin", "accuracy_ap",
               "accuracy_diff", "ci_low", "ci_high", "dnr_twin", "dnr_ap", "dnr_diff"]
    return pd.DataFrame(rows, columns=columns).astype({"n_models": "int32"})


def dnr_sparsity(pruning: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread of the DNR on the train-eval subset per method × schedule × sparsity."""
    train = pruning[pruning["split"] == "train"]
    out = train.groupby(["method", "schedule", "sparsity"], sort=True).agg(
        mean_dnr=("dnr", "mean"), min_dnr=("dnr", "min"), max_dnr=("dnr", "max"), n_models=("model_id", "nunique"))
    out = out.reset_index()
    out["ap"] = out["schedule"].map(is_ap)
    return out[["method", "schedule", "ap", "sparsity", "mean_dnr", "min_dnr", "max_dnr", "n_models"]].astype(
        {"n_models": "int32"})


def dnr_trend(pruning: pd.DataFrame) -> pd.DataFrame:
    """Kendall τ(sparsity, DNR) over every network (model × sparsity) of each job."""
    train = pruning[(pruning["split"] == "train")].dropna(subset=["dnr"])
    rows = [{"method": m, "schedule": s, "ap": is_ap(s), "tau": kendall_tau(g["sparsity"], g["dnr"]),
             "n_points": int(len(g))} for (m, s), g in train.groupby(["method", "schedule"], sort=True)]
    return pd.DataFrame(rows, columns=["method", "schedule", "ap", "tau", "n_points"]).astype({"n_points": "int32"})
