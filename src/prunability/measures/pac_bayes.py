"""PAC-Bayes bounds of Jiang et al. 2020, "Fantastic Generalization Measures
and Where to Find Them" (arXiv 1912.02178), eqs. 48, 49, 56, 57, from the
noise scale σ' of ``flatness.py`` (searched once per context and cached).

w is the vector of all BN-folded weights (biases excluded, as every norm
measure), w⁰ the same at initialization, ω = dim w, m the training-set size.
"""

from __future__ import annotations

import math

import torch

from prunability.measures.context import register
from prunability.measures.flatness import pac_bayes_sigma
from prunability.measures.weights import initial_weights, trained_weights

# The additive constant of Jiang et al.'s bounds (a log(1/δ)-like term).
CONSTANT = 10.0


def weight_vector(ctx) -> torch.Tensor:
    """w: all BN-folded weights, flattened, in float64 (cached)."""
    return ctx.cached("weight_vector", lambda: torch.cat([w.reshape(-1) for w in trained_weights(ctx)]).double())


def initial_weight_vector(ctx) -> torch.Tensor:
    """w⁰ in the same order as ``weight_vector`` (cached)."""
    return ctx.cached("initial_weight_vector", lambda: torch.cat([w.reshape(-1) for w in initial_weights(ctx)]).double())


def gaussian_bound(distance_sq: float, sigma: float, m: int) -> float:
    """‖w − w_prior‖² / (4σ²) + log(m/σ) + 10: the KL term of an isotropic
    Gaussian posterior of std σ around w against a prior around w_prior."""
    return distance_sq / (4.0 * sigma**2) + math.log(m / sigma) + CONSTANT


def magnitude_bound(reference: torch.Tensor, shift: torch.Tensor, sigma: float, m: int, eps: float) -> float:
    """¼ Σ_i log[(ε² + (σ²+1)‖w_ref‖²/ω) / (ε² + σ²(w_i − w_i⁰)²)] + log(m/σ) + 10,
    the magnitude-aware bound (Jiang et al. 2020, eqs. 56/57), ``shift`` = w − w⁰."""
    omega = reference.numel()
    numerator = eps**2 + (sigma**2 + 1.0) * reference.pow(2).sum() / omega
    denominator = eps**2 + sigma**2 * shift.pow(2)
    return 0.25 * torch.log(numerator / denominator).sum().item() + math.log(m / sigma) + CONSTANT


@register("pac_bayes_init", sign=+1, needs=("init",))
def pac_bayes_init(ctx) -> float:
    """‖w − w⁰‖²/(4σ'²) + log(m/σ') + 10 (Jiang et al. 2020, eq. 48, "pacbayes.init")."""
    shift = weight_vector(ctx) - initial_weight_vector(ctx)
    return gaussian_bound(shift.pow(2).sum().item(), pac_bayes_sigma(ctx), ctx.m)


@register("pac_bayes_orig", sign=+1)
def pac_bayes_orig(ctx) -> float:
    """‖w‖²/(4σ'²) + log(m/σ') + 10 (Jiang et al. 2020, eq. 49, "pacbayes.orig")."""
    return gaussian_bound(weight_vector(ctx).pow(2).sum().item(), pac_bayes_sigma(ctx), ctx.m)


@register("pac_bayes_mag_init", sign=+1, needs=("init",))
def pac_bayes_mag_init(ctx) -> float:
    """Magnitude-aware bound with w_ref = w − w⁰ and σ' from magnitude-aware
    noise (Jiang et al. 2020, eq. 56, "pacbayes.mag.init"), ε = ``magnitude_eps``."""
    shift = weight_vector(ctx) - initial_weight_vector(ctx)
    return magnitude_bound(shift, shift, pac_bayes_sigma(ctx, magnitude=True), ctx.m, ctx.config.magnitude_eps)


@register("pac_bayes_mag_orig", sign=+1, needs=("init",))
def pac_bayes_mag_orig(ctx) -> float:
    """Magnitude-aware bound with w_ref = w (Jiang et al. 2020, eq. 57,
    "pacbayes.mag.orig"); its denominator still holds (w_i − w_i⁰)², as in
    the reference table and the public re-implementation, so it needs w⁰ too."""
    shift = weight_vector(ctx) - initial_weight_vector(ctx)
    return magnitude_bound(weight_vector(ctx), shift, pac_bayes_sigma(ctx, magnitude=True), ctx.m, ctx.config.magnitude_eps)
