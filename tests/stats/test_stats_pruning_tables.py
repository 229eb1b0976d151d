import pandas as pd
import pytest

from prunability.stats.pruning_tables import accuracy_retained, effective_robustness, prunability_by_architecture


def rob_rows(model, sparsity, clean, corrupted):
    rows = [{"model_id": model, "method": "m", "sparsity": sparsity, "corruption": "none", "severity": 0,
             "accuracy": clean}]
    rows += [{"model_id": model, "method": "m", "sparsity": sparsity, "corruption": "c", "severity": s,
              "accuracy": a} for s, a in enumerate(corrupted, 1)]
    return rows


def test_effective_robustness_is_the_residual_from_the_dense_line():
    rows = rob_rows("a", 0.0, 0.6, [0.3, 0.3]) + rob_rows("b", 0.0, 1.0, [0.4, 0.6])  # dense: corr = 0.5·clean
    rows += rob_rows("a", 0.5, 0.8, [0.4, 0.5])  # mean 0.45 vs 0.4 expected
    out = effective_robustness(pd.DataFrame(rows)).set_index("sparsity")
    assert out.loc[0.0, "effective_robustness"] == pytest.approx(0.0, abs=1e-12)
    assert out.loc[0.5, "expected_from_dense"] == pytest.approx(0.4)
    assert out.loc[0.5, "effective_robustness"] == pytest.approx(0.05)


def test_accuracy_retained_relative_to_each_dense_model():
    pruning = pd.DataFrame({
        "model_id": ["a", "a", "b", "b"], "method": "m", "split": "test", "schedule": "one_shot",
        "sparsity": [0.0, 0.5, 0.0, 0.5], "accuracy": [0.8, 0.4, 0.5, 0.5],
    })
    out = accuracy_retained(pruning).set_index("sparsity")
    assert out.loc[0.5, "mean_retained"] == pytest.approx((0.5 + 1.0) / 2)
    assert out.loc[0.5, "min_retained"] == pytest.approx(0.5)
    assert out.loc[0.5, "n_models"] == 2


def test_prunability_by_architecture():
    zoo = pd.DataFrame({"model_id": list("abcd"), "architecture": ["x", "x", "y", "y"], "status": "converged",
                        "generalization_gap": [0.1, 0.2, 0.1, 0.2]})
    measures = pd.DataFrame({"model_id": list("abcd"), "measure": "prunability", "value": [0.1, 0.3, 0.5, 0.2]})
    out = prunability_by_architecture(zoo, measures).set_index("architecture")["tau"]
    assert out["x"] == 1.0 and out["y"] == -1.0
