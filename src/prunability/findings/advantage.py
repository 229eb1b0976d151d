"""Does one measure track a target better than its competitors? The advantage
Δ = τ(measure, target) − max_c τ(c, target) over the comparator measures c, with
a paired bootstrap over models (every τ recomputed on the same resample). Kuhn
et al. 2021's double-descent claim: across a width sweep with label noise,
prunability follows the test loss better than the parameter count and the norm
measures."""

from __future__ import annotations

import pandas as pd

from prunability.findings.bootstrap import with_interval
from prunability.findings.registry import Estimate, evaluator
from prunability.findings.tables import StudyTables
from prunability.findings.correlation import TARGETS
from prunability.stats.kendall import kendall_tau

PARAMS = {
    "required": ["measure", "comparators"],
    "properties": {"measure": {"type": "string"},
                   "comparators": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string"}},
                   "target": {"enum": TARGETS, "default": "test_loss"}},
}


@evaluator("tau_advantage", "τ({measure}, {target}) minus the largest τ of {comparators}", PARAMS)
def tau_advantage(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    measure, comparators, target = params["measure"], list(params["comparators"]), params["target"]
    models = tables.with_measures([measure, *comparators]).dropna(subset=[measure, *comparators, target])

    def advantage(frame: pd.DataFrame) -> float:
        return kendall_tau(frame[measure], frame[target]) - max(kendall_tau(frame[c], frame[target]) for c in comparators)

    value, low, high = with_interval(models, advantage, resamples=resamples, seed=seed)
    taus = {f"tau {m}": round(kendall_tau(models[m], models[target]), 4) for m in [measure, *comparators]}
    return Estimate(value, low, high, len(models), taus)
