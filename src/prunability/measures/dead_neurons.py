"""Dynamic dead-neuron rate (DNR): the fraction of ReLU units that output zero
for an input, averaged over inputs. Liu, Ghosh, Tan & Motani 2023, "AP:
Selective Activation for De-sparsifying Pruned Networks" (arXiv 2212.06145,
TMLR): the more a network is pruned, the more of its ReLUs are inactive.

Counted with forward hooks on every ``nn.ReLU`` module, so a module called
twice per forward (torchvision's BasicBlock reuses one ReLU) counts both
outputs; a unit is one element of a ReLU output (a channel at one pixel for
conv nets). Functional ReLUs (``F.relu``) are invisible to hooks.
"""

from __future__ import annotations

import torch
from torch import nn

from prunability.data.split import as_float
from prunability.measures.context import MeasureFailed, register


@torch.no_grad()
def dead_neuron_rate_of(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> float:
    """Mean over inputs of (#zero ReLU outputs / #ReLU outputs) for uint8 images ``x``.

    Works for dense and pruned models alike (the prune stage can call it on a masked copy).
    """
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    if not relus:
        raise MeasureFailed("the network has no nn.ReLU modules to count")
    counts: dict[str, torch.Tensor] = {}

    def hook(_module, _inputs, output):
        flat = output.reshape(len(output), -1)
        counts["zero"] = counts.get("zero", 0) + (flat == 0).sum(dim=1)
        counts["units"] = counts.get("units", 0) + flat.shape[1]

    handles = [m.register_forward_hook(hook) for m in relus]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    rates = []
    try:
        for i in range(0, len(x), batch_size):
            counts.clear()
            model(as_float(x[i : i + batch_size].to(device)))
            rates.append(counts["zero"].double() / counts["units"])
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return torch.cat(rates).mean().item()


@register("dead_neuron_rate", sign=-1)
def dead_neuron_rate(ctx) -> float:
    """Dynamic DNR of the trained model on the training subset (Liu et al. 2023).
    Expected sign −1: more inactive units per input means a sparser effective
    network, which the pruning literature associates with better generalization."""
    return dead_neuron_rate_of(ctx.model, ctx.x_train, ctx.batch_size)
