"""Optimizers of the zoo's ``optimizer`` axis (the three of Jiang et al. 2020)."""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from prunability.hparams import Hyperparameters
from prunability.registry import Registry

OPTIMIZERS: Registry[Callable[..., torch.optim.Optimizer]] = Registry("optimizer")


@OPTIMIZERS.register("sgd")
def sgd(params: Iterable, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr, weight_decay=weight_decay)


@OPTIMIZERS.register("sgd_momentum")
def sgd_momentum(params: Iterable, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)


@OPTIMIZERS.register("adam")
def adam(params: Iterable, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def optimizer_of(hparams: Hyperparameters, params: Iterable) -> torch.optim.Optimizer:
    """The optimizer of a zoo model's hyperparameters (its ``optimizer``, ``lr`` and ``weight_decay``)."""
    return OPTIMIZERS.get(hparams.optimizer)(params, lr=hparams.lr, weight_decay=hparams.weight_decay)
