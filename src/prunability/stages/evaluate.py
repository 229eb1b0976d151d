"""evaluate: dense and pruned models (one model, one pruning job: every schedule
and sparsity it produced — one-shot, fine-tuned, at-init, IMP rounds) on the
clean test set and on every corrupted test set (prunability.robustness_eval),
with the pruned networks' own measures on the clean set
(prunability.pruned_measures). This stage loads, calls and writes."""

from __future__ import annotations

import pandas as pd

from prunability import io, schemas
from prunability.config import StudyConfig
from prunability.evaluation import EvalContext
from prunability.layout import Layout
from prunability.pruning_jobs import parse_key
from prunability.robustness_eval import Evaluated, evaluate_model, test_sets
from prunability.stages.common import load_data, load_model, setup, write_job_table
from prunability.pruning.networks import pruned_networks


def run(config: StudyConfig, layout: Layout, model_id: str, job: str) -> None:
    """``job`` is the job key (``PruningJob.key``): a method name, or ``<method>.<schedule>``."""
    spec, device = setup(config, model_id)
    ctx = EvalContext.of(config, device)
    data = load_data(layout, device)
    model = load_model(spec, data, layout.final_weights(model_id), device)
    pruning_job = parse_key(job)
    corrupted = {name: io.load_torch(layout.corrupted(name), str(device)) for name in config.corruptions.names}
    sets = list(test_sets(data.split.x_test, corrupted, config.corruptions.severities))
    results = Evaluated()
    masks = io.load_torch(layout.masks(model_id, job), "cpu")
    weights = io.load_torch(layout.pruned_weights(model_id, job), str(device))
    for schedule, sparsity in pruned_networks(model, pruning_job, masks, weights):
        key = {"method": pruning_job.method, "schedule": schedule, "sparsity": sparsity}
        results.extend(evaluate_model(model, sets, data.split.y_test, key, ctx))
    write_job_table(results.robustness, layout.robustness(model_id, job), "robustness", model_id)
    write_samples(pd.concat(results.samples, ignore_index=True), layout.samples(model_id, job), model_id)
    write_job_table(results.measures, layout.pruned_measures(model_id, job), "pruned_measures", model_id)
    print(f"{model_id}/{job}: {len(results.robustness)} evaluations; " + ", ".join(
        f"{r['schedule']} {r['sparsity']:.4g} {r['measure']}={r['value']:.4g}" if r["reason"] is None else
        f"{r['schedule']} {r['sparsity']:.4g} {r['measure']}=missing ({r['reason']})" for r in results.measures))


def write_samples(frame: pd.DataFrame, path, model_id: str) -> None:
    frame.insert(0, "model_id", model_id)
    io.write_parquet(frame, path, schemas.JOB["samples"])
