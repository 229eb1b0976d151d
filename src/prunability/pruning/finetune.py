"""Fine-tuning a pruned network with its mask held fixed.

The pruned weights are zeroed again after every optimizer step, so momentum
and weight decay cannot revive them (the convention of Han et al. 2015 and of
ShrinkBench's fine-tuning, SGD with momentum 0.9). The batch order is seeded.
"""

from __future__ import annotations

import torch

from prunability.dnr import DeadReluCounter, dead_relu_rate
from prunability.evaluation import EvalContext
from prunability.pruning.masks import Masks, apply_masks
from prunability.train import _epoch


def finetune(model, masks: Masks, x: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float,
             batch_size: int, seed: int, ctx: EvalContext, x_eval: torch.Tensor | None = None,
             history: list | None = None) -> bool:
    """Train ``model`` (a Classifier, masks keyed relative to ``model.net``) in place;
    returns False if the loss stopped being finite. With ``history``, one row per
    epoch is appended: epoch, step, and the dynamic dead-neuron rates
    (prunability.dnr) — ``dnr_eval`` on ``x_eval`` in eval mode (``ctx.batch_size`` images a pass), ``dnr_train``
    the running rate of the epoch's training passes."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    apply_masks(model.net, masks)
    steps = 0
    for epoch in range(1, epochs + 1):
        counter = DeadReluCounter(model)
        taken, finite = _epoch(model, optimizer, x, y, batch_size, generator,
                               after_step=lambda: apply_masks(model.net, masks), dnr=counter)
        steps += taken
        if history is not None:
            dnr_eval = float("nan") if x_eval is None else dead_relu_rate(model, x_eval, ctx.batch_size)
            history.append({"epoch": epoch, "step": steps, "dnr_train": counter.rate_or_nan(), "dnr_eval": dnr_eval})
        if not finite:
            return False
    model.eval()
    return True
