"""Activate-while-Pruning: the removal rule (pruning/ap.py) and the prune-retrain
rounds it rides on (pruning/iterative.py)."""

import dataclasses

import pytest
import torch

from builders import imp as make_imp
from builders import study
from prunability.evaluation import EvalContext
from prunability.models import build_model
from prunability.pruning import unpack_masks
from prunability.pruning.ap import ap_count, ap_prune
from prunability.pruning.imp import magnitude
from prunability.pruning.iterative import iterative_rounds, round_masks
from prunability.pruning.masks import keep_count
from prunability.pruning.methods import METHODS
from prunability.pruning.schedules import PruneRequest, StoredWeights, prune_job
from prunability.pruning_jobs import parse_key, sparsity_key
from builders import prunable


def _model(spec, data, state):
    model = build_model(spec.hparams, data.image_shape, data.num_classes, data.mean, data.std)
    model.load_state_dict(state)
    return model


@pytest.fixture(scope="module")
def short_training(tiny_config):
    return dataclasses.replace(tiny_config.training, max_epochs=1)


# --- the rule on hand-made tensors --------------------------------------------------

def _hand_made():
    """Two tensors, 10 weights. Negative after training: a0 (|Δ| 0.3), a2 (0.1), a3 (0.5),
    b1 (0.05, but already pruned), b2 (0.2); positive: a1 (Δ 0.0), b0 (0.01)."""
    trained = {"a": torch.tensor([-1.0, 2.0, -0.5, -3.0]), "b": torch.tensor([[0.5, -0.2, -0.7], [0.1, 0.2, 0.3]])}
    start = {"a": torch.tensor([-0.7, 2.0, -0.4, -2.5]), "b": torch.tensor([[0.49, -0.15, -0.5], [0.1, 0.2, 0.3]])}
    masks = {"a": torch.ones(4, dtype=torch.bool), "b": torch.tensor([[True, False, True], [True, True, True]])}
    return masks, trained, start


def test_ap_removes_the_negative_weights_that_moved_least():
    masks, trained, start = _hand_made()
    out, removed = ap_prune(masks, trained, start, 2)
    assert removed == 2
    # candidates by |Δ|: a2 0.1, b2 0.2, a0 0.3, a3 0.5 -> a2 and b2 go; the pruned b1 (0.05) cannot
    assert out["a"].tolist() == [True, True, False, True]
    assert out["b"].tolist() == [[True, False, False], [True, True, True]]
    assert masks["a"].all()  # inputs untouched


def test_ap_takes_every_candidate_when_there_are_too_few():
    masks, trained, start = _hand_made()
    out, removed = ap_prune(masks, trained, start, 10)
    assert removed == 4  # a0, a2, a3, b2
    assert out["a"].tolist() == [False, True, False, False]
    assert out["b"].tolist() == [[True, False, False], [True, True, True]]


def test_ap_count_under_ties_is_exact_and_breaks_ties_by_position():
    trained = {"w": -torch.ones(10)}
    start = {"w": torch.zeros(10)}  # every candidate moved by exactly 1
    masks = {"w": torch.ones(10, dtype=torch.bool)}
    out, removed = ap_prune(masks, trained, start, 3)
    assert removed == 3 and int(out["w"].sum()) == 7
    assert out["w"].tolist() == [False] * 3 + [True] * 7


def test_ap_count_is_round_q_n():
    assert ap_count(1000, 0.02) == 20
    assert ap_count(125, 0.02) == 2  # 2.5 rounds half to even
    assert ap_count(175, 0.02) == 4  # 3.5 -> 4
    assert ap_count(1000, 0.0) == 0


def _random_round_inputs(seed=0, n=(30, 50)):
    g = torch.Generator().manual_seed(seed)
    trained = {f"t{i}": torch.randn(k, generator=g) for i, k in enumerate(n)}
    start = {k: v + 0.1 * torch.randn(v.shape, generator=g) for k, v in trained.items()}
    return trained, start


