"""VGG-11 (configuration "A") for small images, from torchvision's layer builder.

The convolutional stack is torchvision's ``make_layers(cfgs["A"])`` with widths
scaled by ``width``; max-pools that would shrink the feature map below 1×1 are
dropped (an 8×8 input keeps three of the five), and the 4096-unit ImageNet
classifier is replaced by global average pooling and one linear layer, as is
usual for CIFAR. ``depth`` does not apply; ``batchnorm`` selects VGG-11-BN.
"""

from __future__ import annotations

from torch import nn

from prunability.hparams import Hyperparameters
from prunability.models.registry import ARCHITECTURES, scaled


def _small_image_cfg(width: float, size: int) -> list:
    from torchvision.models.vgg import cfgs

    cfg = []
    for v in cfgs["A"]:
        if v == "M":
            if size < 2:
                continue
            size //= 2
            cfg.append("M")
        else:
            cfg.append(scaled(v, width))
    return cfg


@ARCHITECTURES.register("vgg11")
def build_vgg11(hp: Hyperparameters, image_shape, num_classes) -> nn.Module:
    from torchvision.models.vgg import make_layers

    cfg = _small_image_cfg(hp.width, min(image_shape[1:]))
    features = make_layers(cfg, batch_norm=hp.batchnorm)
    if image_shape[0] != 3:  # make_layers assumes RGB input
        first = features[0]
        features[0] = nn.Conv2d(image_shape[0], first.out_channels, 3, padding=1)
    head: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if hp.dropout > 0:
        head.append(nn.Dropout(hp.dropout))
    head.append(nn.Linear(cfg[-1] if cfg[-1] != "M" else cfg[-2], num_classes))
    return nn.Sequential(features, *head)
