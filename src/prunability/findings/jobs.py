"""Two pruning jobs compared network for network: the test accuracy of job A's
network minus job B's at the same sparsity, per model, averaged over models with
a bootstrap over models (pruning table, split "test").

Frankle & Carbin 2019 (§2, and Frankle et al. 2020 for rewinding) and Liu et al.
2019 ("Rethinking the Value of Network Pruning") ask whether the weights a mask
starts from matter: at high sparsity, IMP with weight rewinding against the same
mask on a fresh random initialization (``<schedule>.random_reinit``) and against
random masks with the same per-layer counts (``<schedule>.layer_matched_random``).
A job is a (method, schedule) pair, as in the pruning table.
"""

from __future__ import annotations

import pandas as pd

from prunability.findings.bootstrap import with_interval
from prunability.findings.registry import Estimate, evaluator
from prunability.findings.tables import StudyTables

JOB = {"type": "object", "additionalProperties": False, "required": ["method", "schedule"],
       "properties": {"method": {"type": "string"}, "schedule": {"type": "string"}}}
PARAMS = {
    "required": ["job", "versus", "sparsity"],
    "properties": {"job": JOB, "versus": JOB,
                   "sparsity": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                   "split": {"enum": ["test", "train"], "default": "test"}},
}


def _accuracy(pruning: pd.DataFrame, job: dict, sparsity: float, split: str) -> pd.Series:
    rows = pruning[(pruning["method"] == job["method"]) & (pruning["schedule"] == job["schedule"])
                   & ((pruning["sparsity"] - sparsity).abs() < 1e-6) & (pruning["split"] == split)]
    if rows.empty:
        at = sorted(pruning.loc[(pruning["method"] == job["method"]) & (pruning["schedule"] == job["schedule"]),
                               "sparsity"].unique())
        raise KeyError(f"the pruning table has no {split} rows for method {job['method']!r}, schedule "
                       f"{job['schedule']!r} at sparsity {sparsity:g}; its sparsities: {[round(float(s), 6) for s in at]}")
    return rows.groupby("model_id")["accuracy"].mean()


@evaluator("job_contrast", "{split} accuracy of {job[method]} {job[schedule]} minus {versus[method]} "
           "{versus[schedule]} at sparsity {sparsity:g}, per model", PARAMS)
def job_contrast(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    pruning = tables.table("pruning")
    pruning = pruning[pruning["model_id"].isin(tables.models["model_id"])]
    a, b = (_accuracy(pruning, params[k], params["sparsity"], params["split"]) for k in ("job", "versus"))
    diff = (a - b).dropna().rename("difference").reset_index()
    value, low, high = with_interval(diff, lambda f: f["difference"].mean(), resamples=resamples, seed=seed)
    return Estimate(value, low, high, len(diff), {"mean accuracy A": round(float(a.mean()), 4),
                                                   "mean accuracy B": round(float(b.mean()), 4),
                                                   "models where A wins": int((diff["difference"] > 0).sum())})
