"""Size and norm measures of Jiang et al. 2020, "Fantastic Generalization
Measures and Where to Find Them" (arXiv 1912.02178), on the BN-folded net,
and the per-layer squared norms that the spectral and Frobenius bounds share."""

from __future__ import annotations

import copy
import math

import torch

from prunability.measures.context import register
from prunability.measures.folding import folded_net
from prunability.measures.margin import margin_gamma
from prunability.measures.weights import initial_weights, trained_weights


def spectral_norm(matrix: torch.Tensor) -> float:
    """‖W‖₂, the largest singular value (in float64: products of many norms follow)."""
    return torch.linalg.matrix_norm(matrix.double(), ord=2).item()


def frobenius_norm(matrix: torch.Tensor) -> float:
    """‖W‖_F, in float64."""
    return torch.linalg.matrix_norm(matrix.double(), ord="fro").item()


def log(x: float) -> float:
    """Natural log with log 0 = −inf (an all-zero layer), not an exception."""
    return math.log(x) if x > 0 else float("-inf")


def _checked_pairs(ctx) -> list[tuple[torch.Tensor, torch.Tensor]]:
    trained, initial = trained_weights(ctx), initial_weights(ctx)
    if [w.shape for w in trained] != [w.shape for w in initial]:
        raise ValueError("trained and initial models have different layer shapes")
    return list(zip(trained, initial))


def spectral_sq(ctx) -> list[float]:
    """‖W_i‖₂² per layer (cached)."""
    return ctx.cached("spectral_sq", lambda: [spectral_norm(w) ** 2 for w in trained_weights(ctx)])


def frobenius_sq(ctx) -> list[float]:
    """‖W_i‖_F² per layer (cached)."""
    return ctx.cached("frobenius_sq", lambda: [frobenius_norm(w) ** 2 for w in trained_weights(ctx)])


def distance_frobenius_sq(ctx) -> list[float]:
    """‖W_i − W_i⁰‖_F² per layer (cached)."""
    return ctx.cached("distance_frobenius_sq", lambda: [frobenius_norm(w - w0) ** 2 for w, w0 in _checked_pairs(ctx)])


@register("num_params", sign=+1)
def num_params(ctx) -> float:
    """ω, the number of parameters (Jiang et al. 2020, eq. 20), counted on the
    trained ``model.net`` as built (biases and BN affines included; the input
    normalization holds buffers, not parameters)."""
    return float(sum(p.numel() for p in ctx.model.net.parameters()))


@register("log_spectral_norm_sum", sign=+1)
def log_spectral_norm_sum(ctx) -> float:
    """Σ_i log ‖W_i‖₂²: the log of the product of squared spectral norms
    (Jiang et al. 2020, eq. 32, "log.prod.of.spec"), conv kernels as
    out × (in·k·k) matrices.

    The sum of logs, not the log of the product, so that deep nets do not overflow.
    A layer whose weights are all zero gives −inf.
    """
    return sum(log(s) for s in spectral_sq(ctx))


@register("frobenius_distance", sign=+1, needs=("init",))
def frobenius_distance(ctx) -> float:
    """Σ_i ‖W_i − W_i⁰‖_F², the distance from initialization (Jiang et al. 2020,
    eq. 40), each net BN-folded with its own running statistics."""
    return sum(distance_frobenius_sq(ctx))


@register("spectral_distance", sign=+1, needs=("init",))
def spectral_distance(ctx) -> float:
    """Σ_i ‖W_i − W_i⁰‖₂², the spectral distance from initialization
    (Jiang et al. 2020, eq. 41, "dist.spec.init")."""
    return sum(spectral_norm(w - w0) ** 2 for w, w0 in _checked_pairs(ctx))


@register("param_norm", sign=+1)
def param_norm(ctx) -> float:
    """Σ_i ‖W_i‖_F², the squared norm of all weights (Jiang et al. 2020, eq. 42, "param.norm")."""
    return sum(frobenius_sq(ctx))


@torch.no_grad()
def path_norm_of(net: torch.nn.Module, input_shape: tuple[int, ...]) -> float:
    """Σ outputs of a copy of ``net`` with every parameter squared, fed one all-ones input.

    For a ReLU net without BN this is Σ over input→output paths of the product
    of the squared weights along the path (biases count as paths from a
    constant input). Float64 keeps deep nets from overflowing.
    """
    squared = copy.deepcopy(net).double().eval()
    for p in squared.parameters():
        p.pow_(2)
    device = next(squared.parameters()).device
    return squared(torch.ones(1, *input_shape, dtype=torch.float64, device=device)).sum().item()


@register("path_norm", sign=+1)
def path_norm(ctx) -> float:
    """The path norm (Jiang et al. 2020, eq. 44) of the BN-folded net.

    The input normalization is skipped on purpose: the all-ones input stands
    for "every path has input 1", not for an image.
    """
    return ctx.cached("path_norm", lambda: path_norm_of(folded_net(ctx), tuple(ctx.x_train.shape[1:])))


@register("path_norm_over_margin", sign=+1)
def path_norm_over_margin(ctx) -> float:
    """Path norm over γ² (Jiang et al. 2020, eq. 43); +inf where γ ≤ 0, as ``inverse_margin``."""
    gamma = margin_gamma(ctx)
    return path_norm(ctx) / gamma**2 if gamma > 0 else float("inf")
