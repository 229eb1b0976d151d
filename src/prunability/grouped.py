"""The forward pass of M sequential classifiers as batched matrix products.

For a :class:`~prunability.models.Classifier` whose network is an
``nn.Sequential`` (nested ones included) of convolutions, linear layers,
BatchNorm, ReLU, dropout, pooling and flatten — the NiN, MLP and VGG of the
zoo — the M models' activations are held model-major, channel-first and batch-last,
M × C × H × W × B (M × F × B after flatten), so that every layer is one or
two native ops over all models at once:

- a convolution is ``torch.bmm`` of the M weight matrices (C_out × C_in·k·k)
  with the M im2col matrices, gathered in one ``index_select`` of the padded
  maps' positions (batch-last, the gathered rows come out in the weight's
  column order); a 1×1 convolution of stride 1 needs none: the activations
  already are C_in × H·W·B matrices;
- a linear layer is ``torch.bmm`` of the M weight matrices with M × F_in × B;
- BatchNorm sees the activations as one sample of M·C channels,
  1 × M·C × (H·W·B), so its statistics are per model and channel over the
  same H·W·B values as alone, and the running statistics are the stacked
  M × C buffers seen as one M·C vector (updated in place by ``F.batch_norm``,
  as a lone BatchNorm updates its own);
- ReLU acts elementwise and pooling per channel (on M × C·B × H × W);
- flatten is a view: each model's features in channel-major order, as alone.

Grouped convolutions (one convolution with M groups, what ``torch.func.vmap``
makes of a convolution) keep the models apart too, but oneDNN's grouped
kernels and their backward cost about as much as M lone convolutions for the
zoo's small maps; the matrix products do not (``bench/batched_training.py``).
Networks with other layers (residual blocks) return no plan and take the vmap
path. Dropout multiplies by the given per-model masks; every ReLU's zeros are
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


def _patch_index(height: int, width: int, kernel: tuple[int, int], conv: nn.Conv2d, device):
    """For a convolution on zero-padded H × W maps: the flat padded positions each
    output position reads, kernel-offset major ((kh·kw) × (H_out·W_out), as one vector)."""
    (ph, pw), (sh, sw), (dh, dw) = conv.padding, conv.stride, conv.dilation
    rows = (height + 2 * ph - dh * (kernel[0] - 1) - 1) // sh + 1
    cols = (width + 2 * pw - dw * (kernel[1] - 1) - 1) // sw + 1
    ki, kj = torch.meshgrid(torch.arange(kernel[0]) * dh, torch.arange(kernel[1]) * dw, indexing="ij")
    oi, oj = torch.meshgrid(torch.arange(rows) * sh, torch.arange(cols) * sw, indexing="ij")
    flat = (ki.reshape(-1, 1) + oi.reshape(1, -1)) * (width + 2 * pw) + kj.reshape(-1, 1) + oj.reshape(1, -1)
    return flat.reshape(-1).to(device), (rows, cols)


_PATCHES: dict = {}


def _conv(h: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None, conv: nn.Conv2d) -> torch.Tensor:
    """``conv`` of each model on M × C × H × W × B, as M matrix products (im2col by one gather)."""
    m, c, height, width, b = h.shape
    kh, kw = w.shape[-2:]
    if (kh, kw) == (1, 1) and conv.stride == (1, 1) and conv.padding == (0, 0):
        cols, out_hw = h.reshape(m, c, -1), (height, width)
    else:
        key = (height, width, kh, kw, conv.padding, conv.stride, conv.dilation, h.device)
        if key not in _PATCHES:
            _PATCHES[key] = _patch_index(height, width, (kh, kw), conv, h.device)
        index, out_hw = _PATCHES[key]
        (ph, pw) = conv.padding
        padded = F.pad(h, (0, 0, pw, pw, ph, ph)) if ph or pw else h
        # m × C × (k·k·L) × B: rows (c, kh, kw), the weight's column order; columns (L, B)
        cols = padded.reshape(m, c, -1, b).index_select(2, index).view(m, c * kh * kw, -1)
    w = w.reshape(m, w.shape[1], -1)
    out = torch.bmm(w, cols) if bias is None else torch.baddbmm(bias[:, :, None], w, cols)
    return out.view(m, w.shape[1], *out_hw, b)


def _linear(h: torch.Tensor, w: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """Each model's linear layer on M × F_in × B."""
    out = torch.bmm(w, h)
    return out if bias is None else out + bias[:, :, None]


