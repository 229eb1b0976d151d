"""BatchNorm folding preserves the eval-mode function and removes every BN."""

import copy

import pytest
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from builders import hparams
from prunability.measures.folding import fold_batchnorm
from prunability.models.registry import ARCHITECTURES


def randomize_batchnorm(net, seed=0):
    """Running statistics and affines far from their init (0, 1, 1, 0), so folding matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, _BatchNorm):
                n = m.num_features
                m.running_mean.copy_(torch.rand(n, generator=g) * 2 - 1)
                m.running_var.copy_(torch.rand(n, generator=g) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.copy_(torch.rand(n, generator=g) - 0.5)
    return net.eval()


def build(arch, image_shape=(3, 8, 8), **hp):
    torch.manual_seed(0)
    values = hparams(architecture=arch, depth=2, width=0.25, dropout=0.0, batchnorm=True, **hp)
    return randomize_batchnorm(ARCHITECTURES.get(arch)(values, image_shape, 10))


@pytest.mark.parametrize("arch", ["nin", "resnet18", "vgg11", "mlp"])
def test_folding_preserves_eval_outputs(arch):
    net = build(arch)
    x = torch.randn(16, 3, 8, 8)
    folded = fold_batchnorm(net)
    assert not any(isinstance(m, _BatchNorm) for m in folded.modules())
    with torch.no_grad():
        expected, got = net(x), folded(x)
    assert expected.abs().max() > 0.1  # a meaningful comparison, not two near-zero outputs
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_folding_leaves_the_original_untouched():
    net = build("resnet18")
    before = copy.deepcopy(net.state_dict())
    fold_batchnorm(net)
    assert any(isinstance(m, _BatchNorm) for m in net.modules())
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_folded_weights_by_hand():
    lin, bn = nn.Linear(2, 2), nn.BatchNorm1d(2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
        lin.bias.copy_(torch.tensor([1.0, -1.0]))
        bn.running_mean.copy_(torch.tensor([1.0, 2.0]))
        bn.running_var.copy_(torch.tensor([4.0, 1.0]) - bn.eps)  # scale = γ / 2 and γ / 1
        bn.weight.copy_(torch.tensor([2.0, 3.0]))
        bn.bias.copy_(torch.tensor([0.5, 0.0]))
    folded = fold_batchnorm(nn.Sequential(lin, bn))
    torch.testing.assert_close(folded[0].weight, torch.tensor([[1.0, 2.0], [9.0, 12.0]]))
    # (b − μ)·scale + β = (1 − 1)·1 + 0.5 and (−1 − 2)·3 + 0
    torch.testing.assert_close(folded[0].bias, torch.tensor([0.5, -9.0]))
    assert isinstance(folded[1], nn.Identity)


def test_conv_without_bias_gains_one():
    net = randomize_batchnorm(nn.Sequential(nn.Conv2d(2, 4, 3, bias=False), nn.BatchNorm2d(4)))
    folded = fold_batchnorm(net)
    assert folded[0].bias is not None and folded[0].bias.abs().sum() > 0


def test_unfoldable_batchnorm_raises():
    net = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.BatchNorm1d(3))
    with pytest.raises(ValueError, match="cannot fold"):
        fold_batchnorm(net)
