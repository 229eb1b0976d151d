"""How well one measure ranks the zoo by a target: Kendall τ (Jiang et al. 2020's
τ-a, ``stats/kendall.parquet``) with the statistics stage's bootstrap interval,
its rank among every measure of the study and its conditional mutual information
K (``stats/cmi.parquet``, the largest subset size) — the three numbers Kuhn et al.
2021 report for prunability — and the granulated Ψ (``stats/granulated.parquet``)
with a bootstrap interval over models."""

from __future__ import annotations

import math

import pandas as pd

from prunability.findings.bootstrap import with_interval
from prunability.findings.registry import Estimate, evaluator
from prunability.findings.tables import StudyTables
from prunability.stats.granulated import ALL_AXES, granulated_kendall
from prunability.schemas import HPARAM_NAMES

TARGETS = ["generalization_gap", "test_loss", "mean_corruption_accuracy", "corruption_accuracy_drop"]
MEASURE_AND_TARGET = {
    "required": ["measure"],
    "properties": {"measure": {"type": "string"},
                   "target": {"enum": TARGETS, "default": "generalization_gap"}},
}


def _row(frame: pd.DataFrame, measure: str, target: str, table: str) -> pd.Series:
    rows = frame[(frame["measure"] == measure) & (frame["target"] == target)]
    if rows.empty:
        raise KeyError(f"stats/{table}.parquet has no row for measure {measure!r} and target {target!r}; "
                       f"is the measure in measures.names and the target in statistics.targets?")
    return rows.iloc[0]


def rank_among(kendall: pd.DataFrame, measure: str, target: str) -> tuple[int, int]:
    """(rank, out of): 1 is the highest τ among the measures with a finite τ for ``target``."""
    taus = kendall[kendall["target"] == target].dropna(subset=["tau"])
    tau = float(taus.loc[taus["measure"] == measure, "tau"].iloc[0])
    return int((taus["tau"] > tau).sum()) + 1, len(taus)


@evaluator("kendall_tau", "Kendall τ (tau-a) of {measure} with {target} over the zoo", MEASURE_AND_TARGET)
def kendall_tau(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    measure, target = params["measure"], params["target"]
    kendall = tables.stats("kendall")
    row = _row(kendall, measure, target, "kendall")
    cmi = tables.stats("cmi")
    cmi = cmi[(cmi["measure"] == measure) & (cmi["target"] == target)]
    top = cmi[cmi["subset_size"] == cmi["subset_size"].max()] if len(cmi) else cmi
    details = {"p_holm": _num(row["p_holm"])}
    if math.isfinite(row["tau"]):
        rank, out_of = rank_among(kendall, measure, target)
        details.update(rank=rank, out_of=out_of)
    if len(top):
        details.update(cmi=_num(top["cmi"].iloc[0]), cmi_subset_size=int(top["subset_size"].iloc[0]),
                       cmi_argmin=str(top["argmin_subset"].iloc[0]))
    return Estimate(float(row["tau"]), float(row["ci_low"]), float(row["ci_high"]), int(row["n_models"]), details)


@evaluator("granulated_psi", "granulated Kendall Ψ of {measure} with {target} (mean over hyperparameters of τ "
           "among models differing in that one)", MEASURE_AND_TARGET)
def granulated_psi(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    measure, target = params["measure"], params["target"]
    models = tables.with_measures([measure]).dropna(subset=[measure, target])
    axes = [h for h in HPARAM_NAMES if h != "seed" and h in models and models[h].nunique() > 1]

    def psi(frame: pd.DataFrame) -> float:
        rows = granulated_kendall(frame, measure, target, axes)
        return float(rows.loc[rows["axis"] == ALL_AXES, "psi"].iloc[0])

    value, low, high = with_interval(models, psi, resamples=resamples, seed=seed)
    per_axis = granulated_kendall(models, measure, target, axes)
    stored = _row(tables.stats("granulated").query("axis == @ALL_AXES"), measure, target, "granulated")["psi"]
    return Estimate(value, low, high, len(models),
                    {"psi_" + r.axis: _num(r.psi) for r in per_axis.itertuples() if r.axis != ALL_AXES}
                    | {"psi_stats_table": _num(stored)})


def _num(x) -> float | None:
    return round(float(x), 4) if x is not None and math.isfinite(float(x)) else None
