"""evaluate: dense and pruned models (one model, one pruning job: every schedule
and sparsity it produced — one-shot, fine-tuned, at-init, IMP rounds) on the
clean test set and on every corrupted test set.

Per evaluation: loss and accuracy (robustness table) and every sample's
prediction with its penultimate-feature geometry (samples table: ‖f(x)‖, θ_y,
angular margin; Li et al. 2022). Per model on the clean test set: the dead-neuron
rate and the means of that geometry (pruned_measures table), with the same
definitions as the dense measures (measures/dead_neurons.py, measures/features.py).
Features and ReLU zeros are collected by hooks in the forward pass that
computes the logits: each model runs once per test set.

:func:`evaluate_model` evaluates one (pruned or dense) model on all test sets
under a key (``{"method": ..., "schedule": ..., "sparsity": ...}``); ``run``
calls it once per pruned network of the job (stages/pruned.py).
"""

from __future__ import annotations

import math
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from prunability import io, schemas
from prunability.config import StudyConfig
from prunability.evaluation import Evaluation, evaluation_of, logits_of
from prunability.layout import Layout
from prunability.measures.context import MeasureFailed
from prunability.measures.dead_neurons import DeadNeuronCounter
from prunability.measures.features import Geometry, HeadCapture, sample_geometry
from prunability.pruning_jobs import parse_key
from prunability.stages.common import load_data, load_model, setup, write_job_table
from prunability.pruning.networks import pruned_networks

PRUNED_MEASURES = ("dead_neuron_rate", "feature_length", "feature_angle", "angular_margin")
GEOMETRY_COLUMNS = ("feature_norm", "true_angle", "angular_margin")  # per sample, in the samples table


def _test_sets(config: StudyConfig, layout: Layout, data, device):
    """(corruption, severity, images) for the clean set and each corrupted one."""
    yield "none", 0, data.split.x_test
    for name in config.corruptions.names:
        stored = io.load_torch(layout.corrupted(name), str(device))
        for severity in config.corruptions.severities:
            yield name, severity, stored[str(severity)]


def attempt(compute):
    """``compute()``, or the :class:`MeasureFailed` it raised (kept as the reason)."""
    try:
        return compute()
    except MeasureFailed as failed:
        return failed


@dataclass(frozen=True)
class Pass:
    """One forward pass of a model over a test set, with what its hooks saw."""

    evaluation: Evaluation
    geometry: Geometry | MeasureFailed  # per sample
    dead_neuron_rate: float | MeasureFailed | None  # None where not counted
    seconds: float


def forward_pass(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int,
                 count_dead: bool) -> Pass:
    """Logits of ``model`` on ``x`` in one pass, with the head's inputs (and ReLU zeros) hooked."""
    start = time.perf_counter()
    with ExitStack() as hooks:
        capture = attempt(lambda: hooks.enter_context(HeadCapture(model.net)))
        counter = attempt(lambda: hooks.enter_context(DeadNeuronCounter(model))) if count_dead else None
        logits = logits_of(model, x, batch_size)
    geometry = capture if isinstance(capture, MeasureFailed) else attempt(
        lambda: sample_geometry(capture.penultimate(logits), y))
    dead = counter if counter is None or isinstance(counter, MeasureFailed) else attempt(counter.rate)
    return Pass(evaluation_of(logits, y), geometry, dead, time.perf_counter() - start)


def pruned_measure_values(p: Pass) -> dict[str, float | MeasureFailed | None]:
    """PRUNED_MEASURES of one clean-set pass, by name (a failure stands for its value)."""
    failed = isinstance(p.geometry, MeasureFailed)
    geometry = {name: p.geometry for name in PRUNED_MEASURES[1:]} if failed else p.geometry.means()
    return {"dead_neuron_rate": p.dead_neuron_rate, **geometry}


def measure_rows(key: dict, p: Pass) -> list[dict]:
    """Rows of the pruned_measures table for one clean-set pass. As in the measures stage,
    the shared pass's seconds go to the first measure, which needed it first."""
    rows = []
    for i, (name, value) in enumerate(pruned_measure_values(p).items()):
        reason = value.reason if isinstance(value, MeasureFailed) else (
            "the computation produced NaN" if math.isnan(value) else None)
        rows.append({**key, "measure": name, "value": math.nan if reason else value,
                     "seconds": p.seconds if i == 0 else 0.0, "reason": reason})
    return rows


