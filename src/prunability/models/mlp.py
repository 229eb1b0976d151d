"""Fully connected network: ``depth`` hidden layers of 256·width ReLU units."""

from __future__ import annotations

import math

from torch import nn

from prunability.hparams import Hyperparameters
from prunability.models.registry import ARCHITECTURES, scaled

BASE_UNITS = 256


@ARCHITECTURES.register("mlp")
def build_mlp(hp: Hyperparameters, image_shape, num_classes) -> nn.Module:
    units, bn = scaled(BASE_UNITS, hp.width), hp.batchnorm
    layers: list[nn.Module] = [nn.Flatten()]
    n_in = math.prod(image_shape)
    for _ in range(hp.depth):
        layers += [nn.Linear(n_in, units, bias=not bn), nn.BatchNorm1d(units) if bn else nn.Identity(), nn.ReLU()]
        if hp.dropout > 0:
            layers.append(nn.Dropout(hp.dropout))
        n_in = units
    layers.append(nn.Linear(n_in, num_classes))
    return nn.Sequential(*layers)
