"""Instability (Frankle et al. 2020, §2): the error barrier along the linear path between
two copies trained from one point with different data orders."""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from prunability.evaluation import EvalContext
from prunability.instability import error_barrier, instability, interpolate, recompute_batchnorm, start_point
from prunability.train import train_model


def _permuted_pair():
    """Two ReLU nets computing the same function z_1 = relu(x) − relu(−x) = x, z_0 = 0,
    with their hidden units swapped; halfway, the hidden layer is zero and both logits 0."""
    def net(w1, w2):
        model = nn.Sequential(nn.Linear(1, 2, bias=False), nn.ReLU(), nn.Linear(2, 2, bias=False))
        with torch.no_grad():
            model[0].weight.copy_(torch.tensor(w1))
            model[2].weight.copy_(torch.tensor(w2))
        return model

    a = net([[1.0], [-1.0]], [[0.0, 0.0], [1.0, -1.0]])
    b = net([[-1.0], [1.0]], [[0.0, 0.0], [-1.0, 1.0]])
    return a, b


def test_a_constructed_pair_has_the_hand_computed_barrier():
    a, b = _permuted_pair()
    x, y = torch.tensor([[1.0], [-1.0]]), torch.tensor([1, 0])
    barrier = error_barrier(lambda: _permuted_pair()[0], a.state_dict(), b.state_dict(), x, y, points=5,
                            ctx=EvalContext(torch.device("cpu"), 1024))
    # α = 0.5: logits (0, 0) -> class 0 -> x = +1 wrong; α = 0.25, 0.75: hidden ±0.5x, z_1 = 0.25x -> right
    assert barrier.errors == (0.0, 0.0, 0.5, 0.0, 0.0)
    assert barrier.height == 0.5


def test_interpolation_is_exact_at_the_ends_and_between_equal_weights():
    a, b = {"w": torch.randn(3), "n": torch.tensor(4)}, {"w": torch.randn(3), "n": torch.tensor(9)}
    assert torch.equal(interpolate(a, b, 0.0)["w"], a["w"]) and torch.equal(interpolate(a, b, 1.0)["w"], b["w"])
    assert torch.equal(interpolate(a, a, 0.3)["w"], a["w"]) and interpolate(a, b, 0.5)["n"].item() == 4


def test_batchnorm_statistics_are_recomputed_as_the_data_mean_and_variance():
    torch.manual_seed(0)
    model = nn.Sequential(nn.BatchNorm1d(2))
    x = torch.randn(64, 2) * torch.tensor([3.0, 0.5]) + torch.tensor([1.0, -2.0])
    recompute_batchnorm(model, x, batch_size=16)  # equal batches: the mean of batch means is the mean
    bn = model[0]
    assert torch.allclose(bn.running_mean, x.mean(0), atol=1e-6)
    batch_vars = torch.stack([x[i : i + 16].var(0) for i in range(0, 64, 16)]).mean(0)
    assert torch.allclose(bn.running_var, batch_vars, atol=1e-5) and bn.momentum == 0.1 and not bn.training


def _quick(tiny_config, epochs):
    return dataclasses.replace(tiny_config.training, max_epochs=epochs)


def test_the_start_point_at_step_k_is_the_runs_own_rewind_point(tiny_config, digits_data):
    from prunability.zoo import expand

    spec = expand(tiny_config)[0]
    training = dataclasses.replace(_quick(tiny_config, 1), rewind_step=7)
    run = train_model(spec, training, digits_data, EvalContext(torch.device("cpu"), 1024))
    model, _ = start_point(spec, digits_data, torch.device("cpu"), 7, training)
    assert run.rewind_step == 7
    assert all(torch.equal(v, run.rewind_state[k]) for k, v in model.state_dict().items())


def test_two_copies_with_one_data_order_have_no_barrier_and_two_orders_do_differ(tiny_config, digits_data):
    from prunability.zoo import expand

    spec = expand(tiny_config)[0]
    training = _quick(tiny_config, 2)
    x, y = digits_data.train_eval()
    same, statuses = instability(spec, training, digits_data, torch.device("cpu"), 5, 5, x, y, seeds=(11, 11),
                                 eval_batch_size=1024)
    assert same.height == 0.0 and len(set(same.errors)) == 1 and len(statuses) == 2
    differ, _ = instability(spec, training, digits_data, torch.device("cpu"), 5, 5, x, y, seeds=(11, 12),
                            eval_batch_size=1024)
    assert differ.height >= 0.0 and differ.errors != same.errors
