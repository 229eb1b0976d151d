"""Frobenius-norm measures of Jiang et al. 2020, "Fantastic Generalization
Measures and Where to Find Them" (arXiv 1912.02178), eqs. 36–39: the four
forms of the spectral measures (eqs. 31, 32, 34, 35) with ‖·‖₂ replaced by
‖·‖_F, on the BN-folded weight matrices.

Notation: F = Σ_i log ‖W_i‖_F² (eq. 37).
"""

from __future__ import annotations

from prunability.measures.context import register
from prunability.measures.margin import log_margin_squared
from prunability.measures.norms import frobenius_sq, log
from prunability.measures.spectral import log_sum_form


@register("log_prod_fro", sign=+1)
def log_prod_fro(ctx) -> float:
    """F = Σ_i log ‖W_i‖_F² (Jiang et al. 2020, eq. 37, "log.prod.of.fro")."""
    return sum(log(f) for f in frobenius_sq(ctx))


@register("log_prod_fro_over_margin", sign=+1)
def log_prod_fro_over_margin(ctx) -> float:
    """F − 2 log γ (Jiang et al. 2020, eq. 36, "log.prod.of.fro.over.margin")."""
    return log_prod_fro(ctx) - log_margin_squared(ctx)


@register("log_sum_fro_over_margin", sign=+1)
def log_sum_fro_over_margin(ctx) -> float:
    """log d + (F − 2 log γ)/d (Jiang et al. 2020, eq. 38, "log.sum.of.fro.over.margin")."""
    return log_sum_form(log_prod_fro(ctx) - log_margin_squared(ctx), len(frobenius_sq(ctx)))


@register("log_sum_fro", sign=+1)
def log_sum_fro(ctx) -> float:
    """log d + F/d (Jiang et al. 2020, eq. 39, "log.sum.of.fro")."""
    return log_sum_form(log_prod_fro(ctx), len(frobenius_sq(ctx)))
