"""prune, for a baseline job (``<job key>.random_reinit`` / ``.layer_matched_random``):
the source job's masks file read back, each network built by
prunability.pruning.baselines and trained by the zoo's protocol, rows written
like any other schedule's (stages/prune.py writes them)."""

from __future__ import annotations

import dataclasses

import torch

from prunability import io
from prunability.config import StudyConfig
from prunability.layout import Layout
from prunability.pruning import unpack_masks
from prunability.pruning.baselines import StartWeights, baseline_networks, reinit_seed
from prunability.pruning.retrain import train_sparse
from prunability.stages.common import train_status
from prunability.train import new_model, snapshot


def start_weights(model, spec, data, layout: Layout, model_id: str, source, seed: int) -> StartWeights:
    """Every state a baseline may start from; ``model`` holds the trained dense weights,
    ``source`` is the PruningJob whose stored networks are the rounds."""
    device = next(model.parameters()).device
    load = lambda path: io.load_torch(path, str(device))  # noqa: E731
    fresh = snapshot(new_model(dataclasses.replace(spec, seed=seed), data, device))
    stored = load(layout.pruned_weights(model_id, source.key))
    rounds = {float(k): v for k, v in stored.get(source.schedule, {}).items()}  # not a one-shot job's fine_tuned
    return StartWeights(fresh=fresh, init=load(layout.init_weights(model_id)),
                        rewind=load(layout.rewind_weights(model_id)), final=snapshot(model), rounds=rounds)


def prune_baseline(out, model, spec, data, config: StudyConfig, layout: Layout, model_id: str, costs) -> None:
    """The baseline ``out.job`` of its source job, one trained network per sparsity of the source."""
    job, source = out.job, out.job.source
    seed = reinit_seed(spec.seed, config.pruning.baselines.seed)
    starts = start_weights(model, spec, data, layout, model_id, source, seed)
    packed = io.load_torch(layout.masks(model_id, source.key), "cpu")
    source_masks = {float(k): unpack_masks(v) for k, v in packed.items()}
    generator = torch.Generator().manual_seed(seed)
    print(f"  {job.baseline} of {source.key}: seed {seed} (model seed {spec.seed})")
    for net in baseline_networks(job.baseline, source.schedule, source_masks, starts, generator,
                                 config.pruning.baselines.min_sparsity):
        if net.start is None:  # the dense point: the zoo's model, as trained
            model.load_state_dict(starts.final)
            out.add(model, net.masks, 0.0, job.schedule, data, config, costs,
                    finite=train_status(layout, model_id) != "diverged")
            continue
        model.load_state_dict(net.start)
        result = train_sparse(model, net.masks, spec, config.training, data, config.evaluation.batch_size)
        out.add(model, net.masks, net.sparsity, job.schedule, data, config, costs, result.status != "diverged",
                result.final_state)
        print(f"  {job.schedule}, sparsity {net.sparsity:.4g}: {result.status} after {result.epochs} epochs")
