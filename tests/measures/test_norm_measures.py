"""Size and norm measures on hand-built nets whose values are known in closed form."""

import copy
import math

import pytest
import torch
from torch import nn

from prunability.measures import MEASURES
from prunability.measures.weights import weight_matrices


def set_(module, weight, bias=None):
    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
        if bias is not None:
            module.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
    return module


def image(shape):
    return torch.zeros(1, *shape, dtype=torch.uint8), torch.zeros(1, dtype=torch.int64)


def measure(name, ctx):
    return MEASURES.get(name)(ctx)


def two_layer_net():
    """x (2 inputs) -> Linear [[1, -2], [3, 0.5]] + [1, -1] -> ReLU -> Linear [[2, -1]] + [0.5]."""
    return nn.Sequential(
        nn.Flatten(),
        set_(nn.Linear(2, 2), [[1.0, -2.0], [3.0, 0.5]], [1.0, -1.0]),
        nn.ReLU(),
        set_(nn.Linear(2, 1), [[2.0, -1.0]], [0.5]),
    )


def test_num_params_counts_weights_and_biases(make_context, make_plain):
    ctx = make_context(make_plain(two_layer_net()), None, *image((1, 1, 2)))
    assert measure("num_params", ctx) == 2 * 2 + 2 + 2 + 1


def test_conv_kernels_become_out_by_fan_in_matrices():
    net = nn.Sequential(nn.Conv2d(3, 5, 3), nn.ReLU(), nn.Flatten(), nn.Linear(20, 4))
    assert [tuple(w.shape) for w in weight_matrices(net)] == [(5, 27), (4, 20)]


def test_log_spectral_norm_sum_of_known_matrices(make_context, make_plain):
    conv = set_(nn.Conv2d(2, 3, 2, bias=False), torch.ones(3, 2, 2, 2))  # all-ones 3×8: ‖·‖₂ = √24
    net = nn.Sequential(
        conv, nn.Flatten(),
        set_(nn.Linear(3, 3), torch.diag(torch.tensor([2.0, -3.0, 0.5])), [7.0, 7.0, 7.0]),  # ‖·‖₂ = 3; bias ignored
    )
    ctx = make_context(make_plain(net, channels=2), None, *image((2, 2, 2)))
    assert measure("log_spectral_norm_sum", ctx) == pytest.approx(math.log(24.0) + math.log(9.0), rel=1e-6)


def test_log_spectral_norm_sum_uses_folded_weights(make_context, make_plain):
    bn = nn.BatchNorm1d(2)
    with torch.no_grad():
        bn.running_var.fill_(0.25 - bn.eps)  # doubles every weight of the layer before it
    net = nn.Sequential(nn.Flatten(), set_(nn.Linear(2, 2), torch.eye(2), [0.0, 0.0]), bn)
    ctx = make_context(make_plain(net), None, *image((1, 1, 2)))
    assert measure("log_spectral_norm_sum", ctx) == pytest.approx(math.log(4.0), rel=1e-6)


def test_frobenius_distance_zero_for_identical_models(make_context, make_plain):
    model = make_plain(two_layer_net())
    assert measure("frobenius_distance", make_context(model, copy.deepcopy(model), *image((1, 1, 2)))) == 0.0


def test_frobenius_distance_of_a_known_shift(make_context, make_plain):
    init = make_plain(two_layer_net())
    model = copy.deepcopy(init)
    with torch.no_grad():
        for m in model.net:
            if isinstance(m, nn.Linear):
                m.weight.add_(0.5)
                m.bias.add_(10.0)  # biases are not weights: must not count
    ctx = make_context(model, init, *image((1, 1, 2)))
    assert measure("frobenius_distance", ctx) == pytest.approx(0.25 * (4 + 2))


def test_frobenius_distance_folds_each_net_with_its_own_statistics(make_context, make_plain):
    def net(var):
        bn = nn.BatchNorm1d(2)
        with torch.no_grad():
            bn.running_var.fill_(var - bn.eps)
        return nn.Sequential(nn.Flatten(), set_(nn.Linear(2, 2), torch.ones(2, 2), [0.0, 0.0]), bn)

    # Folded weights: all ones / √1 for the initial net, all ones / √0.25 = 2 for the trained one.
    ctx = make_context(make_plain(net(0.25)), make_plain(net(1.0)), *image((1, 1, 2)))
    assert measure("frobenius_distance", ctx) == pytest.approx(4 * (2.0 - 1.0) ** 2, rel=1e-5)


def test_path_norm_by_hand_ignoring_input_normalization(make_context):
    from prunability.models import Classifier

    model = Classifier(two_layer_net(), torch.tensor([0.5]), torch.tensor([0.1])).eval()
    ctx = make_context(model, None, *image((1, 1, 2)))
    # Squared: W1 = [[1, 4], [9, 0.25]], b1 = [1, 1]; hidden = [1+4+1, 9+0.25+1] = [6, 10.25]
    # W2 = [4, 1], b2 = 0.25: output = 24 + 10.25 + 0.25.
    assert measure("path_norm", ctx) == pytest.approx(34.5)
    assert model.net[1].weight[0, 1].item() == -2.0  # the model itself is not squared


def test_path_norm_after_folding(make_context, make_plain):
    lin, bn = set_(nn.Linear(1, 1), [[2.0]], [1.0]), nn.BatchNorm1d(1)
    with torch.no_grad():
        bn.running_mean.fill_(1.0)
        bn.running_var.fill_(4.0 - bn.eps)
        bn.weight.fill_(3.0)
        bn.bias.fill_(0.5)
    # Folded: w = 2·3/2 = 3, b = (1 − 1)·1.5 + 0.5 = 0.5; squared and fed 1: 9 + 0.25.
    ctx = make_context(make_plain(nn.Sequential(nn.Flatten(), lin, bn)), None, *image((1, 1, 1)))
    assert measure("path_norm", ctx) == pytest.approx(9.25, rel=1e-5)


def test_norm_measures_are_finite_on_a_trained_bn_model(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    ctx = make_context(model, init, x, y)
    assert measure("num_params", ctx) == sum(p.numel() for p in model.net.parameters())
    for name in ("log_spectral_norm_sum", "frobenius_distance", "path_norm"):
        assert math.isfinite(measure(name, ctx)), name
    assert measure("frobenius_distance", ctx) > 0 and measure("path_norm", ctx) > 0
