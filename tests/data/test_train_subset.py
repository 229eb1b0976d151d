"""The training-set-size axis: nested seeded subsets, train-eval inside the subset, ids unchanged at 1.0."""

import pytest
import torch

from prunability import config as study_config
from prunability.data.split import ImageSplit, PreparedData
from prunability.data.train_subset import subset_indices, training_subset
from prunability.zoo import expand


def prepared(n=200, test=30):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (n, 1, 4, 4), dtype=torch.uint8, generator=g)
    y = torch.arange(n) % 10
    split = ImageSplit(x, y, x[:test].clone(), y[:test].clone(), 10)
    return PreparedData.from_split(split, 50, 0)


def test_subsets_are_nested_sorted_and_of_the_rounded_size():
    small, large = subset_indices(200, 0.1, 3), subset_indices(200, 0.35, 3)
    assert len(small) == 20 and len(large) == 70
    assert set(small.tolist()) <= set(large.tolist())
    assert torch.equal(small, small.sort().values)
    assert not torch.equal(subset_indices(200, 0.1, 4), small)  # the seed draws another subset


def test_a_model_trains_and_is_measured_on_its_own_examples_only():
    data = prepared()
    cut = training_subset(data, 0.1, 3, train_eval_size=50)
    keep = subset_indices(200, 0.1, 3)
    assert torch.equal(cut.split.x_train, data.split.x_train[keep])
    assert torch.equal(cut.split.y_train, data.split.y_train[keep])
    assert torch.equal(cut.split.x_test, data.split.x_test)  # the test set is the study's
    assert torch.equal(cut.mean, data.mean)  # normalization of the whole training split
    # train-eval: all 20 of its examples (fewer than 50), as positions into the subset
    assert cut.train_eval_index.tolist() == list(range(20))
    x_eval, _ = training_subset(data, 0.5, 3, train_eval_size=30).train_eval()
    assert len(x_eval) == 30
    assert {tuple(r.flatten().tolist()) for r in x_eval} <= {tuple(r.flatten().tolist())
                                                            for r in data.split.x_train[subset_indices(200, 0.5, 3)]}


def test_fraction_one_is_the_prepared_data_itself():
    data = prepared()
    assert training_subset(data, 1.0, 0, 50) is data
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        subset_indices(10, 0.0, 0)


def test_ids_of_studies_without_the_axis_are_unchanged():
    raw = {"study": "s", "dataset": {"name": "digits"}, "zoo": {"grid": {"depth": [2]}}}
    plain = [m.model_id for m in expand(study_config.parse(raw))]
    explicit = [m.model_id for m in expand(study_config.parse({**raw, "zoo": {"grid": {"depth": [2], "train_fraction": [1.0]}}}))]
    cut = [m.model_id for m in expand(study_config.parse({**raw, "zoo": {"grid": {"depth": [2], "train_fraction": [0.5]}}}))]
    assert plain == explicit and plain != cut
