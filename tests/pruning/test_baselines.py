"""Baselines of a pruning job: random reinitialization of its masks and
layer-matched random masks (Frankle & Carbin 2019 §2; Liu et al. 2019)."""

import dataclasses

import pytest
import torch

from prunability.evaluation import EvalContext
from prunability import config as study_config
from prunability.models import build_model
from prunability.pruning.baselines import (
    SEED_STRIDE, StartWeights, baseline_networks, layer_matched_random_masks, reinit_seed,
)
from prunability.pruning.imp import next_masks
from prunability.pruning.retrain import train_sparse
from prunability.pruning_jobs import PruningJob, parse_key, pruning_jobs, start_point
from prunability.train import new_model
from builders import prunable


def _masks(shapes: dict, density: float, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {n: torch.rand(s, generator=g) < density for n, s in shapes.items()}


SHAPES = {"conv.weight": (8, 3, 3, 3), "fc.weight": (10, 32), "head.weight": (4, 10)}


def test_layer_matched_masks_keep_exactly_the_source_counts_per_tensor():
    source = _masks(SHAPES, 0.3, 0)
    drawn = layer_matched_random_masks(source, torch.Generator().manual_seed(5))
    assert list(drawn) == list(source)
    for name, mask in source.items():
        assert drawn[name].shape == mask.shape and drawn[name].dtype == torch.bool
        assert int(drawn[name].sum()) == int(mask.sum())
    assert any(not torch.equal(drawn[n], source[n]) for n in source)
    overlap = sum(int((drawn[n] & source[n]).sum()) for n in source) / sum(int(m.sum()) for m in source.values())
    assert overlap < 0.6  # independent of the source: about the density (0.3) kept in common, not all


def test_layer_matched_masks_are_seeded_and_independent_of_dict_order():
    source = _masks(SHAPES, 0.5, 1)
    a = layer_matched_random_masks(source, torch.Generator().manual_seed(3))
    b = layer_matched_random_masks(dict(reversed(list(source.items()))), torch.Generator().manual_seed(3))
    c = layer_matched_random_masks(source, torch.Generator().manual_seed(4))
    assert all(torch.equal(a[n], b[n]) for n in source)
    assert any(not torch.equal(a[n], c[n]) for n in source)


def test_empty_and_full_tensors_stay_empty_and_full():
    source = {"a": torch.zeros(5, 5, dtype=torch.bool), "b": torch.ones(7, dtype=torch.bool)}
    drawn = layer_matched_random_masks(source, torch.Generator().manual_seed(0))
    assert not drawn["a"].any() and drawn["b"].all()


def test_reinit_seed_never_equals_a_zoo_seed():
    assert reinit_seed(0, 1) == SEED_STRIDE and reinit_seed(7, 2) == 2 * SEED_STRIDE + 7
    with pytest.raises(ValueError, match="pruning.baselines.seed"):
        reinit_seed(0, 0)


@pytest.mark.parametrize("key, method, schedule", [
    ("global_magnitude.random_reinit", "global_magnitude", "one_shot.random_reinit"),
    ("global_magnitude.imp_weight_rewind.random_reinit", "global_magnitude", "imp_weight_rewind.random_reinit"),
    ("snip.at_init.layer_matched_random", "snip", "at_init.layer_matched_random"),
    ("layerwise_magnitude.imp_lr_rewind.layer_matched_random", "layerwise_magnitude",
     "imp_lr_rewind.layer_matched_random"),
])
def test_baseline_keys_round_trip(key, method, schedule):
    job = parse_key(key)
    assert job == PruningJob(method, schedule) and job.key == key
    assert job.baseline == key.rpartition(".")[2]
    assert job.source.key == key.rpartition(".")[0] and not job.source.baseline
    assert not job.is_imp  # its sparsities are its source's, read from the source's masks


@pytest.mark.parametrize("key", ["m.random_reinit.layer_matched_random", "m.one_shot.random_reinit",
                                 "m.bogus.random_reinit"])
def test_malformed_baseline_keys_fail(key):
    with pytest.raises(ValueError, match="pruning job"):
        parse_key(key)


def test_start_points_of_the_schedules():
    assert [start_point(s) for s in ("one_shot", "at_init", "imp_weight_rewind", "imp_lr_rewind")] == [
        "final", "init", "rewind", "previous"]
    assert start_point("fine_tuned") is None


def _tiny_raw(repo_root, baselines):
    import yaml
    raw = yaml.safe_load((repo_root / "config" / "studies" / "tiny.yaml").read_text())
    raw["pruning"]["baselines"] = baselines
    return raw


def test_config_adds_the_baseline_jobs_after_their_sources(repo_root):
    cfg = study_config.parse(_tiny_raw(repo_root, {"of": ["global_magnitude.imp_weight_rewind", "snip.at_init"],
                                                   "kinds": ["random_reinit"]}))
    keys = [job.key for job in pruning_jobs(cfg.pruning)]
    assert keys[-2:] == ["global_magnitude.imp_weight_rewind.random_reinit", "snip.at_init.random_reinit"]
    assert len(set(keys)) == len(keys)


def test_a_baseline_of_a_job_not_in_the_study_names_the_key(repo_root):
    with pytest.raises(study_config.ConfigError, match=r"pruning\.baselines\.of: 'snip' is not a pruning job"):
        study_config.parse(_tiny_raw(repo_root, {"of": ["snip"]}))
    with pytest.raises(study_config.ConfigError, match=r"pruning\.baselines\.kinds"):
        study_config.parse(_tiny_raw(repo_root, {"of": ["snip.at_init"], "kinds": ["shuffled"]}))


def _states(trained, digits_data, seed):
    spec, result = trained
    fresh = new_model(dataclasses.replace(spec, seed=seed), digits_data, torch.device("cpu")).state_dict()
    return StartWeights(fresh=fresh, init=result.init_state, rewind=result.rewind_state, final=result.final_state,
                        rounds={0.5: {"round": 1}, 0.75: {"round": 2}})


def test_previous_round_start_is_the_last_round_below(trained, digits_data):
    starts = _states(trained, digits_data, reinit_seed(0, 1))
    assert starts.of("previous", 0.5) is starts.final
    assert starts.of("previous", 0.75) == {"round": 1} and starts.of("previous", 0.9) == {"round": 2}
    assert starts.of("rewind", 0.9) is starts.rewind and starts.of("init", 0.9) is starts.init


def _source_masks(trained, digits_data):
    spec, result = trained
    model = build_model(spec.hparams, digits_data.image_shape, digits_data.num_classes, digits_data.mean,
                        digits_data.std)
    model.load_state_dict(result.final_state)
    params = prunable(model.net)
    ones = {n: torch.ones_like(p, dtype=torch.bool) for n, p in params.items()}
    return {0.0: ones, 0.8: next_masks(params, None, 0.8, "global_magnitude")}


def test_random_reinit_keeps_the_mask_trains_a_fresh_init_and_pruned_weights_stay_zero(trained, digits_data,
                                                                                        tiny_config):
    spec, result = trained
    seed = reinit_seed(spec.seed, 1)
    starts = _states(trained, digits_data, seed)
    source = _source_masks(trained, digits_data)
    nets = list(baseline_networks("random_reinit", "imp_weight_rewind", source, starts,
                                  torch.Generator().manual_seed(seed), min_sparsity=0.0))
    assert [n.sparsity for n in nets] == [0.0, 0.8] and nets[0].start is None
    net = nets[1]
    assert net.start is starts.fresh
    assert all(torch.equal(net.masks[n], source[0.8][n]) for n in source[0.8])
    weight = "net." + next(iter(source[0.8]))
    assert not torch.equal(starts.fresh[weight], result.init_state[weight])
    assert not torch.equal(starts.fresh[weight], result.rewind_state[weight])
    model = new_model(spec, digits_data, torch.device("cpu"))
    model.load_state_dict(net.start)
    short = dataclasses.replace(tiny_config.training, max_epochs=1)
    trained_sparse = train_sparse(model, net.masks, spec, short, digits_data,
                                  ctx=EvalContext(torch.device("cpu"), 1024))
    assert trained_sparse.steps > 0
    for name, mask in net.masks.items():
        w = trained_sparse.final_state[f"net.{name}"]
        assert (w[~mask] == 0).all()
        assert (w[mask] != 0).float().mean() > 0.99  # the survivors trained, not zeroed


def test_min_sparsity_keeps_the_dense_point_and_the_high_sparsities(trained, digits_data):
    starts = _states(trained, digits_data, reinit_seed(0, 1))
    source = {s: m for s, m in zip((0.0, 0.5, 0.75), [_masks(SHAPES, d, 0) for d in (1.0, 0.5, 0.25)])}
    nets = baseline_networks("layer_matched_random", "imp_lr_rewind", source, starts,
                             torch.Generator().manual_seed(0), min_sparsity=0.6)
    assert [(n.sparsity, n.start) for n in nets] == [(0.0, None), (0.75, {"round": 1})]


def test_layer_matched_random_starts_from_the_rewind_point(trained, digits_data):
    spec, _ = trained
    seed = reinit_seed(spec.seed, 1)
    starts = _states(trained, digits_data, seed)
    source = _source_masks(trained, digits_data)
    first = list(baseline_networks("layer_matched_random", "imp_weight_rewind", source, starts,
                                   torch.Generator().manual_seed(seed), min_sparsity=0.0))
    again = list(baseline_networks("layer_matched_random", "imp_weight_rewind", source, starts,
                                   torch.Generator().manual_seed(seed), min_sparsity=0.0))
    net = first[1]
    assert net.start is starts.rewind
    assert all(int(net.masks[n].sum()) == int(source[0.8][n].sum()) for n in source[0.8])
    assert any(not torch.equal(net.masks[n], source[0.8][n]) for n in source[0.8])
    assert all(torch.equal(net.masks[n], again[1].masks[n]) for n in net.masks)
    assert first[0].start is None and all(m.all() for m in first[0].masks.values())
