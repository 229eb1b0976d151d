"""Pruning: prunable tensors, exact-count masks, and a registry of scoring methods."""

from prunability.pruning.masks import (
    apply_masks, kept_count, masks_from_scores, pack_masks, prunable_parameters, unpack_masks,
)
from prunability.pruning.methods import METHODS, PruningMethod

__all__ = [
    "METHODS", "PruningMethod", "apply_masks", "kept_count", "masks_from_scores",
    "pack_masks", "prunable_parameters", "unpack_masks",
]
