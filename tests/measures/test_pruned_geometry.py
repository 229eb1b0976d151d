"""The evaluate stage's engine (prunability.robustness_eval): per-sample feature
geometry and the pruned_measures rows (prunability.pruned_measures): the same
numbers as the dense measures (measures/features.py and measures/dead_neurons.py) on
the same model and inputs, from one forward pass per test set, and failures recorded
with a reason."""

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn

from prunability.evaluation import EvalContext, evaluate
from prunability.measures import compute_measures
from prunability.measures.features import penultimate, sample_geometry
from prunability.pruning import apply_masks
from prunability.pruned_measures import GEOMETRY_MEASURES, PRUNED_MEASURES
from prunability.robustness_eval import evaluate_model


def ctx(batch_size):
    return EvalContext(torch.device("cpu"), batch_size)


def two_test_sets(digits):
    """The clean test set and a second, shifted one standing in for a corruption."""
    x = digits.split.x_test
    return [("none", 0, x), ("shifted", 3, torch.roll(x, shifts=1, dims=-1))]


def magnitude_pruned(model, fraction=0.5):
    """A copy with the smallest-magnitude half of every conv weight zeroed."""
    pruned = copy.deepcopy(model)
    masks = {name: p.abs() > p.abs().flatten().quantile(fraction)
             for name, p in pruned.net.named_parameters() if name.endswith("weight") and p.dim() == 4}
    apply_masks(pruned.net, masks)
    return pruned


def test_per_sample_geometry_equals_what_features_computes(trained_nin_bn, digits):
    model = magnitude_pruned(trained_nin_bn[0])
    sets, y = two_test_sets(digits), digits.split.y_test
    out = evaluate_model(model, sets, y, {"method": "m", "schedule": "one_shot", "sparsity": 0.5}, ctx(256))
    for (corruption, severity, x), frame in zip(sets, out.samples):
        expected = sample_geometry(penultimate(model, x, batch_size=1024), y)
        assert (frame["corruption"] == corruption).all() and (frame["severity"] == severity).all()
        for column, values in [("feature_norm", expected.length), ("true_angle", expected.true_angle),
                               ("angular_margin", expected.angular_margin)]:
            assert frame[column].dtype == np.float32
            np.testing.assert_allclose(frame[column].to_numpy(), values.numpy(), rtol=1e-5, atol=1e-6)
        e = evaluate(model, x, y, 256)
        np.testing.assert_array_equal(frame["predicted"].to_numpy(), e.predicted.numpy())
    clean, shifted = out.samples
    assert not np.allclose(clean["feature_norm"], shifted["feature_norm"])  # each set its own features


@pytest.mark.parametrize("pruned", [False, True])
def test_pruned_measures_equal_the_dense_measures_on_the_same_model(trained_nin_bn, digits, make_context, pruned):
    model = magnitude_pruned(trained_nin_bn[0]) if pruned else trained_nin_bn[0]
    x, y = digits.split.x_test, digits.split.y_test
    key = {"method": "m", "schedule": "one_shot", "sparsity": 0.5 if pruned else 0.0}
    out = evaluate_model(model, two_test_sets(digits), y, key, ctx(256))
    got = {r["measure"]: r for r in out.measures}
    assert list(got) == list(PRUNED_MEASURES)  # clean set only: one row per measure
    # the registered measures of the same definitions, on the same inputs (here the test set)
    expected = compute_measures(make_context(model, None, x, y), list(PRUNED_MEASURES.values()))
    for name, defined_as in PRUNED_MEASURES.items():
        assert name == f"test_{defined_as}"  # never the registered name: the tables must not mix them
        assert got[name]["reason"] is None and expected[defined_as].ok
        assert got[name]["value"] == pytest.approx(expected[defined_as].value, rel=1e-9, abs=1e-12), name
        assert got[name]["sparsity"] == (0.5 if pruned else 0.0) and got[name]["method"] == "m"
    assert got["test_dead_neuron_rate"]["seconds"] > 0


def test_each_test_set_is_one_forward_pass(trained_nin_bn, digits):
    model, calls = trained_nin_bn[0], []
    handle = model.register_forward_pre_hook(lambda *_: calls.append(1))
    try:
        evaluate_model(model, two_test_sets(digits), digits.split.y_test,
                       {"method": "m", "schedule": "one_shot", "sparsity": 0.0}, ctx(10_000))
    finally:
        handle.remove()
    assert len(calls) == 2
    assert not model._forward_hooks and not model.net[-3]._forward_hooks  # hooks removed


def test_a_head_that_is_not_linear_in_its_input_is_recorded_not_guessed(make_plain):
    head = nn.Linear(2, 2)
    with torch.no_grad():
        head.weight.fill_(-1.0)
    model = make_plain(nn.Sequential(nn.Flatten(), head, nn.ReLU()))
    x, y = torch.full((3, 1, 1, 2), 200, dtype=torch.uint8), torch.zeros(3, dtype=torch.int64)
    out = evaluate_model(model, [("none", 0, x)], y, {"method": "m", "schedule": "one_shot", "sparsity": 0.0}, ctx(16))
    assert out.samples[0][["feature_norm", "true_angle", "angular_margin"]].isna().all().all()
    rows = {r["measure"]: r for r in out.measures}
    assert rows["test_dead_neuron_rate"]["value"] == 1.0 and rows["test_dead_neuron_rate"]["reason"] is None
    for name in GEOMETRY_MEASURES:
        assert math.isnan(rows[name]["value"]) and "linearly" in rows[name]["reason"]
    assert out.robustness[0]["accuracy"] == 1.0  # logits are all 0: argmax picks class 0, the label


def test_pruned_measure_names_are_not_registered_measure_names():
    """measures.parquet and pruned_measures.parquet joined on ``measure`` cannot mix the
    training-subset and test-set quantities: no name is shared."""
    from prunability.measures import MEASURES

    assert set(PRUNED_MEASURES.values()) <= set(MEASURES)  # each applies a registered definition
    assert not set(PRUNED_MEASURES) & set(MEASURES)
