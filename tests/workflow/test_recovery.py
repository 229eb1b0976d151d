"""After a kill of the whole snakemake process group, a crash or a damaged file,
the same plain command carries on to complete results with nothing else typed:
the default profile (profiles/default) is loaded, stale locks are released,
damaged results are set aside and recomputed, and every error message's advice
works when pasted as is."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
import yaml

from .conftest import BIN, ROOT, run, workflow_copy

pytestmark = pytest.mark.slow

PLAIN = [str(BIN / "snakemake")]  # nothing else: cores, keep-going and rerun-incomplete come from the profile


def small_study(where: Path) -> Path:
    """The tiny study cut to a few seconds per stage: one model, one method, one corruption."""
    workflow_copy(where)
    raw = yaml.safe_load((where / "config" / "config.yaml").read_text())
    raw["zoo"]["grid"]["depth"] = [2]
    raw["pruning"] = {"methods": ["global_magnitude"], "sparsities": [0.0, 0.5]}
    raw["corruptions"] = {"names": ["contrast"], "severities": [1]}
    raw["measures"] = {"names": ["num_params", "inverse_margin", "prunability"], "prunability_steps": 4}
    (where / "config" / "config.yaml").write_text(yaml.safe_dump(raw))
    return where / "results" / "tiny"


def kill_when(where: Path, appears: str, timeout: float = 300) -> None:
    """Start the plain command in its own process group and SIGKILL the whole group
    (snakemake and its jobs) as soon as a file matching ``appears`` exists."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    job = subprocess.Popen(PLAIN, cwd=where, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.time() + timeout
    while not list(where.glob(appears)) and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    assert job.poll() is None, f"the run ended before {appears} appeared: nothing was killed"
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()


def complete(results: Path) -> bool:
    return all((results / "tables" / f"{t}.parquet").is_file() for t in ("zoo", "pruning", "measures")) and \
        (results / "summary.json").is_file()


# The first output of each stage: the whole process group is killed as it appears,
# so every stage is interrupted once (later stages run while the earlier finish).
KILL_POINTS = ["results/tiny/data/prepared.pt",  # prepare done, corrupt and train starting
               "results/tiny/models/*/checkpoint.pt",  # mid-training
               "results/tiny/pruning/*/*.parquet",  # prune done, evaluate and measures starting
               "results/tiny/robustness/*/*.parquet",
               "results/tiny/tables/zoo.parquet"]  # aggregate done, statistics running


def test_a_plain_rerun_after_a_kill_in_every_stage_completes(tmp_path):
    results = small_study(tmp_path)
    for point in KILL_POINTS:
        kill_when(tmp_path, point)
        assert (tmp_path / ".snakemake" / "locks").is_dir() and any((tmp_path / ".snakemake" / "locks").iterdir())
    done = run(PLAIN, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "removed the locks of an earlier snakemake run" in done.stderr
    assert complete(results)
    locks = tmp_path / ".snakemake" / "locks"
    assert not locks.exists() or not any(locks.iterdir())
    again = run(PLAIN, tmp_path)  # and a rerun with nothing changed runs nothing
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_damaged_files_are_recomputed_and_the_advice_works_when_pasted(tmp_path):
    results = small_study(tmp_path)
    assert run(PLAIN, tmp_path).returncode == 0
    model = next((results / "models").iterdir())
    summary_before = (results / "summary.json").read_text()

    # Truncated files (a full disk, a broken copy): found before planning and recomputed.
    for damaged in (results / "tables" / "zoo.parquet", model / "final.pt"):
        damaged.write_bytes(damaged.read_bytes()[:100])
    done = run(PLAIN, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "zoo.parquet was damaged" in done.stderr and "final.pt was damaged" in done.stderr
    assert complete(results)
    assert torch.load(model / "final.pt", weights_only=True)  # a real checkpoint again
    assert (results / "summary.json").read_text() == summary_before  # same science, recomputed

    # A well-formed file with the wrong content passes the cheap check: the job that
    # reads it fails with one sentence whose suggested command, pasted, repairs it.
    torch.save({"not": torch.zeros(1)}, model / "final.pt")
    os.utime(model / "final.pt", (time.time() - 10**6, time.time() - 10**6))  # older: nothing else reruns it
    (results / "pruning" / model.name / "global_magnitude.parquet").unlink()
    failed = run(PLAIN, tmp_path)
    assert failed.returncode != 0
    message = next(line for line in failed.stderr.splitlines() if "final.pt is corrupt" in line)
    assert "weights_only=False" not in failed.stderr
    pasted = message.split("rerun the same command, which replaces it: ", 1)[1].strip()
    assert shlex.split(pasted)[0] == "snakemake"
    repaired = run([str(BIN / "snakemake"), *shlex.split(pasted)[1:]], tmp_path)
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert complete(results) and (results / "pruning" / model.name / "global_magnitude.parquet").is_file()


def test_the_default_profile_is_the_one_snakemake_loads():
    """Snakemake 9 reads profiles/default next to a top-level Snakefile."""
    profile = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert profile["keep-going"] is True and profile["rerun-incomplete"] is True
    assert not (ROOT / "workflow" / "profiles" / "default").exists()
