"""Dynamic dead-neuron rate (DNR) as a measure: the fraction of ReLU outputs
that are zero for an input, averaged over inputs. Liu, Ghosh, Tan & Motani
2023, "AP: Selective Activation for De-sparsifying Pruned Neural Networks"
(arXiv 2212.06145, TMLR): the more a network is pruned, the lower its DNR.

The counting lives in :mod:`prunability.dnr` (training tracks the same rate
every epoch): every ReLU application counts, module or functional, and a
module called twice per forward (torchvision's BasicBlock reuses one ReLU)
counts both outputs; a unit is one element of a ReLU output (a channel at one
pixel for conv nets).
"""

from __future__ import annotations

import torch
from torch import nn

from prunability.dnr import DeadReluCounter, NoReluApplied
from prunability.evaluation import logits_of
from prunability.measures.context import MeasureFailed, register


class DeadNeuronCounter(DeadReluCounter):
    """:class:`prunability.dnr.DeadReluCounter` whose missing rate is a
    :class:`MeasureFailed` (a failure recorded as data, not a crash)."""

    def rate(self) -> float:
        try:
            return super().rate()
        except NoReluApplied as exc:
            raise MeasureFailed(str(exc)) from None


@torch.no_grad()
def dead_neuron_rate_of(model: nn.Module, x: torch.Tensor, batch_size: int) -> float:
    """Mean over inputs of (#zero ReLU outputs / #ReLU outputs) for uint8 images ``x``.

    Works for dense and pruned models alike (the evaluate stage counts it on
    each pruned model in the pass that computes its logits).
    """
    with DeadNeuronCounter(model) as counter:
        logits_of(model, x, batch_size)
    return counter.rate()


@register("dead_neuron_rate", sign=-1)
def dead_neuron_rate(ctx) -> float:
    """Dynamic DNR of the trained model on the training subset (Liu et al. 2023).
    Expected sign −1: more inactive units per input means a sparser effective
    network, which the pruning literature associates with better generalization."""
    return dead_neuron_rate_of(ctx.model, ctx.x_train, ctx.batch_size)
