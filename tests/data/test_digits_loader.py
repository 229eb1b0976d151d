"""The bundled digits loader: the offline default study's data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from prunability.config import dataset_config
from prunability.data import DATASETS


def load(test_fraction=0.3, split_seed=0):
    cfg = dataset_config(name="digits", root="unused", test_fraction=test_fraction, split_seed=split_seed,
                         train_eval_size=0)
    return DATASETS.get("digits")(cfg)


@pytest.mark.parametrize("test_fraction", [0.3, 0.5, 0.1])
def test_digits_sizes_and_stratified_split(test_fraction):
    s = load(test_fraction)
    assert len(s.x_train) + len(s.x_test) == 1797
    assert len(s.x_test) == int(np.ceil(test_fraction * 1797))  # scikit-learn rounds the test share up
    assert s.x_train.dtype == torch.uint8 and s.x_train.shape[1:] == (1, 8, 8)
    assert s.y_train.dtype == torch.int64 and s.num_classes == 10
    all_labels = torch.cat([s.y_train, s.y_test])
    per_class = torch.bincount(all_labels, minlength=10)
    test_per_class = torch.bincount(s.y_test, minlength=10)
    expected = per_class.double() * len(s.x_test) / 1797
    assert (test_per_class.double() - expected).abs().max() < 1  # stratified: every class in proportion


def test_digits_pixels_are_the_bundled_images():
    from sklearn.datasets import load_digits

    s = load()
    bunch = load_digits()
    assert int(s.x_train.max()) == 255 and int(s.x_train.min()) == 0
    # Every image appears exactly once across the split, with its label and the 0..16 -> 0..255 scaling.
    ours = sorted(zip(torch.cat([s.x_train, s.x_test]).reshape(1797, 64).tolist(),
                      torch.cat([s.y_train, s.y_test]).tolist()))
    theirs = sorted(zip(np.rint(bunch.images * 255 / 16).astype(np.uint8).reshape(1797, 64).tolist(),
                        bunch.target.tolist()))
    assert ours == theirs


def test_digits_split_is_deterministic_per_seed():
    a, b, c = load(split_seed=0), load(split_seed=0), load(split_seed=1)
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_test, c.y_test)
