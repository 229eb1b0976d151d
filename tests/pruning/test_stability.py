"""Instability of a sparse subnetwork (Frankle et al. 2020, §5): zero for one data order,
and the masks hold along the whole linear path."""

from __future__ import annotations

import dataclasses

import torch

from prunability.evaluation import EvalContext
from prunability.instability import interpolate
from prunability.pruning.masks import apply_masks
from prunability.pruning.stability import sparse_instability
from prunability.train import new_model


def test_a_sparse_round_with_one_data_order_is_stable_and_stays_sparse(tiny_config, digits_data):
    from prunability.zoo import expand

    spec = expand(tiny_config)[0]
    training = dataclasses.replace(tiny_config.training, max_epochs=2)
    model = new_model(spec, digits_data, torch.device("cpu"))
    masks = {name: torch.rand_like(p) > 0.7 for name, p in model.net.named_parameters() if p.dim() > 1}
    apply_masks(model.net, masks)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = digits_data.train_eval()
    same, statuses = sparse_instability(model, start, masks, spec, training, digits_data, 3, x, y, seeds=(5, 5),
                                        ctx=EvalContext(torch.device("cpu"), 1024))
    assert same.height == 0.0 and len(set(same.errors)) == 1 and len(statuses) == 2
    assert all(torch.equal(v, start[k]) for k, v in model.state_dict().items())  # the model itself is untouched

    differ, _ = sparse_instability(model, start, masks, spec, training, digits_data, 3, x, y, seeds=(5, 6),
                                   ctx=EvalContext(torch.device("cpu"), 1024))
    assert differ.height >= 0.0 and differ.errors != same.errors


def test_interpolating_two_masked_networks_keeps_the_mask():
    masks = {"w": torch.tensor([True, False, True])}
    a = {"net.w": torch.tensor([1.0, 0.0, 2.0])}
    b = {"net.w": torch.tensor([-3.0, 0.0, 5.0])}
    assert interpolate(a, b, 0.3)["net.w"][~masks["w"]].eq(0).all()
