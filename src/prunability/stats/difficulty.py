"""Are the hard examples the ones pruning forgets?

- ``sample_difficulty``: per split and example, the difficulty scores of the
  difficulty table (prunability.difficulty) averaged over the zoo's models that
  saw it, and its *consistency*: the fraction of those models whose final
  network classifies it correctly (the consistency score of Jiang, Zhang,
  Talwar & Mozer 2021, "Characterizing Structural Regularities of Labeled
  Data", estimated over the zoo rather than over retrainings on data subsets).
  Paul et al. 2021 average EL2N and GraNd over 10 initializations; the zoo's
  models (seeds and hyperparameters) stand in for them.
- ``difficulty_fragility``: per method, schedule, sparsity and score, Spearman's
  ρ over test examples between the example's difficulty (oriented: larger is
  harder) and its fragility at that sparsity, the fraction of models whose
  pruned network misclassifies it among those whose dense network classified it
  correctly (from the fragility table's first failure sparsity).
- ``pie_difficulty``: per method, schedule, sparsity and score, the mean
  difficulty of the pruning-identified exemplars (Hooker et al. 2019) and of the
  other test examples, their difference and a 95 % percentile bootstrap interval
  of it (each group resampled with replacement).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

#: difficulty scores of the test examples, oriented so that larger is harder
HARDER_IS_LARGER = {
    "forgetting_events": "forgetting_events", "el2n": "el2n", "grand": "grand",
    "inconsistency": "consistency", "negative_margin": "margin",
}


def sample_difficulty(difficulty: pd.DataFrame, models) -> pd.DataFrame:
    """One row per split × example: zoo means of every score, and consistency."""
    d = difficulty[difficulty["model_id"].isin(set(models))]
    grouped = d.groupby(["split", "sample"], sort=True)
    out = grouped.agg(label=("label", "first"), n_models=("model_id", "nunique"), consistency=("correct", "mean"),
                      forgetting_events=("forgetting_events", "mean"), never_learned=("never_learned", "mean"),
                      el2n=("el2n", "mean"), grand=("grand", "mean"), margin=("margin", "mean")).reset_index()
    return out.astype({"sample": "int32", "label": "int16", "n_models": "int32"})


def oriented_scores(samples: pd.DataFrame) -> pd.DataFrame:
    """Per test example, every score in HARDER_IS_LARGER (consistency and margin negated), indexed by sample."""
    test = samples[samples["split"] == "test"].set_index("sample")
    out = pd.DataFrame(index=test.index)
    for name, column in HARDER_IS_LARGER.items():
        out[name] = test[column] if name == column else (1 - test[column] if column == "consistency" else -test[column])
    return out


def fragility_at(fragility: pd.DataFrame, sparsities: pd.DataFrame) -> pd.DataFrame:
    """Per method, schedule, sparsity and test example: the fraction of models, among those whose
    dense network got it right, whose network at that sparsity gets it wrong."""
    right = fragility[fragility["dense_correct"]]
    parts = []
    for (method, schedule), points in sparsities.groupby(["method", "schedule"]):
        job = right[(right["method"] == method) & (right["schedule"] == schedule)]
        first = job["first_failure_sparsity"].to_numpy(float)  # NaN: never wrong within the grid
        for s in sorted(points["sparsity"].unique()):
            frame = job[["sample"]].assign(failed=np.nan_to_num(first, nan=np.inf) <= s + 1e-12)
            part = frame.groupby("sample")["failed"].agg(["mean", "size"]).reset_index()
            parts.append(part.assign(method=method, schedule=schedule, sparsity=float(s)))
    if not parts:
        return pd.DataFrame(columns=["method", "schedule", "sparsity", "sample", "mean", "size"])
    return pd.concat(parts, ignore_index=True).rename(columns={"mean": "fragility", "size": "n_models"})


def difficulty_fragility(samples: pd.DataFrame, fragility: pd.DataFrame, sparsities: pd.DataFrame) -> pd.DataFrame:
    """Spearman ρ(difficulty, fragility) over test examples per method, schedule, sparsity and score."""
    scores = oriented_scores(samples)
    per_sample = fragility_at(fragility, sparsities)
    rows = []
    for (method, schedule, sparsity), g in per_sample.groupby(["method", "schedule", "sparsity"], sort=True):
        joined = g.set_index("sample")[["fragility"]].join(scores, how="inner")
        for score in HARDER_IS_LARGER:
            pair = joined[["fragility", score]].dropna()
            constant = pair["fragility"].nunique() < 2 or pair[score].nunique() < 2
            rho, p = (np.nan, np.nan) if constant else spearmanr(pair[score], pair["fragility"])
            rows.append({"method": method, "schedule": schedule, "sparsity": sparsity, "score": score,
                         "rho": float(rho), "p_value": float(p), "n_samples": int(len(pair)),
                         "mean_fragility": float(pair["fragility"].mean()) if len(pair) else np.nan})
    return pd.DataFrame(rows, columns=["method", "schedule", "sparsity", "score", "rho", "p_value", "n_samples",
                                       "mean_fragility"]).astype({"n_samples": "int32"})


def _bootstrap_difference(a: np.ndarray, b: np.ndarray, resamples: int, rng) -> tuple[float, float]:
    """95 % percentile interval of mean(a) − mean(b), each resampled with replacement."""
    if len(a) < 2 or len(b) < 2:
        return np.nan, np.nan
    diffs = (a[rng.integers(0, len(a), (resamples, len(a)))].mean(axis=1)
             - b[rng.integers(0, len(b), (resamples, len(b)))].mean(axis=1))
    return float(np.quantile(diffs, 0.025)), float(np.quantile(diffs, 0.975))


def pie_difficulty(pie: pd.DataFrame, samples: pd.DataFrame, *, resamples: int, seed: int) -> pd.DataFrame:
    """Mean difficulty of PIEs vs the other test examples per method, schedule, sparsity and score."""
    scores = oriented_scores(samples)
    rows = []
    for (method, schedule, sparsity), g in pie[pie["sparsity"] > 0].groupby(["method", "schedule", "sparsity"]):
        joined = g.set_index("sample")[["pie"]].join(scores, how="inner")
        for score in HARDER_IS_LARGER:
            values = joined[["pie", score]].dropna()
            a = values.loc[values["pie"], score].to_numpy(float)
            b = values.loc[~values["pie"], score].to_numpy(float)
            low, high = _bootstrap_difference(a, b, resamples, np.random.default_rng(seed))
            mean_a, mean_b = (a.mean() if len(a) else np.nan), (b.mean() if len(b) else np.nan)
            rows.append({"method": method, "schedule": schedule, "sparsity": float(sparsity), "score": score,
                         "n_pie": len(a), "n_rest": len(b), "mean_pie": mean_a, "mean_rest": mean_b,
                         "difference": mean_a - mean_b, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["method", "schedule", "sparsity", "score", "n_pie", "n_rest", "mean_pie",
                                       "mean_rest", "difference", "ci_low", "ci_high"]).astype(
        {"n_pie": "int32", "n_rest": "int32"})
