"""The dynamic dead-neuron rate against sparsity (Liu et al. 2023, "AP: Selective
Activation for De-sparsifying Pruned Networks", arXiv 2212.06145): the more a
network is pruned, the lower its dynamic DNR — the share of ReLU outputs that are
zero over inputs (``prunability.dnr``; the pruning table's ``dnr`` column, eval
mode, per network and split).

``dnr_trend``: per model, Kendall τ between sparsity and the DNR of one job's
networks (the dense network at sparsity 0 and every pruned one), averaged over
models, with a bootstrap over models. AP's paired effect on accuracy is a
``job_contrast`` of ``<schedule>+ap`` against ``<schedule>``.
"""

from __future__ import annotations

from prunability.findings.bootstrap import with_interval
from prunability.findings.registry import Estimate, evaluator
from prunability.findings.tables import StudyTables
from prunability.stats.kendall import kendall_tau

PARAMS = {
    "required": ["method", "schedule"],
    "properties": {"method": {"type": "string"}, "schedule": {"type": "string"},
                   "split": {"enum": ["train", "test"], "default": "train"}},
}


@evaluator("dnr_trend", "mean over models of Kendall τ between sparsity and the dynamic dead-neuron rate of "
           "{method} {schedule} networks ({split} split)", PARAMS)
def dnr_trend(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    pruning = tables.table("pruning")
    if "dnr" not in pruning.columns:
        raise KeyError("the pruning table has no dnr column; rerun the study with a version that records it")
    rows = pruning[(pruning["method"] == params["method"]) & (pruning["schedule"] == params["schedule"])
                   & (pruning["split"] == params["split"]) & pruning["model_id"].isin(tables.models["model_id"])]
    rows = rows.dropna(subset=["dnr"])
    if rows.empty:
        raise KeyError(f"the pruning table has no dnr values for method {params['method']!r}, "
                       f"schedule {params['schedule']!r} ({params['split']})")
    taus = (rows.groupby("model_id")[["sparsity", "dnr"]]
            .apply(lambda g: kendall_tau(g["sparsity"], g["dnr"])).dropna().rename("tau").reset_index())
    value, low, high = with_interval(taus, lambda f: f["tau"].mean(), resamples=resamples, seed=seed)
    means = rows.groupby("sparsity")["dnr"].mean()
    return Estimate(value, low, high, len(taus), {f"mean DNR at sparsity {k:.4g}": round(float(v), 4)
                                                  for k, v in means.items()})
