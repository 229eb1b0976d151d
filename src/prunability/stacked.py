"""Several networks of one architecture trained as one stacked computation.

M models that share a structure (an architecture with the same depth, width,
BatchNorm, classes and image shape) are held as one flat parameter tensor of
shape M × N (row i: model i's parameters, in ``named_parameters`` order) and
one stacked tensor per buffer (M × …). A training step evaluates all M forward
passes at once — for sequential networks (NiN, MLP, VGG) as one grouped
computation (``prunability.grouped``), for others with ``torch.func.vmap``
over ``functional_call`` on a structure-only copy of the network — and
updates every row with its own learning rate and weight decay: SGD with
optional momentum, as ``torch.optim.SGD`` defines it, for all rows at once
(learning rates and weight decays as M × 1 tensors; rounding may differ from
a lone step's by an ulp where a fused multiply-add does),

    d = g + λ θ,   b ← μ b + d   (b = d at the first step),   θ ← θ − η b,

with b starting at zero (0·μ + d = d exactly, so the first step matches).

BatchNorm in train mode works under vmap when the running statistics are
batched too: they are passed as the stacked buffers (contiguous M × C
tensors, which vmap's batch-norm rule updates in place; views of one flat
buffer would not be written back). Dropout is not drawn inside vmap: each
``F.dropout`` call is replaced by a multiplication with a mask drawn per model
before the step, from that model's own generator, exactly as PyTorch's CPU
dropout draws it (``bernoulli_(1 − p)`` on a tensor of the input's shape,
divided by 1 − p), so every model sees the masks it would see alone. The ReLU
zeros of every pass are counted per model and input, as
``prunability.dnr.DeadReluCounter`` counts them.
"""

from __future__ import annotations

import contextlib
import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap
from torch.overrides import TorchFunctionMode

from prunability.data.split import as_float
from prunability.dnr import RELU_FUNCTIONS
from prunability.grouped import grouped_forward, grouped_plan


class _StepTap(TorchFunctionMode):
    """Inside one model's (vmapped) forward pass: every ``F.dropout`` multiplies by
    the next of ``masks``; every ReLU output adds its zeros per input to ``zeros``."""

    def __init__(self, masks):
        super().__init__()
        self.masks, self.calls = masks, 0
        self.zeros, self.units = None, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.dropout and kwargs.get("training", True):
            mask = self.masks[self.calls]
            self.calls += 1
            return args[0] * mask
        out = func(*args, **kwargs)
        if func in RELU_FUNCTIONS:
            flat = out.detach().reshape(len(out), -1)
            zeros = (flat == 0).sum(dim=1)
            self.zeros = zeros if self.zeros is None else self.zeros + zeros
            self.units += flat.shape[1]
        return out


