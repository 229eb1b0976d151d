"""Prune-retrain rounds for any scoring method, with or without AP.

The schedule of iterative magnitude pruning (Frankle & Carbin 2019, Algorithm
1; see pruning/imp.py) with the magnitude replaced by any method's scores of
the current network, re-scored every round (SynFlow and SNIP see the pruned
network as it is). Round L:

1. ``n`` alive weights; the target keeps round((1 − p)^L · N) of the N
   prunable weights (exact, globally; of each tensor for layerwise methods).
2. Scores of the current (trained) weights; weights pruned earlier score −∞,
   so masks nest. Without AP the top scores are kept. With AP (share q,
   pruning/ap.py) the base method keeps round(q·n) weights more than the
   target, and the AP rule removes that many of its survivors; if fewer AP
   candidates exist, the base method removes the rest (global scope: the
   kept count stays exact; layerwise scope: each tensor keeps the base
   method's count, less what AP removed from it).
3. The survivors are rewound (weights of ``training.rewind_step``) or kept
   (learning-rate rewinding: with the zoo's constant learning rate, the
   survivors fine-tuned by the zoo's protocol), then trained by
   pruning/retrain.py: a fresh optimizer, the model's seeded batch order,
   masks re-applied after every step — no momentum revives a pruned weight
   (the public AP code's defect).

AP's W_start for round L is where the training preceding the pruning
started: the dense initialization for round 1, round L−1's masked start
(rewind point or survivors) afterwards; W_T are the weights being pruned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import torch

from prunability.config import TrainingConfig
from prunability.data.split import PreparedData
from prunability.evaluation import EvalContext
from prunability.pruning.ap import ap_count, ap_prune
from prunability.pruning.masks import Masks, apply_masks, keep_count, masks_from_scores
from prunability.pruning.retrain import train_sparse
from prunability.status import Status
from prunability.train import TrainResult
from prunability.zoo import ModelSpec

REWIND_WEIGHTS, REWIND_LEARNING_RATE = "weights", "learning_rate"

Scorer = Callable[[float], dict[str, torch.Tensor]]  # target sparsity -> scores of the current weights


@dataclass(frozen=True)
class Round:
    round: int
    sparsity: float  # 1 − (1 − rate)^round
    masks: Masks
    result: TrainResult  # the retraining run of this round
    ap_removed: int = 0  # weights the AP rule removed this round


def _net_tensors(state: dict, names) -> dict[str, torch.Tensor]:
    """The prunable tensors of a Classifier state_dict, by names relative to ``model.net``."""
    return {n: state[f"net.{n}"] for n in names}


def round_masks(scores: dict[str, torch.Tensor], previous: Masks | None, sparsity: float, scope: str,
                ap_share: float, trained: dict | None = None, start: dict | None = None) -> tuple[Masks, int]:
    """The next round's masks and the count AP removed: scores with earlier-pruned
    weights at −∞, the top kept to reach ``sparsity``; with ``ap_share`` > 0 the AP rule
    takes round(share · alive) of the removal (``trained`` = W_T, ``start`` = W_start)."""
    scores = {n: s.detach().float() if not s.is_floating_point() else s.detach() for n, s in scores.items()}
    if previous is not None:
        scores = {n: s.masked_fill(~previous[n].to(s.device), float("-inf")) for n, s in scores.items()}
    total = sum(s.numel() for s in scores.values())
    alive = total if previous is None else sum(int(m.sum()) for m in previous.values())
    target = keep_count(total, sparsity)
    extra = min(ap_count(alive, ap_share), max(alive - target, 0))
    if extra == 0:
        return masks_from_scores(scores, sparsity, scope), 0
    base = masks_from_scores(scores, 1.0 - (target + extra) / total, scope)
    if previous is not None:  # layerwise counts after an AP round may fall below a tensor's share: never revive
        base = {n: m & previous[n].to(m.device) for n, m in base.items()}
    masks, removed = ap_prune(base, trained, start, extra)
    if removed < extra and scope == "global":  # too few candidates: the base method removes the rest
        rest = {n: s.masked_fill(~masks[n].to(s.device), float("-inf")) for n, s in scores.items()}
        masks = masks_from_scores(rest, sparsity, scope)
    return masks, removed


@torch.no_grad()
def rewind(model, rewind_state: dict, masks: Masks) -> None:
    """Weight rewinding: every weight, buffer and BatchNorm statistic back to the
    rewind point, then the pruned weights zeroed; survivors equal their step-k values."""
    model.load_state_dict(rewind_state)
    apply_masks(model.net, masks)


def iterative_rounds(model, params: dict[str, torch.Tensor], score: Scorer, scope: str, sparsities,
                     rewind_state: dict, mode: str, init_state: dict, spec: ModelSpec, training: TrainingConfig,
                     data: PreparedData, ap_share: float, ctx: EvalContext) -> Iterator[Round]:
    """Run the rounds from ``model`` (trained, dense; modified in place) and yield each
    after its retraining. ``params`` are the prunable tensors of ``model.net``;
    ``score(s)`` scores the current weights (for a target ``s``); ``mode`` is
    ``weights`` or ``learning_rate``; ``init_state`` is the dense run's start (AP's
    W_start in round 1); ``ap_share`` 0 is the job without AP; retraining is evaluated under ``ctx``."""
    if mode not in (REWIND_WEIGHTS, REWIND_LEARNING_RATE):
        raise ValueError(f"rewinding must be {REWIND_WEIGHTS!r} or {REWIND_LEARNING_RATE!r}, got {mode!r}")
    masks, start = None, _net_tensors(init_state, params)
    for number, sparsity in enumerate(sparsities, start=1):
        trained = {n: p.detach().clone() for n, p in params.items()}
        masks, removed = round_masks(score(sparsity), masks, sparsity, scope, ap_share, trained, start)
        if mode == REWIND_WEIGHTS:
            rewind(model, rewind_state, masks)
        result = train_sparse(model, masks, spec, training, data, ctx)
        start = _net_tensors(result.init_state, params)
        yield Round(number, sparsity, masks, result, removed)
        if result.status is Status.DIVERGED:
            return  # later rounds would start from non-finite weights
