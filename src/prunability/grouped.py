"""The forward pass of M sequential classifiers as one grouped computation.

For a :class:`~prunability.models.Classifier` whose network is an
``nn.Sequential`` (nested ones included) of convolutions, linear layers,
BatchNorm, ReLU, dropout, pooling and flatten — the NiN, MLP and VGG of the
zoo — the M models' activations are laid side by side along the channel (or
feature) axis, B × (M·C) × H × W, and every layer becomes one native op that
keeps the models apart:

- a convolution is a grouped convolution with M groups;
- a linear layer is a batched matrix product (M × B × F_in by M × F_in × F_out);
- BatchNorm, ReLU and pooling act per channel already, so per model: the
  running statistics are the stacked M × C buffers seen as one M·C vector
  (updated in place by ``F.batch_norm``, as a lone BatchNorm updates its own);
- flatten keeps each model's block contiguous (channel-major, as alone).

This is what ``torch.func.vmap`` turns a convolution into, minus vmap's
per-op overhead, which dominates for the zoo's tiny networks. Networks with
other layers (residual blocks) return no plan and take the vmap path.
Dropout multiplies by the given per-model masks; every ReLU's zeros are
counted per model and input, as ``prunability.dnr`` counts them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from prunability.models import Classifier

PER_CHANNEL = (nn.ReLU, nn.AdaptiveAvgPool2d, nn.AvgPool2d, nn.MaxPool2d, nn.Identity)
SUPPORTED = PER_CHANNEL + (nn.Conv2d, nn.Linear, nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout, nn.Flatten)


def _leaves(module: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    out = []
    for name, child in module.named_children():
        if isinstance(child, nn.Sequential):
            out += _leaves(child, f"{prefix}{name}.")
        else:
            out.append((f"{prefix}{name}.", child))
    return out


def _fits(module: nn.Module) -> bool:
    if type(module) not in SUPPORTED:
        return False
    if isinstance(module, nn.ReLU):
        return not module.inplace
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return module.affine and module.track_running_stats and module.momentum is not None
    if isinstance(module, nn.Conv2d):
        return module.groups == 1 and module.padding_mode == "zeros" and not isinstance(module.padding, str)
    if isinstance(module, nn.Flatten):
        return module.start_dim == 1 and module.end_dim == -1
    return True


def grouped_plan(template: nn.Module) -> list[tuple[str, nn.Module]] | None:
    """The layers of ``template`` with their parameter-name prefixes, or None when the
    grouped forward cannot run it."""
    if not isinstance(template, Classifier) or not isinstance(template.net, nn.Sequential):
        return None
    leaves = _leaves(template.net, "net.")
    return leaves if all(_fits(m) for _, m in leaves) else None


def grouped_forward(plan, params: dict, buffers: dict, x: torch.Tensor, masks: list[torch.Tensor]):
    """Logits (m × B × K), ReLU zero counts (m × B) and ReLU units per input of m models
    in train mode. ``params``/``buffers``: name → m × … tensors (buffers contiguous, their
    BatchNorm statistics updated in place); ``x``: m × B × C × H × W in [0, 1];
    ``masks``: per dropout layer, the m models' masks (m × B × …)."""
    m, b = x.shape[:2]
    h = ((x - buffers["mean"]) / buffers["std"]).transpose(0, 1).reshape(b, m * x.shape[2], *x.shape[3:])
    zeros, units, k = torch.zeros(b, m, dtype=torch.long, device=x.device), 0, 0
    for prefix, module in plan:
        if isinstance(module, nn.Conv2d):
            w = params[prefix + "weight"]
            bias = params.get(prefix + "bias")
            h = F.conv2d(h, w.reshape(-1, *w.shape[2:]), None if bias is None else bias.reshape(-1),
                         module.stride, module.padding, module.dilation, groups=m)
        elif isinstance(module, nn.Linear):
            w, bias = params[prefix + "weight"], params.get(prefix + "bias")
            out = torch.bmm(h.reshape(b, m, -1).transpose(0, 1), w.transpose(1, 2))
            if bias is not None:
                out = out + bias[:, None, :]
            h = out.transpose(0, 1).reshape(b, -1)
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            mean, var = buffers[prefix + "running_mean"], buffers[prefix + "running_var"]
            h = F.batch_norm(h, mean.view(-1), var.view(-1), params[prefix + "weight"].reshape(-1),
                             params[prefix + "bias"].reshape(-1), True, module.momentum, module.eps)
            buffers[prefix + "num_batches_tracked"].add_(1)
        elif isinstance(module, nn.Dropout):
            mask = masks[k]
            h = h * mask.transpose(0, 1).reshape(h.shape)
            k += 1
        elif isinstance(module, nn.Flatten):
            h = h.reshape(b, -1)
        else:
            h = module(h)
            if isinstance(module, nn.ReLU):
                per_model = h.detach().reshape(b, m, -1)
                zeros += (per_model == 0).sum(dim=2)
                units += per_model.shape[2]
    return h.reshape(b, m, -1).transpose(0, 1), zeros.t(), units
