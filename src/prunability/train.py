"""Training one model of the zoo to a target training cross-entropy.

Following Jiang et al. 2020 (§ "Experimental setup"), every model trains until
its training cross-entropy reaches ``target_ce`` (0.01) so that training
progress does not confound the measures; a ``max_epochs`` budget bounds the
cost. The training set lives on the device as one tensor (no DataLoader), the
batch order comes from a generator seeded by the model's seed, and the
training loss is measured once per epoch over the whole training set in eval
mode, so milestone steps are resolved to the end of an epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from prunability.config import TrainingConfig
from prunability.data.split import PreparedData, as_float
from prunability.evaluation import evaluate
from prunability.models import Classifier, build_model
from prunability.optimizers import OPTIMIZERS
from prunability.zoo import ModelSpec


@dataclass
class TrainResult:
    init_state: dict
    final_state: dict
    status: str  # converged | max_epochs | diverged
    epochs: int = 0
    steps: int = 0
    history: list[dict] = field(default_factory=list)  # one row per epoch
    milestones: dict[float, int | None] = field(default_factory=dict)  # target CE -> first step

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


def new_model(spec: ModelSpec, data: PreparedData, device: torch.device) -> Classifier:
    """The model of ``spec`` at initialization (seeded, so init is reproducible)."""
    torch.manual_seed(spec.seed)
    model = build_model(spec.hparams, data.image_shape, data.num_classes, data.mean, data.std)
    return model.to(device)


def _batches(n: int, batch_size: int, generator: torch.Generator):
    order = torch.randperm(n, generator=generator)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        if len(index) > 1:  # BatchNorm cannot train on a batch of one
            yield index


def _epoch(model, optimizer, x, y, batch_size, generator) -> tuple[int, bool]:
    """One pass over the data; returns (steps taken, whether the loss stayed finite)."""
    model.train()
    steps = 0
    for index in _batches(len(x), batch_size, generator):
        loss = F.cross_entropy(model(as_float(x[index])), y[index])
        if not torch.isfinite(loss):
            return steps, False
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps, True


def _snapshot(model: torch.nn.Module) -> dict:
    return {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}


def _epoch_row(model, data: PreparedData, epoch: int, step: int, batch_size: int) -> dict:
    s = data.split
    train = evaluate(model, s.x_train, s.y_train, batch_size)
    test = evaluate(model, s.x_test, s.y_test, batch_size)
    return {"epoch": epoch, "step": step, "train_loss": train.loss, "train_acc": train.accuracy,
            "test_loss": test.loss, "test_acc": test.accuracy}


def train_model(spec: ModelSpec, cfg: TrainingConfig, data: PreparedData, device: torch.device,
                eval_batch_size: int = 1024) -> TrainResult:
    model = new_model(spec, data, device)
    result = TrainResult(init_state=_snapshot(model), final_state={}, status="max_epochs",
                         milestones={m: None for m in cfg.milestones})
    optimizer = OPTIMIZERS.get(spec.optimizer)(model.parameters(), lr=spec.lr, weight_decay=spec.weight_decay)
    generator = torch.Generator().manual_seed(spec.seed)
    x, y = data.split.x_train.to(device), data.split.y_train.to(device)
    for epoch in range(1, cfg.max_epochs + 1):
        steps, finite = _epoch(model, optimizer, x, y, spec.batch_size, generator)
        result.steps += steps
        result.epochs = epoch
        row = _epoch_row(model, data, epoch, result.steps, eval_batch_size)
        if not finite or not math.isfinite(row["train_loss"]):
            result.status = "diverged"
            result.history.append(row)
            break
        result.history.append(row)
        for target, step in result.milestones.items():
            if step is None and row["train_loss"] <= target:
                result.milestones[target] = result.steps
        if row["train_loss"] <= cfg.target_ce:
            result.status = "converged"
            break
    result.final_state = _snapshot(model)
    return result
