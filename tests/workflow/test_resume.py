"""A training job killed with SIGKILL resumes from its last checkpoint and ends
with exactly the weights of an uninterrupted run (CPU, same seed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

from .conftest import ROOT

pytestmark = pytest.mark.slow


def study(tmp_path):
    raw = yaml.safe_load((ROOT / "config" / "studies" / "tiny.yaml").read_text())
    raw["zoo"]["grid"]["depth"] = [2]
    raw["zoo"]["grid"]["dropout"] = [0.2]  # the global RNG must be resumed too
    raw["training"] = {"target_ce": 1e-9, "max_epochs": 40}  # never converges: runs all epochs
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def cli(config, results, *args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return [sys.executable, "-m", "prunability", *args, "--config", str(config), "--results", str(results)], env


def test_killed_training_resumes_to_identical_weights(tmp_path):
    config = study(tmp_path)
    prepare, env = cli(config, tmp_path / "a", "prepare")
    subprocess.run(prepare, check=True, env=env, capture_output=True)
    subprocess.run(cli(config, tmp_path / "b", "prepare")[0], check=True, env=env, capture_output=True)
    model_id = subprocess.run([sys.executable, "-m", "prunability", "zoo", "--config", str(config)],
                              check=True, capture_output=True, text=True).stdout.split()[0]

    uninterrupted, env = cli(config, tmp_path / "a", "train", "--model-id", model_id)
    subprocess.run(uninterrupted, check=True, env=env, capture_output=True)

    killed, env = cli(config, tmp_path / "b", "train", "--model-id", model_id)
    model_dir = tmp_path / "b" / "tiny" / "models" / model_id
    job = subprocess.Popen(killed, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (model_dir / "checkpoint.pt").exists() and time.time() < deadline and job.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)  # a few more epochs, so the kill lands mid-run
    job.send_signal(signal.SIGKILL)
    job.wait()
    checkpoint = torch.load(model_dir / "checkpoint.pt", weights_only=True)
    assert 0 < checkpoint["epochs"] < 40, "the kill should land between the first and the last epoch"
    assert not (model_dir / "result.json").exists()

    subprocess.run(killed, check=True, env=env, capture_output=True)
    a = torch.load(tmp_path / "a" / "tiny" / "models" / model_id / "final.pt", weights_only=True)
    b = torch.load(model_dir / "final.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not (model_dir / "checkpoint.pt").exists()  # removed once training finished
    # the per-example difficulty record (prunability.difficulty) continues from the checkpoint too
    import pandas as pd

    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "tiny" / "models" / model_id / "difficulty.parquet"),
                                  pd.read_parquet(model_dir / "difficulty.parquet"))
