"""The noise searches are functions of the model and the seed: the same seed
gives the same bits, common random numbers make the estimated accuracy
monotone along the search, and evaluating the draws in batches gives the
values of one forward pass per draw."""

import math

import pytest
import torch

from prunability.measures import compute_measures
from prunability.measures.bisection import OCTAVES, log_bisect
from prunability.measures.flatness import (
    NoiseDirections, gaussian_noise, image_subsets, mean_noisy_accuracy, noise_for_accuracy_drop,
)
from prunability.measures.perturbation import mean_loss_increase
from prunability.measures.perturbed import evaluate_perturbed
from test_noise_searches import one_hot_data, one_hot_model

SEARCHED = ["pac_bayes_flatness", "pac_bayes_orig", "pac_bayes_mag_flatness", "sharpness_flatness",
            "sharpness_mag_flatness", "random_perturbation_robustness"]
FAST = {"pac_bayes_samples": 16, "pac_bayes_steps": 14, "sharpness_steps": 6, "sharpness_ascent_steps": 2,
        "perturbation_samples": 4}


def values(ctx):
    results = compute_measures(ctx, SEARCHED)
    assert all(r.ok for r in results.values()), results
    return {name: r.value for name, r in results.items()}


def test_same_seed_gives_identical_values_and_another_seed_other_values(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    first = values(make_context(model, init, x, y, **FAST))
    assert values(make_context(model, init, x, y, **FAST)) == first  # bit for bit, fresh contexts
    other = make_context(model, init, x, y, **FAST)
    other.seed = 1
    changed = values(other)
    # The seed reaches every search (a different draw moves σ', α' and the mean loss increase) ...
    for name in ("pac_bayes_flatness", "pac_bayes_mag_flatness", "random_perturbation_robustness"):
        assert changed[name] != first[name], name
    # ... but only by sampling noise.
    for name in SEARCHED:
        assert changed[name] == pytest.approx(first[name], rel=0.5), name


def test_log_bisection_finds_the_crossing_to_its_resolution():
    found = log_bisect(lambda s: s, 0.1, steps=14, upper=2.0)
    assert found.bracketed and found.scale == pytest.approx(0.1, rel=2 ** (OCTAVES / 2**14) - 1)
    assert len(found.trace) == 14  # no early stop
    assert log_bisect(lambda s: 0.0, 0.1, steps=10, upper=2.0).too_flat
    sharp = log_bisect(lambda s: 1.0, 0.1, steps=10, upper=2.0)
    assert sharp.too_sharp and sharp.scale == pytest.approx(2.0 * 2.0**-OCTAVES, rel=0.02)


def test_common_random_numbers_make_the_accuracy_monotone_in_sigma(make_plain):
    """One-hot model: sample i is wrong iff σ·(z_1i − z_0i) > a, so with the
    directions z fixed, each sample can only turn wrong as σ grows; redrawing z
    at every σ (as a search without common random numbers does) is not monotone."""
    x, y = one_hot_data()
    model = one_hot_model(make_plain)
    params = list(model.parameters())
    sigmas = torch.linspace(0.50, 0.60, 41).tolist()  # around σ' = 0.552 of a drop of 0.1
    fixed = NoiseDirections.draw(params, 10, torch.Generator().manual_seed(0))
    crn = [mean_noisy_accuracy(model, x, y, s, fixed, batch_size=1024) for s in sigmas]
    assert all(a >= b for a, b in zip(crn, crn[1:])) and crn[0] > crn[-1]
    g = torch.Generator().manual_seed(0)
    redrawn = [mean_noisy_accuracy(model, x, y, s, NoiseDirections.draw(params, 10, g),
                                   batch_size=1024) for s in sigmas]
    assert any(a < b for a, b in zip(redrawn, redrawn[1:]))
    # Along the search itself: ordered by σ, the drops never decrease.
    found = noise_for_accuracy_drop(model, x, y, target_drop=0.1, samples=10, steps=15, sigma_max=2.0,
                                    generator=torch.Generator().manual_seed(0), batch_size=1024)
    drops = [d for _, d in sorted(found.trace)]
    assert all(a <= b for a, b in zip(drops, drops[1:]))


@pytest.mark.parametrize("fixture", ["trained_mlp", "trained_nin_bn"])
def test_batched_draws_equal_one_pass_per_draw(fixture, request):
    model, _, x, y = request.getfixturevalue(fixture)
    params = [p.detach() for p in model.parameters()]
    g = torch.Generator().manual_seed(3)
    draws = [gaussian_noise(params, 0.05, g) for _ in range(7)]
    before = [p.clone() for p in params]
    one = evaluate_perturbed(model, x, y, draws, draws_per_pass=1, batch_size=1024)
    # Groups of 3 draws (the last one short) and small image chunks, not a divisor of N.
    many = evaluate_perturbed(model, x, y, draws, draws_per_pass=3, batch_size=200)
    assert many.accuracies == one.accuracies
    assert many.losses == pytest.approx(one.losses, rel=1e-5)
    assert len(set(one.accuracies)) > 1  # the draws differ
    for p, b in zip(model.parameters(), before):
        assert torch.equal(p, b)


def test_batched_search_equals_unbatched_search(trained_nin_bn):
    model, _, x, y = trained_nin_bn

    def search(draws_per_pass):
        return noise_for_accuracy_drop(model, x, y, target_drop=0.1, samples=5, steps=10, sigma_max=2.0,
                                       generator=torch.Generator().manual_seed(0), draws_per_pass=draws_per_pass,
                                       magnitude_eps=1e-3, batch_size=1024)

    assert search(4).trace == search(1).trace
    increase = [mean_loss_increase(model, x, y, 0.1, 5, torch.Generator().manual_seed(0), draws_per_pass=d,
                                   batch_size=1024) for d in (4, 1)]
    assert increase[0] == pytest.approx(increase[1], rel=1e-5) and increase[0] > 0 and math.isfinite(increase[0])


def test_image_subsets_are_disjoint_blocks_of_seeded_permutations():
    subsets = image_subsets(100, 7, 30, torch.Generator().manual_seed(0))
    assert [len(s) for s in subsets] == [30] * 7
    for round_start in (0, 3):  # ⌊100/30⌋ = 3 disjoint blocks per permutation
        block = torch.cat(subsets[round_start : round_start + 3])
        assert len(set(block.tolist())) == 90
    assert not torch.equal(subsets[0], subsets[3])
    assert image_subsets(100, 7, 0, torch.Generator()) is None and image_subsets(100, 7, 100, torch.Generator()) is None


def test_subsets_batched_equal_unbatched_and_estimate_the_full_accuracy(trained_nin_bn):
    model, _, x, y = trained_nin_bn
    params = [p.detach() for p in model.parameters()]
    g = torch.Generator().manual_seed(1)
    draws = [gaussian_noise(params, 0.08, g) for _ in range(9)]
    subsets = image_subsets(len(x), 9, 50, g)
    one = evaluate_perturbed(model, x, y, draws, draws_per_pass=1, subsets=subsets, batch_size=1024)
    many = evaluate_perturbed(model, x, y, draws, draws_per_pass=4, batch_size=64, subsets=subsets)
    assert many.accuracies == one.accuracies and many.losses == pytest.approx(one.losses, rel=1e-5)
    for k in (0, 8):  # a draw's accuracy is the accuracy of w + u_k on its own images
        alone = evaluate_perturbed(model, x[subsets[k]], y[subsets[k]], [draws[k]], draws_per_pass=1, batch_size=1024)
        assert alone.accuracies[0] == one.accuracies[k]


def test_many_draws_on_few_images_find_the_closed_form_sigma(make_plain):
    """One-hot model (test_noise_searches): σ' = a/(Φ⁻¹(0.9)·√2) with a = 1."""
    from statistics import NormalDist

    x, y = one_hot_data()
    found = noise_for_accuracy_drop(one_hot_model(make_plain), x, y, target_drop=0.1, samples=400, steps=13,
                                    sigma_max=2.0, generator=torch.Generator().manual_seed(0), images_per_draw=50,
                                    batch_size=1024)
    # 400 draws × 50 samples = 20 full passes' worth: the mean accuracy is within 0.01 of Φ.
    low, high = (1 / (NormalDist().inv_cdf(p) * math.sqrt(2)) for p in (0.91, 0.89))
    assert found.bracketed and low < found.scale < high, found.scale
