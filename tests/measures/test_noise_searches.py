"""σ' (PAC-Bayes) and α' (sharpness) searches on a model whose accuracy under
weight noise is known in closed form, and the worst-case ascent's box.

The model: N one-hot "pixels" feed a bias-free Linear(N, 2) with W[0, :] = a,
W[1, :] = 0, and every sample has label 0. Sample i sees only column i, so its
logits are (a + u_{0i}, u_{1i}) and it stays correct iff u_{1i} − u_{0i} < a:
an independent event per sample.
- Isotropic noise σ: u_1 − u_0 ~ N(0, 2σ²), accuracy Φ(a / (σ√2)).
- Magnitude noise √(σ²w² + ε²): variance σ²a² + 2ε², accuracy ≈ Φ(1/σ), whatever a.
- Box |u| ≤ α: the worst case u_0 = −α, u_1 = +α flips every sample once α > a/2.
"""

import math
from statistics import NormalDist

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from prunability.data.split import as_float
from prunability.evaluation import evaluate
from prunability.measures import MEASURES, compute_measures
from prunability.measures.flatness import noise_for_accuracy_drop, pac_bayes_sigma
from prunability.measures.sharpness import (
    box_for_accuracy_drop, box_radii, sharpness_alpha, uniform_start, worst_case_perturbation,
)

N = 1000
Z90 = NormalDist().inv_cdf(0.9)  # Φ(z) = 0.9: a drop of 0.1 from accuracy 1


def one_hot_model(make_plain, a=1.0):
    lin = nn.Linear(N, 2, bias=False)
    with torch.no_grad():
        lin.weight.zero_()
        lin.weight[0].fill_(a)
    return make_plain(nn.Sequential(nn.Flatten(), lin))


def one_hot_data():
    x = (torch.eye(N, dtype=torch.uint8) * 255).reshape(N, 1, 1, N)
    return x, torch.zeros(N, dtype=torch.int64)


def search(model, x, y, **kw):
    return noise_for_accuracy_drop(model, x, y, target_drop=0.1, samples=10, steps=15, sigma_max=2.0,
                                   generator=torch.Generator().manual_seed(0), batch_size=1024, **kw)


@pytest.mark.parametrize("a", [1.0, 0.5])
def test_isotropic_sigma_matches_the_closed_form(make_plain, a):
    x, y = one_hot_data()
    found = search(one_hot_model(make_plain, a), x, y)
    expected = a / (Z90 * math.sqrt(2))  # 0.552·a
    # 10 draws × 1000 independent samples: the mean accuracy is within 0.015 of Φ (5 standard errors).
    low, high = a / (NormalDist().inv_cdf(0.915) * math.sqrt(2)), a / (NormalDist().inv_cdf(0.885) * math.sqrt(2))
    assert found.bracketed and low < found.scale < high, (found.scale, expected)


@pytest.mark.parametrize("a", [1.0, 5.0])
def test_magnitude_sigma_is_scale_free(make_plain, a):
    x, y = one_hot_data()
    found = search(one_hot_model(make_plain, a), x, y, magnitude_eps=1e-3)
    assert 1 / NormalDist().inv_cdf(0.915) < found.scale < 1 / NormalDist().inv_cdf(0.885), found.scale


def test_unbracketed_search_is_a_recorded_failure(make_plain, make_context):
    x, y = one_hot_data()
    ctx = make_context(one_hot_model(make_plain), None, x, y, pac_bayes_sigma_max=0.05, sharpness_alpha_max=0.05,
                       pac_bayes_samples=64)
    results = compute_measures(ctx, ["pac_bayes_flatness", "pac_bayes_orig", "sharpness_flatness"])
    for name, r in results.items():
        assert math.isnan(r.value) and "raise" in r.reason and r.seconds >= 0, (name, r)
    assert "pac_bayes_sigma_max" in results["pac_bayes_orig"].reason
    assert "sharpness_alpha_max" in results["sharpness_flatness"].reason


def test_pac_bayes_bounds_from_sigma(make_plain, make_context):
    x, y = one_hot_data()
    init = one_hot_model(make_plain, 0.25)
    ctx = make_context(one_hot_model(make_plain, 1.0), init, x, y, pac_bayes_samples=64)
    sigma = pac_bayes_sigma(ctx)
    m = N
    # w has N entries equal to 1 and N zeros; w − w⁰ has N entries 0.75.
    assert MEASURES.get("pac_bayes_orig")(ctx) == pytest.approx(N / (4 * sigma**2) + math.log(m / sigma) + 10)
    assert MEASURES.get("pac_bayes_init")(ctx) == pytest.approx(N * 0.5625 / (4 * sigma**2) + math.log(m / sigma) + 10)
    eps, s_mag = 1e-3, pac_bayes_sigma(ctx, magnitude=True)
    shift = torch.cat([torch.full((N,), 0.75), torch.zeros(N)]).double()
    numerator = eps**2 + (s_mag**2 + 1) * (N * 0.5625) / (2 * N)
    expected = 0.25 * torch.log(numerator / (eps**2 + s_mag**2 * shift**2)).sum().item() + math.log(m / s_mag) + 10
    assert MEASURES.get("pac_bayes_mag_init")(ctx) == pytest.approx(expected)


def test_sharpness_radius_is_half_the_weight(make_plain, make_context):
    x, y = one_hot_data()
    found = box_for_accuracy_drop(one_hot_model(make_plain, 1.0), x, y, target_drop=0.1, steps=12, ascent_steps=5,
                                  alpha_max=2.0, batch_size=1024)
    # 12 log-scale steps over 20 octaves resolve α' to a factor 2^(20/2^12) (0.34 %).
    assert found.bracketed and found.scale == pytest.approx(0.5, rel=2 ** (20 / 2**12) - 1)
    ctx = make_context(one_hot_model(make_plain, 1.0), None, x, y)
    assert MEASURES.get("sharpness_flatness")(ctx) == pytest.approx(1 / sharpness_alpha(ctx) ** 2)


def loss_at(model, x, y, u):
    params = list(model.parameters())
    with torch.no_grad():
        clean = [p.clone() for p in params]
        for p, d in zip(params, u):
            p.add_(d)
        loss = F.cross_entropy(model(as_float(x)), y).item()
        for p, c in zip(params, clean):
            p.copy_(c)
    return loss


@pytest.mark.parametrize("eps", [None, 1e-3])
def test_ascent_raises_the_loss_and_stays_in_the_box(trained_mlp, eps):
    model, _, x, y = trained_mlp
    clean = [p.detach().clone() for p in model.parameters()]
    radii = box_radii(clean, 0.02, eps)
    g = torch.Generator().manual_seed(0)
    u = worst_case_perturbation(model, x, y, radii, steps=5, start=uniform_start(clean, g), batch_size=1024)
    for d, r in zip(u, radii):
        assert (d.abs() <= r * (1 + 1e-6)).all()
    random_u = [(torch.rand(r.shape, generator=g) * 2 - 1) * r for r in radii]
    base = evaluate(model, x, y, 1024).loss
    assert loss_at(model, x, y, u) > loss_at(model, x, y, random_u) > base * 0.5
    assert loss_at(model, x, y, u) > base
    for p, c in zip(model.parameters(), clean):  # weights restored
        assert torch.equal(p, c)
