"""m-coherence of per-example gradients: Chatterjee 2020, "Coherent Gradients"
(arXiv 2002.10657), and Chatterjee & Zielinski 2020, "Making Coherence Out of
Nothing At All: Measuring the Evolution of Gradient Alignment"
(arXiv 2008.01217).

For per-example gradients g_1 … g_m, α = E_{i,j}[g_i·g_j] / E_i[‖g_i‖²] and
the m-coherence is m·α = ‖Σ_i g_i‖² / Σ_i ‖g_i‖²: m when all gradients are
identical, 1 when they are pairwise orthogonal. It counts how many of the m
examples a small step along one example's gradient also helps; coherent
gradients are the paper's explanation of generalization (expected sign −1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

from prunability.data.split import as_float
from prunability.measures.context import MeasureFailed, register

CHUNK = 64  # examples per vmap call: bounds memory at CHUNK × #params floats


def m_coherence_of(sum_gradient: torch.Tensor, sum_squared_norms: float) -> float:
    """‖Σ g_i‖² / Σ ‖g_i‖², from the running sums."""
    return (sum_gradient.double().pow(2).sum() / sum_squared_norms).item()


def per_example_gradients(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Rows: the flattened cross-entropy gradient of each example (model as is, usually eval mode)."""
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def loss(p, xi, yi):
        logits = functional_call(model, (p, buffers), (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    grads = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    return torch.cat([g.reshape(len(x), -1) for g in grads.values()], dim=1)


def m_coherence(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """m-coherence of ``model``'s per-example gradients on uint8 images ``x``, in chunks."""
    device = next(model.parameters()).device
    total, squared = None, 0.0
    for i in range(0, len(x), CHUNK):
        g = per_example_gradients(model, as_float(x[i : i + CHUNK].to(device)), y[i : i + CHUNK].to(device)).double()
        total = g.sum(dim=0) if total is None else total + g.sum(dim=0)
        squared += g.pow(2).sum().item()
    if squared == 0.0:
        raise MeasureFailed("every per-example gradient is exactly zero, so m-coherence is 0/0")
    return m_coherence_of(total, squared)


@register("m_coherence", sign=-1)
def m_coherence_measure(ctx) -> float:
    """m-coherence (Chatterjee 2020) of the trained model's per-example gradients
    on ``coherence_samples`` seeded random examples of the training subset
    (torch.func vmap over grad; dropout and BatchNorm in eval mode)."""
    generator = torch.Generator().manual_seed(ctx.seed)
    index = torch.randperm(len(ctx.x_train), generator=generator)[: ctx.config.coherence_samples]
    return m_coherence(ctx.model.eval(), ctx.x_train[index], ctx.y_train[index])