class _LayoutProbe(TorchFunctionMode):
    """Records shape and strides of every ``F.dropout`` input of a forward pass (and skips the
    dropout, so no random number is drawn)."""

    def __init__(self):
        super().__init__()
        self.layouts: list[tuple[torch.Size, tuple[int, ...]]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is F.dropout:
            self.layouts.append((args[0].shape, args[0].stride()))
            return args[0]
        return func(*args, **(kwargs or {}))


class StackedNetworks:
    """``models`` (same structure as ``template``) stacked for training; see the module doc."""

    def __init__(self, template: nn.Module, models: list[nn.Module], momentum: list[torch.Tensor | None] | None = None):
        self.template = copy.deepcopy(template).to("meta").train()
        self.plan = grouped_plan(self.template)  # the grouped forward where it applies, else vmap
        self._grouped = grouped_forward
        self._probe = copy.deepcopy(template).train()  # real: dropout inputs' memory layout as a lone run has it
        self.names = [name for name, _ in template.named_parameters()]
        self.shapes = [p.shape for _, p in template.named_parameters()]
        self.offsets, offset = [], 0
        for shape in self.shapes:
            self.offsets.append(offset)
            offset += shape.numel()
        self.flat = torch.stack([self._flatten([p.detach() for p in m.parameters()]) for m in models])
        self.buffers = {name: torch.stack([dict(m.named_buffers())[name].detach() for m in models]).clone()
                        for name, _ in template.named_buffers()}
        self.momentum = torch.zeros_like(self.flat)
        for row, buffer in enumerate(momentum or []):
            if buffer is not None:
                self.momentum[row] = buffer
        self.units = 0  # ReLU outputs per input in one forward pass (same for every model)
        self._dropout_layouts: dict[int, list] = {}

    def compile(self) -> None:
        """Run the grouped forward through torch.compile (``training.compile``)."""
        self._grouped = torch.compile(grouped_forward, dynamic=False)  # one graph per (models, batch) shape

    def __len__(self) -> int:
        return len(self.flat)

    def _flatten(self, tensors) -> torch.Tensor:
        return torch.cat([t.reshape(-1) for t in tensors])

    def views(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """The parameters as named M × shape views of ``flat`` (M × N)."""
        m = len(flat)
        return {name: flat[:, o : o + s.numel()].view(m, *s)
                for name, o, s in zip(self.names, self.offsets, self.shapes)}

    def dropout_layouts(self, batch: torch.Tensor) -> list[tuple[torch.Size, tuple[int, ...]]]:
        """(shape, strides) of the input of each dropout call when one model alone runs on
        ``batch`` (one model's float batch), found once per batch length. The strides matter:
        dropout fills its mask in the input's memory order (a CPU convolution may return
        channels-last), so a mask drawn in another layout would hold other draws."""
        if len(batch) not in self._dropout_layouts:
            probe = _LayoutProbe()
            with torch.no_grad(), probe:
                self._probe(batch)
            self._dropout_layouts[len(batch)] = probe.layouts
        return self._dropout_layouts[len(batch)]

    def write_into(self, row: int, model: nn.Module) -> None:
        """Copy model ``row``'s parameters and buffers into ``model`` (same structure)."""
        with torch.no_grad():
            for p, v in zip(model.parameters(), self.views(self.flat[row : row + 1]).values()):
                p.copy_(v[0])
            for name, b in model.named_buffers():
                b.copy_(self.buffers[name][row])

    def keep(self, rows: list[int]) -> None:
        """Drop every model but ``rows`` (in that order)."""
        index = torch.tensor(rows, dtype=torch.long, device=self.flat.device)
        self.flat, self.momentum = self.flat[index], self.momentum[index]
        self.buffers = {k: v[index] for k, v in self.buffers.items()}

    @torch.no_grad()
    def evaluate(self, rows: list[int], x: torch.Tensor, batch_size: int, count: bool = True):
        """Eval-mode logits (m × n × K), ReLU zero counts per input (m × n; None without
        ``count``) and ReLU units per input of the models ``rows`` on ``x``: m × n × C × H × W
        images (uint8 or float), or 1 × n × … that every model sees; ``batch_size`` images per
        model and pass, as ``evaluation.logits_of`` takes them. Sequential networks only (``plan``)."""
        index = torch.tensor(rows, dtype=torch.long, device=self.flat.device)
        params = self.views(self.flat[index])
        buffers = {k: v[index] for k, v in self.buffers.items()}
        passes = [self._grouped(self.plan, params, buffers, as_float(x[:, i : i + batch_size]), [], False, count)
                  for i in range(0, x.shape[1], batch_size)]
        zeros = torch.cat([p[1] for p in passes], dim=1) if count else None
        return torch.cat([p[0] for p in passes], dim=1), zeros, passes[0][2]

    @staticmethod
    def _sgd(flat, grad, buf, lr, weight_decay, momentum: float) -> None:
        """torch.optim.SGD's update of every row at once (``lr``, ``weight_decay``: m × 1):
        d = g + λ θ, b ← μ b + d, θ ← θ − η b (rounding may differ from a lone step's by an ulp)."""
        d = torch.addcmul(grad, weight_decay, flat)
        if momentum:
            d = buf.mul_(momentum).add_(d)
        flat.addcmul_(lr, d, value=-1)

    def _loss(self, params, buffers, x, y, masks):
        tap = _StepTap(masks)
        with tap:
            logits = functional_call(self.template, (params, buffers), (x,))
        loss = F.cross_entropy(logits, y).float()
        zeros = tap.zeros if tap.zeros is not None else torch.zeros(len(x), dtype=torch.long, device=x.device)
        self.units = tap.units
        return loss, zeros

    def step(self, rows: list[int] | None, x: torch.Tensor, y: torch.Tensor, masks: list[torch.Tensor],
             lr: list[float], weight_decay: list[float], momentum: float, autocast=None):
        """One SGD step of the models ``rows`` (None: all, in row order) on their batches
        ``x`` (m × B × C × H × W floats) and ``y`` (m × B); ``masks`` one m × shape tensor per
        dropout call; ``lr`` and ``weight_decay`` per model (m floats). Returns the m losses and
        the m × B ReLU zero counts of the forward passes (tensors on the device)."""
        whole = rows is None
        index = None if whole else torch.tensor(rows, dtype=torch.long, device=self.flat.device)
        flat = self.flat if whole else self.flat[index]
        buffers = self.buffers if whole else {k: v[index] for k, v in self.buffers.items()}
        # one contiguous leaf per parameter: the gradient of a view of one flat leaf would be
        # assembled in a zero-filled M × N tensor per parameter, and flattening a strided view
        # (a BatchNorm weight as one M·C vector) would copy it inside the graph
        params = {name: v.detach().clone().requires_grad_() for name, v in self.views(flat).items()}
        with autocast if autocast is not None else contextlib.nullcontext():
            if self.plan is not None:
                logits, zeros, self.units = self._grouped(self.plan, params, buffers, x, masks)
                m, b, k = logits.shape
                losses = F.cross_entropy(logits.reshape(m * b, k).float(), y.reshape(-1), reduction="none")
                losses = losses.view(m, b).mean(dim=1)
            else:
                losses, zeros = vmap(self._loss, randomness="error")(params, buffers, x, y, masks)
        grads = torch.autograd.grad(losses.sum(), list(params.values()))
        grad = torch.cat([g.reshape(len(flat), -1) for g in grads], dim=1)
        with torch.no_grad():
            buf = self.momentum if whole else self.momentum[index]
            self._sgd(flat, grad, buf, torch.as_tensor(lr, dtype=flat.dtype, device=flat.device).view(-1, 1),
                      torch.as_tensor(weight_decay, dtype=flat.dtype, device=flat.device).view(-1, 1), momentum)
            if not whole:
                self.flat[index], self.momentum[index] = flat, buf
                for k, v in buffers.items():
                    self.buffers[k][index] = v
        return losses.detach(), zeros
