"""Evaluators on a synthetic study whose tables are written in the real format:
each estimate is checked against a value computed independently (scipy, pandas)."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats as scipy_stats

from prunability import io, schemas
from prunability.config import ConfigError, statistics_config
from prunability.findings import evaluate, parse
from prunability.layout import Layout
from prunability.stats.study import statistics_tables

STUDY = "synthetic"
AXES = ["depth", "width"]


def zoo_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for i, (depth, width, seed) in enumerate(itertools.product([2, 3, 4], [0.5, 1.0, 2.0, 4.0], [0, 1])):
        rows.append(dict(model_id=f"nin-{i:010x}", architecture="nin", depth=depth, width=width, dropout=0.0,
                         batchnorm=True, optimizer="sgd", lr=0.05, batch_size=64, weight_decay=0.0,
                         train_fraction=1.0, seed=seed, status="converged", epochs=5, steps=50, train_loss=0.01,
                         train_acc=1.0, test_loss=float(rng.uniform(0.1, 1.0))))
    zoo = pd.DataFrame(rows)
    zoo["test_acc"] = 1 - zoo["test_loss"] / 3
    zoo["generalization_gap"] = zoo["train_acc"] - zoo["test_acc"]
    return zoo


def measures_table(zoo: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    gap = zoo["generalization_gap"].to_numpy()
    values = {
        "tracks_gap": gap + rng.normal(0, 0.02, len(gap)),  # strongly concordant
        "opposes_gap": -gap + rng.normal(0, 0.02, len(gap)),
        "constant": np.ones(len(gap)),  # τ = 0 exactly, on every resample
        "grows_with_width": zoo["width"].to_numpy() * 10 + rng.normal(0, 0.5, len(gap)),
    }
    rows = [(m, name, float(v[i]), 0.1, None) for name, v in values.items() for i, m in enumerate(zoo["model_id"])]
    return pd.DataFrame(rows, columns=["model_id", "measure", "value", "seconds", "reason"])


def robustness_table(zoo: pd.DataFrame) -> pd.DataFrame:
    """Method a is 0.05 better than b under corruption and 0.005 better clean, on every model, plus noise."""
    rng = np.random.default_rng(5)
    rows = []
    for m in zoo["model_id"]:
        for method, shift in (("a", 0.05), ("b", 0.0)):
            rows.append((m, method, "one_shot", 0.5, "none", 0, 0.3, 0.9 + shift / 10))
            for c, s in itertools.product(["gaussian_noise", "contrast"], [1, 5]):
                rows.append((m, method, "one_shot", 0.5, c, s, 0.5, 0.6 + shift + rng.normal(0, 0.01)))
    frame = pd.DataFrame(rows, columns=["model_id", "method", "schedule", "sparsity", "corruption", "severity",
                                        "loss", "accuracy"])
    return zoo[["model_id", *schemas.HPARAM_NAMES]].merge(frame, on="model_id")


def pruning_table(zoo: pd.DataFrame) -> pd.DataFrame:
    """IMP's network beats its re-initialized baseline by 0.1 ± noise at sparsity 0.9375."""
    rng = np.random.default_rng(6)
    rows = []
    for m in zoo["model_id"]:
        for schedule, base in (("imp_weight_rewind", 0.8), ("imp_weight_rewind.random_reinit", 0.7)):
            for split in ("train", "test"):
                rows.append((m, "global_magnitude", schedule, 0.9375, 10, 160, 0.0625, 100, 7, split, 0.5,
                             base + rng.normal(0, 0.02), 0.5))
    for m in zoo["model_id"]:  # lamp's IMP rounds: DNR falls with sparsity, with noise smaller than the steps
        for s in (0.0, 0.5, 0.75, 0.875):
            rows.append((m, "lamp", "imp_weight_rewind", s, 10, 160, 1 - s, 100, 7, "train", 0.5, 0.9,
                         0.5 - 0.1 * s + rng.normal(0, 0.001)))
    frame = pd.DataFrame(rows, columns=["model_id", "method", "schedule", "sparsity", "kept", "prunable",
                                        "kept_fraction", "flops", "flops_kept", "split", "loss", "accuracy", "dnr"])
    return zoo[["model_id", *schemas.HPARAM_NAMES]].merge(frame, on="model_id")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    layout = Layout(STUDY, root)
    zoo = zoo_table()
    measures = zoo[["model_id", *schemas.HPARAM_NAMES]].merge(measures_table(zoo), on="model_id")
    io.write_parquet(zoo, layout.table("zoo"), schemas.ZOO)
    io.write_parquet(measures, layout.table("measures"), schemas.STUDY["measures"])
    io.write_parquet(robustness_table(zoo), layout.table("robustness"), schemas.STUDY["robustness"])
    pruning = pruning_table(zoo)
    pruning.to_parquet(layout.table("pruning"))  # only the columns the evaluator reads are needed
    # feature length falls with sparsity on every model but the first, where it rises
    pm = pd.DataFrame([(m, "global_magnitude", sched, s, "test_feature_length",
                        (1 + s if i == 0 else 5 - s) + 0.01 * i, 0.0, None)
                       for i, m in enumerate(zoo["model_id"]) for sched in ("one_shot", "fine_tuned")
                       for s in (0.0, 0.5, 0.9)],
                      columns=["model_id", "method", "schedule", "sparsity", "measure", "value", "seconds", "reason"])
    pm.to_parquet(layout.table("pruned_measures"))
    cfg = statistics_config(targets=["generalization_gap", "test_loss"], cmi_max_subset=2, sign_error_min_ess=1,
                            bootstrap_resamples=200, seed=0)
    tables = statistics_tables(zoo, measures, AXES, cfg, n_test=10_000)
    for name in ("kendall", "granulated", "cmi"):
        io.write_parquet(tables[name], layout.stats(name), schemas.STATS[name])
    return root, zoo, measures


