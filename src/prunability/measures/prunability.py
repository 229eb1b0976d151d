"""Prunability: Kuhn et al. 2021, "Robustness to Pruning Predicts
Generalization in Deep Neural Networks" (arXiv 2103.06002).

Prunability is the smallest *fraction* κ of the prunable weights that one-shot
global magnitude pruning (Han et al. 2015), without fine-tuning, can keep
while the training loss stays within a relative tolerance α of the dense
model's: L_train(pruned at κ) ≤ (1 + α) · L_train(dense). Lower is "more
prunable". A fraction, unlike a count of remaining weights, does not grow
with network size.

The search is a bisection over κ ∈ (0, 1]. It assumes the loss is monotone in
κ (keeping more of the largest weights never hurts), which holds in practice
for magnitude pruning but is not guaranteed; where it fails, the result is
*a* passing fraction whose left neighbour (one resolution step smaller) failed,
not necessarily the smallest.
"""

from __future__ import annotations

import torch

from prunability.evaluation import evaluate
from prunability.measures.bisection import bisect
from prunability.measures.context import register
from prunability.measures.perturbed import restored
from prunability.pruning import METHODS, ScoringContext, apply_masks, masks_from_scores, prunable_parameters
from prunability.seeds import derived_generator

METHOD = "global_magnitude"


def smallest_kept_fraction(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, tolerance: float, steps: int,
    include_biases: bool, include_norm: bool, method: str, seed: int, batch_size: int,
) -> float:
    """The smallest kept fraction (to a resolution of 2^-steps) whose pruned
    training loss stays ≤ (1 + tolerance) × the dense loss.

    ``model`` is a Classifier; each trial prunes ``model.net`` in place and
    restores its weights bit for bit after (``perturbed.restored``). Returns the bisection's κ in (0, 1] (1.0 if no
    smaller fraction passed); the mask keeps round(κ · prunable) weights.
    """
    limit = (1.0 + tolerance) * evaluate(model, x, y, batch_size).loss
    pruner = METHODS.get(method)
    # Scores come from the dense weights once, so every trial ranks weights the same way.
    params = prunable_parameters(model.net, include_biases=include_biases, include_norm=include_norm)
    # A derived stream: one seeded with the model's own seed would replay its initial weights'
    # uniforms, and a random ranking would rank by signed initial weight (``seeds.py``).
    scores = pruner.score(ScoringContext(params=params, generator=derived_generator(seed, "prunability_scores")))

    def probe(kappa: float):  # κ passes: the smallest passing fraction is at or below it
        masks = masks_from_scores(scores, sparsity=1.0 - kappa, scope=pruner.scope)
        with restored(model.net):  # each trial prunes the dense weights; they are back after it
            apply_masks(model.net, masks)
            loss = evaluate(model, x, y, batch_size).loss
        return loss <= limit, (kappa, loss)

    # κ = 0 is known (or assumed) to fail, κ = 1 passes.
    return bisect(probe, 0.0, 1.0, steps).high


def kept_fraction(ctx, method: str) -> float:
    """κ for ``method`` with the context's settings (cached per method)."""
    return ctx.cached(f"kept_fraction/{method}", lambda: smallest_kept_fraction(
        ctx.model, ctx.x_train, ctx.y_train, tolerance=ctx.config.prunability_tolerance,
        steps=ctx.config.prunability_steps, include_biases=ctx.pruning.include_biases,
        include_norm=ctx.pruning.include_norm, method=method, seed=ctx.seed, batch_size=ctx.batch_size,
    ))


@register("prunability", sign=+1)
def prunability(ctx) -> float:
    """Prunability (Kuhn et al. 2021, arXiv 2103.06002): the smallest fraction of prunable
    weights that global magnitude pruning keeps without raising the training
    loss above (1 + ``prunability_tolerance``) × the dense loss, found by
    ``prunability_steps`` bisection steps. Which tensors are prunable follows
    the study's pruning settings (biases, norm affines)."""
    return kept_fraction(ctx, METHOD)


@register("prunability_random", sign=+1)
def prunability_random(ctx) -> float:
    """Prunability with random instead of magnitude pruning (Kuhn et al. 2021's
    random-pruning variant, motivated by their dropout-like PAC-Bayes posterior):
    one seeded random ranking of the weights, pruned to each trial fraction."""
    return kept_fraction(ctx, "random")


@register("remaining_params", sign=+1)
def remaining_params(ctx) -> float:
    """round(κ · #prunable): the absolute number of weights kept at the
    magnitude-prunability point, the count that earlier pruning-based measures
    used and that Kuhn et al. 2021 replace by a fraction (it grows with width)."""
    params = prunable_parameters(ctx.model.net, include_biases=ctx.pruning.include_biases,
                                 include_norm=ctx.pruning.include_norm)
    return float(round(kept_fraction(ctx, METHOD) * sum(p.numel() for p in params.values())))
