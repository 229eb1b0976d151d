"""Samples view data: the test samples pruning forgets first and last, the
pruning-identified exemplars (Hooker et al. 2019), and, for the models of the
Geometry view, where every sample shown there first fails — so a brushed
selection can be listed with its images.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from prunability.explorer.failures import first_failure_severity, first_failure_sparsity, majority_severity
from prunability.explorer.inputs import DEFAULT_SCHEDULE, SampleScan
from prunability.explorer.packing import pack_floats

LIST_LENGTH = 24


def _one_schedule(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the one-shot schedule where there is one (the lists compare methods, not schedules)."""
    return df[df["schedule"] == DEFAULT_SCHEDULE] if (df["schedule"] == DEFAULT_SCHEDULE).any() else df


def _entry(sample: int, label: int, dense: dict, **values) -> dict:
    clean = {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in values.items()}
    return {"sample": int(sample), "label": int(label), "dense": dense.get(int(sample)), **clean}


def ranked(fragility: pd.DataFrame, dense: dict, k: int = LIST_LENGTH) -> dict[str, dict[str, list]]:
    """Per method: the ``k`` samples with the lowest and the highest mean first-failure
    sparsity over models ("never" counting as 1), among samples the dense models get right."""
    rows = _one_schedule(fragility)
    rows = rows[rows["dense_correct"]]
    out = {}
    for method, group in rows.groupby("method"):
        score = group.assign(s=group["first_failure_sparsity"].fillna(1.0),
                             never=group["first_failure_sparsity"].isna()).groupby("sample").agg(
            score=("s", "mean"), never=("never", "mean"), label=("label", "first")).sort_values("score", kind="stable")
        pick = lambda df: [_entry(s, r.label, dense, score=round(float(r.score), 4), never=round(float(r.never), 4))  # noqa: E731
                           for s, r in df.iterrows()]
        out[method] = {"fragile": pick(score.head(k)), "robust": pick(score.tail(k)[::-1])}
    return out


def exemplars(pie: pd.DataFrame, k: int = LIST_LENGTH) -> dict[str, list]:
    """Per method: pruning-identified exemplars, those that become one at the lowest sparsity first."""
    rows = _one_schedule(pie)
    rows = rows[rows["pie"]]
    dense = dense_predictions(pie)
    out = {}
    for method, group in rows.groupby("method"):
        first = group.groupby("sample").agg(sparsity=("sparsity", "min"), label=("label", "first"),
                                            count=("sparsity", "size")).sort_values(["sparsity", "count"], ascending=[True, False])
        out[method] = [_entry(s, r.label, dense, sparsity=float(r.sparsity), count=int(r["count"]))
                       for s, r in first.head(k).iterrows()]
    return out


def dense_predictions(pie: pd.DataFrame | None) -> dict[int, int]:
    """The modal prediction of the dense models per sample, from the PIE table."""
    if pie is None or pie.empty:
        return {}
    return {int(s): int(p) for s, p in pie.groupby("sample")["dense_modal"].first().items()}


def difficulty_of(sample_difficulty: pd.DataFrame | None, listed: list[int]) -> dict[str, dict] | None:
    """Per listed test sample: its zoo-mean difficulty (stats/sample_difficulty: consistency,
    EL2N, forgetting events, margin; prunability.difficulty), rounded for the page."""
    if sample_difficulty is None:
        return None
    test = sample_difficulty[(sample_difficulty["split"] == "test") & sample_difficulty["sample"].isin(listed)]
    columns = {"consistency": "consistency", "el2n": "el2n", "forgetting": "forgetting_events", "margin": "margin"}
    return {str(int(r["sample"])): {k: (round(float(r[c]), 3) if np.isfinite(r[c]) else None) for k, c in columns.items()}
            for _, r in test.iterrows()}


def listed_samples(lists: dict, pies: dict) -> list[int]:
    found = {e["sample"] for per in lists.values() for entries in per.values() for e in entries}
    found |= {e["sample"] for entries in pies.values() for e in entries}
    return sorted(found)


def _dense_reads(scan: SampleScan, where, method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The dense model's corrupted and clean rows (of one method: every method's sparsity 0 is the same network)."""
    base = where & (ds.field("sparsity") == 0.0) & (ds.field("method") == method)
    cols = ["model_id", "corruption", "severity", "sample", "correct"]
    corrupted = scan.read(cols, base & (ds.field("corruption") != "none"))
    clean = scan.read(["model_id", "sample", "correct"], base & (ds.field("corruption") == "none"))
    return corrupted, clean


def zoo_severity(scan: SampleScan | None, samples: list[int], models: list[str], method: str | None) -> dict:
    """Per listed sample: {corruption: the lowest severity at which most dense models fail it}."""
    if scan is None or not samples or method is None:
        return {}
    where = ds.field("sample").isin(samples) & ds.field("model_id").isin(models)
    corrupted, clean = _dense_reads(scan, where, method)
    if corrupted.empty:
        return {}
    table = majority_severity(first_failure_severity(corrupted, clean))
    out: dict[str, dict] = {}
    for r in table.itertuples():
        out.setdefault(str(r.sample), {})[r.corruption] = None if np.isnan(r.first) else int(r.first)
    return out


def per_model(scan: SampleScan, geometry: dict) -> dict:
    """For every Geometry-view model and shown sample: first-failure sparsity per
    method × schedule, first-failure severity per corruption (aligned with geometry["samples"])."""
    models, samples = [m["id"] for m in geometry["models"]], np.asarray(geometry["samples"])
    where = ds.field("model_id").isin(models) & ds.field("sample").isin(samples.astype(int).tolist())
    clean = scan.read(["model_id", "method", "schedule", "sparsity", "sample", "correct"],
                      where & (ds.field("corruption") == "none"))
    sparsity = first_failure_sparsity(clean)
    first_method = sorted(clean["method"].unique())[0]
    corrupted, dense = _dense_reads(scan, where, first_method)
    severity = first_failure_severity(corrupted, dense) if len(corrupted) else None
    out = {}
    for model in models:
        mine = sparsity[sparsity["model_id"] == model]
        entry = {"sparsity": {f"{m}|{s}": pack_floats(g.set_index("sample")["first"].reindex(samples).to_numpy(float))
                              for (m, s), g in mine.groupby(["method", "schedule"])}, "severity": {}}
        if severity is not None:
            entry["severity"] = {c: pack_floats(g.set_index("sample")["first"].reindex(samples).to_numpy(float))
                                 for c, g in severity[severity["model_id"] == model].groupby("corruption")}
        out[model] = entry
    return out
