"""The training-set-size axis of the zoo (``zoo.grid.train_fraction``).

Training-set size is the most direct lever on the generalization gap: the same
network trained on fewer examples interpolates them just as well and fits the
test set worse (the sample-size axis of Nakkiran et al. 2020's "deep double
descent", and the data-size axis of learning curves in general). A model with
``train_fraction`` f < 1 trains, is pruned and is measured on the first
round(f·n) examples of one seeded permutation of the study's training split, so
smaller subsets are nested in larger ones and every model of a given fraction
sees the same images, whatever its seed. Its fixed train-eval subset (pruning
curves, measures such as prunability) is drawn from its own training examples,
never from images it did not train on. Normalization statistics stay those of
the whole training split, so a model's input pipeline does not depend on f.
"""

from __future__ import annotations

import torch

from prunability.data.split import ImageSplit, PreparedData
from prunability.hparams import FULL_TRAINING_SET


def subset_indices(n: int, fraction: float, seed: int) -> torch.Tensor:
    """Sorted indices of the first round(fraction·n) (at least 1) of a seeded permutation of range(n)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"train_fraction must be in (0, 1], got {fraction}")
    size = max(1, int(round(fraction * n)))
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[:size].sort().values


def kept_indices(n: int, fraction: float, seed: int) -> torch.Tensor:
    """Indices into the prepared training split of the examples a model of ``fraction`` trains
    on, in the order ``training_subset`` keeps them (all of them at ``FULL_TRAINING_SET``)."""
    return torch.arange(n) if fraction == FULL_TRAINING_SET else subset_indices(n, fraction, seed)


def training_subset(data: PreparedData, fraction: float, seed: int, train_eval_size: int) -> PreparedData:
    """``data`` with its training split cut to ``fraction`` (the same object when fraction is 1).

    The train-eval subset is the whole subset when ``train_eval_size`` is 0 or at
    least its size, else a seeded draw of ``train_eval_size`` of its examples."""
    if fraction == FULL_TRAINING_SET:
        return data
    s = data.split
    keep = subset_indices(len(s.x_train), fraction, seed).to(s.x_train.device)
    split = ImageSplit(s.x_train[keep], s.y_train[keep], s.x_test, s.y_test, s.num_classes)
    m = len(keep)
    size = m if train_eval_size == 0 else min(train_eval_size, m)
    draw = torch.randperm(m, generator=torch.Generator().manual_seed(seed + 1))[:size].sort().values
    return PreparedData(split, data.mean, data.std, draw.to(data.train_eval_index.device))