def test_an_ap_round_keeps_exactly_the_target_count_and_removes_round_q_n_by_ap():
    trained, start = _random_round_inputs()
    scores = {n: t.abs() for n, t in trained.items()}
    total = 80
    masks, removed = round_masks(scores, None, 0.2, "global", ap_share=0.05, trained=trained, start=start)
    assert removed == ap_count(total, 0.05) == 4
    assert sum(int(m.sum()) for m in masks.values()) == keep_count(total, 0.2)
    without, _ = round_masks(scores, None, 0.2, "global", 0.0)  # no AP
    gone_by_ap = {n: without[n] & ~masks[n] for n in masks}  # kept without AP, removed with it
    assert all((trained[n][gone_by_ap[n]] < 0).all() for n in masks)
    # the base method removed 20 % − 5 %: its survivors are the top (80 − 16 + 4) magnitudes
    flat = torch.cat([scores[n] for n in scores])
    base_keep = keep_count(total, 0.2) + removed
    threshold = flat.sort(descending=True).values[base_keep - 1]
    assert all((scores[n][masks[n]] >= threshold).all() for n in masks)


def test_ap_masks_nest_and_counts_stay_exact_over_rounds_even_when_scores_tie():
    trained, start = _random_round_inputs(1)
    total, masks = 80, None
    for round_, sparsity in enumerate([0.2, 0.36, 0.488, 0.5904], start=1):
        scores = {n: torch.ones_like(t) for n, t in trained.items()}  # every score ties
        new, removed = round_masks(scores, masks, sparsity, "global", 0.05, trained, start)
        if masks is not None:
            assert all(not (new[n] & ~masks[n]).any() for n in new)  # nested
        assert sum(int(m.sum()) for m in new.values()) == keep_count(total, sparsity)
        masks = new
        trained = {n: t * masks[n] for n, t in trained.items()}


# --- rounds with retraining ------------------------------------------------------------

def _run(trained_fixture, digits_data, training, share, method="global_magnitude", rounds=2, mode="weights"):
    spec, result = trained_fixture
    model = _model(spec, digits_data, result.final_state)
    params = prunable(model.net)
    scope = METHODS.get(method).scope
    sparsities = make_imp(rate=0.3, rounds=rounds).sparsities()
    return model, list(iterative_rounds(model, params, magnitude(params), scope, sparsities, result.init_state, mode,
                                        result.init_state, spec, training, digits_data, ap_share=share,
                                        ctx=EvalContext(torch.device("cpu"), 1024)))


def test_share_zero_is_bit_for_bit_the_job_without_ap(trained, digits_data, short_training):
    """The '+ap' IMP job with pruning.ap.share 0 (pruning.schedules.prune_job) is its twin without AP:
    the same masks, networks, rows and dead-neuron histories, only the schedule and ap columns differ."""
    _, with_zero = _run(trained, digits_data, short_training, 0.0)
    assert [r.ap_removed for r in with_zero] == [0, 0]
    spec, result = trained
    config = study(training={"max_epochs": 1}, pruning={
        "sparsities": [0.0, 0.5], "imp": {"rewinding": ["weights"], "rate": 0.3, "rounds": 2, "instability_rounds": []},
        "ap": {"enabled": True, "share": 0.0}, "baselines": {"of": []}})
    stored = StoredWeights(init=result.init_state, rewind=result.rewind_state, dense_finite=True)
    ap, plain = (prune_job(PruneRequest(parse_key(key), _model(spec, digits_data, result.final_state), spec,
                                        digits_data, config, stored, EvalContext.of(config, "cpu")))
                 for key in ("global_magnitude.imp_weight_rewind+ap", "global_magnitude.imp_weight_rewind"))
    assert list(ap.masks) == list(plain.masks) == [sparsity_key(s) for s in (0.0, 1 - 0.7, 1 - 0.7 ** 2)]
    for key in plain.masks:
        a, b = unpack_masks(ap.masks[key]), unpack_masks(plain.masks[key])
        assert all(torch.equal(a[n], b[n]) for n in b)
    (ap_states,), (plain_states,) = ap.weights.values(), plain.weights.values()
    for key, state in plain_states.items():
        assert all(torch.equal(ap_states[key][k], state[k]) for k in state)
    differ = {"job", "schedule", "ap"}
    same = lambda rows: [{k: v for k, v in r.items() if k not in differ} for r in rows]  # noqa: E731
    assert same(ap.rows) == same(plain.rows) and same(ap.dnr) == same(plain.dnr)
    assert {r["schedule"] for r in ap.rows} == {"imp_weight_rewind+ap"} and all(r["ap"] for r in ap.rows)


