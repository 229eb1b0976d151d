"""Batched zoo training (prunability.train_batched): a model trained in a stack ends
where it would have ended alone (train.train_model) — same steps, statuses and
milestones, the same weights within float tolerance."""

import dataclasses

import pytest
import torch

from builders import hparams
from prunability.evaluation import EvalContext
from prunability.data.train_subset import training_subset
from prunability.train import train_model
from prunability.train_batched import group_key, groups, train_group, train_models
from prunability.zoo import ModelSpec

CPU = torch.device("cpu")
BASE = {"architecture": "nin", "depth": 1, "width": 1.0, "dropout": 0.0, "batchnorm": True,
        "optimizer": "sgd_momentum", "lr": 0.05, "batch_size": 64, "weight_decay": 0.0}
# seed, then what differs: learning rate, weight decay, dropout (two rates) and the training-set share
VARIANTS = [(0, {}), (1, {"lr": 0.1, "weight_decay": 1e-3}), (2, {"dropout": 0.3, "lr": 0.02}),
            (3, {"dropout": 0.5, "train_fraction": 0.3})]


def _zoo(digits_data, variants=VARIANTS):
    specs = [ModelSpec(f"nin-test{seed}", seed, hparams(**{**BASE, **changes})) for seed, changes in variants]
    datas = [training_subset(digits_data, s.hparams.train_fraction, 0, 0) for s in specs]
    return specs, datas


@pytest.fixture(scope="module")
def cfg(tiny_config):
    # model 1 converges after epoch 2 while the others go on to epoch 3; milestones fall in different epochs
    return dataclasses.replace(tiny_config.training, max_epochs=3, target_ce=1.7, milestones=(2.2, 2.0, 1.7),
                               rewind_step=7, checkpoint_every=1)


@pytest.fixture(scope="module")
def both(cfg, digits_data):
    specs, datas = _zoo(digits_data)
    alone = [train_model(s, cfg, d, EvalContext(CPU, 1024)) for s, d in zip(specs, datas)]
    return specs, alone, train_models(specs, cfg, datas, EvalContext(CPU, 1024))


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].double() - b[k].double()).abs().max().item() for k in a)


def test_the_variants_form_one_stack(digits_data):
    specs, _ = _zoo(digits_data)
    assert groups(specs) == [[0, 1, 2, 3]]
    other = ModelSpec("nin-x", 0, hparams(**{**BASE, "width": 2.0}))
    assert group_key(other) != group_key(specs[0]) and groups(specs + [other]) == [[0, 1, 2, 3], [4]]


def test_batched_models_end_where_they_end_alone(both):
    specs, alone, batched = both
    assert [r.status for r in alone] == ["converged", "converged", "max_epochs", "max_epochs"]
    for a, b in zip(alone, batched):
        assert (b.status, b.epochs, b.steps, b.rewind_step) == (a.status, a.epochs, a.steps, a.rewind_step)
        assert b.milestones == a.milestones
        assert _max_diff(a.init_state, b.init_state) == 0
        assert _max_diff(a.rewind_state, b.rewind_state) < 1e-5  # after 7 steps: float rounding only
        assert _max_diff(a.final_state, b.final_state) < 1e-3
        assert [r["step"] for r in b.history] == [r["step"] for r in a.history]
        for ra, rb in zip(a.history, b.history):
            assert ra.keys() == rb.keys()
            for key in ("train_loss", "test_loss", "train_acc", "test_acc", "dnr_eval", "dnr_train"):
                assert rb[key] == pytest.approx(ra[key], abs=2e-3), key
    assert sum(m is not None for m in alone[2].milestones.values()) == 2  # milestones were reached mid-run


def test_dropout_masks_are_the_lone_runs_draws(cfg, digits_data):
    """After one step, a dropout model's weights equal its lone weights to rounding; masks
    drawn from any other stream (or in another memory layout) move them by ~1e-3."""
    specs, datas = _zoo(digits_data, [(0, {}), (2, {"dropout": 0.3}), (5, {"dropout": 0.5})])
    one = dataclasses.replace(cfg, max_epochs=1, rewind_step=1)
    batched = train_models(specs, one, datas, EvalContext(CPU, 1024))
    for spec, data, b in zip(specs, datas, batched):
        a = train_model(spec, one, data, EvalContext(CPU, 1024))
        assert _max_diff(a.rewind_state, b.rewind_state) < 1e-6
        assert b.history[0]["dnr_train"] == pytest.approx(a.history[0]["dnr_train"], abs=1e-4)  # units flip at 0


