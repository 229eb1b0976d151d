"""training.compile (torch.compile of the network in training and evaluation): same
protocol, same steps, weights equal to the eager run's within float tolerance
(without dropout: compiled dropout draws from its own generator)."""

import dataclasses

import pytest
import torch

from prunability.evaluation import EvalContext
from prunability import config as study_config
from builders import hparams
from prunability.train import train_model
from prunability.train_batched import train_models
from prunability.zoo import ModelSpec

CPU = torch.device("cpu")
HPARAMS = {"architecture": "nin", "depth": 1, "width": 1.0, "dropout": 0.0, "batchnorm": True,
           "optimizer": "sgd_momentum", "lr": 0.05, "batch_size": 64, "weight_decay": 0.0}


def test_compile_is_off_by_default_and_a_boolean(tiny_config):
    assert tiny_config.training.compile is False
    raw = dict(tiny_config.raw)
    with pytest.raises(study_config.ConfigError, match="training.compile"):
        study_config.parse({**raw, "training": {**raw["training"], "compile": "yes"}})


@pytest.mark.slow  # compiling takes tens of seconds on a loaded CPU
def test_compiled_training_matches_eager(tiny_config, digits_data):
    specs = [ModelSpec(f"nin-c{seed}", seed, hparams(**{**HPARAMS, "lr": lr})) for seed, lr in ((0, 0.05), (1, 0.02))]
    cfg = dataclasses.replace(tiny_config.training, max_epochs=2, target_ce=1e-9, rewind_step=5)
    eager = [train_model(s, cfg, digits_data, EvalContext(CPU, 1024)) for s in specs]
    compiled = dataclasses.replace(cfg, compile=True)
    alone = train_model(specs[0], compiled, digits_data, EvalContext(CPU, 1024))
    batched = train_models(specs, compiled, [digits_data] * 2, EvalContext(CPU, 1024))
    for a, b in [(eager[0], alone)] + list(zip(eager, batched)):
        assert (b.steps, b.status) == (a.steps, a.status)
        assert max((a.final_state[k].double() - b.final_state[k].double()).abs().max().item()
                   for k in a.final_state) < 1e-4
        assert b.history[-1]["train_loss"] == pytest.approx(a.history[-1]["train_loss"], abs=1e-4)
