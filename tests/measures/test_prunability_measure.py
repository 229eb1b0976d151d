"""Prunability (Kuhn et al. 2021): bisection bounds, the loss criterion, and no side effects."""

import copy

import torch

from prunability.evaluation import evaluate
from prunability.measures import MEASURES
from prunability.pruning import ScoringContext, apply_masks, masks_from_scores
from prunability.pruning.methods import magnitude_scores
from builders import prunable

STEPS = 12
RESOLUTION = 2.0**-STEPS


def prunability(ctx):
    return MEASURES.get("prunability")(ctx)


def pruned_loss(model, x, y, kappa):
    pruned = copy.deepcopy(model)
    masks = masks_from_scores(magnitude_scores(ScoringContext(params=prunable(pruned.net))), 1.0 - kappa, "global")
    apply_masks(pruned.net, masks)
    return evaluate(pruned, x, y, 1024).loss


def test_prunability_is_a_fraction_meeting_the_criterion(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    before = copy.deepcopy(model.state_dict())
    kappa = prunability(make_context(model, init, x, y, prunability_steps=STEPS))
    assert 0 < kappa < 1
    limit = 1.1 * evaluate(model, x, y, 1024).loss
    assert pruned_loss(model, x, y, kappa) <= limit
    # Bisection invariant: one resolution step less was tried and failed.
    assert pruned_loss(model, x, y, kappa - RESOLUTION) > limit
    for k, v in model.state_dict().items():  # trials ran on a copy
        assert torch.equal(v, before[k]), k


def test_exact_zeros_are_pruned_for_free(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    sparse = copy.deepcopy(model)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in prunable(sparse.net).values():
            p.mul_(torch.rand(p.shape, generator=g) < 0.2)  # zero ~80 % of the weights
    weights = torch.cat([p.reshape(-1) for p in prunable(sparse.net).values()])
    nonzero = (weights != 0).float().mean().item()
    # Tolerance 0: only pruning the zeros is free, so κ lies at most one step above their complement.
    kappa = prunability(make_context(sparse, init, x, y, prunability_tolerance=0.0, prunability_steps=STEPS))
    assert nonzero < 0.25
    assert kappa <= nonzero + RESOLUTION


def test_any_loss_allowed_gives_the_smallest_fraction(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    ctx = make_context(model, init, x, y, prunability_tolerance=1e9, prunability_steps=STEPS)
    assert prunability(ctx) == RESOLUTION


def test_biases_and_norm_affines_can_be_prunable(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    for include in (False, True):
        ctx = make_context(model, init, x, y, include_biases=include, include_norm=include)
        assert 0 < prunability(ctx) <= 1
