"""Synthetic images on a manifold of chosen intrinsic dimension ("manifold").

To ask whether low-dimensional input structure makes networks more prunable,
a study needs data whose intrinsic dimension it controls. Each image is a
smooth function of a latent z ~ U[0, 1]^k: random Fourier features of z
(fixed frequencies and phases) mixed by a fixed random matrix into the
pixels, squashed to [0, 1] and quantized to uint8, so the images lie on a
k-dimensional manifold in pixel space (up to quantization). The label is the
decile of a fixed random projection of the same features (ten equal classes),
a function of z alone. Everything is seeded by ``split_seed``.
"""

from __future__ import annotations

import math

import torch

from prunability.config import DatasetConfig
from prunability.data.registry import DATASETS
from prunability.data.split import ImageSplit

IMAGE_SHAPE = (1, 16, 16)
FEATURES = 64
CLASSES = 10


class ManifoldEmbedding:
    """A fixed random smooth map from latent z ∈ [0, 1]^k to pixels, and a labelling of z."""

    def __init__(self, k: int, generator: torch.Generator):
        self.frequencies = torch.randn(k, FEATURES, generator=generator) * 2.0
        self.phases = torch.rand(FEATURES, generator=generator) * 2 * math.pi
        self.mixing = torch.randn(FEATURES, math.prod(IMAGE_SHAPE), generator=generator) / math.sqrt(FEATURES)
        self.readout = torch.randn(FEATURES, generator=generator)

    def features(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sin(z @ self.frequencies + self.phases)

    def pixels(self, z: torch.Tensor) -> torch.Tensor:
        """Float images in (0, 1), flattened: a smooth k-dimensional manifold."""
        return torch.sigmoid(2.0 * self.features(z) @ self.mixing)

    def labels(self, z: torch.Tensor) -> torch.Tensor:
        """Equal-sized classes: deciles of a random projection of the features."""
        score = self.features(z) @ self.readout
        return torch.bucketize(score, torch.quantile(score, torch.linspace(0, 1, CLASSES + 1)[1:-1]))


def manifold_images(n: int, k: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(uint8 images n × 1 × 16 × 16, int64 labels) on a k-dimensional manifold."""
    embedding = ManifoldEmbedding(k, generator)
    z = torch.rand(n, k, generator=generator)
    images = (embedding.pixels(z) * 255).to(torch.uint8).reshape(n, *IMAGE_SHAPE)
    return images, embedding.labels(z)


@DATASETS.register("manifold")
def load_manifold(cfg: DatasetConfig) -> ImageSplit:
    generator = torch.Generator().manual_seed(cfg.split_seed)
    images, labels = manifold_images(cfg.num_samples, cfg.intrinsic_dim, generator)
    n_test = int(round(cfg.test_fraction * cfg.num_samples))
    return ImageSplit(images[n_test:], labels[n_test:], images[:n_test], labels[:n_test], num_classes=CLASSES)