def _folded(params, buffers, conv: str, norm: str, module) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of convolution ``conv`` followed by eval-mode BatchNorm ``norm``, as one
    convolution: W·s and (b − μ)·s + β per output channel, s = γ / √(σ² + ε)."""
    scale = params[norm + "weight"] * torch.rsqrt(buffers[norm + "running_var"] + module.eps)
    w, bias = params[conv + "weight"], params.get(conv + "bias")
    shift = params[norm + "bias"] - buffers[norm + "running_mean"] * scale
    if bias is not None:
        shift = shift + bias * scale
    return w * scale.view(*scale.shape, 1, 1, 1), shift


def _batch_norm(h, params, buffers, prefix: str, module, training: bool) -> torch.Tensor:
    """BatchNorm of M × C × … as one sample of M·C channels (per model and channel)."""
    mean, var = buffers[prefix + "running_mean"], buffers[prefix + "running_var"]
    out = F.batch_norm(h.reshape(1, mean.numel(), -1), mean.view(-1), var.view(-1),
                       params[prefix + "weight"].reshape(-1), params[prefix + "bias"].reshape(-1),
                       training, module.momentum, module.eps)
    if training:
        buffers[prefix + "num_batches_tracked"].add_(1)
    return out.view(h.shape)


def _flatten(h: torch.Tensor) -> torch.Tensor:
    """M × C × H × W × B to M × (C·H·W) × B: each model's features channel-major, as alone."""
    return h.reshape(h.shape[0], -1, h.shape[-1])


def _per_channel(h: torch.Tensor, module: nn.Module) -> torch.Tensor:
    if h.dim() == 3 or isinstance(module, (nn.ReLU, nn.Identity)):
        return module(h)
    m, c, b = h.shape[0], h.shape[1], h.shape[-1]
    out = module(h.permute(0, 1, 4, 2, 3).reshape(m, c * b, *h.shape[2:4]))  # M × C·B × H × W
    return out.view(m, c, b, *out.shape[2:]).permute(0, 1, 3, 4, 2)


def _zeros(h: torch.Tensor) -> torch.Tensor:
    """Zero outputs per model and input of a ReLU output (m × F × B): F minus the sum of
    the signs (exact in float below 2**24), five times cheaper than counting ``== 0`` along
    F. ``torch.sign`` of a NaN is 0 on the CPU, so a NaN output counts as a zero here; a
    model with one has a non-finite loss, and its epoch is replayed alone."""
    return h.shape[1] - torch.sign(h).sum(dim=1)


def grouped_forward(plan, params: dict, buffers: dict, x: torch.Tensor, masks: list[torch.Tensor],
                    training: bool = True, count: bool = True):
    """Logits (m × B × K), ReLU zero counts (m × B, float64; None without ``count``) and
    ReLU units per input of m models, in train mode (``training``: batch statistics,
    updated running statistics, dropout by ``masks``) or in eval mode (running statistics,
    each BatchNorm that follows a convolution folded into it, no dropout).
    ``params``/``buffers``: name → m × … tensors (buffers contiguous); ``x``: m × B × C × H × W
    in [0, 1], or 1 × B × … for one batch that every model sees; ``masks``: per dropout
    layer, the m models' masks (m × B × …, a lone model's shape)."""
    h = ((x - buffers["mean"]) / buffers["std"]).permute(0, 2, 3, 4, 1)  # m × C × H × W × B
    m, b = h.shape[0], h.shape[-1]
    zeros = torch.zeros(m, b, dtype=torch.float64, device=x.device) if count else None
    units, k, folded = 0, 0, None
    for i, (prefix, module) in enumerate(plan):
        if isinstance(module, nn.Conv2d):
            after = plan[i + 1] if i + 1 < len(plan) else (None, None)
            if not training and isinstance(after[1], nn.BatchNorm2d):
                folded = after[0]
                h = _conv(h, *_folded(params, buffers, prefix, folded, after[1]), module)
            else:
                h = _conv(h, params[prefix + "weight"], params.get(prefix + "bias"), module)
        elif prefix == folded:
            continue
        elif isinstance(module, nn.Linear):
            h = _linear(_flatten(h), params[prefix + "weight"], params.get(prefix + "bias"))
        elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            h = _batch_norm(h, params, buffers, prefix, module, training)
        elif isinstance(module, nn.Dropout):
            if training:
                h = h * masks[k].movedim(1, -1)
            k += 1
        elif isinstance(module, nn.Flatten):
            h = _flatten(h)
        else:
            h = _per_channel(h, module)
            if isinstance(module, nn.ReLU):
                per_model = h.detach().reshape(m, -1, b)
                units += per_model.shape[1]
                if count:
                    zeros += _zeros(per_model)
    return _flatten(h).transpose(1, 2), zeros, units
