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

from prunability.evaluation import logits_of
from prunability.measures.context import MeasureFailed, register


class DeadNeuronCounter:
    """Context manager: hooks that count, for every input of every forward pass
    of ``model`` while active, the fraction of its ReLU outputs that are zero.
    Raises :class:`MeasureFailed` when the model has no ``nn.ReLU`` module.

    A hook on each ReLU adds that call's zeros and units to the current batch;
    a hook on ``model`` itself (it fires after all of them) closes the batch.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
        if not self.relus:
            raise MeasureFailed("the network has no nn.ReLU modules to count")
        self.per_input: list[torch.Tensor] = []
        self._zero, self._units, self._handles = 0, 0, []

    def _count(self, _module, _inputs, output) -> None:
        flat = output.reshape(len(output), -1)
        self._zero = self._zero + (flat == 0).sum(dim=1)
        self._units += flat.shape[1]

    def _close_batch(self, _module, _inputs, output) -> None:
        if self._units == 0:  # no ReLU ran in this forward pass
            self.per_input.append(torch.full((len(output),), float("nan"), dtype=torch.float64))
        else:
            self.per_input.append(self._zero.double().cpu() / self._units)
        self._zero, self._units = 0, 0

    def __enter__(self) -> "DeadNeuronCounter":
        self._handles = [m.register_forward_hook(self._count) for m in self.relus]
        self._handles.append(self.model.register_forward_hook(self._close_batch))
        return self

    def __exit__(self, *exc) -> None:
        for h in self._handles:
            h.remove()

    def rates(self) -> torch.Tensor:
        """Per input: #zero ReLU outputs / #ReLU outputs (float64)."""
        return torch.cat(self.per_input)

    def rate(self) -> float:
        """The dynamic DNR: the mean of :meth:`rates` over inputs."""
        rates = self.rates()
        if rates.isnan().any():
            raise MeasureFailed("the model's nn.ReLU modules did not run in its forward pass")
        return rates.mean().item()


@torch.no_grad()
def dead_neuron_rate_of(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> float:
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
