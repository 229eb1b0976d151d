"""Iterative magnitude pruning, rewinding and training a pruned initialization."""

import dataclasses

import pytest
import torch

from builders import imp as make_imp
from builders import prunable, study
from prunability.evaluation import EvalContext
from prunability.models import build_model
from prunability.pruning import unpack_masks
from prunability.pruning.imp import magnitude, next_masks, rewind
from prunability.pruning.iterative import iterative_rounds
from prunability.pruning.masks import keep_count
from prunability.pruning.retrain import train_sparse
from prunability.pruning.schedules import PruneRequest, StoredWeights, prune_job
from prunability.pruning_jobs import parse_key
from prunability.train import train_model


def _model(spec, data, state):
    model = build_model(spec.hparams, data.image_shape, data.num_classes, data.mean, data.std)
    model.load_state_dict(state)
    return model


@pytest.fixture(scope="module")
def short_training(tiny_config):
    return dataclasses.replace(tiny_config.training, max_epochs=1)


def test_rewind_step_zero_is_the_initialization(trained):
    _, result = trained
    assert result.rewind_step == 0
    assert all(torch.equal(result.rewind_state[k], result.init_state[k]) for k in result.init_state)


def test_rewind_state_is_the_weights_after_k_steps(trained, tiny_config, digits_data):
    """One epoch of the tiny study takes ceil(n/64) steps (no batch of one is left):
    the weights after exactly that many steps are those of a run stopped after one epoch."""
    spec, _ = trained
    steps_per_epoch = -(-len(digits_data.split.x_train) // spec.hparams.batch_size)
    cfg = dataclasses.replace(tiny_config.training, rewind_step=steps_per_epoch)
    full = train_model(spec, cfg, digits_data, EvalContext(torch.device("cpu"), 1024))
    one_epoch = train_model(spec, dataclasses.replace(tiny_config.training, max_epochs=1), digits_data,
                            EvalContext(torch.device("cpu"), 1024))
    assert full.rewind_step == steps_per_epoch == one_epoch.steps
    assert all(torch.equal(full.rewind_state[k], one_epoch.final_state[k]) for k in full.rewind_state)
    assert not torch.equal(full.rewind_state["net.0.weight"], full.final_state["net.0.weight"])


def test_imp_density_after_l_rounds_is_exactly_0_8_to_the_l(trained, digits_data):
    spec, result = trained
    model = _model(spec, digits_data, result.final_state)
    params = prunable(model.net)
    total = sum(p.numel() for p in params.values())
    masks = None
    for rounds in range(1, 8):
        sparsity = 1 - 0.8 ** rounds
        masks = next_masks(params, masks, sparsity, "global_magnitude")
        kept = sum(int(m.sum()) for m in masks.values())
        assert kept == keep_count(total, sparsity) == round(0.8 ** rounds * total)
        for name, p in params.items():  # prune the weights as a round would; the next round must nest
            p.data.mul_(masks[name])


def test_masks_are_nested_even_when_pruned_weights_would_tie(trained, digits_data):
    """Layerwise IMP on weights where survivors and pruned weights are all 0: scores of
    earlier-pruned weights are −∞, so no pruned weight comes back."""
    spec, result = trained
    model = _model(spec, digits_data, result.final_state)
    params = {n: torch.zeros_like(p) for n, p in prunable(model.net).items()}
    first = next_masks(params, None, 0.5, "layerwise_magnitude")
    second = next_masks(params, first, 0.75, "layerwise_magnitude")
    for name in params:
        assert not (second[name] & ~first[name]).any()
        assert int(second[name].sum()) == keep_count(params[name].numel(), 0.75)


def test_rewinding_restores_exactly_the_step_k_weights_for_survivors(trained, digits_data):
    spec, result = trained
    model = _model(spec, digits_data, result.final_state)
    params = prunable(model.net)
    masks = next_masks(params, None, 0.6, "global_magnitude")
    rewind(model, result.init_state, masks)
    state = model.state_dict()
    for name, mask in masks.items():
        rewound = state[f"net.{name}"]
        assert torch.equal(rewound[mask], result.init_state[f"net.{name}"][mask])
        assert (rewound[~mask] == 0).all()
    bn_stats = [k for k in state if k.endswith("running_mean")]
    assert bn_stats and all(torch.equal(state[k], result.init_state[k]) for k in bn_stats)


@pytest.mark.parametrize("mode, schedule", [("weights", "imp_weight_rewind"), ("learning_rate", "imp_lr_rewind")])
def test_imp_rounds_keep_their_zeros_and_shrink_the_network(trained, digits_data, mode, schedule):
    """The IMP job through the schedule API (pruning.schedules.prune_job): three rounds at rate 0.5, one
    epoch of retraining each; every round's network is zero exactly off its mask, and the masks nest."""
    spec, result = trained
    config = study(training={"max_epochs": 1}, pruning={
        "sparsities": [0.0, 0.5], "imp": {"rewinding": [mode], "rate": 0.5, "rounds": 3, "instability_rounds": []},
        "ap": {"enabled": False}, "baselines": {"of": []}})
    stored = StoredWeights(init=result.init_state, rewind=result.rewind_state, dense_finite=True)
    model = _model(spec, digits_data, result.final_state)
    out = prune_job(PruneRequest(parse_key(f"global_magnitude.{schedule}"), model, spec, digits_data, config, stored,
                                 EvalContext.of(config, "cpu")))
    assert list(out.masks) == ["0", "0.5", "0.75", "0.875"]  # the dense network, then rounds 1, 2, 3
    assert list(out.weights) == [schedule] and list(out.weights[schedule]) == ["0.5", "0.75", "0.875"]
    total = out.rows[0]["prunable"]
    assert [r["kept"] for r in out.rows[::2]] == [keep_count(total, s) for s in (0.0, 0.5, 0.75, 0.875)]
    previous = None
    for key, state in out.weights[schedule].items():
        masks = unpack_masks(out.masks[key])
        for name, mask in masks.items():
            assert (state[f"net.{name}"][~mask] == 0).all()
            assert (state[f"net.{name}"][mask] != 0).any()
            assert previous is None or not (mask & ~previous[name]).any()
        previous = masks
    assert sorted({(r["round"], r["epoch"]) for r in out.dnr}) == [(1, 1), (2, 1), (3, 1)]  # one epoch a round


def test_learning_rate_rewinding_starts_from_the_trained_survivors(trained, digits_data, short_training):
    spec, result = trained
    model = _model(spec, digits_data, result.final_state)
    params = prunable(model.net)
    sparsities = make_imp(rewinding=["learning_rate"], rate=0.2, rounds=1).sparsities()
    (only,) = iterative_rounds(model, params, magnitude(params), "global", sparsities, result.init_state,
                               "learning_rate", result.init_state, spec, short_training, digits_data, 0.0,
                               EvalContext(torch.device("cpu"), 1024))
    start = only.result.init_state  # the weights retraining started from
    for name, mask in only.masks.items():
        assert torch.equal(start[f"net.{name}"][mask], result.final_state[f"net.{name}"][mask])


def test_a_pruned_initialization_trains_with_its_mask_fixed(trained, digits_data, short_training):
    spec, result = trained
    model = _model(spec, digits_data, result.init_state)
    params = prunable(model.net)
    masks = next_masks(params, None, 0.5, "global_magnitude")
    run = train_sparse(model, masks, spec, short_training, digits_data, ctx=EvalContext(torch.device("cpu"), 1024))
    assert run.epochs == 1 and run.steps > 0
    for name, p in prunable(model.net).items():
        assert (p[~masks[name]] == 0).all()
        assert not torch.equal(p[masks[name]], result.init_state[f"net.{name}"][masks[name]])
