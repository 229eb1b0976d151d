"""Loss and accuracy of a classifier on uint8 images, batched on its device, and
the evaluation context every inference pass of a stage runs under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from prunability.data.split import as_float

if TYPE_CHECKING:
    from prunability.config import StudyConfig


@dataclass(frozen=True)
class EvalContext:
    """How a stage runs inference: on ``device``, ``batch_size`` images per forward pass
    (``evaluation.batch_size`` in the schema, its one default). Built once at the stage
    boundary by :meth:`of` and passed down. It has no precision option: evaluation,
    pruning scores and measures always run in float32 (see prunability.precision)."""

    device: torch.device
    batch_size: int

    @classmethod
    def of(cls, config: "StudyConfig", device: torch.device) -> "EvalContext":
        return cls(torch.device(device), config.evaluation.batch_size)


@dataclass(frozen=True)
class Evaluation:
    loss: float  # mean cross-entropy
    accuracy: float
    correct: torch.Tensor  # bool per sample, on CPU
    predicted: torch.Tensor  # int64 class per sample, on CPU


@torch.no_grad()
def logits_of(model: torch.nn.Module, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Logits for every image (model in eval mode; images moved to its device in batches)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = [model(as_float(x[i : i + batch_size].to(device))) for i in range(0, len(x), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> Evaluation:
    return evaluation_of(logits_of(model, x, batch_size), y)


def evaluation_of(logits: torch.Tensor, y: torch.Tensor) -> Evaluation:
    """Loss, accuracy and per-sample predictions from logits already computed."""
    logits = logits.float()
    y = y.to(logits.device)
    loss = F.cross_entropy(logits, y).item()
    # A row with a NaN or infinite logit (a diverged network) predicts nothing: -1,
    # never correct, and the accuracy of the set is undefined rather than chance.
    defined = torch.isfinite(logits).all(dim=1)
    predicted = torch.where(defined, logits.argmax(dim=1), -1)
    correct = (predicted == y).cpu()
    accuracy = correct.float().mean().item() if bool(defined.all()) else float("nan")
    return Evaluation(loss=loss, accuracy=accuracy, correct=correct, predicted=predicted.cpu())
