"""AP view data: for every job pruned in rounds with an AP twin, the paired test
accuracy difference AP − twin per sparsity with its bootstrap interval, and the
dynamic dead-neuron rate of every job against sparsity — computed from the
pruning table by stats/ap_effect.py, the functions behind stats/ap_pairs and
stats/dnr_sparsity."""

from __future__ import annotations

import pandas as pd

from prunability.config import StatisticsConfig
from prunability.stats.ap_effect import ap_pairs, dnr_sparsity


def _columns(df: pd.DataFrame, names: list[str]) -> dict[str, list]:
    return {n: df[n].tolist() for n in names}


def payload(pruning: pd.DataFrame | None, statistics: StatisticsConfig) -> dict | None:
    """``{"pairs": columns, "dnr": columns}``, or ``None`` when the pruning table has no
    dead-neuron rates (a study run before they were recorded). The bootstrap is the
    statistics stage's (``statistics.bootstrap_resamples``, ``statistics.seed``)."""
    if pruning is None or "dnr" not in pruning.columns or pruning["dnr"].isna().all():
        return None
    pairs = ap_pairs(pruning, resamples=statistics.bootstrap_resamples, seed=statistics.seed)
    pairs = pairs[pairs["split"] == "test"].assign(job=lambda d: d["method"] + " (" + d["twin_schedule"] + ")")
    dnr = dnr_sparsity(pruning).dropna(subset=["mean_dnr"])
    dnr = dnr.assign(job=dnr["method"].where(dnr["schedule"] == "one_shot",
                                             dnr["method"] + " (" + dnr["schedule"] + ")"))
    return {
        "pairs": _columns(pairs.sort_values(["job", "sparsity"]),
                          ["job", "sparsity", "accuracy_diff", "ci_low", "ci_high", "n_models", "dnr_diff"]),
        "dnr": _columns(dnr.sort_values(["job", "sparsity"]), ["job", "ap", "sparsity", "mean_dnr", "n_models"]),
    }
