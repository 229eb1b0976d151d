"""Pruning methods compared at equal sparsity (Li et al. 2022, "Understanding
Robustness Lottery", arXiv 2206.07918): networks pruned by different methods to
the same sparsity, with similar clean accuracy, can differ in accuracy under
common corruptions; and the geometry of their penultimate features (length,
angle to the true-class weight, angular margin) moves with sparsity differently
per method.

``method_contrast``: per model, the mean accuracy over every corruption and
severity of method A's network minus method B's at one sparsity and schedule
(robustness table), averaged over models, with a bootstrap over models. The
premise "similar clean accuracy" is checked, not assumed: when the mean clean
difference exceeds ``clean_tolerance`` the claim is inconclusive here.

``sparsity_trend``: per model, Kendall τ between sparsity and one measure of the
pruned networks (pruned_measures table, on the clean test set:
test_feature_length, test_feature_angle, test_angular_margin,
test_dead_neuron_rate; prunability.pruned_measures), averaged over models, with
a bootstrap over models.
"""

from __future__ import annotations

import pandas as pd

from prunability.findings.bootstrap import with_interval
from prunability.findings.registry import Estimate, evaluator
from prunability.findings.tables import StudyTables
from prunability.stats.kendall import kendall_tau

CONTRAST = {
    "required": ["methods", "sparsity"],
    "properties": {
        "methods": {"type": "array", "minItems": 2, "maxItems": 2, "uniqueItems": True, "items": {"type": "string"}},
        "sparsity": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "schedule": {"type": "string", "default": "one_shot"},
        "clean_tolerance": {"type": "number", "exclusiveMinimum": 0, "default": 0.02,
                            "description": "largest mean clean-accuracy difference that counts as similar"},
    },
}
TREND = {
    "required": ["method", "measure"],
    "properties": {"method": {"type": "string"}, "measure": {"type": "string"},
                   "schedule": {"type": "string", "default": "one_shot"}},
}


def _per_model_accuracy(robustness: pd.DataFrame, method: str, schedule: str, sparsity: float) -> pd.DataFrame:
    rows = robustness[(robustness["method"] == method) & (robustness["schedule"] == schedule)
                      & ((robustness["sparsity"] - sparsity).abs() < 1e-9)]
    if rows.empty:
        raise KeyError(f"the robustness table has no rows for method {method!r}, schedule {schedule!r}, "
                       f"sparsity {sparsity:g}; is it in pruning.methods and pruning.sparsities?")
    corrupted = rows[rows["corruption"] != "none"].groupby("model_id")["accuracy"].mean().rename("corrupted")
    clean = rows[rows["corruption"] == "none"].groupby("model_id")["accuracy"].mean().rename("clean")
    return pd.concat([clean, corrupted], axis=1)


@evaluator("method_contrast", "mean corruption accuracy of {methods[0]} minus {methods[1]} at sparsity {sparsity:g} "
           "({schedule}), over models", CONTRAST)
def method_contrast(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    (a, b), s, schedule = params["methods"], params["sparsity"], params["schedule"]
    robustness = tables.table("robustness")
    robustness = robustness[robustness["model_id"].isin(tables.models["model_id"])]
    acc_a, acc_b = (_per_model_accuracy(robustness, m, schedule, s) for m in (a, b))
    diff = (acc_a - acc_b).dropna().reset_index()
    value, low, high = with_interval(diff, lambda f: f["corrupted"].mean(), resamples=resamples, seed=seed)
    clean = float(diff["clean"].mean()) if len(diff) else float("nan")
    details = {"clean accuracy difference": round(clean, 4), f"clean accuracy {a}": round(float(acc_a["clean"].mean()), 4),
               f"clean accuracy {b}": round(float(acc_b["clean"].mean()), 4),
               f"corruption accuracy {a}": round(float(acc_a["corrupted"].mean()), 4),
               f"corruption accuracy {b}": round(float(acc_b["corrupted"].mean()), 4)}
    premise = None
    if not abs(clean) <= params["clean_tolerance"]:
        premise = (f"clean accuracies differ by {clean:+.3f} (more than clean_tolerance {params['clean_tolerance']:g}): "
                   "the premise 'similar clean accuracy' does not hold at this sparsity")
    return Estimate(value, low, high, len(diff), details, premise)


@evaluator("sparsity_trend", "mean over models of Kendall τ between sparsity and {measure} of {method} ({schedule}) "
           "networks", TREND)
def sparsity_trend(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    method, measure, schedule = params["method"], params["measure"], params["schedule"]
    pm = tables.table("pruned_measures")
    pm = pm[(pm["method"] == method) & (pm["measure"] == measure) & (pm["schedule"] == schedule)  # incl. its dense point
            & pm["model_id"].isin(tables.models["model_id"])]
    if pm.empty:
        raise KeyError(f"the pruned_measures table has no {measure!r} rows for method {method!r} ({schedule}); "
                       f"its measures are {sorted(tables.table('pruned_measures')['measure'].unique())}")
    taus = (pm.dropna(subset=["value"]).groupby("model_id")
            .apply(lambda g: kendall_tau(g["sparsity"], g["value"]), include_groups=False)
            .dropna().rename("tau").reset_index())
    value, low, high = with_interval(taus, lambda f: f["tau"].mean(), resamples=resamples, seed=seed)
    by_sparsity = pm.groupby("sparsity")["value"].mean()
    return Estimate(value, low, high, len(taus), {f"mean at sparsity {k:g}": round(float(v), 4)
                                                  for k, v in by_sparsity.items()})
