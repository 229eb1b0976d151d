from __future__ import annotations

import torch
from torch import nn

from prunability.hparams import Hyperparameters
from prunability.registry import Registry

# name -> builder(Hyperparameters, image_shape (C, H, W), num_classes) -> nn.Module producing logits
ARCHITECTURES = Registry("architecture")


class Classifier(nn.Module):
    """Input normalization followed by a network; takes images in [0, 1].

    Keeping the normalization inside the model lets corrupted images be fed as
    they are (RobustBench's convention), and keeps ``net`` free of it so that
    weight-only measures see just the trainable layers.
    """

    def __init__(self, net: nn.Module, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.net = net
        self.register_buffer("mean", mean.reshape(1, -1, 1, 1).clone().float())
        self.register_buffer("std", std.reshape(1, -1, 1, 1).clone().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


def build_model(
    hparams: Hyperparameters, image_shape: tuple[int, int, int], num_classes: int,
    mean: torch.Tensor, std: torch.Tensor,
) -> Classifier:
    builder = ARCHITECTURES.get(hparams.architecture)
    return Classifier(builder(hparams, image_shape, num_classes), mean, std)


def scaled(base: int, width: float) -> int:
    """A layer width scaled by the width multiplier, never below one unit."""
    return max(1, int(round(base * width)))


def norm2d(channels: int, batchnorm: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if batchnorm else nn.Identity()
