"""Robustness to common corruptions: the summaries of Hendrycks & Dietterich 2019, per model.

From the robustness table (one row per model x method x sparsity x corruption x
severity; corruption "none" at severity 0 is the clean test set):

* ``corruption_errors``: per corruption, the error E = mean over severities of
  1 - accuracy, and the corruption error CE and relative CE normalised to the
  DENSE model (sparsity 0) of the same model_id -- the CIFAR analogue of
  ImageNet-C's AlexNet normalisation, since CIFAR-10-C has no baseline model:
  CE = sum_s E_s / sum_s E_s(dense),
  relative CE = sum_s (E_s - E_clean) / sum_s (E_s(dense) - E_clean(dense)).
  A dense model therefore has CE = relative CE = 1; a ratio with a zero
  denominator is NaN.
* ``robustness_summary``: per model x method x sparsity, clean accuracy, the
  mean corruption accuracy over the benchmark's 15 corruptions and over all
  corruptions present, and mCE / relative mCE (means of CE over the 15) and
  their analogues over all corruptions present.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunability.corruptions.registry import COMMON_CORRUPTIONS
from prunability.schemas import HPARAM_NAMES

CLEAN = "none"


def _model_columns(robustness: pd.DataFrame) -> list[str]:
    """model_id and whichever hyperparameter columns the table carries."""
    return ["model_id", *[c for c in HPARAM_NAMES if c in robustness.columns]]


def job_columns(table: pd.DataFrame) -> list[str]:
    """What identifies a pruned network beside its model: method and schedule
    (one-shot, fine-tuned, at-init, an IMP round), then sparsity."""
    return ["method", *(["schedule"] if "schedule" in table.columns else []), "sparsity"]


def job_label(table: pd.DataFrame) -> pd.Series:
    """A legend label per row: the method, with its schedule unless one-shot ("snip (at_init)")."""
    method = table["method"].astype(str)
    if "schedule" not in table.columns:
        return method
    return method.where(table["schedule"] == "one_shot", method + " (" + table["schedule"].astype(str) + ")")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return num / den.where(den != 0, np.nan)


def corruption_errors(robustness: pd.DataFrame) -> pd.DataFrame:
    """One row per model x method x schedule x sparsity x corruption: error, ce,
    relative_ce (both normalized to the same model's dense network), n_severities."""
    keys = _model_columns(robustness) + job_columns(robustness)
    clean = robustness[robustness["corruption"] == CLEAN].groupby(keys, dropna=False)["accuracy"].mean()
    rows = robustness[robustness["corruption"] != CLEAN].assign(err=lambda d: 1.0 - d["accuracy"])
    per = rows.groupby(keys + ["corruption"], dropna=False).agg(
        error=("err", "mean"), error_sum=("err", "sum"), n_severities=("severity", "nunique")).reset_index()
    per = per.merge((1.0 - clean).rename("clean_error").reset_index(), on=keys, how="left")
    per["relative_sum"] = per["error_sum"] - per["n_severities"] * per["clean_error"]
    dense = (per[per["sparsity"] == 0].groupby(["model_id", "corruption"])[["error_sum", "relative_sum"]].mean()
             .rename(columns=lambda c: f"dense_{c}").reset_index())
    per = per.merge(dense, on=["model_id", "corruption"], how="left")
    per["ce"] = _ratio(per["error_sum"], per["dense_error_sum"])
    per["relative_ce"] = _ratio(per["relative_sum"], per["dense_relative_sum"])
    return per[keys + ["corruption", "n_severities", "error", "ce", "relative_ce"]]


def _means(errors: pd.DataFrame, keys: list[str], suffix: str) -> pd.DataFrame:
    grouped = errors.groupby(keys, dropna=False)
    return pd.DataFrame({
        f"mean_corruption_accuracy_{suffix}": 1.0 - grouped["error"].mean(),
        f"mce_{suffix}": grouped["ce"].mean(),
        f"relative_mce_{suffix}": grouped["relative_ce"].mean(),
        f"n_corruptions_{suffix}": grouped["corruption"].nunique(),
    })


def robustness_summary(robustness: pd.DataFrame) -> pd.DataFrame:
    """One row per model x method x schedule x sparsity (hyperparameter columns kept).

    Columns: clean_accuracy; for the 15 benchmark corruptions present
    (suffix ``15``) and for all corruptions present (suffix ``all``):
    mean_corruption_accuracy (mean over corruptions of the mean accuracy over
    severities), mce, relative_mce and n_corruptions (how many were present).
    """
    keys = _model_columns(robustness) + job_columns(robustness)
    errors = corruption_errors(robustness)
    clean = robustness[robustness["corruption"] == CLEAN].groupby(keys, dropna=False)["accuracy"].mean()
    common = _means(errors[errors["corruption"].isin(COMMON_CORRUPTIONS)], keys, "15")
    everything = _means(errors, keys, "all")
    out = pd.DataFrame({"clean_accuracy": clean}).join([common, everything], how="outer").reset_index()
    out["n_corruptions_15"] = out["n_corruptions_15"].fillna(0).astype(int)
    out["n_corruptions_all"] = out["n_corruptions_all"].fillna(0).astype(int)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
