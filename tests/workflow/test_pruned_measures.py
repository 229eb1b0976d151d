"""The evaluate stage's feature geometry per sample and its pruned_measures
table (dead-neuron rate and feature geometry of every pruned model), end to
end on the tiny study."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from prunability import schemas
from prunability.pruned_measures import PRUNED_MEASURES

pytestmark = pytest.mark.slow


def table(results, name):
    return pd.read_parquet(results / "tables" / f"{name}.parquet")


def test_every_model_and_method_has_its_pruned_measures_job_file(tiny_run):
    from prunability.config import load
    from prunability.pruning_jobs import pruning_jobs

    zoo = table(tiny_run, "zoo")
    jobs = [job.key for job in pruning_jobs(load(tiny_run / "config.yaml").pruning)]
    assert len(jobs) == 7  # 2 one-shot, SNIP at init, IMP, its AP twin and its two baselines
    for model_id in zoo["model_id"]:
        for key in jobs:
            path = tiny_run / "pruned_measures" / model_id / f"{key}.parquet"
            assert pq.read_schema(path).equals(schemas.JOB["pruned_measures"], check_metadata=False)


def test_pruned_measures_table_has_every_sparsity_and_sane_values(tiny_run):
    pm, rob = table(tiny_run, "pruned_measures"), table(tiny_run, "robustness")
    assert set(schemas.HPARAM_NAMES) <= set(pm.columns)
    evaluated = rob[rob["corruption"] == "none"][["model_id", "method", "schedule", "sparsity"]].drop_duplicates()
    assert len(pm) == len(evaluated) * len(PRUNED_MEASURES)
    per_model = pm.groupby(["model_id", "method", "schedule", "sparsity"])["measure"].apply(sorted)
    assert all(names == sorted(PRUNED_MEASURES) for names in per_model)
    assert pm["reason"].isna().all() and np.isfinite(pm["value"]).all()
    wide = pm.pivot_table(index=["model_id", "method", "schedule", "sparsity"], columns="measure", values="value")
    assert wide["test_dead_neuron_rate"].between(0, 1).all() and (wide["test_feature_length"] > 0).all()
    assert wide["test_feature_angle"].between(0, math.pi).all()
    dense = wide.xs(0.0, level="sparsity").droplevel("schedule")
    assert (dense["test_angular_margin"] > 0).all()  # trained models point closer to their own class
    # sparsity 0 is the same dense model under every method
    assert np.allclose(dense.groupby("model_id").max(), dense.groupby("model_id").min())


def test_samples_carry_feature_geometry_whose_means_are_the_pruned_measures(tiny_run):
    samples, pm = table(tiny_run, "samples"), table(tiny_run, "pruned_measures")
    for column in ("feature_norm", "true_angle", "angular_margin"):
        assert samples[column].dtype == np.float32 and samples[column].notna().all()
    clean = samples[samples["corruption"] == "none"]
    means = clean.groupby(["model_id", "method", "schedule", "sparsity"])[["feature_norm", "true_angle", "angular_margin"]].mean()
    wide = pm.pivot_table(index=["model_id", "method", "schedule", "sparsity"], columns="measure", values="value")
    for column, measure in [("feature_norm", "test_feature_length"), ("true_angle", "test_feature_angle"),
                            ("angular_margin", "test_angular_margin")]:
        np.testing.assert_allclose(means[column], wide.loc[means.index, measure], rtol=1e-4, atol=1e-5)
