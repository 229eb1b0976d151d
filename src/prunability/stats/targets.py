"""The robustness targets measures are asked to predict, beside the zoo's own
(generalization gap, test loss): the dense model's mean accuracy over every
corruption × severity (Hendrycks & Dietterich 2019) and its drop from the clean
accuracy."""

from __future__ import annotations

import pandas as pd


def with_corruption_targets(zoo: pd.DataFrame, robustness: pd.DataFrame) -> pd.DataFrame:
    """The zoo with ``mean_corruption_accuracy`` and ``corruption_accuracy_drop`` of each
    dense model (every job's sparsity 0 is the same dense model: one is kept)."""
    dense = robustness[robustness["sparsity"] == 0].drop_duplicates(["model_id", "corruption", "severity"])
    corrupted = dense[dense["corruption"] != "none"].groupby("model_id")["accuracy"].mean()
    clean = dense[dense["corruption"] == "none"].set_index("model_id")["accuracy"]
    out = zoo.copy()
    out["mean_corruption_accuracy"] = out["model_id"].map(corrupted)
    out["corruption_accuracy_drop"] = out["model_id"].map(clean) - out["mean_corruption_accuracy"]
    return out
