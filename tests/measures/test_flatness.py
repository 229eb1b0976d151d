"""PAC-Bayes flatness: noise std, bisection target, and sensitivity to sharpness."""

import copy

import pytest
import torch
from torch import nn

from prunability.evaluation import evaluate
from prunability.measures import MEASURES
from prunability.measures.flatness import (
    NoiseDirections, gaussian_noise, mean_noisy_accuracy, noise_for_accuracy_drop, pac_bayes_sigma,
)


def flatness(ctx):
    return MEASURES.get("pac_bayes_flatness")(ctx)


def test_noise_standard_deviation_is_sigma_not_sigma_squared():
    (noise,) = gaussian_noise([torch.zeros(200_000)], 0.5, torch.Generator().manual_seed(0))
    assert noise.std().item() == pytest.approx(0.5, rel=0.01)  # σ² = 0.25 would fail


def test_zero_noise_keeps_clean_accuracy_and_weights(trained_mlp):
    model, _, x, y = trained_mlp
    before = copy.deepcopy(model.state_dict())
    directions = NoiseDirections.draw(list(model.parameters()), 2, torch.Generator().manual_seed(0))
    acc = mean_noisy_accuracy(model, x, y, 0.0, directions, batch_size=1024)
    assert acc == pytest.approx(evaluate(model, x, y, 1024).accuracy, abs=1e-7)
    assert mean_noisy_accuracy(model, x, y, 0.3, directions, batch_size=1024) < acc
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_bisection_reaches_the_target_accuracy_drop(trained_mlp):
    model, _, x, y = trained_mlp
    search = noise_for_accuracy_drop(
        model, x, y, target_drop=0.1, samples=10, steps=15, sigma_max=2.0, generator=torch.Generator().manual_seed(0),
        batch_size=1024
    )
    # Full bisection: the drop one resolution step either side of σ' brackets the target.
    above = [d for s, d in search.trace if s > search.scale]
    below = [d for s, d in search.trace if s < search.scale]
    assert search.bracketed and 0 < search.scale < 2.0
    assert min(above) > 0.1 >= max(below)
    assert abs(search.drop - 0.1) < 0.02


def test_measure_is_one_over_sigma_squared_and_reproducible(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    ctx = make_context(model, init, x, y, pac_bayes_samples=128)
    value = flatness(ctx)
    assert value == pytest.approx(1 / pac_bayes_sigma(ctx) ** 2)
    assert flatness(make_context(model, init, x, y, pac_bayes_samples=128)) == value


def rescaled(model, c):
    """The same function (logits ×c², argmax unchanged) with every weight c times smaller:
    W1, b1, W2 scaled by c and b2 by c², using ReLU's positive homogeneity."""
    sharp = copy.deepcopy(model)
    first, last = [m for m in sharp.net if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for p in (first.weight, first.bias, last.weight):
            p.mul_(c)
        last.bias.mul_(c * c)
    return sharp


def test_smaller_weights_same_function_is_sharper(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    sharp = rescaled(model, 0.5)
    assert evaluate(sharp, x, y, 1024).accuracy == evaluate(model, x, y, 1024).accuracy
    # Noise σ on the rescaled net acts like noise 2σ on the original: σ' about halves, 1/σ'² about quadruples.
    assert flatness(make_context(sharp, init, x, y, pac_bayes_samples=128)) > 2 * flatness(make_context(model, init, x, y, pac_bayes_samples=128))


def test_flatness_on_a_bn_model_is_positive(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    before = copy.deepcopy(model.state_dict())
    assert 1 / 2.0**2 <= flatness(make_context(model, init, x, y, pac_bayes_samples=128)) < float("inf")
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
