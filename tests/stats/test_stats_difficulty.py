"""Difficulty against pruning fragility, on hand-built tables with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from prunability.stats.difficulty import difficulty_fragility, fragility_at, pie_difficulty, sample_difficulty

MODELS = ["m0", "m1", "m2", "m3"]


def _difficulty():
    """Test examples 0..3; example k is misclassified by the dense model of no model, has EL2N
    0.1·(k+1) and margin 4 − k in every model; model m3 gets example 3 wrong."""
    rows = []
    for m in MODELS:
        for k in range(4):
            rows.append({"model_id": m, "split": "test", "sample": k, "label": k % 2, "epochs": 5,
                         "correct": not (m == "m3" and k == 3), "forgetting_events": k if m == "m0" else 0,
                         "never_learned": False, "first_learned_epoch": 1, "score_epoch": 3,
                         "el2n": 0.1 * (k + 1), "grand": 1.0, "margin": 4.0 - k})
    return pd.DataFrame(rows)


def _fragility():
    """Example k fails at sparsity 0.5 in the first k models and never in the others; m3's dense
    network already gets example 3 wrong (first failure 0, excluded from fragility)."""
    rows = []
    for i, m in enumerate(MODELS):
        for k in range(4):
            dense_right = not (m == "m3" and k == 3)
            first = 0.5 if i < k else np.nan
            rows.append({"model_id": m, "method": "global_magnitude", "schedule": "one_shot", "sample": k,
                         "label": k % 2, "dense_correct": dense_right, "first_failure_sparsity": first if dense_right else 0.0})
    return pd.DataFrame(rows)


SPARSITIES = pd.DataFrame({"method": "global_magnitude", "schedule": "one_shot", "sparsity": [0.0, 0.5, 0.9]})


def test_sample_difficulty_averages_over_the_zoo():
    out = sample_difficulty(_difficulty(), MODELS[:3] + ["m3"]).set_index("sample")
    assert out.loc[3, "consistency"] == 0.75 and out.loc[0, "consistency"] == 1.0
    assert out.loc[2, "forgetting_events"] == 0.5 and math.isclose(out.loc[1, "el2n"], 0.2)
    assert (out["n_models"] == 4).all()
    assert sample_difficulty(_difficulty(), ["m0"]).set_index("sample").loc[3, "consistency"] == 1.0


def test_fragility_is_the_share_of_dense_correct_models_failing_by_that_sparsity():
    f = fragility_at(_fragility(), SPARSITIES).set_index(["sparsity", "sample"])
    assert f.loc[(0.0, 2), "fragility"] == 0.0  # nothing fails unpruned
    assert [f.loc[(0.5, k), "fragility"] for k in range(4)] == [0.0, 0.25, 0.5, 1.0]  # example 3: 3 of 3
    assert f.loc[(0.5, 3), "n_models"] == 3 and f.loc[(0.9, 1), "fragility"] == 0.25


def test_rank_correlation_with_fragility():
    samples = sample_difficulty(_difficulty(), MODELS)
    out = difficulty_fragility(samples, _fragility(), SPARSITIES).set_index(["sparsity", "score"])
    assert out.loc[(0.5, "el2n"), "rho"] == 1.0 and out.loc[(0.5, "negative_margin"), "rho"] == 1.0
    assert math.isnan(out.loc[(0.5, "grand"), "rho"])  # a constant score has no rank correlation
    assert math.isnan(out.loc[(0.0, "el2n"), "rho"])  # nor a constant fragility
    # inconsistency (0, 0, 0, 0.25) against fragility (0, .25, .5, 1): Spearman of tied ranks
    assert math.isclose(out.loc[(0.5, "inconsistency"), "rho"], 0.7745966692414834)
    assert out.loc[(0.5, "el2n"), "n_samples"] == 4


def test_pruning_identified_exemplars_against_the_rest():
    samples = sample_difficulty(_difficulty(), MODELS)
    pie = pd.DataFrame({"method": "global_magnitude", "schedule": "one_shot", "sparsity": 0.5, "sample": range(4),
                        "label": [0, 1, 0, 1], "dense_modal": [0, 1, 0, 1], "pruned_modal": [0, 1, 1, 0],
                        "pie": [False, False, True, True]})
    out = pie_difficulty(pie, samples, resamples=200, seed=0).set_index("score")
    row = out.loc["el2n"]
    assert (row["n_pie"], row["n_rest"]) == (2, 2)
    assert math.isclose(row["mean_pie"], 0.35) and math.isclose(row["difference"], 0.2)
    assert 0.1 - 1e-9 <= row["ci_low"] <= 0.2 <= row["ci_high"] <= 0.3 + 1e-9
    assert math.isclose(out.loc["negative_margin", "difference"], 2.0)
