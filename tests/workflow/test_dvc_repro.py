"""`dvc repro` runs the same tiny study through dvc.yaml, with no remote; its
tables equal those of a separate snakemake run; a local remote round-trips."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from prunability.layout import STATS, TABLES

from .conftest import BIN, run, workflow_copy

pytestmark = pytest.mark.slow

TIMINGS = ["seconds"]  # wall-clock costs differ between runs; everything else must not


def assert_same_tables(a, b):
    for path in [f"tables/{t}.parquet" for t in TABLES] + [f"stats/{s}.parquet" for s in STATS]:
        left, right = pd.read_parquet(a / path), pd.read_parquet(b / path)
        pd.testing.assert_frame_equal(left.drop(columns=TIMINGS, errors="ignore"),
                                      right.drop(columns=TIMINGS, errors="ignore"), obj=path)


def test_dvc_repro_runs_the_study(tmp_path, tiny_run):
    where = workflow_copy(tmp_path / "repo")
    assert run(["git", "init", "-q"], where).returncode == 0
    done = run([str(BIN / "dvc"), "repro"], where)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = where / "results" / "tiny"
    summary = json.loads((results / "summary.json").read_text())
    assert summary["models"] == 2 and (where / "dvc.lock").is_file()
    metrics = run([str(BIN / "dvc"), "metrics", "show", "--json"], where)
    assert metrics.returncode == 0 and "mean_test_acc" in metrics.stdout
    assert "up to date" in run([str(BIN / "dvc"), "status"], where).stdout.lower()

    # two runs of one study (here: dvc's and snakemake's) give identical tables on CPU
    assert_same_tables(results, tiny_run)

    # a local remote, offline: push, lose the checkpoints, pull them back
    remote = tmp_path / "remote"
    assert run([str(BIN / "dvc"), "remote", "add", "-d", "store", str(remote)], where).returncode == 0
    assert run([str(BIN / "dvc"), "push"], where).returncode == 0
    before = sorted(p.name for p in (results / "models").rglob("*.pt"))
    shutil.rmtree(results / "models")
    shutil.rmtree(where / ".dvc" / "cache")  # so the files can only come back from the remote
    pulled = run([str(BIN / "dvc"), "pull"], where)
    assert pulled.returncode == 0, pulled.stderr[-2000:]
    assert sorted(p.name for p in (results / "models").rglob("*.pt")) == before

    # `dvc exp run -S` on a study parameter: only the jobs that depend on it rerun
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    assert run(["git", "add", "-A"], where).returncode == 0
    assert run(["git", "commit", "-qm", "study"], where, env=identity).returncode == 0
    trained = {p: p.stat().st_mtime_ns for p in (results / "models").rglob("final.pt")}
    exp = run([str(BIN / "dvc"), "exp", "run", "-S", "config/config.yaml:pruning.sparsities=[0.0,0.6]"], where, env=identity)
    assert exp.returncode == 0, exp.stdout[-2000:] + exp.stderr[-2000:]
    pruning = pd.read_parquet(results / "tables" / "pruning.parquet")
    assert sorted(pruning.loc[pruning["schedule"] == "one_shot", "sparsity"].unique()) == [0.0, 0.6]
    assert {p: p.stat().st_mtime_ns for p in trained} == trained  # no model was retrained
