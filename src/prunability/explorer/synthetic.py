"""A synthetic study of any size, written in the pipeline's table formats
without training anything: the explorer's tests and its scale benchmark
(bench/explorer_scale.py) build pages from it. Accuracies fall with sparsity
(faster for some methods) and with corruption severity; each test sample has
a difficulty, so fragile and robust samples, exemplars and geometry all have
structure to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from prunability import io, schemas
from prunability.layout import Layout
from prunability.stats.forgetting import fragility
from prunability.status import Status

GEOMETRY_FIELDS = [pa.field(c, pa.float64()) for c in schemas.GEOMETRY_COLUMNS]
SCHEDULE_FIELD = pa.field("schedule", pa.string(), nullable=False)


@dataclass
class SyntheticStudy:
    """What to generate; ``geometry`` / ``corruptions`` off reproduce studies that lack them."""

    study: str = "synthetic"
    n_settings: int = 2
    seeds: int = 2
    methods: tuple[str, ...] = ("global_magnitude", "random")
    sparsities: tuple[float, ...] = (0.0, 0.5, 0.9)
    corruptions: tuple[str, ...] = ("gaussian_noise", "contrast")
    severities: tuple[int, ...] = (1, 3, 5)
    n_test: int = 120
    image_shape: tuple[int, int, int] = (1, 8, 8)
    num_classes: int = 10
    geometry: bool = True
    with_schedule: bool = True
    measures: tuple[str, ...] = ("prunability", "param_norm", "inverse_margin", "path_norm")
    seed: int = 0
    rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)


def zoo(s: SyntheticStudy) -> pd.DataFrame:
    rows = []
    for k in range(s.n_settings):
        for seed in range(s.seeds):
            test_acc = 0.97 - 0.05 * k / max(1, s.n_settings - 1) - 0.01 * s.rng.random()
            rows.append({
                "model_id": f"nin-{k:04d}{seed:06x}", "architecture": "nin", "depth": 2 + k % 3, "width": 1.0 + k // 3,
                "dropout": 0.0, "batchnorm": True, "optimizer": "sgd_momentum", "lr": 0.05, "batch_size": 64,
                "weight_decay": 0.0, "train_fraction": 1.0, "seed": seed, "status": Status.CONVERGED.value, "epochs": 10, "steps": 100,
                "train_loss": 0.01, "train_acc": 1.0, "test_loss": 1 - test_acc, "test_acc": test_acc,
                "generalization_gap": 1.0 - test_acc,
            })
    return pd.DataFrame(rows)


def accuracy(s: SyntheticStudy, base: np.ndarray, method_rank: int, sparsity: float, severity: int) -> np.ndarray:
    """Falls after sparsity 0.5 (earlier for later methods; the dense model is the same
    for every method) and with severity."""
    drop = max(0.0, sparsity - 0.5 + 0.05 * method_rank) * 1.6 if sparsity > 0 else 0.0
    return np.clip(base * (1 - drop) * (1 - 0.08 * severity), 1 / s.num_classes, 1)


def _with_hparams(df: pd.DataFrame, z: pd.DataFrame) -> pd.DataFrame:
    return df.merge(z[["model_id"] + schemas.HPARAM_NAMES], on="model_id")


def curves(s: SyntheticStudy, z: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pruning table (test and train splits) and the robustness table."""
    base = z["test_acc"].to_numpy()
    pruning, robustness = [], []
    for rank, method in enumerate(s.methods):
        for p in s.sparsities:
            acc = accuracy(s, base, rank, p, 0)
            for split, a in (("test", acc), ("train", np.minimum(1, acc + 0.03))):
                pruning.append(pd.DataFrame({"model_id": z["model_id"], "method": method, "schedule": "one_shot", "sparsity": p,
                                             "kept": 100 - int(100 * p), "prunable": 100, "kept_fraction": 1 - p,
                                             "flops": 1000, "flops_kept": int(1000 * (1 - p)), "split": split,
                                             "loss": 1 - a, "accuracy": a, "ap": False,
                                             "dnr": 0.5 - 0.3 * p}))  # dead-neuron rate falls with sparsity
            for corruption in ("none",) + s.corruptions:
                for sev in (0,) if corruption == "none" else s.severities:
                    a = accuracy(s, base, rank, p, sev) * (1 + 0.02 * s.rng.standard_normal(len(base)))
                    robustness.append(pd.DataFrame({"model_id": z["model_id"], "method": method, "sparsity": p,
                                                    "corruption": corruption, "severity": sev, "loss": 1 - a, "accuracy": a}))
    return _with_hparams(pd.concat(pruning), z), _with_hparams(pd.concat(robustness), z)


