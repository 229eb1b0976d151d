"""Pruning: prunable tensors, exact-count masks, a registry of scoring methods,
and what a pruned network costs (FLOPs, per-layer sparsity).

Beside these (exported here): ``pruning.study`` gives a model's masks under a
study's ``PruningConfig``; ``pruning.schedules`` runs one prune job
(``prune_job(PruneRequest) -> JobOutput``, a registry of schedules);
``pruning.networks`` walks the pruned networks a job stored."""

from prunability.pruning.context import ScoringContext, scoring_batches
from prunability.pruning.flops import flops, layer_costs, layer_sparsity
from prunability.pruning.masks import (
    apply_masks, apply_masks_from, kept_count, masks_for_sparsities, masks_from_scores, pack_masks, prunable_parameters, unpack_masks,
)
from prunability.pruning.methods import METHODS, PruningMethod

__all__ = [
    "METHODS", "PruningMethod", "ScoringContext", "apply_masks", "apply_masks_from", "flops", "kept_count", "layer_costs",
    "layer_sparsity", "masks_for_sparsities", "masks_from_scores", "pack_masks", "prunable_parameters",
    "scoring_batches", "unpack_masks",
]
