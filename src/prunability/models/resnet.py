"""ResNet-18 for small images, built from torchvision's BasicBlock.

torchvision's ``resnet18`` hard-codes 64 base channels and an ImageNet stem
(7×7 stride-2 conv and max-pool), which erase a 32×32 image. We keep its
blocks and layer layout [2, 2, 2, 2] and use the usual CIFAR stem (3×3 stride-1
conv, no pool) with base width 64·width, so widths k, 2k, 4k, 8k give the
width sweep of Nakkiran et al. 2019. ``depth`` does not apply.
"""

from __future__ import annotations

from torch import nn

from prunability.hparams import Hyperparameters
from prunability.models.registry import ARCHITECTURES, scaled


def _stage(c_in: int, c_out: int, stride: int, blocks: int) -> nn.Sequential:
    from torchvision.models.resnet import BasicBlock

    down = None
    if stride != 1 or c_in != c_out:
        down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
    layers = [BasicBlock(c_in, c_out, stride=stride, downsample=down)]
    layers += [BasicBlock(c_out, c_out) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


@ARCHITECTURES.register("resnet18")
def build_resnet18(hp: Hyperparameters, image_shape, num_classes) -> nn.Module:
    widths = [scaled(64 * m, hp.width) for m in (1, 2, 4, 8)]
    layers: list[nn.Module] = [
        nn.Conv2d(image_shape[0], widths[0], 3, padding=1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True),
    ]
    c_in = widths[0]
    for i, c_out in enumerate(widths):
        layers.append(_stage(c_in, c_out, 1 if i == 0 else 2, blocks=2))
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if hp.dropout > 0:
        layers.append(nn.Dropout(hp.dropout))
    layers.append(nn.Linear(c_in, num_classes))
    return nn.Sequential(*layers)
