"""Training a pruned network with its masks held fixed, by the zoo's protocol.

Pruning at initialization (Lee et al. 2019; Wang et al. 2020; Tanaka et al.
2020) trains the sparse network from its pruned initial weights; iterative
magnitude pruning (Frankle & Carbin 2019) retrains after every round. Both use
the zoo's own training settings — optimizer, learning rate, batch size, the
stop at ``training.target_ce`` or ``training.max_epochs`` — so that sparse and
dense models are trained alike. The optimizer starts fresh and the batch order
is the model's seeded order from its first epoch. Pruned weights are zeroed
again after every step, so momentum and weight decay cannot revive them.
"""

from __future__ import annotations

import torch

from prunability.config import TrainingConfig
from prunability.data.split import PreparedData
from prunability.evaluation import EvalContext
from prunability.optimizers import optimizer_of
from prunability.pruning.masks import Masks, apply_masks
from prunability.train import TrainResult, snapshot, fit
from prunability.zoo import ModelSpec


def train_sparse(model, masks: Masks, spec: ModelSpec, cfg: TrainingConfig, data: PreparedData,
                 ctx: EvalContext) -> TrainResult:
    """Train ``model`` (a Classifier whose ``.net`` the masks are keyed to) in place
    from its current weights (evaluated each epoch under ``ctx``); returns the run's history
    and final state."""
    optimizer = optimizer_of(spec.hparams, model.parameters())
    generator = torch.Generator().manual_seed(spec.seed)
    apply_masks(model.net, masks)
    result = TrainResult(init_state=snapshot(model), final_state={}, milestones={})
    fit(model, optimizer, generator, result, spec, cfg, data, ctx,
        after_step=lambda: apply_masks(model.net, masks))
    result.final_state = snapshot(model)
    model.eval()
    return result