def findings_config(claims):
    raw = {"study": STUDY, "dataset": {"name": "digits"},
           "zoo": {"seeds": [0, 1], "grid": {"depth": [2, 3, 4], "width": [0.5, 1.0, 2.0, 4.0]}},
           "findings": {"resamples": 300, "claims": claims}}
    return parse(yaml.safe_load(yaml.safe_dump(raw)))


def claim(id, evaluator, params, direction="above", threshold=0.0):
    return {"id": id, "paper": "P", "claim": "C", "evaluator": evaluator, "params": params,
            "criterion": {"direction": direction, "threshold": threshold, "text": f"criterion of {id}"}}


def test_kendall_tau_verdicts_and_scipy_agree(study):
    root, zoo, measures = study
    verdicts = evaluate(findings_config([
        claim("tracks", "kendall_tau", {"measure": "tracks_gap"}),
        claim("opposes", "kendall_tau", {"measure": "opposes_gap"}),
        claim("flat", "kendall_tau", {"measure": "constant"}),
    ]), root).set_index("claim_id")
    assert verdicts["verdict"].to_dict() == {"tracks": "reproduced", "opposes": "contradicted", "flat": "inconclusive"}
    wide = measures.pivot_table(index="model_id", columns="measure", values="value").reset_index().merge(zoo)
    for claim_id, measure in (("tracks", "tracks_gap"), ("opposes", "opposes_gap")):
        expected = scipy_stats.kendalltau(wide[measure], wide["generalization_gap"]).statistic  # no ties: τ-b = τ-a
        assert verdicts.loc[claim_id, "estimate"] == pytest.approx(expected, abs=1e-12)
    details = json.loads(verdicts.loc["tracks", "details"])
    assert (details["rank"], details["out_of"]) == (1, 4)  # highest τ of the four measures (the constant's is 0)
    assert json.loads(verdicts.loc["opposes", "details"])["rank"] == 4
    assert verdicts.loc["tracks", "criterion"] == "criterion of tracks"


