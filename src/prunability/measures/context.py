"""What a measure may look at: the trained model, its initialization, a fixed
training subset, and the study's measure settings. Expensive intermediates
shared by several measures (margins, BN-folded weights) are cached here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from prunability.config import MeasureConfig, PruningConfig
from prunability.models import Classifier
from prunability.registry import Registry

MEASURES = Registry("measure")


@dataclass
class MeasureContext:
    model: Classifier  # trained, eval mode, on ``device``
    init_model: Classifier  # the same architecture at initialization
    x_train: torch.Tensor  # uint8 N×C×H×W: the fixed train-eval subset
    y_train: torch.Tensor  # int64 N
    config: MeasureConfig
    pruning: PruningConfig  # which tensors count as prunable (prunability)
    seed: int = 0
    batch_size: int = 1024
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def generator(self) -> torch.Generator:
        """A fresh generator on the model's device, seeded identically for every measure."""
        return torch.Generator(device=self.device).manual_seed(self.seed)

    def cached(self, key: str, compute):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]