def model_samples(s: SyntheticStudy, model_id: str, base: float, difficulty: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """One model's per-sample rows: every method × sparsity clean; the dense model corrupted
    (once, under the first method: the pipeline repeats the same dense rows under every method)."""
    parts = []
    for rank, method in enumerate(s.methods):
        for p in s.sparsities:
            dense_once = p == 0 and rank == 0
            configs = [("none", 0)] + ([(c, v) for c in s.corruptions for v in s.severities] if dense_once else [])
            for corruption, sev in configs:
                a = float(accuracy(s, np.array([base]), rank, p, sev)[0])
                correct = difficulty < a + 0.03 * s.rng.standard_normal(len(labels))
                wrong = (labels + 1 + s.rng.integers(0, s.num_classes - 1, len(labels))) % s.num_classes
                part = {"method": method, "sparsity": p, "corruption": corruption, "severity": sev,
                        "sample": np.arange(len(labels)), "label": labels, "predicted": np.where(correct, labels, wrong),
                        "correct": correct}
                if s.geometry:
                    part["feature_norm"] = (8 - 4 * p) * (1.2 - difficulty) + 0.3 * s.rng.random(len(labels))
                    part["true_angle"] = 0.4 + difficulty * (1 + p) + 0.1 * s.rng.random(len(labels))
                    part["angular_margin"] = 0.8 - part["true_angle"] / 2
                parts.append(pd.DataFrame(part))
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "model_id", model_id)
    if s.with_schedule:
        out.insert(2, "schedule", "one_shot")
    return out


def samples_schema(s: SyntheticStudy) -> pa.Schema:
    """The pipeline's per-sample schema, with or without the schedule and geometry columns
    (whichever the installed schemas lack or hold), to mimic tables of every vintage."""
    schema = schemas.STUDY["samples"]
    for name in schemas.GEOMETRY_COLUMNS:
        if name in schema.names:
            schema = schema.remove(schema.get_field_index(name))
    if "schedule" in schema.names and not s.with_schedule:
        schema = schema.remove(schema.get_field_index("schedule"))
    if s.with_schedule and "schedule" not in schema.names:
        schema = schema.insert(schema.get_field_index("method") + 1, SCHEDULE_FIELD)
    for f in GEOMETRY_FIELDS if s.geometry else []:
        schema = schema.append(f)
    return schema


