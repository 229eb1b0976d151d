"""Fine-tuning a pruned network with its mask held fixed.

The pruned weights are zeroed again after every optimizer step, so momentum
and weight decay cannot revive them (the convention of Han et al. 2015 and of
ShrinkBench's fine-tuning, SGD with momentum 0.9). The batch order is seeded.
"""

from __future__ import annotations

import torch

from prunability.pruning.masks import Masks, apply_masks
from prunability.train import _epoch


def finetune(model, masks: Masks, x: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float,
             batch_size: int, seed: int) -> bool:
    """Train ``model`` (a Classifier, masks keyed relative to ``model.net``) in place;
    returns False if the loss stopped being finite."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    generator = torch.Generator().manual_seed(seed)
    apply_masks(model.net, masks)
    for _ in range(epochs):
        _, finite = _epoch(model, optimizer, x, y, batch_size, generator, after_step=lambda: apply_masks(model.net, masks))
        if not finite:
            return False
    model.eval()
    return True
