"""What a measure may look at, and how measures are registered.

A measure is a short function ``fn(ctx) -> float`` registered with
``@register(name, sign=±1, needs=(...))``. The context holds the trained model,
its initialization, a fixed training subset, the training history and the
study's measure settings; expensive intermediates shared by several measures
(margins, BN-folded weights, σ') are cached in ``ctx.cache``.

A measure that cannot be computed for a model raises :class:`MeasureFailed`
with a reason (bisection did not bracket, no initial weights, ...); the
measures stage records the reason and a missing value, never a silent number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pandas as pd
import torch

from prunability.config import MeasureConfig, PruningConfig
from prunability.models import Classifier
from prunability.registry import Registry
from prunability.seeds import derived_generator


class MeasureFailed(Exception):
    """A measure has no value for this model; ``reason`` says why in one sentence."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# What a measure may need beyond the trained model and the training subset.
NEEDS = {
    "init": "initial weights",
    "history": "training history (per-epoch losses and milestone steps)",
    "training": "spec, training protocol and training split (to train copies of it)",
}


@dataclass(frozen=True)
class Measure:
    """A registered measure: the function, the sign of correlation with the
    generalization gap that the literature expects (+1: a complexity measure
    that grows with the gap; −1: one that shrinks), and what it needs."""

    name: str
    fn: Callable[["MeasureContext"], float]
    expected_sign: int
    needs: tuple[str, ...] = ()

    def __call__(self, ctx: "MeasureContext") -> float:
        for need in self.needs:
            if not ctx.has(need):
                raise MeasureFailed(f"{self.name} needs the model's {NEEDS[need]}, which this model lacks")
        return float(self.fn(ctx))

    @property
    def doc(self) -> str:
        """The measure's docstring: definition, paper and equation."""
        return self.fn.__doc__ or ""


MEASURES: Registry[Measure] = Registry("measure")


def register(name: str, *, sign: int, needs: tuple[str, ...] = ()):
    """Decorator: ``@register("path_norm", sign=+1)``; the function stays callable as is."""
    if sign not in (-1, 1):
        raise ValueError(f"expected sign of {name!r} must be +1 or -1, got {sign}")
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"measure {name!r} needs unknown inputs {sorted(unknown)}; known: {sorted(NEEDS)}")

    def add(fn):
        MEASURES.register(name)(Measure(name, fn, sign, tuple(needs)))
        return fn

    return add


def expected_sign(name: str) -> int:
    """+1 if ``name`` should rank models like the generalization gap, −1 if inversely."""
    return MEASURES.get(name).expected_sign


@dataclass
class MeasureContext:
    model: Classifier  # trained, eval mode, on ``device``
    init_model: Classifier | None  # the same architecture at initialization (None: not saved)
    x_train: torch.Tensor  # uint8 N×C×H×W: the fixed train-eval subset
    y_train: torch.Tensor  # int64 N
    config: MeasureConfig
    pruning: PruningConfig  # which tensors count as prunable (prunability)
    seed: int
    batch_size: int  # evaluation batch size (inference only): evaluation.batch_size
    history: pd.DataFrame | None = None  # per-epoch rows: epoch, step, train_loss, ... (train stage)
    milestones: Mapping[float, int | None] | None = None  # target CE -> first step reaching it (None: never)
    train_size: int | None = None  # m, the full training-set size (default: the subset's size)
    train_batch_size: int = 64  # the minibatch size the model was trained with (gradient noise)
    cache: dict[str, Any] = field(default_factory=dict)
    spec: Any = None  # the model's ModelSpec, to train copies of it (instability)
    training: Any = None  # the study's TrainingConfig (the zoo's protocol)
    data: Any = None  # the PreparedData the model trained on (its train_fraction subset)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def m(self) -> int:
        """Number of training examples in the bounds' log(m/σ) terms."""
        return self.train_size if self.train_size is not None else len(self.x_train)

    def has(self, need: str) -> bool:
        if need == "init":
            return self.init_model is not None
        if need == "history":
            return self.history is not None and self.milestones is not None
        if need == "training":
            return self.spec is not None and self.training is not None and self.data is not None
        raise KeyError(need)

    def generator(self) -> torch.Generator:
        """A fresh generator on the model's device, seeded identically for every measure.

        Its stream is derived from the model's seed (``seeds.derived_generator``), not
        seeded with it: the model was initialized from ``torch.manual_seed(seed)``, so a
        generator seeded with the same number would replay the uniforms of its initial
        weights, and noise drawn from it would be a function of them."""
        return derived_generator(self.seed, "measures", device=self.device)

    def cached(self, key: str, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]