def test_ap_rounds_change_the_masks_prune_negative_weights_and_keep_pruned_weights_at_zero(
        trained, digits_data, short_training):
    spec, result = trained
    _, plain = _run(trained, digits_data, short_training, 0.0)
    _, with_ap = _run(trained, digits_data, short_training, 0.05)
    total = sum(m.numel() for m in plain[0].masks.values())
    assert with_ap[0].ap_removed == ap_count(total, 0.05)
    assert with_ap[1].ap_removed == ap_count(keep_count(total, with_ap[0].sparsity), 0.05)
    dense = {n: result.final_state[f"net.{n}"] for n in plain[0].masks}
    gone = [dense[n][plain[0].masks[n] & ~with_ap[0].masks[n]] for n in dense]
    assert torch.cat(gone).numel() > 0 and (torch.cat(gone) < 0).all()  # AP's own removals were negative
    for r in with_ap:
        assert sum(int(m.sum()) for m in r.masks.values()) == keep_count(total, r.sparsity)
        for n, mask in r.masks.items():  # the retrained network: every pruned weight exactly zero
            assert (r.result.final_state[f"net.{n}"][~mask] == 0).all()
        assert len(r.result.history) == r.result.epochs and "dnr_eval" in r.result.history[0]


@pytest.mark.parametrize("method", ["snip", "layerwise_magnitude"])
def test_iterative_rounds_of_other_methods_nest_and_stay_sparse(trained, digits_data, short_training, tiny_config,
                                                                method):
    from prunability.pruning.study import scoring_context

    spec, result = trained
    model = _model(spec, digits_data, result.final_state)
    params = prunable(model.net)
    chosen = METHODS.get(method)

    def score(_sparsity):
        return chosen.score(scoring_context(model, tiny_config.pruning, method, digits_data))

    sparsities = make_imp(rate=0.4, rounds=2).sparsities()
    rounds = list(iterative_rounds(model, params, score, chosen.scope, sparsities, result.init_state,
                                   "learning_rate", result.init_state, spec, short_training, digits_data, 0.05,
                                   ctx=EvalContext(torch.device("cpu"), 1024)))
    first, second = rounds
    assert all(not (second.masks[n] & ~first.masks[n]).any() for n in first.masks)
    total = sum(m.numel() for m in first.masks.values())
    if chosen.scope == "global":
        assert sum(int(m.sum()) for m in second.masks.values()) == keep_count(total, second.sparsity)
    for r in rounds:
        assert r.ap_removed > 0
        for n, mask in r.masks.items():
            assert (r.result.final_state[f"net.{n}"][~mask] == 0).all()


def test_ap_twins_of_structured_methods_fail_in_the_check(tiny_config):
    from prunability.config import ConfigError
    from prunability.pruning.preflight import check_study

    pruning = dataclasses.replace(tiny_config.pruning, iterative=dataclasses.replace(
        tiny_config.pruning.iterative, methods=("l1_filter",)))
    with pytest.raises(ConfigError, match="l1_filter.iterative_weight_rewind\\+ap.*structured"):
        check_study(dataclasses.replace(tiny_config, pruning=pruning))
