"""Divergence is detected without a host sync per step (train._epoch reads a device-side
flag once per epoch, then replays a diverged epoch), with the semantics of a per-step check:
training stops before the first step whose loss is not finite."""

import dataclasses

import torch
import torch.nn.functional as F

from builders import hparams as make_hparams
from prunability.evaluation import EvalContext
from prunability.data.split import as_float
from prunability.train import batch_order, new_model, train_model
from prunability.zoo import ModelSpec

CPU = torch.device("cpu")


def _spec(**changes) -> ModelSpec:
    hparams = {"architecture": "nin", "depth": 1, "width": 1.0, "dropout": 0.3, "batchnorm": True,
               "optimizer": "sgd_momentum", "lr": 0.1, "batch_size": 64, "weight_decay": 0.0}
    return ModelSpec("nin-0000000000", 0, make_hparams(**{**hparams, **changes}))


def _reference(spec: ModelSpec, data, max_epochs: int, stop_at: int | None = None):
    """The protocol with a host check before every update: (model, steps, epochs);
    with ``stop_at``, the model after that many steps."""
    model = new_model(spec, data, CPU)
    optimizer = torch.optim.SGD(model.parameters(), lr=spec.hparams.lr, momentum=0.9, weight_decay=spec.hparams.weight_decay)
    generator = torch.Generator().manual_seed(spec.seed)
    x, y = data.split.x_train, data.split.y_train
    steps = 0
    for epoch in range(1, max_epochs + 1):
        model.train()
        for index in batch_order(len(x), spec.hparams.batch_size, generator):
            loss = F.cross_entropy(model(as_float(x[index])), y[index])
            if not torch.isfinite(loss):
                return model, steps, epoch
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
            if steps == stop_at:
                return model, steps, epoch
    return model, steps, max_epochs


def test_diverged_run_stops_before_the_first_nonfinite_step(tiny_config, digits_data):
    spec = _spec(lr=100.0)  # finite for two epochs, then non-finite inside the third
    cfg = dataclasses.replace(tiny_config.training, max_epochs=6, target_ce=1e-9, rewind_step=10_000)
    result = train_model(spec, cfg, digits_data, EvalContext(CPU, 1024))
    model, steps, epochs = _reference(spec, digits_data, cfg.max_epochs)
    per_epoch = len(list(batch_order(len(digits_data.split.x_train), spec.hparams.batch_size, torch.Generator())))
    assert result.status == "diverged"
    assert 0 < steps and steps % per_epoch != 0  # it diverged mid-epoch, so the replay mattered
    assert (result.steps, result.epochs) == (steps, epochs)
    reference = model.state_dict()
    assert all(_same(result.final_state[k], reference[k]) for k in reference)
    # the rewind step was never reached before divergence: the final weights stand in
    assert result.rewind_step == steps


def test_rewind_snapshot_of_a_diverged_epoch_is_dropped_unless_before_divergence(tiny_config, digits_data):
    spec = _spec(lr=100.0)
    _, steps, _ = _reference(spec, digits_data, 6)
    for rewind_step, expected in ((steps - 1, steps - 1), (steps + 1, steps)):
        cfg = dataclasses.replace(tiny_config.training, max_epochs=6, target_ce=1e-9, rewind_step=rewind_step)
        result = train_model(spec, cfg, digits_data, EvalContext(CPU, 1024))
        assert result.rewind_step == expected
        # before divergence: the weights of that step; after: the final ones (BatchNorm's running
        # statistics include the diverging forward pass, as they always did)
        stop_at = expected if rewind_step < steps else None
        reference = _reference(spec, digits_data, 6, stop_at=stop_at)[0].state_dict()
        assert all(_same(result.rewind_state[k], reference[k]) for k in reference)


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal element for element, NaN equal to NaN."""
    return a.shape == b.shape and bool(((a == b) | (a.isnan() & b.isnan())).all())


def test_finite_runs_are_unchanged_by_the_deferred_check(tiny_config, digits_data):
    spec = _spec(lr=0.05, weight_decay=1e-4)
    cfg = dataclasses.replace(tiny_config.training, max_epochs=2, target_ce=1e-9)
    result = train_model(spec, cfg, digits_data, EvalContext(CPU, 1024))
    model, steps, _ = _reference(spec, digits_data, cfg.max_epochs)
    assert result.status == "max_epochs" and result.steps == steps
    reference = model.state_dict()
    assert all(torch.equal(result.final_state[k], reference[k]) for k in reference)
