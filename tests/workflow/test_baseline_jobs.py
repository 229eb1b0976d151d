"""The tiny study's baselines of IMP with weight rewinding (pruning.baselines):
IMP's masks on a fresh initialization and random masks with IMP's per-layer
counts, end to end through prune, evaluate and aggregate."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from prunability.pruning import unpack_masks

pytestmark = pytest.mark.slow

IMP = "global_magnitude.imp_weight_rewind"
SCHEDULES = ["imp_weight_rewind", "imp_weight_rewind.random_reinit", "imp_weight_rewind.layer_matched_random"]


def table(results, name):
    return pd.read_parquet(results / "tables" / f"{name}.parquet")


def test_baselines_have_imps_sparsities_and_kept_counts(tiny_run):
    test = table(tiny_run, "pruning").query("split == 'test' and method == 'global_magnitude'")
    test = test[test["schedule"].isin(SCHEDULES)]
    for model_id, rows in test.groupby("model_id"):
        kept = rows.pivot(index="sparsity", columns="schedule", values="kept")
        assert list(kept.columns.sort_values()) == sorted(SCHEDULES), model_id
        assert list(kept.index) == pytest.approx([0, 0.5, 0.75, 0.875, 0.9375])
        both = kept.dropna()  # the tiny study trains baselines from pruning.baselines.min_sparsity = 0.9 only
        assert list(both.index) == pytest.approx([0, 0.9375]), model_id
        assert (both.nunique(axis=1) == 1).all(), model_id  # the same kept count at every sparsity


def test_layer_matched_counts_equal_imps_tensor_by_tensor(tiny_run):
    layers = table(tiny_run, "layer_sparsity").query("method == 'global_magnitude'")
    layers = layers[layers["schedule"].isin(SCHEDULES)]
    per_tensor = layers.pivot_table(index=["model_id", "sparsity", "layer"], columns="schedule", values="kept")
    per_tensor = per_tensor.dropna()  # sparsities below min_sparsity have IMP's rows only
    assert len(per_tensor) > 0 and set(per_tensor.index.get_level_values("sparsity")) == {0, 0.9375}
    assert (per_tensor.nunique(axis=1) == 1).all()


def test_masks_are_imps_for_random_reinit_and_redrawn_for_layer_matched(tiny_run):
    model_id = table(tiny_run, "zoo")["model_id"].iloc[0]
    where = tiny_run / "pruning" / model_id
    load = lambda key: torch.load(where / f"{key}.masks.pt", weights_only=True)  # noqa: E731
    imp, reinit, matched = load(IMP), load(f"{IMP}.random_reinit"), load(f"{IMP}.layer_matched_random")
    assert sorted(reinit, key=float) == sorted(matched, key=float) == ["0", sorted(imp, key=float)[-1]]
    weights = torch.load(where / f"{IMP}.random_reinit.weights.pt", weights_only=True)
    for key in reinit:
        a, b, c = unpack_masks(imp[key]), unpack_masks(reinit[key]), unpack_masks(matched[key])
        assert all(torch.equal(a[n], b[n]) for n in a)
        if float(key) > 0:
            assert any(not torch.equal(a[n], c[n]) for n in a)
            state = weights["imp_weight_rewind.random_reinit"][key]
            assert all((state[f"net.{n}"][~b[n]] == 0).all() for n in b)  # pruned weights stayed zero


def test_baselines_are_evaluated_under_corruption(tiny_run):
    for name in ("robustness", "samples"):
        df = table(tiny_run, name)
        assert set(SCHEDULES) <= set(df["schedule"]), name


def test_imp_against_its_baselines_is_one_groupby(tiny_run):
    test = table(tiny_run, "pruning").query("split == 'test' and sparsity > 0.9")
    acc = test[test["schedule"].isin(SCHEDULES)].groupby("schedule")["accuracy"].mean()
    assert list(acc.sort_index().index) == sorted(SCHEDULES)
    assert acc.between(0, 1).all()
