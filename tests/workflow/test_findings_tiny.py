"""One findings study at tiny size, end to end: the tiny study's run with a findings
section (a normal study config: snakemake has nothing left to do), its verdicts from
the run's tables through the command line, and the report. Values are checked
against numbers computed here from the same Parquet tables, independently."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from scipy import stats as scipy_stats

from prunability import schemas

from workflow.conftest import BIN, ROOT, run

pytestmark = pytest.mark.slow

CRITERION = "Reproduced when the whole 95 % interval of τ lies above 0 — written before the run."
CLAIMS = [
    {"id": "tiny-prunability-tau", "paper": "Kuhn et al. 2021", "claim": "prunability predicts the gap",
     "evaluator": "kendall_tau", "params": {"measure": "prunability"},
     "criterion": {"direction": "above", "threshold": 0, "text": CRITERION},
     "explanation": "two models cannot give an interval"},
    {"id": "tiny-methods-differ", "paper": "Li et al. 2022", "claim": "methods differ under corruption",
     "evaluator": "method_contrast", "params": {"methods": ["global_magnitude", "random"], "sparsity": 0.5,
                                                "clean_tolerance": 1.0},
     "criterion": {"direction": "outside", "threshold": 0.01, "text": "differ by more than a point"}},
]


@pytest.fixture(scope="module")
def findings_run(tiny_run, tmp_path_factory):
    """The findings config and a results root holding a copy of the tiny run's tables and statistics."""
    where = tmp_path_factory.mktemp("findings")
    raw = yaml.safe_load((ROOT / "config" / "studies" / "tiny.yaml").read_text())
    raw["findings"] = {"resamples": 200, "claims": CLAIMS}
    config = where / "tiny-findings.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    for sub in ("tables", "stats"):
        shutil.copytree(tiny_run / sub, where / "results" / "tiny" / sub)
    return config, where / "results", tiny_run


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "prunability", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_a_findings_config_is_a_normal_study_that_shares_the_run(findings_run):
    config, _, tiny_run = findings_run
    workdir = tiny_run.parent.parent
    if not (workdir / "Snakefile").is_file():
        pytest.skip("PRUNABILITY_TINY_RUN points at results only, without the workflow copy")
    done = run([str(BIN / "snakemake"), "-n", "--configfile", str(config)], workdir)
    assert done.returncode == 0, done.stderr[-2000:]
    # the findings section is part of the config the statistics stage records (study_config.yaml):
    # at most the statistics and the explorer page are redone, never a model, pruning or measure job
    planned = set(re.findall(r"^(?:local)?rule (\w+):", done.stdout + done.stderr, flags=re.M))
    assert planned <= {"statistics", "explorer", "all"}, planned
    listed = cli("findings-studies", "--config", str(config), cwd=workdir)
    assert listed.stdout.split() == [str(config)]


def test_verdicts_and_report_from_the_tables(findings_run):
    config, results, _ = findings_run
    done = cli("findings", "--config", str(config), "--results", str(results), "--wall-seconds", "12", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    path = results / "findings" / "tiny" / "verdicts.parquet"
    assert pq.read_schema(path).equals(schemas.FINDINGS, check_metadata=False)
    verdicts = pd.read_parquet(path).set_index("claim_id")

    # τ recomputed with scipy from zoo.parquet and measures.parquet (converged models)
    zoo = pd.read_parquet(results / "tiny" / "tables" / "zoo.parquet")
    measures = pd.read_parquet(results / "tiny" / "tables" / "measures.parquet")
    joined = zoo[zoo["status"] == "converged"].merge(measures[measures["measure"] == "prunability"], on="model_id")
    tau = verdicts.loc["tiny-prunability-tau"]
    assert tau["estimate"] == pytest.approx(scipy_stats.kendalltau(joined["value"], joined["generalization_gap"]).statistic)
    assert tau["n"] == len(joined) == 2
    # two models give no bootstrap interval: the criterion cannot decide
    assert tau["verdict"] == "inconclusive" and "no finite" in tau["reason"]
    assert json.loads(tau["details"])["out_of"] >= 10  # ranked among every measure of the study

    # the method contrast recomputed with a groupby over robustness.parquet
    rob = pd.read_parquet(results / "tiny" / "tables" / "robustness.parquet")
    rob = rob[(rob["schedule"] == "one_shot") & (rob["sparsity"] == 0.5) & (rob["corruption"] != "none")]
    per_model = rob.groupby(["method", "model_id"])["accuracy"].mean()
    contrast = verdicts.loc["tiny-methods-differ"]
    assert contrast["estimate"] == pytest.approx((per_model["global_magnitude"] - per_model["random"]).mean())
    assert contrast["n"] == 2 and contrast["verdict"] == "inconclusive"
    assert (verdicts["wall_seconds"] == 12).all()

    done = cli("findings-report", "--config", str(config), "--results", str(results), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    report = (results / "findings" / "report.md").read_text()
    assert CRITERION in report  # verbatim
    assert "| tiny | tiny-prunability-tau |" in report and "**inconclusive**" in report and "0.2 min" in report
    assert "two models cannot give an interval" in report  # the explanation written beforehand
    table = pd.read_parquet(results / "findings" / "verdicts.parquet")
    assert list(table["claim_id"]) == ["tiny-prunability-tau", "tiny-methods-differ"]
    assert json.loads((results / "findings" / "verdicts.json").read_text())[0]["verdict"] == "inconclusive"


def test_a_findings_report_before_its_run_says_what_to_run(findings_run, tmp_path):
    config, *_ = findings_run
    done = cli("findings-report", "--config", str(config), "--results", str(tmp_path), cwd=ROOT)
    assert done.returncode == 2 and "make findings FINDINGS=" in done.stderr
