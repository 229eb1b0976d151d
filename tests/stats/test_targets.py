"""stats.targets: the dense model's corruption targets, by hand."""

import math

import pandas as pd
import pytest

from prunability.stats.targets import with_corruption_targets


def test_corruption_targets_are_the_dense_models_mean_corrupted_accuracy_and_its_drop():
    zoo = pd.DataFrame({"model_id": ["a", "b"], "test_acc": [0.9, 0.8]})
    rows = []
    for method in ("global_magnitude", "random"):  # sparsity 0: the same dense model under every job
        rows += [("a", method, 0.0, "none", 0, 0.9), ("a", method, 0.0, "fog", 1, 0.7),
                 ("a", method, 0.0, "fog", 3, 0.5),
                 ("a", method, 0.5, "fog", 1, 0.1),  # a pruned network: not a target
                 ("b", method, 0.0, "none", 0, 0.8)]  # b: clean only
    robustness = pd.DataFrame(rows, columns=["model_id", "method", "sparsity", "corruption", "severity", "accuracy"])
    out = with_corruption_targets(zoo, robustness).set_index("model_id")
    assert out.loc["a", "mean_corruption_accuracy"] == pytest.approx(0.6)
    assert out.loc["a", "corruption_accuracy_drop"] == pytest.approx(0.3)
    assert math.isnan(out.loc["b", "mean_corruption_accuracy"]) and math.isnan(out.loc["b", "corruption_accuracy_drop"])
    assert list(zoo.columns) == ["model_id", "test_acc"]  # the input is not modified
