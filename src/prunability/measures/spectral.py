"""Spectral-norm measures and bounds of Jiang et al. 2020, "Fantastic
Generalization Measures and Where to Find Them" (arXiv 1912.02178), eqs.
29–35, on the BN-folded weight matrices W_1 … W_d (conv kernels as
out × (in·k·k)). γ is the margin percentile of ``margin.py``; the "/margin"
forms fail (no value, with a reason) where γ ≤ 0.

Notation: S = Σ_i log ‖W_i‖₂² (eq. 32, ``log_spectral_norm_sum``).
"""

from __future__ import annotations

import math

from prunability.measures.context import register
from prunability.measures.margin import log_margin_squared
from prunability.measures.norms import distance_frobenius_sq, frobenius_sq, log, log_spectral_norm_sum, spectral_sq


@register("log_spec_over_margin", sign=+1)
def log_spec_over_margin(ctx) -> float:
    """S − 2 log γ = log(Π_i ‖W_i‖₂² / γ²) (Jiang et al. 2020, eq. 31, "log.prod.of.spec.over.margin")."""
    return log_spectral_norm_sum(ctx) - log_margin_squared(ctx)


@register("spec_init", sign=+1, needs=("init",))
def spec_init(ctx) -> float:
    """(31) + log Σ_i ‖W_i − W_i⁰‖_F² / ‖W_i‖₂², the main term of the spectral
    bound measured from initialization (Jiang et al. 2020, eq. 29, "spec-init")."""
    ratio = sum(d / s for d, s in zip(distance_frobenius_sq(ctx), spectral_sq(ctx)))
    return log_spec_over_margin(ctx) + log(ratio)


@register("fro_over_spec", sign=+1)
def fro_over_spec(ctx) -> float:
    """Σ_i ‖W_i‖_F² / ‖W_i‖₂², the sum of stable ranks (Jiang et al. 2020, eq. 33, "fro/spec")."""
    return sum(f / s for f, s in zip(frobenius_sq(ctx), spectral_sq(ctx)))


@register("spec_orig", sign=+1)
def spec_orig(ctx) -> float:
    """(31) + log Σ_i ‖W_i‖_F² / ‖W_i‖₂², the main term of the spectral bound
    measured from the origin (Jiang et al. 2020, eq. 30, "spec-orig")."""
    return log_spec_over_margin(ctx) + log(fro_over_spec(ctx))


def log_sum_form(log_product: float, depth: int) -> float:
    """log d + (1/d)·log_product: the log of d times the geometric mean of the layer terms."""
    return math.log(depth) + log_product / depth


@register("log_sum_spec_over_margin", sign=+1)
def log_sum_spec_over_margin(ctx) -> float:
    """log d + (S − 2 log γ)/d (Jiang et al. 2020, eq. 34, "log.sum.of.spec.over.margin")."""
    return log_sum_form(log_spectral_norm_sum(ctx) - log_margin_squared(ctx), len(spectral_sq(ctx)))


@register("log_sum_spec", sign=+1)
def log_sum_spec(ctx) -> float:
    """log d + S/d (Jiang et al. 2020, eq. 35, "log.sum.of.spec")."""
    return log_sum_form(log_spectral_norm_sum(ctx), len(spectral_sq(ctx)))
