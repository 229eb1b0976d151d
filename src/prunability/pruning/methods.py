"""Pruning methods: one scoring function each, one registry.

A method scores every prunable weight (higher = keep) from a ``ScoringContext``
and says how its scores compete (``scope``): over all tensors (``global``),
within each tensor (``layerwise``), or whole output channels within each conv
layer (``filter``, structured). ``masks_from_scores`` then keeps exactly the
requested number. A method also says whether it needs training batches
(``needs_data``) and whether one scoring pass serves every sparsity or its
scores depend on the target (``per_sparsity``: SynFlow's iterative schedule).
A scorer may leave a tensor out of its scores: that tensor stays dense.

    method = METHODS.get("snip")
    masks = method.masks(ctx, [0.5, 0.9])    # {0.5: {"0.weight": bool, …}, 0.9: …}

A weight-only method needs only ``ScoringContext(params=…, generator=…)``;
``prunability.pruning.study.scoring_context`` builds the full context of a
model under a study's pruning settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import torch

from prunability.pruning.context import ScoringContext
from prunability.pruning.masks import Masks, masks_for_sparsities
from prunability.pruning.saliency import gradient_magnitude_scores, grasp_scores, snip_scores, synflow_scores
from prunability.pruning.weight_scores import l1_filter_scores, lamp_scores, magnitude_scores, random_scores
from prunability.registry import Registry

Scores = dict[str, torch.Tensor]
ScoreFn = Callable[[ScoringContext], Scores]

__all__ = ["METHODS", "PruningMethod", "magnitude_scores", "random_scores"]


@dataclass(frozen=True)
class PruningMethod:
    name: str
    scope: str  # "global" | "layerwise" | "filter"
    scorer: ScoreFn
    needs_data: bool = False  # reads ctx.model and ctx.batches
    per_sparsity: bool = False  # scores depend on ctx.sparsity: score once per sparsity

    @property
    def structured(self) -> bool:
        return self.scope == "filter"

    def score(self, ctx: ScoringContext) -> Scores:
        """Scores (higher = keep) of the prunable tensors ``ctx.params``."""
        return self.scorer(ctx)

    def masks(self, ctx: ScoringContext, sparsities: Iterable[float]) -> dict[float, Masks]:
        """A mask for every prunable tensor at every sparsity: one scoring pass for all
        (sorted once), or one per sparsity where the method needs it. Tensors the
        method leaves out of its scores get all-ones masks."""
        sparsities = list(sparsities)
        if self.per_sparsity:
            out = {}
            for s in sparsities:
                out.update(masks_for_sparsities(self.score(ctx.at(s)), [s], self.scope))
        else:
            out = masks_for_sparsities(self.score(ctx), sparsities, self.scope)
        return {s: _complete(m, ctx.params) for s, m in out.items()}


def _complete(masks: Masks, params: dict[str, torch.Tensor]) -> Masks:
    """Masks in the order of ``params``, all-ones for tensors without scores."""
    return {n: masks[n] if n in masks else torch.ones(p.shape, dtype=torch.bool, device=p.device)
            for n, p in params.items()}


METHODS: Registry[PruningMethod] = Registry("pruning method")


def _register(name: str, scope: str, fn: ScoreFn, **traits) -> None:
    METHODS.register(name)(PruningMethod(name, scope, fn, **traits))


# The order here is the order of the schema's enum (tests/test_config.py checks it).
_register("global_magnitude", "global", magnitude_scores)
_register("layerwise_magnitude", "layerwise", magnitude_scores)
_register("random", "global", random_scores)
_register("layerwise_random", "layerwise", random_scores)
_register("global_gradient_magnitude", "global", gradient_magnitude_scores, needs_data=True)
_register("layerwise_gradient_magnitude", "layerwise", gradient_magnitude_scores, needs_data=True)
_register("snip", "global", snip_scores, needs_data=True)
_register("grasp", "global", grasp_scores, needs_data=True)
_register("synflow", "global", synflow_scores, per_sparsity=True)
_register("lamp", "global", lamp_scores)
_register("l1_filter", "filter", l1_filter_scores)
