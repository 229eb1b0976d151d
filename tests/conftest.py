"""Shared fixtures: the tiny study's config, the digits data, one trained model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from prunability import config as study_config
from prunability.evaluation import EvalContext

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    # Tiny models on a 2-core machine: one intra-op thread is fastest, and
    # avoids oversubscription when other processes (snakemake jobs) share the cores.
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tiny_config():
    return study_config.load(ROOT / "config" / "studies" / "tiny.yaml")


@pytest.fixture(scope="session")
def digits_data(tiny_config):
    from prunability.data import DATASETS, PreparedData

    split = DATASETS.get("digits")(tiny_config.dataset)
    return PreparedData.from_split(split, tiny_config.dataset.train_eval_size, 0)


@pytest.fixture(scope="session")
def trained(tiny_config, digits_data):
    """(spec, TrainResult) of the tiny zoo's first model, trained on CPU."""
    from prunability.train import train_model
    from prunability.zoo import expand

    torch.set_num_threads(1)
    spec = expand(tiny_config)[0]
    return spec, train_model(spec, tiny_config.training, digits_data, EvalContext(torch.device("cpu"), 1024))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The whole DAG of the tiny study, run once by snakemake for every test that reads it
    (defined here, at the root, so that one session shares one run across directories)."""
    from workflow.conftest import BIN, run, workflow_copy

    reuse = os.environ.get("PRUNABILITY_TINY_RUN")  # a finished run's results/tiny, to iterate on its tests
    if reuse:
        return Path(reuse)
    where = workflow_copy(tmp_path_factory.mktemp("tiny_study"))
    done = run([str(BIN / "snakemake"), "--cores", "2"], where)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return where / "results" / "tiny"
