"""Random-perturbation robustness: how much the training loss rises under
isotropic weight noise of a fixed size relative to each weight tensor.

The flatness measures search for the noise scale that costs a fixed accuracy;
this measure fixes the scale and reports the cost, as in the random-direction
sharpness of Keskar et al. 2017 and the "loss increase under isotropic
perturbation" baseline that Kuhn et al. 2021 compare prunability against.
Each parameter tensor p of the BN-folded net gets u = ρ‖p‖·z/‖z‖ with z
standard normal, so every tensor moves by exactly ρ of its norm in a uniformly
random direction (relative, so that layers of different scale count alike).
"""

from __future__ import annotations

import torch

from prunability.measures.context import register
from prunability.measures.folding import folded_classifier
from prunability.measures.perturbed import draws_per_pass_on, evaluate_perturbed


def relative_noise(params: list[torch.Tensor], rho: float, generator: torch.Generator) -> list[torch.Tensor]:
    """One isotropic direction per tensor, scaled to ρ times the tensor's norm."""
    out = []
    for p in params:
        z = torch.randn(p.shape, generator=generator, device=p.device, dtype=p.dtype)
        out.append(z * (rho * p.norm() / z.norm().clamp_min(1e-12)))
    return out


def mean_loss_increase(model: torch.nn.Module, x, y, rho: float, samples: int, generator: torch.Generator,
                       batch_size: int, draws_per_pass: int) -> float:
    """E_u[L(w + u)] − L(w) over ``samples`` draws, evaluated in batches of draws
    (``perturbed.py``); the model's weights are unchanged after.

    The draws come from ``generator`` in order, ``draws_per_pass`` at a time, so
    at most that many perturbations sit in memory and every batch size sees the
    same draws."""
    clean = [p.detach() for p in model.parameters()]
    zero = [torch.zeros_like(p) for p in clean]
    base = evaluate_perturbed(model, x, y, [zero], batch_size=batch_size, draws_per_pass=1).losses[0]
    losses = []
    for start in range(0, samples, draws_per_pass):
        draws = [relative_noise(clean, rho, generator) for _ in range(min(draws_per_pass, samples - start))]
        losses += evaluate_perturbed(model, x, y, draws, batch_size=batch_size, draws_per_pass=draws_per_pass).losses
    return sum(losses) / len(losses) - base


@register("random_perturbation_robustness", sign=+1)
def random_perturbation_robustness(ctx) -> float:
    """Mean training-loss increase under relative isotropic weight noise of size
    ``perturbation_relative_size`` (``perturbation_samples`` draws), the
    random-perturbation baseline of Kuhn et al. 2021 (Keskar et al. 2017's
    random-direction sharpness). Larger means sharper, so the expected sign is
    +1 despite the name."""
    cfg = ctx.config
    model = folded_classifier(ctx)
    return mean_loss_increase(model, ctx.x_train, ctx.y_train, cfg.perturbation_relative_size,
                              cfg.perturbation_samples, ctx.generator(), ctx.batch_size,
                              draws_per_pass_on(cfg.noise_draws_per_pass, ctx.device))
