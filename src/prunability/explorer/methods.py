"""Methods view data: accuracy against sparsity per pruning method, clean and
per corruption × severity, aggregated over the zoo on the Python side so the
page draws a few thousand points however many models the study has.

The band around each line is the spread over seeds: the standard deviation
between models that differ only in their seed, pooled over hyperparameter
settings. A zoo with one seed per setting has no such spread; the band is then
the standard deviation over all models, and the page says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunability.schemas import HPARAM_NAMES

MEAN_OF_CORRUPTIONS = "mean of corruptions"
KEYS = ["method", "schedule", "sparsity", "corruption", "severity"]


def observations(pruning: pd.DataFrame | None, robustness: pd.DataFrame | None) -> pd.DataFrame:
    """One accuracy per model × method × schedule × sparsity × corruption × severity.

    Clean accuracy comes from the pruning curves (every schedule, test split);
    corrupted accuracy from the robustness table; the mean over corruptions
    per severity is added as a corruption of its own.
    """
    parts = []
    if pruning is not None:
        clean = pruning[pruning["split"] == "test"].assign(corruption="none", severity=0)
        parts.append(clean[["model_id"] + KEYS + ["accuracy"]])
    if robustness is not None:
        corrupted = robustness[robustness["corruption"] != "none"][["model_id"] + KEYS + ["accuracy"]]
        parts.append(corrupted)
        if len(corrupted):
            mean = corrupted.groupby(["model_id", "method", "schedule", "sparsity", "severity"], as_index=False)["accuracy"].mean()
            parts.append(mean.assign(corruption=MEAN_OF_CORRUPTIONS)[["model_id"] + KEYS + ["accuracy"]])
    if not parts:
        return pd.DataFrame(columns=["model_id"] + KEYS + ["accuracy"])
    out = pd.concat(parts, ignore_index=True).dropna(subset=["accuracy"])
    return out.astype({"severity": "int64", "sparsity": "float64"})


def _setting(zoo: pd.DataFrame) -> pd.Series:
    """A label per model of every hyperparameter but the seed."""
    axes = [h for h in HPARAM_NAMES if h != "seed" and h in zoo]
    return zoo.set_index("model_id")[axes].astype(str).agg("|".join, axis=1)


def has_seed_replicates(zoo: pd.DataFrame) -> bool:
    return bool(_setting(zoo).value_counts().max() > 1) if len(zoo) else False


def curves(obs: pd.DataFrame, zoo: pd.DataFrame) -> pd.DataFrame:
    """Mean, spread and model count per method × schedule × sparsity × corruption × severity."""
    grouped = obs.groupby(KEYS, sort=True)["accuracy"]
    out = grouped.agg(mean="mean", n="count").reset_index()
    if has_seed_replicates(zoo):
        within = obs.assign(setting=obs["model_id"].map(_setting(zoo)))
        var = within.groupby(KEYS + ["setting"])["accuracy"].var(ddof=1).groupby(level=KEYS).mean()
        out["sd"] = np.sqrt(out.set_index(KEYS).index.map(var).to_numpy(float))
    else:
        out["sd"] = grouped.std(ddof=1).to_numpy(float)
    return out


def payload(pruning: pd.DataFrame | None, robustness: pd.DataFrame | None, zoo: pd.DataFrame) -> dict | None:
    """The Methods view's data as columns, or ``None`` when no accuracy was recorded."""
    obs = observations(pruning, robustness)
    if obs.empty:
        return None
    table = curves(obs, zoo)
    corruptions = ["none"] + sorted(c for c in table["corruption"].unique() if c not in ("none", MEAN_OF_CORRUPTIONS))
    if MEAN_OF_CORRUPTIONS in set(table["corruption"]):
        corruptions.append(MEAN_OF_CORRUPTIONS)
    return {
        "methods": sorted(table["method"].unique().tolist()),
        "schedules": sorted(table["schedule"].unique().tolist()),
        "corruptions": corruptions,
        "severities": sorted(int(s) for s in table["severity"].unique() if s > 0),
        "spread": "seeds" if has_seed_replicates(zoo) else "models",
        "rows": {
            "method": table["method"].tolist(), "schedule": table["schedule"].tolist(),
            "sparsity": table["sparsity"].round(6).tolist(), "corruption": table["corruption"].tolist(),
            "severity": table["severity"].astype(int).tolist(), "mean": _rounded(table["mean"]),
            "sd": _rounded(table["sd"]), "n": table["n"].astype(int).tolist(),
        },
    }


def _rounded(values: pd.Series) -> list:
    """Four decimals (accuracy to 0.01 %), NaN as null for JSON."""
    return [None if not np.isfinite(v) else round(float(v), 4) for v in values]
