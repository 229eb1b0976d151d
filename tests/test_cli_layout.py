"""The per-job command-line flag and the per-job paths: a pruning job is named by its key
(``--job``, the ``{job}`` wildcard), and the key names the job's files exactly as before the
rename from ``method`` (so the results of earlier runs stay where the workflow looks)."""

from pathlib import Path

import pytest

from prunability.cli import STAGES, parser
from prunability.layout import Layout
from prunability.pruning_jobs import parse_key


@pytest.mark.parametrize("stage", ["prune", "evaluate"])
def test_job_flag_carries_the_job_key(stage):
    args = parser().parse_args([stage, "--model-id", "nin-0123456789", "--job", "snip.at_init"])
    assert (args.model_id, args.job) == ("nin-0123456789", "snip.at_init")
    assert parse_key(args.job).method == "snip"  # the registry name is the job's method
    assert STAGES[stage][1] == ["model_id", "job"]


def test_method_flag_is_gone(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["prune", "--model-id", "nin-0123456789", "--method", "snip"])
    assert "--job" in capsys.readouterr().err  # the usage line names the flag to use


def test_job_paths_are_unchanged():
    layout, model, job = Layout("tiny"), "nin-0123456789", "global_magnitude.imp_weight_rewind+ap"
    base = Path("results/tiny")
    assert [
        layout.pruning_curve(model, job), layout.pruned_weights(model, job), layout.masks(model, job),
        layout.dnr(model, job), layout.stability(model, job), layout.layer_sparsity(model, job),
        layout.robustness(model, job), layout.samples(model, job), layout.pruned_measures(model, job),
    ] == [
        base / "pruning" / model / f"{job}.parquet", base / "pruning" / model / f"{job}.weights.pt",
        base / "pruning" / model / f"{job}.masks.pt", base / "pruning" / model / f"{job}.dnr.parquet",
        base / "pruning" / model / f"{job}.stability.parquet", base / "pruning" / model / f"{job}.layers.parquet",
        base / "robustness" / model / f"{job}.parquet", base / "samples" / model / f"{job}.parquet",
        base / "pruned_measures" / model / f"{job}.parquet",
    ]
