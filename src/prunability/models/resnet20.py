"""CIFAR ResNet-20 (He, Zhang, Ren & Sun 2016, "Deep Residual Learning for Image
Recognition", §4.2): a 3×3 convolution with 16 filters, then three stages of
n = 3 basic blocks with 16, 32 and 64 filters (the first block of stages 2 and
3 halves the feature map with stride 2), global average pooling and one
linear layer — 6n + 2 = 20 weighted layers, about 0.27 M parameters.

Shortcuts are the paper's option A: identity, with the feature map subsampled
and the new channels zero-padded where the shape changes, so they add no
parameters. Each block applies one ``nn.ReLU`` module twice (after its first
convolution and after the addition), as torchvision's BasicBlock does; the
dead-neuron counter (prunability.dnr) sees both applications. The network of
the AP paper's public code and of much of the pruning literature. ``width``
scales the channels (16·width, 32·width, 64·width); ``depth`` does not apply;
``batchnorm`` false gives convolutions with biases and no normalization.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from prunability.hparams import Hyperparameters
from prunability.models.registry import ARCHITECTURES, norm2d, scaled

BLOCKS_PER_STAGE = 3


class PadShortcut(nn.Module):
    """Option A: every second pixel (stride 2) and zero channels appended on both sides."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.stride, extra = stride, c_out - c_in
        self.pad = (extra // 2, extra - extra // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, *self.pad))


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, batchnorm: bool):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=not batchnorm)
        self.bn1 = norm2d(c_out, batchnorm)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=not batchnorm)
        self.bn2 = norm2d(c_out, batchnorm)
        self.relu = nn.ReLU()
        self.shortcut = PadShortcut(c_in, c_out, stride) if stride != 1 or c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


@ARCHITECTURES.register("resnet20")
def build_resnet20(hp: Hyperparameters, image_shape, num_classes) -> nn.Module:
    bn = hp.batchnorm
    widths = [scaled(16 * m, hp.width) for m in (1, 2, 4)]
    layers: list[nn.Module] = [
        nn.Conv2d(image_shape[0], widths[0], 3, padding=1, bias=not bn), norm2d(widths[0], bn), nn.ReLU(),
    ]
    c_in = widths[0]
    for i, c_out in enumerate(widths):
        blocks = [BasicBlock(c_in, c_out, 1 if i == 0 else 2, bn)]
        blocks += [BasicBlock(c_out, c_out, 1, bn) for _ in range(BLOCKS_PER_STAGE - 1)]
        layers.append(nn.Sequential(*blocks))
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if hp.dropout > 0:
        layers.append(nn.Dropout(hp.dropout))
    layers.append(nn.Linear(c_in, num_classes))
    return nn.Sequential(*layers)
