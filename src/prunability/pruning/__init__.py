"""Pruning: prunable tensors, exact-count masks, a registry of scoring methods,
and what a pruned network costs (FLOPs, per-layer sparsity)."""

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
