"""prune: one model, one pruning job (a method and a schedule — see
prunability.pruning_jobs; the schedules are in prunability.pruning.schedules).

Loads the model's trained weights, its stored initialization and rewind point
(and, for a baseline, its source job's masks and networks), runs the job's
schedule (``pruning.schedules.prune_job``) and writes what it returns: the
pruning, layer-sparsity, dnr and stability tables, the masks as packed bits,
and the weights of every network that training changed (for the evaluate
stage)."""

from __future__ import annotations

import torch

from prunability import io
from prunability.config import StudyConfig
from prunability.evaluation import EvalContext
from prunability.layout import Layout
from prunability.pruning import unpack_masks
from prunability.pruning.schedules import PruneRequest, StoredWeights, prune_job
from prunability.pruning_jobs import PruningJob, parse_key
from prunability.stages.common import load_model, load_model_data, setup, train_status, write_job_table
from prunability.status import Status


def stored_weights(layout: Layout, model_id: str, job: PruningJob, device: torch.device) -> StoredWeights:
    """The model's saved states a schedule may start from; a baseline's source job's files too."""
    load = lambda path: io.load_torch(path, str(device))  # noqa: E731
    source_masks = source_weights = None
    if job.baseline:
        packed = io.load_torch(layout.masks(model_id, job.source.key), "cpu")
        source_masks = {float(k): unpack_masks(v) for k, v in packed.items()}
        source_weights = load(layout.pruned_weights(model_id, job.source.key))
    return StoredWeights(init=load(layout.init_weights(model_id)), rewind=load(layout.rewind_weights(model_id)),
                         dense_finite=train_status(layout, model_id) is not Status.DIVERGED,
                         source_masks=source_masks, source_weights=source_weights)


def run(config: StudyConfig, layout: Layout, model_id: str, job: str) -> None:
    """``job`` is the job key (``PruningJob.key``): a method name, or ``<method>.<schedule>``."""
    pruning_job = parse_key(job)
    spec, device = setup(config, model_id)
    data = load_model_data(config, layout, spec, device)
    model = load_model(spec, data, layout.final_weights(model_id), device)
    stored = stored_weights(layout, model_id, pruning_job, device)
    out = prune_job(PruneRequest(pruning_job, model, spec, data, config, stored, EvalContext.of(config, device)))
    io.save_torch(out.weights, layout.pruned_weights(model_id, job))
    io.save_torch(out.masks, layout.masks(model_id, job))
    write_job_table(out.layers, layout.layer_sparsity(model_id, job), "layer_sparsity", model_id)
    write_job_table(out.dnr, layout.dnr(model_id, job), "dnr", model_id)
    write_job_table(out.stability, layout.stability(model_id, job), "stability", model_id)
    write_job_table(out.rows, layout.pruning_curve(model_id, job), "pruning", model_id)
    print(f"{model_id}/{job}: {len(out.masks)} sparsities")