def test_a_diverging_model_stops_as_alone_and_leaves_the_others_alone(cfg, digits_data):
    specs, datas = _zoo(digits_data, [(0, {"dropout": 0.3, "lr": 100.0}), (1, {})])
    long = dataclasses.replace(cfg, max_epochs=4, target_ce=1e-9, rewind_step=10_000)
    batched = train_models(specs, long, datas, EvalContext(CPU, 1024))
    alone = train_model(specs[0], long, datas[0], EvalContext(CPU, 1024))
    assert batched[0].status == alone.status == "diverged"
    assert (batched[0].steps, batched[0].epochs) == (alone.steps, alone.epochs)
    assert batched[0].steps % 20 != 0  # it diverged inside an epoch
    assert [r["step"] for r in batched[0].history] == [r["step"] for r in alone.history]
    # its partner trains on as it does beside a partner that converges (this seed at 4 epochs
    # amplifies a 1e-7 change of its init to 0.04, so "alone" is compared at an early rewind step)
    calm, calm_datas = _zoo(digits_data, [(0, {"dropout": 0.3}), (1, {})])
    beside_calm = train_models(calm, dataclasses.replace(long, rewind_step=7), calm_datas, EvalContext(CPU, 1024))[1]
    assert batched[1].status == beside_calm.status == "max_epochs" and batched[1].steps == beside_calm.steps
    assert _max_diff(beside_calm.final_state, batched[1].final_state) < 1e-5
    lone = train_model(specs[1], dataclasses.replace(long, rewind_step=7), datas[1], EvalContext(CPU, 1024))
    assert _max_diff(lone.rewind_state, beside_calm.rewind_state) < 1e-5


def test_a_killed_group_resumes_from_its_checkpoints(cfg, digits_data, tmp_path):
    """Checkpoints have train_model's format: a stack resumes from them, and so does a lone run."""
    specs, datas = _zoo(digits_data)
    paths = [tmp_path / f"{s.model_id}.pt" for s in specs]
    train_group(specs, dataclasses.replace(cfg, max_epochs=2), datas, EvalContext(CPU, 1024),
                checkpoint_paths=paths)  # "killed" at 2
    assert all(p.is_file() for p in paths)
    saved = [p.read_bytes() for p in paths]
    resumed = train_group(specs, cfg, datas, EvalContext(CPU, 1024), checkpoint_paths=paths)
    whole = train_group(specs, cfg, datas, EvalContext(CPU, 1024))
    for a, b in zip(whole, resumed):
        assert (b.status, b.epochs, b.steps, b.milestones) == (a.status, a.epochs, a.steps, a.milestones)
        assert [r["epoch"] for r in b.history] == list(range(1, b.epochs + 1))
        assert _max_diff(a.final_state, b.final_state) < 1e-5
    paths[2].write_bytes(saved[2])
    lone = train_model(specs[2], cfg, datas[2], EvalContext(CPU, 1024), checkpoint_path=paths[2])
    # (the 3e-7 by which the stack's epoch-2 weights differ grows to ~3e-4 in 20 steps: this run is
    # that sensitive alone, a 1e-7 relative change of its init moves it as much)
    assert lone.epochs == 3 and _max_diff(lone.final_state, resumed[2].final_state) < 1e-3


def test_a_group_needs_one_structure(cfg, digits_data):
    specs, datas = _zoo(digits_data, [(0, {}), (1, {"depth": 2})])
    with pytest.raises(ValueError, match="group_key"):
        train_group(specs, cfg, datas, EvalContext(CPU, 1024))


@pytest.mark.parametrize("path", ["grouped", "vmap"])
@pytest.mark.parametrize("architecture", ["nin", "mlp"])
def test_both_stacked_forwards_match_lone_runs(cfg, digits_data, monkeypatch, path, architecture):
    """The grouped forward (sequential nets) and the vmap forward (any net) give the lone
    weights; MLPs exercise grouped linear layers, BatchNorm1d and dropout on features."""
    import prunability.stacked

    if path == "vmap":
        monkeypatch.setattr(prunability.stacked, "grouped_plan", lambda template: None)
    specs, datas = _zoo(digits_data, [(0, {"architecture": architecture}),
                                      (1, {"architecture": architecture, "dropout": 0.3, "weight_decay": 1e-3}),
                                      (2, {"architecture": architecture, "lr": 0.02, "train_fraction": 0.3})])
    short = dataclasses.replace(cfg, max_epochs=1, target_ce=1e-9)
    batched = train_models(specs, short, datas, EvalContext(CPU, 1024))
    for spec, data, b in zip(specs, datas, batched):
        a = train_model(spec, short, data, EvalContext(CPU, 1024))
        assert (b.steps, b.status) == (a.steps, a.status)
        assert _max_diff(a.rewind_state, b.rewind_state) < 1e-5
        assert _max_diff(a.final_state, b.final_state) < 1e-4
        assert b.history[0]["dnr_train"] == pytest.approx(a.history[0]["dnr_train"], abs=1e-4)


