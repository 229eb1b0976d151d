"""Pruning-specific summaries of a study, each a tidy table.

- ``accuracy_retained``: per method × sparsity × split, the mean accuracy of
  pruned models and the mean fraction of their dense model's accuracy they keep.
- ``effective_robustness``: are pruned models more or less robust than dense
  models *of the same clean accuracy*? Over the zoo's dense models, mean
  corruption accuracy is fitted as a line in clean accuracy; a pruned model's
  residual from that line is its effective robustness (the notion of Taori et
  al. 2020, "Measuring Robustness to Natural Distribution Shifts", §3, applied
  to pruning as in Li et al. 2022 / Diffenderfer et al. 2021).
- ``prunability_by_architecture``: Kendall τ between prunability and the gap
  within each architecture (Kuhn et al. 2021 compare within a model family).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunability.stats.kendall import kendall_tau
from prunability.stats.robustness import job_columns
from prunability.status import Status


def accuracy_retained(pruning: pd.DataFrame) -> pd.DataFrame:
    keys = ["model_id", "split"]  # a model's dense network is one, whatever the job
    dense = pruning[pruning["sparsity"] == 0].drop_duplicates(keys).set_index(keys)["accuracy"]
    rows = pruning.join(dense.rename("dense_accuracy"), on=keys)
    rows["retained"] = rows["accuracy"] / rows["dense_accuracy"]
    out = rows.groupby(["method", "schedule", "sparsity", "split"], sort=True).agg(
        mean_accuracy=("accuracy", "mean"), mean_retained=("retained", "mean"),
        min_retained=("retained", "min"), n_models=("model_id", "nunique"))
    return out.reset_index().astype({"n_models": "int32"})


def _per_model_accuracy(robustness: pd.DataFrame) -> pd.DataFrame:
    """(model, method, schedule, sparsity) -> clean accuracy and mean accuracy over corruptions × severities."""
    keys = ["model_id", *job_columns(robustness)]
    clean = robustness[robustness["corruption"] == "none"].set_index(keys)["accuracy"].rename("clean_accuracy")
    corrupted = robustness[robustness["corruption"] != "none"].groupby(keys)["accuracy"].mean()
    return pd.concat([clean, corrupted.rename("corruption_accuracy")], axis=1).reset_index()


def effective_robustness(robustness: pd.DataFrame) -> pd.DataFrame:
    points = _per_model_accuracy(robustness).dropna()
    dense = points[points["sparsity"] == 0].drop_duplicates("model_id")
    if dense["clean_accuracy"].nunique() >= 2:
        slope, intercept = np.polyfit(dense["clean_accuracy"], dense["corruption_accuracy"], 1)
    else:  # one dense accuracy: no line, compare with the dense mean
        slope, intercept = 0.0, dense["corruption_accuracy"].mean() if len(dense) else np.nan
    points["expected"] = intercept + slope * points["clean_accuracy"]
    points["residual"] = points["corruption_accuracy"] - points["expected"]
    out = points.groupby(job_columns(points), sort=True).agg(
        clean_accuracy=("clean_accuracy", "mean"), corruption_accuracy=("corruption_accuracy", "mean"),
        expected_from_dense=("expected", "mean"), effective_robustness=("residual", "mean"),
        n_models=("model_id", "nunique"))
    return out.reset_index().astype({"n_models": "int32"})


def prunability_by_architecture(zoo: pd.DataFrame, measures: pd.DataFrame, target: str = "generalization_gap",
                                measure: str = "prunability") -> pd.DataFrame:
    values = measures.loc[measures["measure"] == measure, ["model_id", "value"]]
    data = zoo[zoo["status"] == Status.CONVERGED].merge(values, on="model_id")
    rows = [(arch, measure, target, kendall_tau(g["value"], g[target]), len(g))
            for arch, g in data.groupby("architecture", sort=True)]
    out = pd.DataFrame(rows, columns=["architecture", "measure", "target", "tau", "n_models"])
    return out.astype({"n_models": "int32", "tau": "float64"})
