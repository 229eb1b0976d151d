"""Gradient noise, random-perturbation robustness, random prunability and the
raw count of remaining weights."""

import pytest
import torch

from prunability.measures import MEASURES
from prunability.measures.perturbation import relative_noise
from builders import prunable


def measure(name, ctx):
    return MEASURES.get(name)(ctx)


def test_gradient_noise_is_zero_for_identical_minibatches(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    same_x, same_y = x[:1].repeat(256, 1, 1, 1), y[:1].repeat(256)
    assert measure("gradient_noise", make_context(model, init, same_x, same_y)) == pytest.approx(0.0, abs=1e-12)
    assert measure("gradient_noise", make_context(model, init, x, y)) > 0


def test_relative_noise_has_the_requested_norm():
    params = [torch.randn(5, 7), torch.full((3,), 2.0)]
    for p, u in zip(params, relative_noise(params, 0.1, torch.Generator().manual_seed(0))):
        assert u.norm().item() == pytest.approx(0.1 * p.norm().item(), rel=1e-5)


def test_random_perturbation_robustness(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    assert measure("random_perturbation_robustness", make_context(model, init, x, y, perturbation_relative_size=1e-9)) \
        == pytest.approx(0.0, abs=1e-5)
    small = measure("random_perturbation_robustness", make_context(model, init, x, y, perturbation_relative_size=0.05))
    large = measure("random_perturbation_robustness", make_context(model, init, x, y, perturbation_relative_size=0.3))
    assert 0 < small < large


def test_random_pruning_keeps_more_and_remaining_params_counts(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    ctx = make_context(model, init, x, y)
    kappa = measure("prunability", ctx)
    assert kappa <= measure("prunability_random", ctx) <= 1
    total = sum(p.numel() for p in prunable(model.net).values())
    assert measure("remaining_params", ctx) == round(kappa * total)