def test_hyperparameter_trend_and_advantage_against_scipy(study):
    root, zoo, measures = study
    verdicts = evaluate(findings_config([
        claim("width", "hyperparameter_tau", {"hyperparameter": "width", "measure": "grows_with_width"}),
        claim("advantage", "tau_advantage", {"measure": "tracks_gap", "comparators": ["opposes_gap", "grows_with_width"],
                                             "target": "generalization_gap"}),
    ]), root).set_index("claim_id")
    wide = measures.pivot_table(index="model_id", columns="measure", values="value").reset_index().merge(zoo)
    # width has ties: Jiang's τ-a counts tied pairs in the denominator, scipy's τ-b corrects for them
    n = len(wide)
    x, y = wide["width"].to_numpy(), wide["grows_with_width"].to_numpy()
    tau_a = sum(np.sign(x[i] - x[j]) * np.sign(y[i] - y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    assert verdicts.loc["width", "estimate"] == pytest.approx(tau_a)
    assert verdicts.loc["width", "verdict"] == "reproduced"
    tau = {m: scipy_stats.kendalltau(wide[m], wide["generalization_gap"]).statistic
           for m in ("tracks_gap", "opposes_gap", "grows_with_width")}
    assert verdicts.loc["advantage", "estimate"] == pytest.approx(
        tau["tracks_gap"] - max(tau["opposes_gap"], tau["grows_with_width"]))
    assert verdicts.loc["advantage", "ci_low"] <= verdicts.loc["advantage", "estimate"] <= verdicts.loc["advantage", "ci_high"]


def test_method_contrast_equals_a_groupby_and_checks_the_clean_premise(study):
    root, zoo, _ = study
    rob = pd.read_parquet(Layout(STUDY, root).table("robustness"))
    corrupted = rob[rob["corruption"] != "none"].groupby(["method", "model_id"])["accuracy"].mean()
    expected = (corrupted["a"] - corrupted["b"]).mean()
    verdicts = evaluate(findings_config([
        claim("differ", "method_contrast", {"methods": ["a", "b"], "sparsity": 0.5}, "outside", 0.01),
        claim("strict", "method_contrast", {"methods": ["a", "b"], "sparsity": 0.5, "clean_tolerance": 0.001},
              "outside", 0.01),
    ]), root).set_index("claim_id")
    assert verdicts.loc["differ", "estimate"] == pytest.approx(expected)
    assert verdicts.loc["differ", "verdict"] == "reproduced"
    # clean accuracies differ by 0.005 > 0.001: the premise fails, whatever the interval
    assert verdicts.loc["strict", "verdict"] == "inconclusive"
    assert "premise" in verdicts.loc["strict", "reason"]


def test_a_claim_on_a_measure_the_study_lacks_names_the_fix(study):
    root, *_ = study
    with pytest.raises(ConfigError, match=r"findings claim x \(hyperparameter_tau\): .*measures.names"):
        evaluate(findings_config([claim("x", "hyperparameter_tau", {"hyperparameter": "width", "measure": "absent"})]), root)


def test_job_contrast_equals_a_paired_groupby(study):
    root, *_ = study
    p = pd.read_parquet(Layout(STUDY, root).table("pruning")).query("split == 'test'")
    acc = p.groupby(["schedule", "model_id"])["accuracy"].mean()
    expected = (acc["imp_weight_rewind"] - acc["imp_weight_rewind.random_reinit"]).mean()
    params = {"job": {"method": "global_magnitude", "schedule": "imp_weight_rewind"},
              "versus": {"method": "global_magnitude", "schedule": "imp_weight_rewind.random_reinit"}, "sparsity": 0.9375}
    verdicts = evaluate(findings_config([claim("rewind", "job_contrast", params)]), root).set_index("claim_id")
    assert verdicts.loc["rewind", "estimate"] == pytest.approx(expected) and expected == pytest.approx(0.1, abs=0.02)
    assert verdicts.loc["rewind", "verdict"] == "reproduced" and verdicts.loc["rewind", "n"] == 24
    with pytest.raises(ConfigError, match=r"its sparsities: \[0.9375\]"):
        evaluate(findings_config([claim("x", "job_contrast", {**params, "sparsity": 0.5})]), root)


def test_dnr_trend_is_minus_one_when_the_rate_falls_every_round(study):
    root, *_ = study
    verdicts = evaluate(findings_config([claim("dnr", "dnr_trend", {"method": "lamp", "schedule": "imp_weight_rewind"},
                                               "below", 0.0)]), root).set_index("claim_id")
    row = verdicts.loc["dnr"]
    assert row["estimate"] == pytest.approx(-1.0) and row["n"] == 24
    assert row["verdict"] == "reproduced"  # every resample's mean is −1: the interval is [−1, −1] < 0
    assert json.loads(row["details"])["mean DNR at sparsity 0.5"] == pytest.approx(0.45, abs=0.002)


def test_sparsity_trend_is_the_mean_of_per_model_taus(study):
    root, zoo, _ = study
    verdicts = evaluate(findings_config([claim("length", "sparsity_trend", {"method": "global_magnitude",
                                                                            "measure": "test_feature_length"}, "below")]), root)
    row = verdicts.iloc[0]
    n = len(zoo)
    assert row["n"] == n and row["estimate"] == pytest.approx((1 - (n - 1)) / n)  # one model +1, the rest −1
    assert row["verdict"] == "reproduced" and row["ci_high"] < 0
