"""The tiny study's AP twin of IMP and the dynamic dead-neuron rate, end to end:
AP jobs beside their twins in every table, DNR per epoch of every training."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

TWIN, AP = "imp_weight_rewind", "imp_weight_rewind+ap"


def table(results, name, kind="tables"):
    return pd.read_parquet(results / kind / f"{name}.parquet")


@pytest.mark.parametrize("name", ["pruning", "robustness", "layer_sparsity", "pruned_measures", "samples", "dnr"])
def test_ap_jobs_and_their_twins_are_in_every_table(tiny_run, name):
    df = table(tiny_run, name)
    for schedule in (TWIN, AP):
        rows = df[df["schedule"] == schedule]
        assert set(rows["model_id"]) == set(table(tiny_run, "zoo")["model_id"]), (name, schedule)
    if "ap" in df.columns:
        assert (df["ap"] == df["schedule"].str.endswith("+ap")).all()


def test_ap_and_twin_keep_the_same_exact_counts_and_differ_in_masks(tiny_run):
    pruning = table(tiny_run, "pruning").query("split == 'test'")
    key = ["model_id", "sparsity"]
    twin = pruning[pruning["schedule"] == TWIN].set_index(key)
    ap = pruning[pruning["schedule"] == AP].set_index(key)
    assert twin.index.sort_values().equals(ap.index.sort_values())
    assert (twin["kept"] == ap.loc[twin.index, "kept"]).all()
    layers = table(tiny_run, "layer_sparsity").query("sparsity > 0")
    per_layer = layers.pivot_table(index=["model_id", "sparsity", "layer"], columns="schedule", values="kept")
    assert (per_layer[TWIN] != per_layer[AP]).any()  # AP moved weights between layers


def test_dnr_is_recorded_for_every_epoch_of_every_training(tiny_run):
    dnr = table(tiny_run, "dnr")
    history = table(tiny_run, "history")
    dense = dnr[dnr["job"] == "dense"]
    assert len(dense) == len(history) and dense["dnr_eval"].between(0, 1).all()
    assert dnr["dnr_eval"].between(0, 1).all() and dnr["dnr_train"].between(0, 1).all()
    for schedule in (TWIN, AP):
        rounds = dnr[dnr["schedule"] == schedule]
        assert sorted(rounds["round"].unique()) == [1, 2, 3, 4]
        first_epochs = rounds.groupby(["model_id", "round"])["epoch"].min()
        assert (first_epochs == 1).all()
    assert {"fine_tuned", "at_init"} <= set(dnr["schedule"])


def test_the_last_epochs_dnr_is_the_pruned_networks_dnr(tiny_run):
    """The retrained network of a round is the one the pruning table evaluates: its last
    epoch's eval-mode DNR on the train-eval subset equals the table's train-split dnr."""
    dnr = table(tiny_run, "dnr")
    last = dnr[dnr["schedule"].isin([TWIN, AP])].sort_values("epoch").groupby(
        ["model_id", "schedule", "sparsity"])["dnr_eval"].last()
    pruning = table(tiny_run, "pruning").query("split == 'train'").set_index(["model_id", "schedule", "sparsity"])
    assert pruning.loc[last.index, "dnr"].to_numpy() == pytest.approx(last.to_numpy(), abs=1e-12)


def test_paired_ap_statistics_and_figure(tiny_run):
    pairs = table(tiny_run, "ap_pairs", "stats")
    test = pairs.query("split == 'test' and sparsity > 0")
    assert sorted(test["sparsity"]) == pytest.approx([0.5, 0.75, 0.875, 0.9375])
    assert (test["n_models"] == 2).all() and (test["twin_schedule"] == TWIN).all()
    trend = table(tiny_run, "dnr_trend", "stats")
    assert {TWIN, AP} <= set(trend["schedule"])
    assert (tiny_run / "figures" / "ap_dnr.png").stat().st_size > 10_000
