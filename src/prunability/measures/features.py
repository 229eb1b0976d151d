"""Geometry of the penultimate features: Li et al. 2022, "Understanding
Robustness Lottery: A Geometric Visual Comparative Analysis of Neural Network
Pruning Approaches" (arXiv 2206.07918). Each logit of the linear head is
logit_c = ‖W_c‖·‖f(x)‖·cos θ_c + b_c, which splits the loss into the class
directions W_c, the feature length ‖f(x)‖ and the angles θ_c.

f(x) is the input of the last Linear layer, or of the last 1×1 convolution
averaged over pixels (NiN's head: a 1×1 convolution followed by global
average pooling, which commute). The split is checked: W f + b must
reproduce the logits, else the measure fails with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from prunability.data.split import as_float
from prunability.measures.context import MeasureFailed, register


@dataclass(frozen=True)
class Penultimate:
    features: torch.Tensor  # N × D, float64
    weight: torch.Tensor  # K × D class directions
    bias: torch.Tensor | None


def head_layer(net: nn.Module) -> nn.Module:
    layers = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    if not layers:
        raise MeasureFailed("the network has no linear or convolutional head")
    head = layers[-1]
    if isinstance(head, nn.Conv2d) and (head.kernel_size != (1, 1) or head.stride != (1, 1) or head.groups != 1):
        raise MeasureFailed("the last layer is a convolution other than 1×1, so logits are not linear in pooled features")
    return head


@torch.no_grad()
def penultimate(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> Penultimate:
    """Features f(x) (input of the head), the head's weight rows and bias, for uint8 images ``x``."""
    head = head_layer(model.net)
    device = next(model.parameters()).device
    captured: list[torch.Tensor] = []

    def hook(_module, inputs, _output):
        f = inputs[0]
        captured.append((f.mean(dim=(2, 3)) if f.dim() == 4 else f.reshape(len(f), -1)).double())

    handle = head.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        logits = torch.cat([model(as_float(x[i : i + batch_size].to(device))) for i in range(0, len(x), batch_size)])
    finally:
        handle.remove()
        model.train(was_training)
    features = torch.cat(captured)
    weight = head.weight.detach().double().reshape(head.weight.shape[0], -1)
    bias = head.bias.detach().double() if head.bias is not None else None
    rebuilt = features @ weight.T + (bias if bias is not None else 0.0)
    if not torch.allclose(rebuilt, logits.double(), rtol=1e-3, atol=1e-3 * (1 + logits.abs().max().item())):
        raise MeasureFailed("the head's input does not determine the logits linearly (a layer follows the head)")
    return Penultimate(features, weight, bias)


def angles(features: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """θ_c per sample and class (radians): the angle between f(x) and W_c."""
    cos = (features @ weight.T) / (features.norm(dim=1, keepdim=True) * weight.norm(dim=1)).clamp_min(1e-300)
    return torch.arccos(cos.clamp(-1.0, 1.0))


def true_and_nearest_other(theta: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(θ_y, min_{c≠y} θ_c) per sample."""
    y = y.to(theta.device)
    true = theta.gather(1, y[:, None]).squeeze(1)
    others = theta.scatter(1, y[:, None], float("inf")).min(dim=1).values
    return true, others


def penultimate_features(ctx) -> Penultimate:
    return ctx.cached("penultimate", lambda: penultimate(ctx.model, ctx.x_train, ctx.batch_size))


@register("feature_length", sign=-1)
def feature_length(ctx) -> float:
    """Mean ‖f(x)‖ over the training subset (Li et al. 2022, "feature length").
    Expected sign −1: at fixed angles, longer features mean larger logit margins."""
    return penultimate_features(ctx).features.norm(dim=1).mean().item()


@register("feature_angle", sign=+1)
def feature_angle(ctx) -> float:
    """Mean angle θ_y (radians) between f(x) and its true-class weight row W_y
    (Li et al. 2022, "angle"). Expected sign +1: worse-aligned features, smaller margins."""
    p = penultimate_features(ctx)
    true, _ = true_and_nearest_other(angles(p.features, p.weight), ctx.y_train)
    return true.mean().item()


@register("angular_margin", sign=-1)
def angular_margin(ctx) -> float:
    """Mean over the training subset of min_{c≠y} θ_c − θ_y (radians): how much
    closer a feature points to its own class direction than to the nearest other
    (Li et al. 2022's margin in angle; positive on average for a fitted model)."""
    p = penultimate_features(ctx)
    true, other = true_and_nearest_other(angles(p.features, p.weight), ctx.y_train)
    return (other - true).mean().item()
