"""Sharpness: the largest box of weight perturbations whose worst case the
trained network tolerates. Jiang et al. 2020, "Fantastic Generalization
Measures and Where to Find Them" (arXiv 1912.02178), §"Sharpness-based
measures", eqs. 50–52 and the magnitude-aware 58–60.

α' is the largest radius such that the worst-case perturbation u inside the
box |u_i| ≤ α (magnitude-aware: |u_i| ≤ α|w_i| + ε) lowers the training
accuracy by at most ``sharpness_accuracy_drop``. The worst case is
approximated by projected gradient *ascent* on the training cross-entropy
(signed steps, clipped to the box after each step, started from uniform noise
in the box), and α' is found by bisection on [0, ``sharpness_alpha_max``].
Perturbations act on every parameter of the BN-folded net.

The bounds turn α' into the PAC-Bayes form with an equivalent Gaussian scale
σ = α'/√log(2ω) (a Gaussian of that std stays in the box with high
probability), so eq. 50 reads ‖w − w⁰‖² log(2ω)/(4α'²) + log(m/σ) + 10.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from prunability.data.split import as_float
from prunability.evaluation import evaluate
from prunability.measures.context import MeasureFailed, register
from prunability.measures.flatness import DROP_TOLERANCE
from prunability.measures.folding import folded_net
from prunability.measures.pac_bayes import gaussian_bound, initial_weight_vector, magnitude_bound, weight_vector
from prunability.models import Classifier


@dataclass(frozen=True)
class AlphaSearch:
    alpha: float
    accuracy_drop: float
    bracketed: bool


def box_radii(params: list[torch.Tensor], alpha: float, magnitude_eps: float | None) -> list[torch.Tensor]:
    """Per-weight box half-widths: α, or α|w| + ε when magnitude-aware."""
    if magnitude_eps is None:
        return [torch.full_like(p, alpha) for p in params]
    return [alpha * p.abs() + magnitude_eps for p in params]


def _loss_gradients(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> list[torch.Tensor]:
    """∇ of the mean training cross-entropy with respect to every parameter."""
    params = list(model.parameters())
    grads = [torch.zeros_like(p) for p in params]
    device = params[0].device
    for i in range(0, len(x), batch_size):
        xb, yb = as_float(x[i : i + batch_size].to(device)), y[i : i + batch_size].to(device)
        loss = F.cross_entropy(model(xb), yb, reduction="sum") / len(x)
        for g, d in zip(grads, torch.autograd.grad(loss, params)):
            g.add_(d)
    return grads


def worst_case_perturbation(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, radii: list[torch.Tensor], *, steps: int,
    generator: torch.Generator, batch_size: int = 1024,
) -> list[torch.Tensor]:
    """u with |u| ≤ radii that (approximately) maximizes the training loss of w + u.

    ``steps`` signed-gradient ascent steps of size 2.5·radius/steps, each
    followed by clipping to the box; ``model`` is left at its clean weights.
    """
    params = list(model.parameters())
    clean = [p.detach().clone() for p in params]
    u = [(torch.rand(r.shape, generator=generator, device=r.device, dtype=r.dtype) * 2 - 1) * r for r in radii]
    try:
        for _ in range(steps):
            with torch.no_grad():
                for p, c, d in zip(params, clean, u):
                    p.copy_(c + d)
            with torch.enable_grad():
                grads = _loss_gradients(model, x, y, batch_size)
            u = [torch.clamp(d + 2.5 / steps * r * g.sign(), -r, r) for d, r, g in zip(u, radii, grads)]
    finally:
        with torch.no_grad():
            for p, c in zip(params, clean):
                p.copy_(c)
    return u


@torch.no_grad()
def perturbed_accuracy(model: torch.nn.Module, x, y, u: list[torch.Tensor], batch_size: int = 1024) -> float:
    """Training accuracy of w + u; weights restored after."""
    params = list(model.parameters())
    clean = [p.detach().clone() for p in params]
    try:
        for p, c, d in zip(params, clean, u):
            p.copy_(c + d)
        return evaluate(model, x, y, batch_size).accuracy
    finally:
        for p, c in zip(params, clean):
            p.copy_(c)


def box_for_accuracy_drop(
    model: torch.nn.Module, x, y, *, target_drop: float, steps: int, ascent_steps: int, alpha_max: float,
    seed: int, magnitude_eps: float | None = None, batch_size: int = 1024,
) -> AlphaSearch:
    """Bisect α on [0, α_max] for a worst-case accuracy drop of ``target_drop``
    (stopping within ``DROP_TOLERANCE``, as the σ' search). Every trial starts
    the ascent from the same seeded uniform draw (common random numbers)."""
    clean_acc = evaluate(model, x, y, batch_size).accuracy
    clean = [p.detach() for p in model.parameters()]
    low, high, close = 0.0, alpha_max, False
    for _ in range(steps):
        alpha = (low + high) / 2
        radii = box_radii(clean, alpha, magnitude_eps)
        generator = torch.Generator(device=clean[0].device).manual_seed(seed)
        u = worst_case_perturbation(model, x, y, radii, steps=ascent_steps, generator=generator, batch_size=batch_size)
        drop = clean_acc - perturbed_accuracy(model, x, y, u, batch_size)
        close = abs(drop - target_drop) < DROP_TOLERANCE
        if close:
            break
        low, high = (low, alpha) if drop > target_drop else (alpha, high)
    return AlphaSearch(alpha=alpha, accuracy_drop=drop, bracketed=close or high < alpha_max)


def sharpness_alpha(ctx, magnitude: bool = False) -> float:
    """α' of the context's model (cached per box kind); fails if α_max does not bracket it."""

    def search() -> AlphaSearch:
        cfg = ctx.config
        model = Classifier(copy.deepcopy(folded_net(ctx)), ctx.model.mean, ctx.model.std).eval()
        return box_for_accuracy_drop(
            model, ctx.x_train, ctx.y_train, target_drop=cfg.sharpness_accuracy_drop, steps=cfg.sharpness_steps,
            ascent_steps=cfg.sharpness_ascent_steps, alpha_max=cfg.sharpness_alpha_max, seed=ctx.seed,
            magnitude_eps=cfg.magnitude_eps if magnitude else None, batch_size=ctx.batch_size,
        )

    found = ctx.cached("sharpness_mag_search" if magnitude else "sharpness_search", search)
    if not found.bracketed:
        raise MeasureFailed(
            f"worst-case {'magnitude-aware ' if magnitude else ''}perturbations up to α = {ctx.config.sharpness_alpha_max:g} "
            f"drop training accuracy by only {found.accuracy_drop:.3f} < {ctx.config.sharpness_accuracy_drop:g}; "
            "raise sharpness_alpha_max"
        )
    return found.alpha


def equivalent_sigma(alpha: float, omega: int) -> float:
    """σ = α/√log(2ω): the Gaussian scale whose bound matches the box of radius α."""
    return alpha / math.sqrt(math.log(2 * omega))


@register("sharpness_init", sign=+1, needs=("init",))
def sharpness_init(ctx) -> float:
    """‖w − w⁰‖² log(2ω)/(4α'²) + log(m/σ) + 10 (Jiang et al. 2020, eq. 50, "sharpness.init")."""
    w = weight_vector(ctx)
    shift_sq = (w - initial_weight_vector(ctx)).pow(2).sum().item()
    return gaussian_bound(shift_sq, equivalent_sigma(sharpness_alpha(ctx), w.numel()), ctx.m)


@register("sharpness_orig", sign=+1)
def sharpness_orig(ctx) -> float:
    """‖w‖² log(2ω)/(4α'²) + log(m/σ) + 10 (Jiang et al. 2020, eq. 51, "sharpness.orig")."""
    w = weight_vector(ctx)
    return gaussian_bound(w.pow(2).sum().item(), equivalent_sigma(sharpness_alpha(ctx), w.numel()), ctx.m)


@register("sharpness_flatness", sign=+1)
def sharpness_flatness(ctx) -> float:
    """1/α'² (Jiang et al. 2020, eq. 52, "sharpness.flatness")."""
    return 1.0 / sharpness_alpha(ctx) ** 2


def _sharpness_mag_bound(ctx, reference: torch.Tensor) -> float:
    w = weight_vector(ctx)
    sigma = equivalent_sigma(sharpness_alpha(ctx, magnitude=True), w.numel())
    return magnitude_bound(reference, w - initial_weight_vector(ctx), sigma, ctx.m, ctx.config.magnitude_eps)


@register("sharpness_mag_init", sign=+1, needs=("init",))
def sharpness_mag_init(ctx) -> float:
    """The magnitude-aware bound of eq. 56 at σ = α'/√log(2ω), α' from the box
    |u| ≤ α'|w| + ε, w_ref = w − w⁰ (Jiang et al. 2020, eq. 58, "sharpness.mag.init")."""
    return _sharpness_mag_bound(ctx, weight_vector(ctx) - initial_weight_vector(ctx))


@register("sharpness_mag_orig", sign=+1, needs=("init",))
def sharpness_mag_orig(ctx) -> float:
    """As ``sharpness_mag_init`` with w_ref = w (Jiang et al. 2020, eq. 59, "sharpness.mag.orig")."""
    return _sharpness_mag_bound(ctx, weight_vector(ctx))


@register("sharpness_mag_flatness", sign=+1)
def sharpness_mag_flatness(ctx) -> float:
    """1/α'² for the magnitude-aware box (Jiang et al. 2020, eq. 60, "sharpness.mag.flatness")."""
    return 1.0 / sharpness_alpha(ctx, magnitude=True) ** 2
