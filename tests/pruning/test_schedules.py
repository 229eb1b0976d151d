"""The schedule registry (pruning.schedules): every job schedule has its function, and a
one-shot request returns exact rows, masks and counts without touching a file."""

from __future__ import annotations

import pytest
import torch

from prunability import config as study_config
from prunability.evaluation import EvalContext, evaluate
from prunability.pruning import unpack_masks
from prunability.pruning.masks import keep_count
from prunability.pruning.schedules import SCHEDULES, PruneRequest, StoredWeights, prune_job, schedule_name
from prunability.pruning_jobs import BASELINES, FINE_TUNED, ONE_SHOT, parse_key, pruning_jobs
from prunability.train import new_model, snapshot
from prunability.zoo import expand
from builders import prunable


def test_every_job_of_a_full_study_has_a_schedule():
    pruning = {"methods": ["global_magnitude"], "at_init": ["snip"], "sparsities": [0.0, 0.5],
               "imp": {"rewinding": ["weights", "learning_rate"], "rate": 0.5, "rounds": 2},
               "iterative": {"methods": ["snip"], "rewinding": ["weights", "learning_rate"]},
               "ap": {"enabled": True}, "baselines": {"of": ["global_magnitude.imp_weight_rewind", "global_magnitude"]}}
    config = study_config.parse({"study": "s", "dataset": {"name": "digits"}, "zoo": {"grid": {}}, "pruning": pruning})
    jobs = pruning_jobs(config.pruning)
    names = {schedule_name(job) for job in jobs}
    assert names == set(SCHEDULES.names())  # all 8: one_shot, at_init, 4 round schedules, 2 baselines
    assert len(names) == 8 and set(BASELINES) <= names
    assert schedule_name(parse_key("snip.iterative_lr_rewind+ap")) == "iterative_lr_rewind"
    assert schedule_name(parse_key("global_magnitude.imp_weight_rewind.random_reinit")) == "random_reinit"


def test_a_baseline_without_its_source_masks_says_what_to_load(tiny_config, digits_data):
    spec = expand(tiny_config)[0]
    model = new_model(spec, digits_data, torch.device("cpu"))
    state = snapshot(model)
    job = parse_key("global_magnitude.imp_weight_rewind.random_reinit")
    request = PruneRequest(job, model, spec, digits_data, tiny_config, StoredWeights(state, state, True),
                           EvalContext.of(tiny_config, "cpu"))
    with pytest.raises(ValueError, match="load that job's masks into StoredWeights.source_masks"):
        prune_job(request)


def test_one_shot_request_returns_rows_masks_and_fine_tuned_weights(trained, tiny_config, digits_data):
    spec, result = trained
    model = new_model(spec, digits_data, torch.device("cpu"))
    model.load_state_dict(result.final_state)
    model.eval()
    dense = snapshot(model)
    stored = StoredWeights(init=result.init_state, rewind=result.rewind_state, dense_finite=True)
    out = prune_job(PruneRequest(parse_key("global_magnitude"), model, spec, digits_data, tiny_config, stored,
                                 EvalContext.of(tiny_config, "cpu")))
    sparsities = tiny_config.pruning.sparsities  # 0, 0.5, 0.9, with one fine-tuning epoch each but 0
    total = sum(p.numel() for p in prunable(model.net).values())
    one_shot = [r for r in out.rows if r["schedule"] == ONE_SHOT]
    expected = [(s, split) for s in sparsities for split in ("train", "test")]
    assert [(r["sparsity"], r["split"]) for r in one_shot] == expected
    assert [r["kept"] for r in one_shot[::2]] == [keep_count(total, s) for s in sparsities]
    tuned = [r for r in out.rows if r["schedule"] == FINE_TUNED]
    assert [r["sparsity"] for r in tuned[::2]] == [s for s in sparsities if s > 0]
    assert list(out.masks) == ["0", "0.5", "0.9"] and list(out.weights) == [FINE_TUNED]
    assert list(out.weights[FINE_TUNED]) == ["0.5", "0.9"]
    masks = unpack_masks(out.masks["0.9"])
    assert sum(int(m.sum()) for m in masks.values()) == keep_count(total, 0.9)
    for name, mask in masks.items():  # the fine-tuned network keeps the one-shot zeros
        assert (out.weights[FINE_TUNED]["0.9"][f"net.{name}"][~mask] == 0).all()
    # the dense row is the dense model's: its loss equals a fresh evaluation of the trained weights
    model.load_state_dict(dense)
    x, y = digits_data.train_eval()
    assert one_shot[0]["loss"] == pytest.approx(evaluate(model, x, y, tiny_config.evaluation.batch_size).loss, rel=1e-6)
    assert {r["job"] for r in out.dnr} == {"global_magnitude"} and {r["schedule"] for r in out.dnr} == {FINE_TUNED}
