"""Sharpness: the largest box of weight perturbations whose worst case the
trained network tolerates. Jiang et al. 2020, "Fantastic Generalization
Measures and Where to Find Them" (arXiv 1912.02178), §"Sharpness-based
measures", eqs. 50–52 and the magnitude-aware 58–60.

α' is the largest radius such that the worst-case perturbation u inside the
box |u_i| ≤ α (magnitude-aware: |u_i| ≤ α|w_i| + ε) lowers the training
accuracy by at most ``sharpness_accuracy_drop``. The worst case is
approximated by projected gradient *ascent* on the training cross-entropy
(signed steps, clipped to the box after each step), and α' is found by
bisection. Perturbations act on every parameter of the BN-folded net.

Departures from the reference search (see ``bisection.py``), none of which
changes the quantity defined (the max over the box), only how it is estimated:
- the ascent starts at the centre of the box (u = 0), not at a uniform random
  point in it. The definition has no randomness; a random start made α'
  depend on the measure seed (on 12 digits NiNs, 2.7 % median seed-to-seed
  difference of α', τ 0.94–1.00 between seeds), the centre start makes the
  search a deterministic function of the model (τ = 1 by construction). The
  first signed step from the centre follows the clean gradient, which is what
  a worst case of a first-order model of the loss would do;
- the bisection runs all ``sharpness_steps`` steps on a log scale, on
  [α_max·2^-20, α_max], instead of stopping within 0.01 of the target drop.

The bounds turn α' into the PAC-Bayes form with an equivalent Gaussian scale
σ = α'/√log(2ω) (a Gaussian of that std stays in the box with high
probability), so eq. 50 reads ‖w − w⁰‖² log(2ω)/(4α'²) + log(m/σ) + 10.
"""

from __future__ import annotations

import math

import torch

from prunability.measures.bisection import OCTAVES, ScaleSearch, log_bisect
from prunability.measures.context import MeasureFailed, register
from prunability.measures.folding import folded_classifier
from prunability.measures.gradients import loss_gradients
from prunability.measures.pac_bayes import gaussian_bound, initial_weight_vector, magnitude_bound, weight_vector
from prunability.measures.perturbed import evaluate_perturbed, perturbed


def box_radii(params: list[torch.Tensor], alpha: float, magnitude_eps: float | None) -> list[torch.Tensor]:
    """Per-weight box half-widths: α, or α|w| + ε when magnitude-aware."""
    if magnitude_eps is None:
        return [torch.full_like(p, alpha) for p in params]
    return [alpha * p.abs() + magnitude_eps for p in params]


def uniform_start(params: list[torch.Tensor], generator: torch.Generator) -> list[torch.Tensor]:
    """U ~ Uniform[-1, 1] per weight: a random start (the ascent at radius r starts at U·r)."""
    return [torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) * 2 - 1 for p in params]


def centre_start(params: list[torch.Tensor]) -> list[torch.Tensor]:
    """0 per weight: the ascent starts at the clean weights, the centre of every box (the searches' start)."""
    return [torch.zeros_like(p) for p in params]


def worst_case_perturbation(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, radii: list[torch.Tensor], *, steps: int,
    start: list[torch.Tensor], batch_size: int,
) -> list[torch.Tensor]:
    """u with |u| ≤ radii that (approximately) maximizes the training loss of w + u.

    Starts at ``start``·radii (``start`` in [-1, 1]), then ``steps`` signed-gradient
    ascent steps of size 2.5·radius/steps, each followed by clipping to the box;
    ``model`` is left at its clean weights.
    """
    u = [s * r for s, r in zip(start, radii)]
    for _ in range(steps):
        with perturbed(model, u):
            grads = loss_gradients(model, x, y, batch_size)
        u = [torch.clamp(d + 2.5 / steps * r * g.sign(), -r, r) for d, r, g in zip(u, radii, grads)]
    return u


def perturbed_accuracy(model: torch.nn.Module, x, y, u: list[torch.Tensor], batch_size: int) -> float:
    """Training accuracy of w + u (correct count / N); weights unchanged after."""
    return evaluate_perturbed(model, x, y, [u], batch_size=batch_size, draws_per_pass=1).accuracies[0]


def box_for_accuracy_drop(
    model: torch.nn.Module, x, y, *, target_drop: float, steps: int, ascent_steps: int, alpha_max: float,
    magnitude_eps: float | None = None, batch_size: int,
) -> ScaleSearch:
    """α where the worst-case accuracy drop crosses ``target_drop``, by ``steps``
    log-scale bisection steps on [α_max·2^-20, α_max] (``bisection.py``). Every
    trial's ascent starts at the centre of its box, so the search draws no
    random numbers: it is a function of the model and the data alone."""
    clean = [p.detach() for p in model.parameters()]
    clean_acc = perturbed_accuracy(model, x, y, [torch.zeros_like(p) for p in clean], batch_size)
    start = centre_start(clean)

    def drop_at(alpha: float) -> float:
        radii = box_radii(clean, alpha, magnitude_eps)
        u = worst_case_perturbation(model, x, y, radii, steps=ascent_steps, start=start, batch_size=batch_size)
        return clean_acc - perturbed_accuracy(model, x, y, u, batch_size)

    return log_bisect(drop_at, target_drop, steps, alpha_max)


def sharpness_alpha(ctx, magnitude: bool = False) -> float:
    """α' of the context's model (cached per box kind); fails if α_max does not bracket it."""

    def search() -> ScaleSearch:
        cfg = ctx.config
        model = folded_classifier(ctx)
        return box_for_accuracy_drop(
            model, ctx.x_train, ctx.y_train, target_drop=cfg.sharpness_accuracy_drop, steps=cfg.sharpness_steps,
            ascent_steps=cfg.sharpness_ascent_steps, alpha_max=cfg.sharpness_alpha_max,
            magnitude_eps=cfg.magnitude_eps if magnitude else None, batch_size=ctx.batch_size,
        )

    found = ctx.cached("sharpness_mag_search" if magnitude else "sharpness_search", search)
    kind = "magnitude-aware " if magnitude else ""
    if found.too_flat:
        raise MeasureFailed(
            f"worst-case {kind}perturbations up to α = {ctx.config.sharpness_alpha_max:g} "
            f"drop training accuracy by only {found.drop:.3f} < {ctx.config.sharpness_accuracy_drop:g}; "
            "raise sharpness_alpha_max"
        )
    if found.too_sharp:
        raise MeasureFailed(
            f"worst-case {kind}perturbations of α = {ctx.config.sharpness_alpha_max * 2.0**-OCTAVES:.3g} already drop "
            f"training accuracy by {found.drop:.3f} > {ctx.config.sharpness_accuracy_drop:g}; lower sharpness_alpha_max"
        )
    return found.scale


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
