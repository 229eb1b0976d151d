"""One model (dense or pruned) on the clean test set and on every corrupted one:
loss and accuracy per test set (robustness table) and every sample's prediction
with its penultimate-feature geometry (samples table: ‖f(x)‖, θ_y, angular
margin; Li et al. 2022, "Understanding Robustness Lottery", arXiv 2206.07918,
§3 — the same definitions as measures/features.py).

Features and ReLU zeros are collected by hooks in the forward pass that computes
the logits: each model runs once per test set. On the clean set the pass also
yields the pruned network's own measures (prunability.pruned_measures).
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from prunability import schemas
from prunability.evaluation import EvalContext, Evaluation, evaluation_of, logits_of
from prunability.measures.context import MeasureFailed
from prunability.measures.dead_neurons import DeadNeuronCounter
from prunability.measures.features import Geometry, HeadCapture, sample_geometry
from prunability.pruned_measures import measure_rows

CLEAN = "none"  # the corruption name of the clean test set (severity 0)

TestSet = tuple[str, int, torch.Tensor]  # (corruption, severity, uint8 images)


def test_sets(clean: torch.Tensor, corrupted: Mapping[str, Mapping[str, torch.Tensor]],
              severities: Sequence[int]) -> Iterator[TestSet]:
    """The clean set, then each corruption's stored images (keyed by str(severity)) at ``severities``."""
    yield CLEAN, 0, clean
    for name, stored in corrupted.items():
        for severity in severities:
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


def forward_pass(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, ctx: EvalContext,
                 count_dead: bool) -> Pass:
    """Logits of ``model`` on ``x`` in one pass, with the head's inputs (and ReLU zeros) hooked."""
    start = time.perf_counter()
    with ExitStack() as hooks:
        capture = attempt(lambda: hooks.enter_context(HeadCapture(model.net)))
        counter = attempt(lambda: hooks.enter_context(DeadNeuronCounter(model))) if count_dead else None
        logits = logits_of(model, x, ctx.batch_size)
    geometry = capture if isinstance(capture, MeasureFailed) else attempt(
        lambda: sample_geometry(capture.penultimate(logits), y))
    dead = counter if counter is None or isinstance(counter, MeasureFailed) else attempt(counter.rate)
    return Pass(evaluation_of(logits, y), geometry, dead, time.perf_counter() - start)


@dataclass
class Evaluated:
    """Rows of the three evaluate tables (robustness, samples, pruned_measures), accumulated over models."""

    robustness: list[dict] = field(default_factory=list)
    samples: list[pd.DataFrame] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)

    def extend(self, other: "Evaluated") -> None:
        self.robustness += other.robustness
        self.samples += other.samples
        self.measures += other.measures


def evaluate_model(model: torch.nn.Module, sets: Iterable[TestSet], labels: torch.Tensor, key: dict,
                   ctx: EvalContext) -> Evaluated:
    """One model (dense or pruned, as it is) on every (corruption, severity, images) of
    ``sets``; ``key`` (method, schedule, sparsity) is copied into every row."""
    out = Evaluated()
    for corruption, severity, x in sets:
        clean = corruption == CLEAN
        p = forward_pass(model, x, labels, ctx, count_dead=clean)
        set_key = {**key, "corruption": corruption, "severity": severity}
        out.robustness.append({**set_key, "loss": p.evaluation.loss, "accuracy": p.evaluation.accuracy})
        out.samples.append(sample_rows(set_key, p.evaluation, labels, p.geometry))
        if clean:
            out.measures += measure_rows(key, p)
    return out


def geometry_columns(geometry: Geometry | MeasureFailed, n: int) -> dict[str, np.ndarray]:
    """The samples table's geometry columns (float32; NaN where not computable)."""
    if isinstance(geometry, MeasureFailed):
        return {name: np.full(n, np.nan, dtype=np.float32) for name in schemas.GEOMETRY_COLUMNS}
    values = (geometry.length, geometry.true_angle, geometry.angular_margin)
    return {name: v.cpu().numpy().astype(np.float32) for name, v in zip(schemas.GEOMETRY_COLUMNS, values)}


def sample_rows(key: dict, e: Evaluation, labels, geometry: Geometry | MeasureFailed) -> pd.DataFrame:
    """Per test sample (its index in the test set): label, prediction, correctness, feature geometry."""
    n = len(e.correct)
    frame = pd.DataFrame({"sample": np.arange(n, dtype=np.int32), "label": labels.cpu().numpy().astype(np.int16),
                          "predicted": e.predicted.numpy().astype(np.int16), "correct": e.correct.numpy(),
                          **geometry_columns(geometry, n)})
    frame = frame.assign(**key)
    return frame[[f.name for f in schemas.SAMPLE_FIELDS]]