def write_samples(s: SyntheticStudy, z: pd.DataFrame, layout: Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stream the per-sample table, one row group per model; return fragility and PIE."""
    difficulty = s.rng.beta(1.2, 4, s.n_test)
    labels = np.arange(s.n_test) % s.num_classes
    counts = np.zeros((len(s.methods), len(s.sparsities), s.n_test, s.num_classes), dtype=np.int32)
    fragile, schema = [], samples_schema(s)
    layout.table("samples").parent.mkdir(parents=True, exist_ok=True)
    with io.atomic_path(layout.table("samples")) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for model_id, base in zip(z["model_id"], z["test_acc"]):
            rows = model_samples(s, model_id, base, difficulty, labels)
            writer.write_table(pa.Table.from_pandas(rows[schema.names], schema=schema, preserve_index=False))
            clean = rows[rows["corruption"] == "none"]
            fragile.append(fragility(clean, [model_id]))
            for i, method in enumerate(s.methods):
                for j, p in enumerate(s.sparsities):
                    pred = clean.loc[(clean["method"] == method) & (clean["sparsity"] == p), "predicted"].to_numpy()
                    counts[i, j, np.arange(s.n_test), pred] += 1
    return pd.concat(fragile, ignore_index=True), pie_table(s, counts, labels)


def pie_table(s: SyntheticStudy, counts: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    modal = counts.argmax(axis=-1)
    rows = [pd.DataFrame({"method": method, "sparsity": p, "sample": np.arange(s.n_test), "label": labels,
                          "dense_modal": modal[i, 0], "pruned_modal": modal[i, j], "pie": modal[i, j] != modal[i, 0]})
            for i, method in enumerate(s.methods) for j, p in enumerate(s.sparsities)]
    return pd.concat(rows, ignore_index=True)


def statistics(s: SyntheticStudy, z: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Measures correlated with the gap to different degrees; τ and CMI per measure × target."""
    gap, rows, kendall, cmi = z["generalization_gap"].to_numpy(), [], [], []
    for k, name in enumerate(s.measures):
        value = gap * (len(s.measures) - 2 * k) + 0.02 * s.rng.standard_normal(len(z))
        rows.append(z[["model_id"]].assign(measure=name, value=value, seconds=0.01, reason=None))
        for target in ("generalization_gap", "test_loss"):
            tau = float(np.clip(1 - 2 * k / max(1, len(s.measures) - 1) + 0.1 * s.rng.standard_normal(), -1, 1))
            kendall.append({"measure": name, "target": target, "tau": tau, "n_models": len(z), "ci_low": tau - 0.2,
                            "ci_high": tau + 0.2, "p_value": 0.05, "p_holm": 0.1, "p_bh": 0.08})
            for size in (0, 1, 2):
                cmi.append({"measure": name, "target": target, "subset_size": size, "cmi": abs(tau) / (1 + size),
                            "argmin_subset": ""})
    measures = _with_hparams(pd.concat(rows, ignore_index=True), z)
    return measures, pd.DataFrame(kendall), pd.DataFrame(cmi)


def images(s: SyntheticStudy) -> torch.Tensor:
    """Test images whose brightness grows with the class, so a tile is recognizable in a screenshot."""
    c, h, w = s.image_shape
    labels = np.arange(s.n_test) % s.num_classes
    noise = s.rng.integers(0, 60, (s.n_test, c, h, w))
    x = noise + (labels * 190 // max(1, s.num_classes - 1))[:, None, None, None]
    return torch.from_numpy(np.clip(x, 0, 255).astype(np.uint8))


def _fit(df: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """``df`` with the installed schema's columns (a schedule column comes and goes as the schemas evolve)."""
    if "schedule" in schema.names and "schedule" not in df:
        df = df.assign(schedule="one_shot")
    return df[[c for c in schema.names]]


def write(s: SyntheticStudy, layout: Layout) -> Layout:
    """Every table the explorer reads, in the pipeline's locations."""
    z = zoo(s)
    io.write_parquet(z, layout.table("zoo"), schemas.ZOO)
    pruning, robustness = curves(s, z)
    io.write_parquet(pruning, layout.table("pruning"), schemas.STUDY["pruning"])
    if s.corruptions:
        io.write_parquet(_fit(robustness, schemas.STUDY["robustness"]), layout.table("robustness"),
                         schemas.STUDY["robustness"])
    frag, pie = write_samples(s, z, layout)
    io.write_parquet(_fit(frag, schemas.FRAGILITY), layout.stats("fragility"), schemas.FRAGILITY)
    io.write_parquet(_fit(pie, schemas.PIE), layout.stats("pie"), schemas.PIE)
    measures, kendall, cmi = statistics(s, z)
    io.write_parquet(measures, layout.table("measures"), schemas.STUDY["measures"])
    io.write_parquet(kendall, layout.stats("kendall"), schemas.KENDALL)
    io.write_parquet(cmi, layout.stats("cmi"), schemas.CMI)
    io.save_torch({"x_test": images(s), "y_test": torch.arange(s.n_test) % s.num_classes}, layout.prepared)
    return layout
