"""`dvc repro` runs the same tiny study through dvc.yaml, with no remote."""

from __future__ import annotations

import json

import pytest

from .conftest import BIN, run, workflow_copy

pytestmark = pytest.mark.slow


def test_dvc_repro_runs_the_study(tmp_path):
    where = workflow_copy(tmp_path)
    assert run(["git", "init", "-q"], where).returncode == 0
    done = run([str(BIN / "dvc"), "repro"], where)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((where / "results" / "tiny" / "summary.json").read_text())
    assert summary["models"] == 2
    assert (where / "dvc.lock").is_file()
    metrics = run([str(BIN / "dvc"), "metrics", "show", "--json"], where)
    assert metrics.returncode == 0 and "mean_test_acc" in metrics.stdout
    assert json.loads((where / "results" / "tiny" / "summary.json").read_text())["study"] == "tiny"
    status = run([str(BIN / "dvc"), "status"], where)
    assert "up to date" in status.stdout.lower(), status.stdout
