"""Geometry of the penultimate features: Li et al. 2022, "Understanding
Robustness Lottery: A Geometric Visual Comparative Analysis of Neural Network
Pruning Approaches" (arXiv 2206.07918). Each logit of the linear head is
logit_c = ‖W_c‖·‖f(x)‖·cos θ_c + b_c, which splits the loss into the class
directions W_c, the feature length ‖f(x)‖ and the angles θ_c.

f(x) is the input of the last Linear layer, or of the last 1×1 convolution
averaged over pixels (NiN's head: a 1×1 convolution followed by global
average pooling, which commute). The split is checked: W f + b must
reproduce the logits, else the measure fails with a reason.

One definition serves the dense measures here (on the training subset) and
the evaluate stage's per-sample columns and pruned-model means (on every
test set): :class:`HeadCapture` collects f(x) during a forward pass that
computes the logits anyway, and :func:`sample_geometry` turns features into
the per-sample length, true-class angle and angular margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from prunability.evaluation import logits_of
from prunability.measures.context import MeasureFailed, register


@dataclass(frozen=True)
class Penultimate:
    features: torch.Tensor  # N × D, float64
    weight: torch.Tensor  # K × D class directions
    bias: torch.Tensor | None


@dataclass(frozen=True)
class Geometry:
    """Per sample (float64): ‖f(x)‖, θ_y and min_{c≠y} θ_c − θ_y (radians)."""

    length: torch.Tensor
    true_angle: torch.Tensor
    angular_margin: torch.Tensor

    def means(self) -> dict[str, float]:
        """The three measures of this module (their registry names) as means over samples."""
        return {"feature_length": self.length.mean().item(), "feature_angle": self.true_angle.mean().item(),
                "angular_margin": self.angular_margin.mean().item()}


def head_layer(net: nn.Module) -> nn.Module:
    layers = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    if not layers:
        raise MeasureFailed("the network has no linear or convolutional head")
    head = layers[-1]
    if isinstance(head, nn.Conv2d) and (head.kernel_size != (1, 1) or head.stride != (1, 1) or head.groups != 1):
        raise MeasureFailed("the last layer is a convolution other than 1×1, so logits are not linear in pooled features")
    return head


def pooled(head_input: torch.Tensor) -> torch.Tensor:
    """f(x) from the head's input: averaged over pixels for a 1×1 conv head, flattened otherwise (float64)."""
    f = head_input.detach()
    return (f.mean(dim=(2, 3)) if f.dim() == 4 else f.reshape(len(f), -1)).double()


class HeadCapture:
    """Context manager: a forward hook on the head of ``net`` that keeps f(x) of every
    forward pass while active. Raises :class:`MeasureFailed` when the net has no usable head."""

    def __init__(self, net: nn.Module):
        self.head = head_layer(net)
        self.captured: list[torch.Tensor] = []
        self._handle = None

    def __enter__(self) -> "HeadCapture":
        self._handle = self.head.register_forward_hook(lambda _m, inputs, _out: self.captured.append(pooled(inputs[0])))
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()

    def penultimate(self, logits: torch.Tensor) -> Penultimate:
        """The captured features with the head's weight and bias, checked to reproduce ``logits``."""
        features = torch.cat(self.captured)
        if not (torch.isfinite(logits).all() and torch.isfinite(features).all()):
            raise MeasureFailed("the network's features or logits are not finite (a diverged model)")
        weight = self.head.weight.detach().double().reshape(self.head.weight.shape[0], -1)
        bias = self.head.bias.detach().double() if self.head.bias is not None else None
        rebuilt = features @ weight.T + (bias if bias is not None else 0.0)
        if not torch.allclose(rebuilt, logits.double(), rtol=1e-3, atol=1e-3 * (1 + logits.abs().max().item())):
            raise MeasureFailed("the head's input does not determine the logits linearly (a layer follows the head)")
        return Penultimate(features, weight, bias)


@torch.no_grad()
def penultimate(model: nn.Module, x: torch.Tensor, batch_size: int) -> Penultimate:
    """Features f(x) (input of the head), the head's weight rows and bias, for uint8 images ``x``."""
    with HeadCapture(model.net) as capture:
        logits = logits_of(model, x, batch_size)
    return capture.penultimate(logits)


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


def sample_geometry(p: Penultimate, y: torch.Tensor) -> Geometry:
    """Li et al. 2022's decomposition per sample: feature length, true-class angle, angular margin."""
    true, other = true_and_nearest_other(angles(p.features, p.weight), y)
    return Geometry(length=p.features.norm(dim=1), true_angle=true, angular_margin=other - true)


def train_geometry(ctx) -> Geometry:
    """Per-sample geometry of the trained model on the training subset (cached)."""
    return ctx.cached("penultimate_geometry", lambda: sample_geometry(penultimate_features(ctx), ctx.y_train))


def penultimate_features(ctx) -> Penultimate:
    return ctx.cached("penultimate", lambda: penultimate(ctx.model, ctx.x_train, ctx.batch_size))


@register("feature_length", sign=-1)
def feature_length(ctx) -> float:
    """Mean ‖f(x)‖ over the training subset (Li et al. 2022, "feature length").
    Expected sign −1: at fixed angles, longer features mean larger logit margins."""
    return train_geometry(ctx).means()["feature_length"]


@register("feature_angle", sign=+1)
def feature_angle(ctx) -> float:
    """Mean angle θ_y (radians) between f(x) and its true-class weight row W_y
    (Li et al. 2022, "angle"). Expected sign +1: worse-aligned features, smaller margins."""
    return train_geometry(ctx).means()["feature_angle"]


@register("angular_margin", sign=-1)
def angular_margin(ctx) -> float:
    """Mean over the training subset of min_{c≠y} θ_c − θ_y (radians): how much
    closer a feature points to its own class direction than to the nearest other
    (Li et al. 2022's margin in angle; positive on average for a fitted model)."""
    return train_geometry(ctx).means()["angular_margin"]
