"""Which test samples pruning forgets.

- ``fragility``: per model × method × test sample, the smallest sparsity at
  which the pruned model misclassifies a sample its dense model gets right
  (NaN when it never does within the grid), on the clean test set. The table
  joins with the per-sample corruption results on ``sample``.
- ``pruning_identified_exemplars`` (Hooker et al. 2019, "What Do Compressed
  Deep Neural Networks Forget?", §2.2): a test sample is a PIE at (method,
  sparsity) when the modal prediction of the population of pruned models
  differs from the modal prediction of the population of dense models. Here
  the population is every converged model of the zoo (Hooker et al. use
  models that differ only in seed); ties of the mode go to the smallest class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunability.stats.robustness import job_columns


def _clean(samples: pd.DataFrame, models) -> pd.DataFrame:
    return samples[(samples["corruption"] == "none") & samples["model_id"].isin(models)]


def fragility(samples: pd.DataFrame, models) -> pd.DataFrame:
    clean = _clean(samples, models)
    keys = ["model_id", *job_columns(clean)[:-1], "sample"]
    # the dense network of a model is one, whatever the job: its sparsity-0 rows
    dense = (clean[clean["sparsity"] == 0].drop_duplicates(["model_id", "sample"])
             .set_index(["model_id", "sample"])["correct"].rename("dense_correct"))
    failed = clean[~clean["correct"] & (clean["sparsity"] > 0)].groupby(keys)["sparsity"].min()
    out = clean[keys + ["label"]].drop_duplicates(keys).join(dense, on=["model_id", "sample"])
    out["first_failure_sparsity"] = out.join(failed.rename("f"), on=keys)["f"].to_numpy(float)
    out.loc[~out["dense_correct"], "first_failure_sparsity"] = 0.0  # wrong already when dense
    return out.reset_index(drop=True).astype({"sample": "int32", "label": "int16"})


def _mode(predictions: pd.Series) -> int:
    counts = np.bincount(predictions.to_numpy().astype(np.int64))
    return int(counts.argmax())  # argmax takes the smallest class among ties


def pruning_identified_exemplars(samples: pd.DataFrame, models) -> pd.DataFrame:
    clean = _clean(samples, models)
    jobs = job_columns(clean)
    modal = clean.groupby([*jobs, "sample"])["predicted"].agg(_mode).rename("pruned_modal")
    labels = clean.groupby("sample")["label"].first()
    dense_rows = clean[clean["sparsity"] == 0].drop_duplicates(["model_id", "sample"])
    dense = dense_rows.groupby("sample")["predicted"].agg(_mode).rename("dense_modal")  # one dense population
    out = modal.reset_index().join(dense, on="sample").join(labels, on="sample")
    out["pie"] = out["pruned_modal"] != out["dense_modal"]
    columns = [*jobs, "sample", "label", "dense_modal", "pruned_modal", "pie"]
    return out[columns].astype({"sample": "int32", "label": "int16", "dense_modal": "int16", "pruned_modal": "int16"})
