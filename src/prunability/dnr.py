"""The dynamic dead-neuron rate (DNR): the fraction of hidden ReLU outputs that
are exactly zero for an input, averaged over inputs.

Liu, Ghosh, Tan & Motani, "AP: Selective Activation for De-sparsifying Pruned
Neural Networks" (arXiv 2212.06145; TMLR 2023) track it during optimization and
report that the more a network is pruned, the lower it is. The paper's
equation could not be read; we implement the natural reading (see
``shared/references/activate_while_pruning.md``):

    DNR(θ) = mean over x in D of  (1/N) Σ_l Σ_i 1[a_{l,i}(x; θ) = 0],

where l runs over every ReLU *application* in the forward pass, i over the
elements of its output (a channel at one pixel is one unit) and N is the
total number of such elements. "Dynamic": per input, not units dead for every
input.

Every application is seen, not only ``nn.ReLU`` modules: a
:class:`torch.overrides.TorchFunctionMode` intercepts ``F.relu``, ``F.relu_``,
``torch.relu(_)`` and ``Tensor.relu(_)`` — ``nn.ReLU.forward`` itself calls
``F.relu`` — so a module called twice counts twice and a functional ReLU is
not invisible (module forward hooks miss it). Calls nested inside an
intercepted call are not seen again (the mode is off while it handles one), so
nothing counts twice.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from prunability.data.split import as_float

RELU_FUNCTIONS = frozenset({F.relu, F.relu_, torch.relu, torch.relu_, torch.Tensor.relu, torch.Tensor.relu_})


class NoReluApplied(ValueError):
    """The counted forward passes applied no ReLU, so the rate is undefined."""


class _ReluTap(TorchFunctionMode):
    """Calls ``sink(output)`` for every ReLU applied while it is active."""

    def __init__(self, sink):
        super().__init__()
        self._sink = sink

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func in RELU_FUNCTIONS:
            self._sink(out)
        return out


class DeadReluCounter:
    """Context manager: while active, every forward pass of ``model`` adds one
    rate per input (#zero ReLU outputs / #ReLU outputs of that pass). A forward
    hook on ``model`` (it fires after every ReLU inside) closes each pass.
    Use it around forward passes only: the tap sees every torch call in scope."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.per_input: list[torch.Tensor] = []
        self.last_pass = (0, 0)  # (ReLU applications, units per input) of the latest closed pass
        self._zero, self._units, self._calls = 0, 0, 0
        self._tap = _ReluTap(self._count)
        self._handle = None

    def _count(self, output: torch.Tensor) -> None:
        flat = output.detach().reshape(len(output), -1)
        self._zero = self._zero + (flat == 0).sum(dim=1)
        self._units += flat.shape[1]
        self._calls += 1

    def _close(self, _module, _inputs, output) -> None:
        if self._units == 0:  # no ReLU ran in this forward pass
            self.per_input.append(torch.full((len(output),), float("nan"), dtype=torch.float64, device=output.device))
        else:  # kept on the device: a copy to the host per training step would stall it
            self.per_input.append(self._zero.double() / self._units)
        self.last_pass = (self._calls, self._units)
        self._zero, self._units, self._calls = 0, 0, 0

    def __enter__(self) -> "DeadReluCounter":
        self._handle = self.model.register_forward_hook(self._close)
        self._tap.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._tap.__exit__(*exc)
        self._handle.remove()

    def rates(self) -> torch.Tensor:
        """Per input: #zero ReLU outputs / #ReLU outputs (float64)."""
        return torch.cat(self.per_input).cpu() if self.per_input else torch.empty(0, dtype=torch.float64)

    def rate(self) -> float:
        """The DNR: the mean of :meth:`rates` over inputs. Raises NoReluApplied when a
        counted pass applied no ReLU (or nothing was counted)."""
        rates = self.rates()
        if rates.numel() == 0 or rates.isnan().any():
            raise NoReluApplied("the model's forward pass applied no ReLU, so it has no dead-neuron rate")
        return rates.mean().item()

    def rate_or_nan(self) -> float:
        try:
            return self.rate()
        except NoReluApplied:
            return float("nan")


@torch.no_grad()
def dead_relu_rate(model: nn.Module, x: torch.Tensor, batch_size: int) -> float:
    """DNR of ``model`` (a Classifier, taking [0, 1] images) in eval mode on uint8
    or float images ``x``; NaN if no ReLU ran. The model's mode is restored."""
    device = next(model.parameters(), x).device
    was_training = model.training
    model.eval()
    with DeadReluCounter(model) as counter:
        for i in range(0, len(x), batch_size):
            model(as_float(x[i : i + batch_size].to(device)))
    model.train(was_training)
    return counter.rate_or_nan()


def dense_training_dnr(history):
    """The dnr-table rows of a dense training run from its history table (a pandas
    DataFrame with model_id, epoch, step, dnr_eval, dnr_train): job "dense", method
    "none", schedule "dense", sparsity 0, round 0."""
    import pandas as pd

    frame = pd.DataFrame({"model_id": history["model_id"], "job": "dense", "method": "none", "schedule": "dense",
                          "ap": False, "sparsity": 0.0, "round": 0, "epoch": history["epoch"], "step": history["step"]})
    for column in ("dnr_eval", "dnr_train"):
        frame[column] = history[column] if column in history else float("nan")
    return frame
