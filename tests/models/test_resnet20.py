"""CIFAR ResNet-20 (He et al. 2016, §4.2)."""

import torch

from builders import hparams
from prunability.models import build_model
from builders import prunable


def _resnet20(width=1.0, batchnorm=True, classes=10):
    hp = hparams(architecture="resnet20", depth=2, width=width, dropout=0.0, batchnorm=batchnorm)
    return build_model(hp, (3, 32, 32), classes, torch.zeros(3), torch.ones(3))


def test_resnet20_has_the_papers_parameter_count():
    """Convolutions 3·16·9 + 6·16·16·9 + (16·32 + 5·32·32)·9 + (32·64 + 5·64·64)·9 = 267,696,
    BatchNorm 2·(16 + 6·16 + 6·32 + 6·64) = 1,376, linear 64·10 + 10: 269,722 (the "0.27 M")."""
    model = _resnet20()
    assert sum(p.numel() for p in model.parameters()) == 269_722
    weights = prunable(model.net)
    assert len(weights) == 20  # 19 convolutions and the linear layer: the "20" of ResNet-20
    assert sum(p.numel() for n, p in weights.items() if p.dim() == 4) == 267_696


def test_resnet20_stages_halve_the_map_and_double_the_channels():
    model = _resnet20().eval()
    seen = []
    for stage in (model.net[3], model.net[4], model.net[5]):
        stage.register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape[1:])))
    model(torch.rand(2, 3, 32, 32))
    assert seen == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
