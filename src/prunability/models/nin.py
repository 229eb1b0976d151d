"""Network-in-Network CNN of the Jiang et al. 2020 / Dziugaite et al. 2020 zoos.

Each block is a 3×3 stride-2 convolution followed by two 1×1 convolutions, each
followed by (optional) BatchNorm and ReLU, with 25·width channels (as in the
public re-implementation of Dziugaite et al.). The head is a 1×1 convolution to
the classes and global average pooling; unlike that code we put no BN/ReLU on
the logits, so they can be negative.
"""

from __future__ import annotations

from torch import nn

from prunability.hparams import Hyperparameters
from prunability.models.registry import ARCHITECTURES, norm2d, scaled

BASE_CHANNELS = 25


def _conv_bn_relu(c_in: int, c_out: int, kernel: int, stride: int, batchnorm: bool) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=not batchnorm),
        norm2d(c_out, batchnorm),
        nn.ReLU(),
    ]


@ARCHITECTURES.register("nin")
def build_nin(hp: Hyperparameters, image_shape, num_classes) -> nn.Module:
    channels, bn = scaled(BASE_CHANNELS, hp.width), hp.batchnorm
    layers: list[nn.Module] = []
    c_in = image_shape[0]
    for _ in range(hp.depth):
        layers += _conv_bn_relu(c_in, channels, 3, 2, bn)
        layers += _conv_bn_relu(channels, channels, 1, 1, bn)
        layers += _conv_bn_relu(channels, channels, 1, 1, bn)
        if hp.dropout > 0:
            layers.append(nn.Dropout(hp.dropout))
        c_in = channels
    layers += [nn.Conv2d(c_in, num_classes, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)
