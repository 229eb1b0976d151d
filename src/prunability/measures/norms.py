"""Size and norm measures of Jiang et al. 2020, "Fantastic Generalization
Measures and Where to Find Them" (arXiv 1912.02178), on the BN-folded net."""

from __future__ import annotations

import copy
import math

import torch

from prunability.measures.context import MEASURES
from prunability.measures.folding import folded_net
from prunability.measures.weights import initial_weights, trained_weights


@MEASURES.register("num_params")
def num_params(ctx) -> float:
    """ω, the number of parameters (Jiang et al. 2020, eq. 20), counted on the
    trained ``model.net`` as built (biases and BN affines included; the input
    normalization holds buffers, not parameters)."""
    return float(sum(p.numel() for p in ctx.model.net.parameters()))


def spectral_norm(matrix: torch.Tensor) -> float:
    """‖W‖₂, the largest singular value (in float64: products of many norms follow)."""
    return torch.linalg.matrix_norm(matrix.double(), ord=2).item()


@MEASURES.register("log_spectral_norm_sum")
def log_spectral_norm_sum(ctx) -> float:
    """Σ_i log ‖W_i‖₂²: the log of the product of squared spectral norms
    (Jiang et al. 2020, eq. 32), conv kernels as out × (in·k·k) matrices.

    The sum of logs, not the log of the product, so that deep nets do not overflow.
    A layer whose weights are all zero gives −inf.
    """
    return sum(2.0 * _log(spectral_norm(w)) for w in trained_weights(ctx))


def _log(x: float) -> float:
    return math.log(x) if x > 0 else float("-inf")


@MEASURES.register("frobenius_distance")
def frobenius_distance(ctx) -> float:
    """Σ_i ‖W_i − W_i⁰‖_F², the distance from initialization (Jiang et al. 2020,
    eq. 40), each net BN-folded with its own running statistics."""
    trained, initial = trained_weights(ctx), initial_weights(ctx)
    if [w.shape for w in trained] != [w.shape for w in initial]:
        raise ValueError("trained and initial models have different layer shapes")
    return sum((w.double() - w0.double()).pow(2).sum().item() for w, w0 in zip(trained, initial))


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


@MEASURES.register("path_norm")
def path_norm(ctx) -> float:
    """The path norm (Jiang et al. 2020, eq. 44) of the BN-folded net.

    The input normalization is skipped on purpose: the all-ones input stands
    for "every path has input 1", not for an image.
    """
    return path_norm_of(folded_net(ctx), tuple(ctx.x_train.shape[1:]))
