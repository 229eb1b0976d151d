"""The whole pipeline, end to end, on the tiny study: every table present, with
its schema, and with values that make sense."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from prunability import schemas
from prunability.layout import FIGURES, STATS, TABLES

pytestmark = pytest.mark.slow


def table(results, name):
    return pd.read_parquet(results / "tables" / f"{name}.parquet")


def test_every_table_has_its_schema(tiny_run):
    for name in TABLES:
        schema = pq.read_schema(tiny_run / "tables" / f"{name}.parquet")
        assert schema.equals(schemas.STUDY[name], check_metadata=False)
        assert {b"prunability_version", b"git_commit", b"config_hash"} <= set(schema.metadata)
    for name in STATS:
        assert pq.read_schema(tiny_run / "stats" / f"{name}.parquet").equals(schemas.STATS[name], check_metadata=False)
    for name in FIGURES:
        assert (tiny_run / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tiny_run / "figures" / f"{name}.svg").read_text().lstrip().startswith("<?xml")


def test_zoo_lists_every_model_with_sane_outcomes(tiny_run):
    zoo = table(tiny_run, "zoo")
    assert len(zoo) == 2 and zoo["model_id"].is_unique
    assert set(zoo["depth"]) == {2, 3}
    assert zoo["status"].eq("converged").all()
    for col in ("train_acc", "test_acc"):
        assert zoo[col].between(0, 1).all()
    assert np.allclose(zoo["generalization_gap"], zoo["train_acc"] - zoo["test_acc"])


def test_pruning_curves(tiny_run):
    pruning, zoo = table(tiny_run, "pruning"), table(tiny_run, "zoo")
    tuned = pruning[pruning["schedule"] == "fine_tuned"]
    # one epoch of fine-tuning per pruned point (its effect on the loss is tested in tests/pruning)
    assert len(tuned) == len(pruning[(pruning["schedule"] == "one_shot") & (pruning["sparsity"] > 0)])
    assert tuned["accuracy"].between(0, 1).all() and tuned["loss"].notna().all()
    pruning = pruning[pruning["schedule"] == "one_shot"]
    assert set(pruning["method"]) == {"global_magnitude", "random"}
    assert pruning["accuracy"].between(0, 1).all()
    # sparsity 0 is the dense model: its test metrics equal the trained model's
    dense = pruning[(pruning["sparsity"] == 0) & (pruning["split"] == "test")].merge(zoo, on="model_id")
    assert np.allclose(dense["accuracy"], dense["test_acc"]) and np.allclose(dense["loss"], dense["test_loss"])
    # exact kept counts
    assert (pruning["kept"] == (pruning["prunable"] * (1 - pruning["sparsity"])).round()).all()
    # magnitude pruning hurts the training loss less than random pruning at 50 %
    half = pruning[(pruning["sparsity"] == 0.5) & (pruning["split"] == "train")]
    loss = half.pivot_table(index="model_id", columns="method", values="loss")
    assert (loss["global_magnitude"] < loss["random"]).all()


def test_robustness_table(tiny_run):
    rob, pruning = table(tiny_run, "robustness"), table(tiny_run, "pruning")
    assert set(rob["corruption"]) == {"none", "gaussian_noise", "contrast"}
    assert set(rob.loc[rob["corruption"] != "none", "severity"]) == {1, 5}
    assert rob["accuracy"].between(0, 1).all()
    clean = rob[rob["corruption"] == "none"].merge(
        pruning[pruning["split"] == "test"], on=["model_id", "method", "schedule", "sparsity"], suffixes=("", "_curve"))
    assert len(clean) == (pruning["split"] == "test").sum()  # every pruned network, every schedule
    assert np.allclose(clean["accuracy"], clean["accuracy_curve"])
    # the harshest contrast corruption hurts the dense model
    dense = rob[(rob["sparsity"] == 0) & (rob["method"] == "global_magnitude") & (rob["schedule"] == "one_shot")]
    dense = dense.set_index(["model_id", "corruption", "severity"])
    for model_id in dense.index.get_level_values(0).unique():
        assert dense.loc[(model_id, "contrast", 5), "accuracy"] <= dense.loc[(model_id, "none", 0), "accuracy"]
    # error grows with severity for the trained models, for every corruption
    by_severity = dense.reset_index().groupby(["corruption", "severity"])["accuracy"].mean()
    for corruption in ("gaussian_noise", "contrast"):
        assert by_severity[(corruption, 5)] < by_severity[(corruption, 1)]  # (mild noise can even help a little)


def test_samples_fragility_and_pie(tiny_run):
    samples, zoo = table(tiny_run, "samples"), table(tiny_run, "zoo")
    rob = table(tiny_run, "robustness")
    # per-sample correctness averages to the accuracy of the robustness table
    keys = ["model_id", "method", "schedule", "sparsity", "corruption", "severity"]
    acc = samples.groupby(keys)["correct"].mean()
    merged = rob.set_index(keys)["accuracy"]
    assert np.allclose(acc.reindex(merged.index).to_numpy(), merged.to_numpy())
    fragility = pd.read_parquet(tiny_run / "stats" / "fragility.parquet")
    jobs = samples[["method", "schedule"]].drop_duplicates()
    # 2 methods one-shot and fine-tuned, SNIP at init, IMP, its AP twin, its two baselines
    assert len(jobs) == 9
    assert len(fragility) == len(zoo) * len(jobs) * samples["sample"].nunique()
    assert fragility["first_failure_sparsity"].dropna().between(0, 0.9375).all()
    pie = pd.read_parquet(tiny_run / "stats" / "pie.parquet")
    assert not pie[pie["sparsity"] == 0]["pie"].any()  # the dense population never disagrees with itself


def test_measures_and_statistics(tiny_run):
    measures = table(tiny_run, "measures")
    wide = measures.pivot_table(index="model_id", columns="measure", values="value")
    assert np.isfinite(wide.values).all()
    assert wide["prunability"].between(0, 1).all()
    assert (wide["num_params"] > 0).all()
    kendall = pd.read_parquet(tiny_run / "stats" / "kendall.parquet")
    assert kendall["tau"].dropna().between(-1, 1).all()
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["models"] == 2 and summary["study"] == "tiny"
    assert set(kendall["target"]) == {"generalization_gap", "test_loss", "mean_corruption_accuracy",
                                      "corruption_accuracy_drop"}
    mi = pd.read_parquet(tiny_run / "stats" / "measure_mi.parquet")
    varying = [m for m in wide.columns if wide[m].nunique() > 1]  # a constant measure shares nothing
    self_mi = mi[(mi["measure_a"] == mi["measure_b"]) & mi["measure_a"].isin(varying)]["mi"]
    assert len(self_mi) and (self_mi > 0.99).all()
    assert "| measure | τ |" in (tiny_run / "summary.md").read_text()


def test_a_second_run_has_nothing_to_do(tiny_run):
    from .conftest import BIN, run

    done = run([str(BIN / "snakemake"), "--cores", "2", "-n"], tiny_run.parent.parent)
    assert done.returncode == 0
    assert "Nothing to be done" in done.stdout + done.stderr


def test_snakemake_report_is_self_contained_html(tiny_run, tmp_path):
    from .conftest import BIN, run

    report = tmp_path / "report.html"
    done = run([str(BIN / "snakemake"), "--report", str(report)], tiny_run.parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    html = report.read_text()
    assert html.lstrip().lower().startswith("<!doctype html") or "<html" in html[:500].lower()
    for name in ("kendall_heatmap", "pruning_curves", "summary.md", "study_config.yaml"):
        assert name in html