def test_difficulty_scores_are_recorded_per_model_as_alone(cfg, digits_data):
    from prunability.difficulty import DifficultyRecorder

    specs, datas = _zoo(digits_data, [(0, {}), (3, {"dropout": 0.5, "train_fraction": 0.3})])

    def recorder(data):
        s = data.split
        return DifficultyRecorder(2, {"train": (s.x_train, s.y_train), "test": (s.x_test, s.y_test)})

    batched = train_models(specs, cfg, datas, EvalContext(CPU, 1024), recorders=[recorder(d) for d in datas])
    for spec, data, b in zip(specs, datas, batched):
        a = train_model(spec, cfg, data, EvalContext(CPU, 1024), difficulty=recorder(data))
        for split in ("train", "test"):
            sa, sb = a.scores[split], b.scores[split]
            assert len(sb["correct"]) == len(sa["correct"]) == a.epochs and sb["score_epoch"] == sa["score_epoch"] == 2
            assert all((ca != cb).float().mean() < 0.01 for ca, cb in zip(sa["correct"], sb["correct"]))
            assert torch.allclose(sa["el2n"], sb["el2n"], atol=1e-4)
            assert ((sa["grand"] - sb["grand"]).abs() / sa["grand"]).max() < 0.02  # gradient norms: rounding grows


def test_stacked_evaluation_gives_the_lone_evaluations_rows(cfg, digits_data, monkeypatch):
    """The stacked per-epoch evaluation (off the CPU) gives the rows of the lone one (on the
    CPU), chunked or not, and leaves training alone (BatchNorm statistics included)."""
    import prunability.train_batched

    specs, datas = _zoo(digits_data)  # training shares 1 and 0.3: two training-set lengths, one test set
    two = dataclasses.replace(cfg, max_epochs=2, target_ce=1e-9)
    lone = train_models(specs, two, datas, EvalContext(CPU, 1024))
    monkeypatch.setattr(prunability.train_batched, "stacked_evaluation", lambda device: True)
    for batch in (1024, 100):
        stacked = train_models(specs, two, datas, EvalContext(CPU, batch))
        for a, b in zip(lone, stacked):
            assert _max_diff(a.final_state, b.final_state) == 0
            assert len(b.history) == len(a.history) == 2
            for ra, rb in zip(a.history, b.history):
                for key in ("train_loss", "test_loss", "train_acc", "test_acc", "dnr_eval", "dnr_train"):
                    assert rb[key] == pytest.approx(ra[key], abs=1e-5), key


@pytest.mark.parametrize("architecture", ["nin", "mlp"])
def test_relu_hooks_count_the_zeros_the_dnr_counter_counts(digits_data, architecture):
    """The evaluation's hook counter gives DeadReluCounter's per-input rates exactly, whatever
    the memory layout of the ReLU outputs (oneDNN convolutions return channels-last ones),
    with NaN activations counted as nonzero."""
    from prunability.dnr import DeadReluCounter
    from prunability.evaluation import logits_of
    from prunability.train import new_model
    from prunability.train_batched import ReluZeroCounter

    specs, datas = _zoo(digits_data, [(0, {"architecture": architecture})])
    model = new_model(specs[0], datas[0], CPU)
    x = datas[0].split.x_train[:300]
    for poison in (False, True):
        if poison:
            with torch.no_grad():
                next(model.parameters())[0].fill_(float("nan"))
        counters = DeadReluCounter(model), ReluZeroCounter(model)
        for counter in counters:
            with counter:
                logits_of(model, x, 128)  # three passes, the last one short
        expected, got = (c.rates() for c in counters)
        assert len(got) == 300 and 0 < expected.mean() < 1
        assert torch.equal(got, expected)
