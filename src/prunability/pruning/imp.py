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

Since the iterative schedule of every scoring method (pruning/iterative.py) is
this loop with other scores, IMP runs through it with magnitude scores (the
``rounds`` schedule of pruning/schedules.py scores by ``magnitude``); AP
(pruning/ap.py) is an option of both.
"""

from __future__ import annotations

import torch

from prunability.pruning.iterative import REWIND_LEARNING_RATE, REWIND_WEIGHTS, rewind
from prunability.pruning.masks import Masks, masks_from_scores
from prunability.pruning.methods import METHODS

__all__ = ["REWIND_LEARNING_RATE", "REWIND_WEIGHTS", "magnitude", "next_masks", "rewind"]


def magnitude(params: dict[str, torch.Tensor]):
    """IMP's scorer: |w| of the current weights, whatever the target."""
    return lambda _sparsity: {n: p.detach().abs().float() for n, p in params.items()}


def next_masks(params: dict[str, torch.Tensor], previous: Masks | None, sparsity: float, method: str) -> Masks:
    """The masks of the next round: the method's magnitude scores of the current
    weights, with weights pruned earlier scored −∞ so that they stay pruned."""
    chosen = METHODS.get(method)
    scores = magnitude(params)(sparsity)
    if previous is not None:
        scores = {n: s.masked_fill(~previous[n].to(s.device), float("-inf")) for n, s in scores.items()}
    return masks_from_scores(scores, sparsity, chosen.scope)
