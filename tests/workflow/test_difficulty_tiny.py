"""The tiny study end to end (issue 16): per-example difficulty recorded by the train stage,
instability_k among the measures with its τ, and difficulty against pruning fragility."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from prunability.stats.difficulty import HARDER_IS_LARGER

pytestmark = pytest.mark.slow


def read(results, kind, name):
    return pd.read_parquet(results / kind / f"{name}.parquet")


def test_difficulty_table_covers_every_example_of_every_model(tiny_run):
    info = json.loads((tiny_run / "data" / "info.json").read_text())
    zoo, difficulty = read(tiny_run, "tables", "zoo"), read(tiny_run, "tables", "difficulty")
    history = read(tiny_run, "tables", "history")
    assert len(difficulty) == len(zoo) * (info["n_train"] + info["n_test"])
    for model in zoo.itertuples():
        d = difficulty[difficulty["model_id"] == model.model_id]
        train, test = d[d["split"] == "train"], d[d["split"] == "test"]
        assert sorted(train["sample"]) == list(range(info["n_train"]))  # train_fraction 1: every example
        # the scores saw the history's own evaluations: one per epoch, the last one the final model
        assert (d["epochs"] == history[history["model_id"] == model.model_id]["epoch"].max()).all()
        assert np.isclose(train["correct"].mean(), model.train_acc) and np.isclose(test["correct"].mean(), model.test_acc)
        assert (d["correct"] == (d["margin"] > 0)).all() and (d["el2n"].between(0, np.sqrt(2))).all()
        assert (d["never_learned"] == (d["first_learned_epoch"] == 0)).all() and (d["grand"] >= 0).all()
        assert (d["score_epoch"] == min(3, model.epochs)).all()


def test_instability_is_a_measure_with_its_tau(tiny_run):
    measures, kendall = read(tiny_run, "tables", "measures"), read(tiny_run, "stats", "kendall")
    k = measures[measures["measure"] == "instability_k"]
    assert len(k) == 2 and k["value"].between(0, 1).all(), k
    assert "instability_k" in set(kendall.loc[kendall["target"] == "generalization_gap", "measure"])


def test_difficulty_against_fragility_and_pies(tiny_run):
    samples, fragility = read(tiny_run, "stats", "sample_difficulty"), read(tiny_run, "stats", "fragility")
    pie, corr = read(tiny_run, "stats", "pie"), read(tiny_run, "stats", "difficulty_fragility")
    test = samples[samples["split"] == "test"]
    assert set(fragility["sample"]) <= set(test["sample"]) and (test["n_models"] == 2).all()
    assert test["consistency"].isin([0.0, 0.5, 1.0]).all()
    jobs = pie[["method", "schedule", "sparsity"]].drop_duplicates()
    assert len(corr) == len(jobs) * len(HARDER_IS_LARGER)
    assert corr["rho"].dropna().between(-1, 1).all() and corr["rho"].notna().any()
    assert corr.loc[corr["sparsity"] == 0, "rho"].isna().all()  # nothing fails unpruned: no fragility to rank
    pies = read(tiny_run, "stats", "pie_difficulty")
    counted = pie[pie["sparsity"] > 0].groupby(["method", "schedule", "sparsity"])["pie"].sum()
    el2n = pies[pies["score"] == "el2n"].set_index(["method", "schedule", "sparsity"])["n_pie"]
    assert el2n.sort_index().tolist() == counted.sort_index().tolist()


def test_instability_of_the_last_imp_round(tiny_run):
    stability, pruning = read(tiny_run, "tables", "stability"), read(tiny_run, "tables", "pruning")
    rounds = pruning[pruning["schedule"].str.startswith("imp_weight_rewind") & ~pruning["schedule"].str.contains(r"\.")]
    assert len(stability) == 2 * rounds["schedule"].nunique() == 4  # 2 models × (IMP, its AP twin), round 4 only
    assert (stability["round"] == 4).all() and np.allclose(stability["sparsity"], 0.9375)
    assert stability["instability"].between(0, 1).all() and stability["end_error"].between(0, 1).all()
    assert set(stability["ap"]) == {True, False} and stability["statuses"].str.count(r"\|").eq(1).all()
