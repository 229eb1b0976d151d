"""Loss gradients of a network on the training subset: the one place where the
measures accumulate ∇ of a cross-entropy over image chunks.

The gradient of the mean cross-entropy over N images is accumulated chunk by
chunk as Σ_chunks ∇(Σ_{i ∈ chunk} ℓ_i / N), so that memory is bounded by one
chunk's activations and the result is the gradient of the mean over all N
(the sharpness ascent of Jiang et al. 2020 on the whole training subset; the
per-minibatch gradients of the gradient-noise measure, one chunk each).
Per-example gradients (m-coherence) are a different quantity and live in
``coherence.py``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from prunability.data.split import as_float


def loss_gradients(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    """∇ of the mean cross-entropy of ``model`` (as it is, usually eval mode) on
    uint8 images ``x`` with labels ``y`` with respect to every parameter, in
    ``model.parameters()`` order, accumulated over chunks of ``batch_size`` images."""
    params = list(model.parameters())
    grads = [torch.zeros_like(p) for p in params]
    device = params[0].device
    with torch.enable_grad():
        for i in range(0, len(x), batch_size):
            xb, yb = as_float(x[i : i + batch_size].to(device)), y[i : i + batch_size].to(device)
            loss = F.cross_entropy(model(xb), yb, reduction="sum") / len(x)
            for g, d in zip(grads, torch.autograd.grad(loss, params)):
                g.add_(d)
    return grads


def flat_loss_gradient(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> torch.Tensor:
    """:func:`loss_gradients` concatenated into one vector."""
    return torch.cat([g.reshape(-1) for g in loss_gradients(model, x, y, batch_size)])
