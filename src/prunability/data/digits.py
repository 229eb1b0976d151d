"""scikit-learn's bundled handwritten digits: 1,797 real 8×8 grayscale images,
10 classes, shipped inside the package, so the default study runs offline."""

from __future__ import annotations

import numpy as np
import torch

from prunability.config import DatasetConfig
from prunability.data.registry import DATASETS
from prunability.data.split import ImageSplit


@DATASETS.register("digits")
def load_digits(cfg: DatasetConfig) -> ImageSplit:
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    # Pixel values are 0..16; 255/16 maps them onto uint8 without losing a level.
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    x_train, x_test, y_train, y_test = train_test_split(
        images, bunch.target, test_size=cfg.test_fraction, random_state=cfg.split_seed, stratify=bunch.target
    )
    return ImageSplit(
        torch.from_numpy(x_train), torch.from_numpy(y_train),
        torch.from_numpy(x_test), torch.from_numpy(y_test), num_classes=10,
    )
