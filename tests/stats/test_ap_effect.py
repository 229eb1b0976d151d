"""Paired AP effects and the DNR-against-sparsity summaries (stats/ap_effect.py)."""

import numpy as np
import pandas as pd
import pytest

from prunability import schemas
from prunability.stats.ap_effect import ap_pairs, bootstrap_mean_interval, dnr_sparsity, dnr_trend


def _pruning():
    """Three models; the AP job beats its twin by 0.01, 0.02, 0.03 at sparsity 0.5 and
    has 0.1 lower DNR; DNR falls with sparsity in every job; a one-shot job has no twin."""
    rows = []
    for i, model in enumerate(["a", "b", "c"]):
        for schedule, bonus, dnr_shift in [("imp_weight_rewind", 0.0, 0.0), ("imp_weight_rewind+ap", 0.01 * (i + 1), -0.1)]:
            for sparsity, acc, dnr in [(0.0, 0.9, 0.6), (0.5, 0.8, 0.5)]:
                extra = bonus if sparsity > 0 else 0.0
                for split in ("train", "test"):
                    rows.append({"model_id": model, "method": "global_magnitude", "schedule": schedule,
                                 "sparsity": sparsity, "split": split, "accuracy": acc + extra, "loss": 1 - acc,
                                 "ap": schedule.endswith("+ap"), "dnr": dnr + (dnr_shift if sparsity > 0 else 0)})
        rows.append({"model_id": model, "method": "random", "schedule": "one_shot", "sparsity": 0.5, "split": "test",
                     "accuracy": 0.3, "loss": 2.0, "ap": False, "dnr": 0.2})
    return pd.DataFrame(rows)


def test_paired_differences_per_base_job_and_sparsity():
    pairs = ap_pairs(_pruning(), resamples=200, seed=0)
    assert set(pairs["method"]) == {"global_magnitude"} and set(pairs["twin_schedule"]) == {"imp_weight_rewind"}
    at_half = pairs[(pairs["sparsity"] == 0.5) & (pairs["split"] == "test")].iloc[0]
    assert at_half["n_models"] == 3
    assert at_half["accuracy_diff"] == pytest.approx(0.02)
    assert 0.01 - 1e-9 <= at_half["ci_low"] <= 0.02 <= at_half["ci_high"] <= 0.03 + 1e-9
    assert at_half["dnr_diff"] == pytest.approx(-0.1) and at_half["dnr_twin"] == pytest.approx(0.5)
    dense = pairs[(pairs["sparsity"] == 0.0) & (pairs["split"] == "test")].iloc[0]
    assert dense["accuracy_diff"] == 0 and dense["ci_low"] == 0 == dense["ci_high"]
    assert pairs.columns.tolist() == schemas.AP_PAIRS.names


def test_no_ap_jobs_give_an_empty_table_of_the_schema():
    pruning = _pruning()
    pairs = ap_pairs(pruning[~pruning["schedule"].str.endswith("+ap")], resamples=200, seed=0)
    assert pairs.empty and pairs.columns.tolist() == schemas.AP_PAIRS.names


def test_dnr_against_sparsity_and_its_trend():
    pruning = _pruning()
    table = dnr_sparsity(pruning)
    ap = table[(table["schedule"] == "imp_weight_rewind+ap") & (table["sparsity"] == 0.5)].iloc[0]
    assert ap["ap"] and ap["mean_dnr"] == pytest.approx(0.4) and ap["n_models"] == 3
    trend = dnr_trend(pruning).set_index("schedule")
    assert trend.loc["imp_weight_rewind", "tau"] < 0 and trend.loc["imp_weight_rewind", "n_points"] == 6
    assert "one_shot" not in trend.index  # the random job has no train-split rows


def test_bootstrap_interval_of_a_mean():
    assert np.isnan(bootstrap_mean_interval([1.0], resamples=200, seed=0)[0])
    low, high = bootstrap_mean_interval(np.arange(100.0), resamples=500, seed=1)
    assert low < 49.5 < high and high - low < 25
