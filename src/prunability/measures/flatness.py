"""PAC-Bayes flatness: how much isotropic Gaussian weight noise the trained
network tolerates before its training accuracy drops.

Jiang et al. 2020, "Fantastic Generalization Measures" (arXiv 1912.02178),
§"PAC-Bayes": σ' is the largest noise std such that E_u[acc(w + u)] with
u ~ N(0, σ'² I) is no more than a fixed amount below acc(w); the flatness
measure (eq. 53) is 1/σ'². Noise is added to every parameter of the
BN-folded net (otherwise BN would renormalize the noise away). The
magnitude-aware variant (eq. 61) draws u_i ~ N(0, σ'²w_i² + ε²) instead.

Note: the public PyTorch re-implementation draws ``torch.normal(0, sigma**2)``,
i.e. uses σ² as the standard deviation; here the standard deviation is σ.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import torch

from prunability.evaluation import evaluate
from prunability.measures.context import MeasureFailed, register
from prunability.measures.folding import folded_net
from prunability.models import Classifier

# Stop the bisection once the accuracy drop is this close to the target (as Jiang et al.'s search).
DROP_TOLERANCE = 0.01


@dataclass(frozen=True)
class SigmaSearch:
    sigma: float  # the noise std found
    accuracy_drop: float  # clean minus mean noisy training accuracy at ``sigma``
    steps: int  # bisection steps taken
    bracketed: bool  # False: even σ_max cost less than the target drop


def gaussian_noise(
    params: list[torch.Tensor], sigma: float, generator: torch.Generator, magnitude_eps: float | None = None,
) -> list[torch.Tensor]:
    """One draw of N(0, σ² I) per tensor: standard deviation σ (not σ²).

    With ``magnitude_eps`` = ε, the magnitude-aware noise of Jiang et al.
    2020 (eqs. 56–61): standard deviation √(σ²w² + ε²) per weight w.
    """
    noise = [torch.randn(p.shape, generator=generator, device=p.device, dtype=p.dtype) for p in params]
    if magnitude_eps is None:
        return [z * sigma for z in noise]
    return [z * torch.sqrt(sigma**2 * p.detach() ** 2 + magnitude_eps**2) for z, p in zip(noise, params)]


@torch.no_grad()
def mean_noisy_accuracy(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, sigma: float, samples: int,
    generator_fn: Callable[[], torch.Generator], batch_size: int = 1024, magnitude_eps: float | None = None,
) -> float:
    """Mean training accuracy over ``samples`` noisy copies of the weights; weights restored after.

    A fresh generator from ``generator_fn`` per call gives the same standard
    normal draws at every σ (common random numbers), so the accuracy is a
    smooth, nearly monotone function of σ and the bisection does not chase noise.
    """
    params = list(model.parameters())
    clean = [p.detach().clone() for p in params]
    generator = generator_fn()
    accuracies = []
    try:
        for _ in range(samples):
            for p, c, u in zip(params, clean, gaussian_noise(clean, sigma, generator, magnitude_eps)):
                p.copy_(c + u)
            accuracies.append(evaluate(model, x, y, batch_size).accuracy)
    finally:
        for p, c in zip(params, clean):
            p.copy_(c)
    return sum(accuracies) / len(accuracies)


def noise_for_accuracy_drop(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, target_drop: float, samples: int,
    steps: int, sigma_max: float, generator_fn: Callable[[], torch.Generator], batch_size: int = 1024,
    magnitude_eps: float | None = None,
) -> SigmaSearch:
    """Bisect σ on [0, σ_max] for a mean accuracy drop of ``target_drop``.

    If even σ_max costs less than the target, the search ends near σ_max and
    says so (``bracketed=False``); Jiang et al.'s search silently caps σ' there.
    """
    clean = evaluate(model, x, y, batch_size).accuracy
    low, high, close = 0.0, sigma_max, False
    for step in range(1, steps + 1):
        sigma = (low + high) / 2
        drop = clean - mean_noisy_accuracy(model, x, y, sigma, samples, generator_fn, batch_size, magnitude_eps)
        close = abs(drop - target_drop) < DROP_TOLERANCE
        if close:
            break
        low, high = (low, sigma) if drop > target_drop else (sigma, high)
    return SigmaSearch(sigma=sigma, accuracy_drop=drop, steps=step, bracketed=close or high < sigma_max)


def pac_bayes_sigma(ctx, magnitude: bool = False) -> float:
    """σ' of the context's model (cached per noise kind): isotropic noise, or
    magnitude-aware noise with ε = ``magnitude_eps``. Fails if σ_max does not bracket it."""

    def search() -> SigmaSearch:
        cfg = ctx.config
        model = Classifier(copy.deepcopy(folded_net(ctx)), ctx.model.mean, ctx.model.std)
        return noise_for_accuracy_drop(
            model, ctx.x_train, ctx.y_train, target_drop=cfg.pac_bayes_accuracy_drop, samples=cfg.pac_bayes_samples,
            steps=cfg.pac_bayes_steps, sigma_max=cfg.pac_bayes_sigma_max, generator_fn=ctx.generator,
            batch_size=ctx.batch_size, magnitude_eps=cfg.magnitude_eps if magnitude else None,
        )

    found = ctx.cached("pac_bayes_mag_search" if magnitude else "pac_bayes_search", search)
    if not found.bracketed:
        raise MeasureFailed(
            f"{'magnitude-aware ' if magnitude else ''}weight noise up to σ = {ctx.config.pac_bayes_sigma_max:g} "
            f"drops training accuracy by only {found.accuracy_drop:.3f} < {ctx.config.pac_bayes_accuracy_drop:g}; "
            "raise pac_bayes_sigma_max"
        )
    return found.sigma


@register("pac_bayes_flatness", sign=+1)
def pac_bayes_flatness(ctx) -> float:
    """1/σ'², the PAC-Bayes flatness measure of Jiang et al. 2020, eq. (53).

    σ' is searched with the context's measure settings (accuracy drop,
    Monte Carlo samples, bisection steps, σ_max) and seeded generator.
    """
    return 1.0 / pac_bayes_sigma(ctx) ** 2


@register("pac_bayes_mag_flatness", sign=+1)
def pac_bayes_mag_flatness(ctx) -> float:
    """1/σ'², σ' found with magnitude-aware noise of std √(σ'²w² + ε²)
    (Jiang et al. 2020, eq. 61, "pacbayes.mag.flatness")."""
    return 1.0 / pac_bayes_sigma(ctx, magnitude=True) ** 2
