"""Geometry view data (Li et al. 2022): each clean test sample's penultimate
feature length, angle to the true-class weight and angular margin, for the
dense model and every pruned variant (method × schedule × sparsity).

A study can hold hundreds of models and thousands of test samples; the page
holds the geometry of a few models spread over the range of generalization
gaps, and of a class-stratified subset of the test set, so it stays small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from prunability.explorer.inputs import SampleScan
from prunability.explorer.packing import pack_floats, pack_ints
from prunability.schemas import GEOMETRY_COLUMNS
from prunability.status import Status

MAX_MODELS = 6
MAX_SAMPLES = 400
COLUMNS = ["model_id", "method", "schedule", "sparsity", "sample", "label", "predicted"]


def choose_models(zoo: pd.DataFrame, k: int = MAX_MODELS) -> list[str]:
    """Up to ``k`` models evenly spaced in generalization-gap order (smallest and
    largest gap included), converged ones first choice."""
    pool = zoo[zoo["status"] == Status.CONVERGED] if (zoo["status"] == Status.CONVERGED).any() else zoo
    ordered = pool.sort_values(["generalization_gap", "model_id"], na_position="last")["model_id"].tolist()
    if len(ordered) <= k:
        return ordered
    picks = np.unique(np.round(np.linspace(0, len(ordered) - 1, k)).astype(int))
    return [ordered[i] for i in picks]


def choose_samples(labels: pd.Series, k: int = MAX_SAMPLES, seed: int = 0) -> np.ndarray:
    """Up to ``k`` test sample indices, the same share of every class (``labels``
    is indexed by sample), sorted."""
    if len(labels) <= k:
        return np.sort(labels.index.to_numpy())
    rng = np.random.default_rng(seed)
    per_class = max(1, k // labels.nunique())
    chosen = [rng.choice(group.index.to_numpy(), min(per_class, len(group)), replace=False)
              for _, group in labels.groupby(labels)]
    return np.sort(np.concatenate(chosen))


def model_label(zoo: pd.DataFrame, model_id: str, axes: list[str]) -> str:
    row = zoo.set_index("model_id").loc[model_id]
    settings = ", ".join(f"{a}={row[a]}" for a in axes)
    return f"{model_id} ({settings}; gap {row['generalization_gap']:.3f})" if settings else \
        f"{model_id} (gap {row['generalization_gap']:.3f})"


def test_labels(scan: SampleScan, model_id: str) -> pd.Series:
    """Label of every clean test sample, from one model's dense rows."""
    where = (ds.field("model_id") == model_id) & (ds.field("corruption") == "none") & (ds.field("sparsity") == 0.0)
    rows = scan.read(["sample", "label"], where).drop_duplicates("sample")
    return rows.set_index("sample")["label"].sort_index()


def clean_rows(scan: SampleScan, models: list[str], samples: np.ndarray, extra: list[str]) -> pd.DataFrame:
    where = (ds.field("model_id").isin(models) & (ds.field("corruption") == "none")
             & ds.field("sample").isin(samples.astype(np.int32).tolist()))
    return scan.read(COLUMNS + extra, where)


def _variant_key(method: str, schedule: str, sparsity: float) -> str:
    return f"{method}|{schedule}|{sparsity:g}"


def _arrays(rows: pd.DataFrame, samples: np.ndarray) -> dict:
    """One variant's values in the order of ``samples`` (null where a sample has no row)."""
    rows = rows.drop_duplicates("sample").set_index("sample").reindex(samples)
    out = {c: pack_floats(rows[c].to_numpy(float)) for c in GEOMETRY_COLUMNS}
    out["predicted"] = pack_ints(rows["predicted"].fillna(0).to_numpy(int))
    return out


def model_geometry(rows: pd.DataFrame, samples: np.ndarray) -> dict:
    """Dense and every pruned variant of one model. The dense model is any
    method's sparsity-0 row (they are all the same unpruned network)."""
    dense = rows[rows["sparsity"] == 0]
    pruned = {
        _variant_key(m, s, p): _arrays(group, samples)
        for (m, s, p), group in rows[rows["sparsity"] > 0].groupby(["method", "schedule", "sparsity"])
    }
    return {"dense": _arrays(dense, samples), "pruned": pruned}


def payload(scan: SampleScan | None, zoo: pd.DataFrame, axes: list[str]) -> dict | None:
    """The Geometry view's data, or ``None`` when the samples table is missing, lacks
    the feature-geometry columns, or holds only nulls in them."""
    if scan is None or not scan.has(*GEOMETRY_COLUMNS):
        return None
    models = choose_models(zoo)
    if not models:
        return None
    labels = test_labels(scan, models[0])
    samples = choose_samples(labels)
    rows = clean_rows(scan, models, samples, list(GEOMETRY_COLUMNS))
    if rows[list(GEOMETRY_COLUMNS)].isna().all().all():
        return None
    pruned = rows[rows["sparsity"] > 0]
    return {
        "models": [{"id": m, "label": model_label(zoo, m, axes)} for m in models],
        "n_models_total": int(len(zoo)),
        "n_test": int(len(labels)),
        "samples": samples.tolist(),
        "labels": labels.reindex(samples).astype(int).tolist(),
        "classes": sorted(int(c) for c in labels.unique()),
        "methods": sorted(pruned["method"].unique().tolist()),
        "schedules": sorted(pruned["schedule"].unique().tolist()),
        "sparsities": sorted(float(s) for s in pruned["sparsity"].unique()),
        "data": {m: model_geometry(group, samples) for m, group in rows.groupby("model_id")},
    }
