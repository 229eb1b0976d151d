"""instability_init and instability_k as registered measures: values from the model's
spec, protocol and data; a reason, not a number, where those are missing."""

from __future__ import annotations

import dataclasses
import math

import torch

from prunability.instability import instability
from prunability.measures import compute_measures
from prunability.train import new_model

NAMES = ["instability_init", "instability_k"]


def test_instability_measures_are_the_barriers_of_their_start_points(tiny_config, digits_data, make_context):
    from prunability.zoo import expand

    spec = expand(tiny_config)[0]
    training = dataclasses.replace(tiny_config.training, max_epochs=2)
    x, y = digits_data.train_eval()
    ctx = make_context(new_model(spec, digits_data, torch.device("cpu")), None, x, y, instability_points=3,
                  instability_k_step=4)
    ctx.spec, ctx.training, ctx.data = spec, training, digits_data
    results = compute_measures(ctx, NAMES)
    assert all(r.ok and 0.0 <= r.value <= 1.0 for r in results.values()), results
    expected, _ = instability(spec, training, digits_data, torch.device("cpu"), 4, 3, x, y, eval_batch_size=1024)
    assert results["instability_k"].value == expected.height  # deterministic on CPU, default copy seeds


def test_without_the_training_inputs_the_reason_is_recorded(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    results = compute_measures(make_context(model, init, x, y), NAMES)
    assert all(math.isnan(r.value) and "training protocol" in r.reason for r in results.values())
