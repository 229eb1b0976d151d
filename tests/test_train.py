import dataclasses
import math

import torch

from builders import hparams
from prunability.evaluation import EvalContext
from prunability import io
from prunability.status import Status
from prunability.train import train_model


def test_training_reaches_the_target_and_records_history(trained, tiny_config):
    spec, result = trained
    assert result.status == "converged"
    assert result.final["train_loss"] <= tiny_config.training.target_ce
    assert [row["epoch"] for row in result.history] == list(range(1, result.epochs + 1))
    steps = [row["step"] for row in result.history]
    assert steps == sorted(steps) and steps[-1] == result.steps
    # milestone steps are the first epoch-end step at which the CE was at most the target
    for target, step in result.milestones.items():
        first = next((r["step"] for r in result.history if r["train_loss"] <= target), None)
        assert step == first
    assert result.milestones[0.1] is not None
    assert result.final["test_acc"] > 0.8


def test_training_is_deterministic_on_cpu(trained, tiny_config, digits_data):
    spec, first = trained
    again = train_model(spec, tiny_config.training, digits_data, EvalContext(torch.device("cpu"), 1024))
    assert all(torch.equal(first.final_state[k], again.final_state[k]) for k in first.final_state)
    assert all(torch.equal(first.init_state[k], again.init_state[k]) for k in first.init_state)


def test_divergence_is_recorded_not_raised(tiny_config, digits_data):
    from prunability.zoo import ModelSpec

    spec = ModelSpec("nin-0000000000", 0, digits_hparams(lr=1e6, optimizer="sgd"))
    result = train_model(spec, tiny_config.training, digits_data, EvalContext(torch.device("cpu"), 1024))
    assert result.status == "diverged"
    assert result.epochs < tiny_config.training.max_epochs or not math.isfinite(result.final["train_loss"])


def digits_hparams(**changes):
    return hparams(**{"architecture": "nin", "depth": 1, "width": 1.0, "dropout": 0.0, "batchnorm": False,
                      "optimizer": "sgd", "lr": 0.1, "batch_size": 64, "weight_decay": 0.0, **changes})


def test_a_damaged_resume_checkpoint_restarts_training(trained, tiny_config, digits_data, tmp_path, capsys):
    spec, first = trained
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"PK\x03\x04 cut short by a full disk")
    again = train_model(spec, tiny_config.training, digits_data, EvalContext(torch.device("cpu"), 1024),
                        checkpoint_path=checkpoint)
    assert "training starts again from the beginning" in capsys.readouterr().out
    assert all(torch.equal(first.final_state[k], again.final_state[k]) for k in first.final_state)
    assert (tmp_path / "checkpoint.pt.corrupt").exists()


def test_a_checkpoint_holds_a_running_model_and_resumes_to_max_epochs(trained, tiny_config, digits_data, tmp_path):
    """A model still training is checkpointed as "running"; only after its last epoch is
    it "max_epochs". A checkpoint written before the running state existed (a running
    model saved as "max_epochs") resumes as running too."""
    spec, _ = trained
    cfg = dataclasses.replace(tiny_config.training, target_ce=1e-9, max_epochs=1, checkpoint_every=1)
    checkpoint = tmp_path / "checkpoint.pt"
    one = train_model(spec, cfg, digits_data, EvalContext(torch.device("cpu"), 1024), checkpoint_path=checkpoint)
    assert one.status is Status.MAX_EPOCHS and one.epochs == 1
    assert io.load_torch(checkpoint, "cpu")["status"] == "running"
    two = dataclasses.replace(cfg, max_epochs=2)
    resumed = train_model(spec, two, digits_data, EvalContext(torch.device("cpu"), 1024), checkpoint_path=checkpoint)
    assert resumed.status is Status.MAX_EPOCHS and resumed.epochs == 2 and resumed.steps == 2 * one.steps
    old = io.load_torch(checkpoint, "cpu")
    old["status"] = "max_epochs"  # as checkpoints were written before Status.RUNNING
    io.save_torch(old, checkpoint)
    three = train_model(spec, dataclasses.replace(cfg, max_epochs=3), digits_data,
                        EvalContext(torch.device("cpu"), 1024),
                        checkpoint_path=checkpoint)
    assert three.epochs == 3 and three.status is Status.MAX_EPOCHS
