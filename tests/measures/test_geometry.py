"""TwoNN intrinsic dimension, m-coherence, dead-neuron rate and penultimate
feature geometry, on inputs whose answers are known by hand."""

import math

import pytest
import torch
from torch import nn

from prunability.measures import MEASURES, compute_measures
from prunability.measures.coherence import m_coherence, m_coherence_of, per_example_gradients
from prunability.measures.dead_neurons import dead_neuron_rate_of
from prunability.measures.intrinsic_dim import twonn


def measure(name, ctx):
    return MEASURES.get(name)(ctx)


# --- TwoNN ------------------------------------------------------------------

@pytest.mark.parametrize("d", [2, 5])
def test_twonn_recovers_the_dimension_of_a_linear_subspace(d):
    g = torch.Generator().manual_seed(d)
    latent = torch.rand(2000, d, generator=g, dtype=torch.float64)
    basis, _ = torch.linalg.qr(torch.randn(30, d, generator=g, dtype=torch.float64))  # orthonormal columns
    points = latent @ basis.T + 3.0  # a d-dimensional affine subspace of R^30
    assert twonn(points) == pytest.approx(d, rel=0.1)


def test_twonn_ignores_duplicates():
    g = torch.Generator().manual_seed(0)
    points = torch.rand(500, 3, generator=g, dtype=torch.float64)
    assert twonn(torch.cat([points, points[:50]])) == pytest.approx(twonn(points[50:]), rel=0.15)


# --- m-coherence ------------------------------------------------------------

def test_m_coherence_of_identical_and_orthogonal_gradients():
    m, g = 7, torch.randn(20)
    assert m_coherence_of(m * g, m * g.pow(2).sum().item()) == pytest.approx(m)
    basis = torch.eye(m) * torch.arange(1.0, m + 1)[:, None]  # orthogonal, unequal lengths
    assert m_coherence_of(basis.sum(dim=0), basis.pow(2).sum().item()) == pytest.approx(1.0)


def test_per_example_gradients_match_a_loop(trained_mlp):
    model, _, x, y = trained_mlp
    from prunability.data.split import as_float
    import torch.nn.functional as F

    xs, ys = as_float(x[:5]), y[:5]
    got = per_example_gradients(model, xs, ys)
    for i in range(5):
        model.zero_grad()
        F.cross_entropy(model(xs[i : i + 1]), ys[i : i + 1]).backward()
        expected = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
        torch.testing.assert_close(got[i], expected, rtol=1e-4, atol=1e-6)
    model.zero_grad()


def test_m_coherence_of_repeated_examples_is_m(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    x_rep, y_rep = x[3:4].repeat(20, 1, 1, 1), y[3:4].repeat(20)
    assert m_coherence(model, x_rep, y_rep) == pytest.approx(20, rel=1e-6)
    value = measure("m_coherence", make_context(model, init, x, y, coherence_samples=64))
    assert 1 <= value <= 64


# --- dead-neuron rate --------------------------------------------------------

def test_dead_neuron_rate_by_hand_with_a_reused_relu(make_plain):
    relu = nn.ReLU()  # called twice per forward, as in torchvision's BasicBlock
    first, second = nn.Linear(2, 3), nn.Linear(3, 1)
    with torch.no_grad():
        first.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]))
        first.bias.copy_(torch.tensor([-0.5, -0.5, 0.25]))
        second.weight.copy_(torch.tensor([[1.0, 1.0, 1.0]]))
        second.bias.fill_(-0.75)
    model = make_plain(nn.Sequential(nn.Flatten(), first, relu, second, relu))
    x = torch.tensor([[0, 0], [255, 255], [255, 0]], dtype=torch.uint8).reshape(3, 1, 1, 2)
    # hidden zeros: 2, 1, 2 of 3; output zeros: 1, 0, 1 of 1 -> per input 3/4, 1/4, 3/4.
    assert dead_neuron_rate_of(model, x, batch_size=1024) == pytest.approx(7 / 12)
    assert dead_neuron_rate_of(model, x, batch_size=2) == pytest.approx(7 / 12)


# --- feature geometry ----------------------------------------------------------

def geometry_model(make_plain):
    head = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        head.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))  # class 0 along e1, class 1 along e2
    return make_plain(nn.Sequential(nn.Flatten(), head))


def test_feature_geometry_by_hand(make_plain, make_context):
    x = torch.tensor([[255, 0], [255, 255]], dtype=torch.uint8).reshape(2, 1, 1, 2)  # f = (1, 0) and (1, 1)
    y = torch.tensor([0, 1])
    ctx = make_context(geometry_model(make_plain), None, x, y)
    assert measure("feature_length", ctx) == pytest.approx((1 + math.sqrt(2)) / 2)
    assert measure("feature_angle", ctx) == pytest.approx((0 + math.pi / 4) / 2)  # θ_y: 0 and π/4
    assert measure("angular_margin", ctx) == pytest.approx((math.pi / 2 + 0) / 2)  # π/2 − 0 and π/4 − π/4


def test_feature_geometry_of_a_nin_uses_pooled_head_inputs(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    ctx = make_context(model, init, x, y)
    assert measure("feature_length", ctx) > 0
    assert 0 <= measure("feature_angle", ctx) <= math.pi
    assert measure("angular_margin", ctx) > 0  # a fitted model points closer to its own class
    assert 1 <= measure("feature_intrinsic_dim", ctx) <= ctx.model.net[-3].in_channels


def test_a_layer_after_the_head_is_a_recorded_failure(make_plain, make_context):
    head = nn.Linear(2, 2)
    with torch.no_grad():
        head.weight.fill_(-1.0)
    model = make_plain(nn.Sequential(nn.Flatten(), head, nn.ReLU()))
    x, y = torch.full((3, 1, 1, 2), 200, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64)
    r = compute_measures(make_context(model, None, x, y), ["feature_length"])["feature_length"]
    assert math.isnan(r.value) and "linearly" in r.reason
