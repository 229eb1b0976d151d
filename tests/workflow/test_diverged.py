"""One diverged model never sinks a study: it flows through every stage as rows
with a status, and the statistics count it (Jiang et al.'s protocol drops it)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from .conftest import BIN, run, workflow_copy

pytestmark = pytest.mark.slow


def test_a_diverged_model_is_rows_with_a_status_and_the_study_completes(tmp_path):
    workflow_copy(tmp_path)
    raw = yaml.safe_load((tmp_path / "config" / "config.yaml").read_text())
    raw["zoo"]["grid"].update(depth=[2], lr=[0.05, 1.0e6])  # the second one diverges in its first steps
    raw["pruning"] = {"methods": ["global_magnitude"], "sparsities": [0.0, 0.5], "finetune_epochs": 1}
    raw["corruptions"] = {"names": ["contrast"], "severities": [1]}
    raw["measures"] = {"names": ["num_params", "inverse_margin", "feature_length", "prunability"],
                       "prunability_steps": 4}
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(raw))

    done = run([str(BIN / "snakemake")], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    results = tmp_path / "results" / "tiny"
    zoo = pd.read_parquet(results / "tables" / "zoo.parquet")
    assert sorted(zoo["status"]) == ["converged", "diverged"]
    diverged = zoo.loc[zoo["status"] == "diverged", "model_id"].item()

    robustness = pd.read_parquet(results / "tables" / "robustness.parquet")
    rows = robustness[robustness["model_id"] == diverged]
    assert len(rows) and rows["accuracy"].isna().all()
    assert robustness.loc[robustness["model_id"] != diverged, "accuracy"].notna().all()
    measures = pd.read_parquet(results / "tables" / "measures.parquet")
    failed = measures[(measures["model_id"] == diverged) & (measures["measure"] == "feature_length")]
    assert failed["value"].isna().all()
    summary = json.loads((results / "summary.json").read_text())
    assert summary["status_counts"] == {"converged": 1, "diverged": 1}
