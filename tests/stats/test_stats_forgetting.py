import numpy as np
import pandas as pd

from prunability.stats.forgetting import fragility, pruning_identified_exemplars


def samples(rows):
    """rows: (model, sparsity, sample, label, predicted) on the clean test set."""
    df = pd.DataFrame(rows, columns=["model_id", "sparsity", "sample", "label", "predicted"])
    df["method"], df["corruption"], df["severity"] = "m", "none", 0
    df["correct"] = df["label"] == df["predicted"]
    return df


def test_fragility_is_the_first_failing_sparsity():
    rows = [("a", s, 0, 1, p) for s, p in [(0.0, 1), (0.5, 1), (0.9, 2)]]  # fails at 0.9
    rows += [("a", s, 1, 3, 3) for s in (0.0, 0.5, 0.9)]  # never fails
    rows += [("a", s, 2, 4, 0) for s in (0.0, 0.5, 0.9)]  # wrong when dense
    out = fragility(samples(rows), ["a"]).set_index("sample")["first_failure_sparsity"]
    assert out[0] == 0.9 and np.isnan(out[1]) and out[2] == 0.0


def test_pie_flags_a_changed_modal_prediction():
    rows = []
    for model, pruned_prediction in [("a", 5), ("b", 5), ("c", 1)]:
        rows += [(model, 0.0, 0, 1, 1), (model, 0.8, 0, 1, pruned_prediction)]  # sample 0: modal 1 -> 5
        rows += [(model, 0.0, 1, 2, 2), (model, 0.8, 1, 2, 2)]  # sample 1 unchanged
    pie = pruning_identified_exemplars(samples(rows), ["a", "b", "c"]).set_index(["sparsity", "sample"])
    assert pie.loc[(0.8, 0), "pie"] and pie.loc[(0.8, 0), "pruned_modal"] == 5
    assert not pie.loc[(0.8, 1), "pie"] and not pie.loc[(0.0, 0), "pie"]
    assert pruning_identified_exemplars(samples(rows), ["a"]).query("sparsity == 0.8 and sample == 0")["pie"].all()