@dataclass
class Evaluated:
    """Rows of the three evaluate tables, accumulated over models."""

    robustness: list[dict] = field(default_factory=list)
    samples: list[pd.DataFrame] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)

    def extend(self, other: "Evaluated") -> None:
        self.robustness += other.robustness
        self.samples += other.samples
        self.measures += other.measures


def evaluate_model(model: torch.nn.Module, test_sets, labels: torch.Tensor, key: dict,
                   batch_size: int) -> Evaluated:
    """One model (dense or pruned, as it is) on every (corruption, severity, images) of
    ``test_sets``; ``key`` (method, sparsity, ...) is copied into every row."""
    out = Evaluated()
    for corruption, severity, x in test_sets:
        clean = corruption == "none"
        p = forward_pass(model, x, labels, batch_size, count_dead=clean)
        set_key = {**key, "corruption": corruption, "severity": severity}
        out.robustness.append({**set_key, "loss": p.evaluation.loss, "accuracy": p.evaluation.accuracy})
        out.samples.append(sample_rows(set_key, p.evaluation, labels, p.geometry))
        if clean:
            out.measures += measure_rows(key, p)
    return out


def run(config: StudyConfig, layout: Layout, model_id: str, method: str) -> None:
    spec, device = setup(config, model_id)
    data = load_data(layout, device)
    model = load_model(spec, data, layout.final_weights(model_id), device)
    job = parse_key(method)  # the job key: method[.schedule]
    test_sets = list(_test_sets(config, layout, data, device))
    results = Evaluated()
    masks = io.load_torch(layout.masks(model_id, method), "cpu")
    weights = io.load_torch(layout.pruned_weights(model_id, method), str(device))
    for schedule, sparsity in pruned_networks(model, job, masks, weights):
        key = {"method": job.method, "schedule": schedule, "sparsity": sparsity}
        results.extend(evaluate_model(model, test_sets, data.split.y_test, key, config.evaluation.batch_size))
    write_job_table(results.robustness, layout.robustness(model_id, method), "robustness", model_id)
    write_samples(pd.concat(results.samples, ignore_index=True), layout.samples(model_id, method), model_id)
    write_job_table(results.measures, layout.pruned_measures(model_id, method), "pruned_measures", model_id)
    print(f"{model_id}/{method}: {len(results.robustness)} evaluations; " + ", ".join(
        f"{r['schedule']} {r['sparsity']:.4g} {r['measure']}={r['value']:.4g}" if r["reason"] is None else
        f"{r['schedule']} {r['sparsity']:.4g} {r['measure']}=missing ({r['reason']})" for r in results.measures))


def geometry_columns(geometry: Geometry | MeasureFailed, n: int) -> dict[str, np.ndarray]:
    """The samples table's feature_norm, true_angle, angular_margin (float32; NaN where not computable)."""
    if isinstance(geometry, MeasureFailed):
        return {name: np.full(n, np.nan, dtype=np.float32) for name in GEOMETRY_COLUMNS}
    values = (geometry.length, geometry.true_angle, geometry.angular_margin)
    return {name: v.cpu().numpy().astype(np.float32) for name, v in zip(GEOMETRY_COLUMNS, values)}


def sample_rows(key: dict, e: Evaluation, labels, geometry: Geometry | MeasureFailed) -> pd.DataFrame:
    """Per test sample (its index in the test set): label, prediction, correctness, feature geometry."""
    n = len(e.correct)
    frame = pd.DataFrame({"sample": np.arange(n, dtype=np.int32), "label": labels.cpu().numpy().astype(np.int16),
                          "predicted": e.predicted.numpy().astype(np.int16), "correct": e.correct.numpy(),
                          **geometry_columns(geometry, n)})
    frame = frame.assign(**key)
    return frame[[f.name for f in schemas.SAMPLE_FIELDS]]


def write_samples(frame: pd.DataFrame, path, model_id: str) -> None:
    frame.insert(0, "model_id", model_id)
    io.write_parquet(frame, path, schemas.JOB["samples"])
