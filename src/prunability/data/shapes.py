"""Image shape and class count of every dataset, known without loading it, so
that a study's networks can be built (on the meta device) before any job runs."""

from __future__ import annotations

from prunability.config import DatasetConfig

# name -> ((channels, height, width), classes); a test checks these against the loaders.
SHAPES = {
    "digits": ((1, 8, 8), 10),
    "cifar10": ((3, 32, 32), 10),
    "cifar100": ((3, 32, 32), 100),
    "svhn": ((3, 32, 32), 10),
    "mnist": ((1, 28, 28), 10),
    "fashion_mnist": ((1, 28, 28), 10),
    "manifold": ((1, 16, 16), 10),
}


def image_shape(cfg: DatasetConfig) -> tuple[tuple[int, int, int], int]:
    """((C, H, W), number of classes) of the dataset ``cfg`` names."""
    return SHAPES[cfg.name]
