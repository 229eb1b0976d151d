"""Where a test sample first fails: the sparsity at which pruning first makes a
model misclassify it (clean test set), and the corruption severity at which the
dense model first does. 0 means already wrong without pruning / on the clean
image; NaN means never within the study's grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def first_failure_sparsity(clean: pd.DataFrame) -> pd.DataFrame:
    """Per model × method × schedule × sample, from clean rows with columns
    model_id, method, schedule, sparsity, sample, correct. The dense verdict is
    the sample's sparsity-0 row of any method (all are the same network)."""
    keys = ["model_id", "method", "schedule", "sample"]
    dense_wrong = ~clean[clean["sparsity"] == 0].groupby(["model_id", "sample"])["correct"].all()
    pruned = clean[clean["sparsity"] > 0]
    first = pruned[~pruned["correct"]].groupby(keys)["sparsity"].min()
    out = pruned[keys].drop_duplicates().join(first.rename("first"), on=keys)
    wrong = out.join(dense_wrong.rename("dense_wrong"), on=["model_id", "sample"])["dense_wrong"].eq(True)
    out.loc[wrong.to_numpy(), "first"] = 0.0
    return out.reset_index(drop=True)


def first_failure_severity(corrupted: pd.DataFrame, clean_dense: pd.DataFrame) -> pd.DataFrame:
    """Per model × corruption × sample, from the dense model's corrupted rows
    (model_id, corruption, severity, sample, correct) and its clean rows
    (model_id, sample, correct)."""
    keys = ["model_id", "corruption", "sample"]
    first = corrupted[~corrupted["correct"]].groupby(keys)["severity"].min().astype(float)
    out = corrupted[keys].drop_duplicates().join(first.rename("first"), on=keys)
    clean_ok = clean_dense.drop_duplicates(["model_id", "sample"]).set_index(["model_id", "sample"])["correct"]
    wrong = out.join(clean_ok.rename("clean_ok"), on=["model_id", "sample"])["clean_ok"].eq(False)
    out.loc[wrong.to_numpy(), "first"] = 0.0
    return out.reset_index(drop=True)


def majority_severity(per_model: pd.DataFrame) -> pd.DataFrame:
    """Per corruption × sample: the lowest severity at which most models
    misclassify the sample (NaN if at no severity do most of them)."""
    rows = []
    for (corruption, sample), group in per_model.groupby(["corruption", "sample"]):
        first = group["first"].to_numpy(float)
        candidates = np.unique(first[np.isfinite(first)])
        failing = [s for s in candidates if (first <= s).sum() * 2 > len(first)]
        rows.append((corruption, sample, failing[0] if failing else np.nan))
    return pd.DataFrame(rows, columns=["corruption", "sample", "first"])
