"""Pruning methods: one scoring function each, one registry.

A method scores every prunable weight (higher = keep) and says whether its
scores compete globally or within each tensor; ``masks_from_scores`` then
keeps exactly the requested number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from prunability.registry import Registry

Scores = dict[str, torch.Tensor]
# score(params, generator) -> scores; data-dependent methods (later) get more context.
ScoreFn = Callable[[dict[str, torch.Tensor], torch.Generator], Scores]


@dataclass(frozen=True)
class PruningMethod:
    name: str
    scope: str  # "global" | "layerwise"
    score: ScoreFn


METHODS: Registry[PruningMethod] = Registry("pruning method")


def _register(name: str, scope: str):
    def add(fn: ScoreFn) -> ScoreFn:
        METHODS.register(name)(PruningMethod(name, scope, fn))
        return fn

    return add


def magnitude_scores(params: dict[str, torch.Tensor], generator: torch.Generator | None = None) -> Scores:
    """|w|: Han et al. 2015, "Learning both Weights and Connections", §3."""
    return {n: p.detach().abs() for n, p in params.items()}


def random_scores(params: dict[str, torch.Tensor], generator: torch.Generator) -> Scores:
    """i.i.d. uniform scores from a seeded generator: an exactly-k random mask."""
    return {n: torch.rand(p.shape, generator=generator) for n, p in params.items()}


_register("global_magnitude", "global")(magnitude_scores)
_register("layerwise_magnitude", "layerwise")(magnitude_scores)
_register("random", "global")(random_scores)
