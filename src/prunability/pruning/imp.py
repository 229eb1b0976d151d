"""Iterative magnitude pruning with rewinding.

Frankle & Carbin 2019 (ICLR, "The Lottery Ticket Hypothesis", Algorithm 1 with
iterative pruning): train, remove p % of the remaining weights by magnitude,
reset the survivors to their initial values, retrain, repeat. Frankle et al.
2020 (ICML, "Linear Mode Connectivity and the Lottery Ticket Hypothesis", §5)
rewind to the weights of an early step k instead of step 0 (weight
rewinding). Renda et al. 2020 (ICLR, "Comparing Rewinding and Fine-tuning in
Neural Network Pruning", §3) keep the trained survivors and replay the
learning-rate schedule from step k (learning-rate rewinding).

Round L keeps exactly round((1 − p)^L · n) weights (global) or of each tensor
(layerwise): weights pruned in an earlier round score −∞, so masks are nested.
Retraining follows the zoo's protocol (pruning/retrain.py); with the zoo's
constant learning rate, replaying the schedule from step k is retraining at
that rate, so the two rewinding modes differ only in the survivors' starting
values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch

from prunability.config import ImpConfig, TrainingConfig
from prunability.data.split import PreparedData
from prunability.pruning.masks import Masks, apply_masks, masks_from_scores
from prunability.pruning.methods import METHODS
from prunability.pruning.retrain import train_sparse
from prunability.train import TrainResult
from prunability.zoo import ModelSpec

REWIND_WEIGHTS, REWIND_LEARNING_RATE = "weights", "learning_rate"


@dataclass(frozen=True)
class ImpRound:
    round: int
    sparsity: float  # 1 − (1 − rate)^round
    masks: Masks
    result: TrainResult  # the retraining run of this round


def next_masks(params: dict[str, torch.Tensor], previous: Masks | None, sparsity: float, method: str) -> Masks:
    """The masks of the next round: the method's magnitude scores of the current
    weights, with weights pruned earlier scored −∞ so that they stay pruned."""
    chosen = METHODS.get(method)
    scores = {n: p.detach().abs().float() for n, p in params.items()}
    if previous is not None:
        scores = {n: s.masked_fill(~previous[n].to(s.device), float("-inf")) for n, s in scores.items()}
    return masks_from_scores(scores, sparsity, chosen.scope)


@torch.no_grad()
def rewind(model, rewind_state: dict, masks: Masks) -> None:
    """Weight rewinding: every weight, buffer and BatchNorm statistic back to the
    rewind point, then the pruned weights zeroed; survivors equal their step-k values."""
    model.load_state_dict(rewind_state)
    apply_masks(model.net, masks)


def imp_rounds(model, params: dict[str, torch.Tensor], rewind_state: dict, mode: str, imp: ImpConfig,
               spec: ModelSpec, training: TrainingConfig, data: PreparedData,
               eval_batch_size: int = 1024) -> Iterator[ImpRound]:
    """Run IMP from ``model`` (trained, dense; modified in place) and yield each
    round after its retraining. ``params`` are the prunable tensors of
    ``model.net``; ``mode`` is ``weights`` or ``learning_rate``."""
    if mode not in (REWIND_WEIGHTS, REWIND_LEARNING_RATE):
        raise ValueError(f"IMP rewinding must be {REWIND_WEIGHTS!r} or {REWIND_LEARNING_RATE!r}, got {mode!r}")
    masks = None
    for number, sparsity in enumerate(imp.sparsities(), start=1):
        masks = next_masks(params, masks, sparsity, imp.method)
        if mode == REWIND_WEIGHTS:
            rewind(model, rewind_state, masks)
        result = train_sparse(model, masks, spec, training, data, eval_batch_size)
        yield ImpRound(number, sparsity, masks, result)
        if result.status == "diverged":
            return  # later rounds would start from non-finite weights
