"""The tiny study's pruning jobs beyond one-shot: SNIP at initialization and IMP
with weight rewinding, end to end through prune, evaluate and aggregate."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from prunability.pruning import unpack_masks
from prunability.pruning_jobs import sparsity_key

pytestmark = pytest.mark.slow

IMP = "global_magnitude.imp_weight_rewind"


def table(results, name):
    return pd.read_parquet(results / "tables" / f"{name}.parquet")


def test_every_schedule_is_in_the_pruning_table(tiny_run):
    pruning = table(tiny_run, "pruning")
    assert {"one_shot", "fine_tuned", "at_init", "imp_weight_rewind", "imp_weight_rewind+ap"} <= set(pruning["schedule"])
    assert set(pruning.loc[pruning["schedule"] == "at_init", "method"]) == {"snip"}


def test_imp_rounds_keep_exactly_half_of_the_remaining_weights(tiny_run):
    imp = table(tiny_run, "pruning").query("schedule == 'imp_weight_rewind' and split == 'test'")
    for model_id, rows in imp.groupby("model_id"):
        rows = rows.sort_values("sparsity")
        assert list(rows["sparsity"]) == pytest.approx([0, 0.5, 0.75, 0.875, 0.9375])
        n = int(rows["prunable"].iloc[0])
        assert list(rows["kept"]) == [round(0.5 ** r * n) for r in range(5)], model_id


def test_imp_and_at_init_keep_accuracy_where_one_shot_collapses(tiny_run):
    """The lottery-ticket finding in miniature: retrained sparse networks beat the
    one-shot pruned network at 90 % sparsity without retraining."""
    test = table(tiny_run, "pruning").query("split == 'test'")
    one_shot = test.query("schedule == 'one_shot' and method == 'global_magnitude' and sparsity == 0.9")
    at_init = test.query("schedule == 'at_init' and sparsity == 0.9")
    imp = test.query("schedule == 'imp_weight_rewind' and sparsity > 0.9")
    assert at_init["accuracy"].mean() > one_shot["accuracy"].mean() + 0.2
    assert imp["accuracy"].mean() > one_shot["accuracy"].mean() + 0.2


def test_every_pruned_network_is_evaluated_under_corruption(tiny_run):
    points = table(tiny_run, "pruning")[["model_id", "method", "schedule", "sparsity"]].drop_duplicates()
    evaluated = table(tiny_run, "robustness")[["model_id", "method", "schedule", "sparsity"]].drop_duplicates()
    key = ["model_id", "method", "schedule", "sparsity"]
    assert points.sort_values(key).reset_index(drop=True).equals(evaluated.sort_values(key).reset_index(drop=True))
    clean = table(tiny_run, "robustness").query("corruption == 'none'")
    pruning = table(tiny_run, "pruning").query("split == 'test'")
    joined = clean.merge(pruning, on=key, suffixes=("_eval", "_prune"))
    assert len(joined) == len(pruning)  # the same networks: the same clean test accuracy
    assert (joined["accuracy_eval"] - joined["accuracy_prune"]).abs().max() < 1e-6


def test_stored_weights_are_pruned_and_the_rewind_point_is_the_initialization(tiny_run):
    model_id = table(tiny_run, "zoo")["model_id"].iloc[0]
    pruning_dir = tiny_run / "pruning" / model_id
    weights = torch.load(pruning_dir / f"{IMP}.weights.pt", weights_only=True)
    masks = torch.load(pruning_dir / f"{IMP}.masks.pt", weights_only=True)
    rounds = weights["imp_weight_rewind"]
    assert sorted(map(float, rounds)) == pytest.approx([0.5, 0.75, 0.875, 0.9375])
    for key, state in rounds.items():
        for name, mask in unpack_masks(masks[key]).items():
            assert (state[f"net.{name}"][~mask] == 0).all()
    assert sparsity_key(1 - 0.5 ** 4) in rounds
    init = torch.load(tiny_run / "models" / model_id / "init.pt", weights_only=True)
    rewind = torch.load(tiny_run / "models" / model_id / "rewind.pt", weights_only=True)
    assert all(torch.equal(init[k], rewind[k]) for k in init)
