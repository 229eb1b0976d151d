"""Symmetric label noise on the training set (Zhang et al. 2017; Nakkiran et
al. 2020 use 10–20 % to expose double descent): a seeded fraction of training
labels is replaced by a uniformly drawn *different* class. The test set stays clean.

The noisy examples are drawn from their own stream of ``split_seed``
(``seeds.derived_generator``): drawn with the seed itself they were the first
examples of the very permutation that picks the training subsets, so every
subset of a fraction f ≥ r held all r·n noisy labels (rate r/f, not r)."""

from __future__ import annotations

import torch

from prunability.data.split import ImageSplit
from prunability.seeds import derived_generator


def with_label_noise(split: ImageSplit, fraction: float, seed: int) -> ImageSplit:
    if fraction == 0:
        return split
    g = derived_generator(int(seed), "label_noise")
    n = len(split.y_train)
    noisy = torch.randperm(n, generator=g)[: int(round(fraction * n))]
    shift = torch.randint(1, split.num_classes, (len(noisy),), generator=g)
    labels = split.y_train.clone()
    labels[noisy] = (labels[noisy] + shift) % split.num_classes
    return ImageSplit(split.x_train, labels, split.x_test, split.y_test, split.num_classes)
