"""The pruned networks a prune job produced, loaded one after another into a model.

A one-shot job's networks are the dense weights under each sparsity's mask;
its fine-tuned networks, and every network of an at-init or IMP job, are
stored weights (the dense model is the sparsity-0 point of those schedules).
Stages that evaluate pruned networks (corruptions, geometry) iterate here
rather than knowing how each schedule stores them.
"""

from __future__ import annotations

from typing import Iterator

from prunability import io
from prunability.layout import Layout
from prunability.pruning import apply_masks, unpack_masks
from prunability.pruning_jobs import ONE_SHOT, parse_key


def pruned_networks(model, layout: Layout, model_id: str, job_key: str) -> Iterator[tuple[str, float]]:
    """Set ``model`` (a Classifier holding the trained dense weights) to each pruned
    network of the job and yield its (schedule, sparsity); the model is left
    with the dense weights at the end."""
    job = parse_key(job_key)
    device = next(model.parameters()).device
    dense = {k: v.clone() for k, v in model.state_dict().items()}
    packed = io.load_torch(layout.masks(model_id, job_key), "cpu")
    stored = io.load_torch(layout.pruned_weights(model_id, job_key), str(device))
    for key in sorted(packed, key=float):
        if job.schedule == ONE_SHOT or float(key) == 0:
            model.load_state_dict(dense)
            apply_masks(model.net, unpack_masks(packed[key]))
            yield job.schedule, float(key)
    for schedule, states in stored.items():
        for key in sorted(states, key=float):
            model.load_state_dict(states[key])
            yield schedule, float(key)
    model.load_state_dict(dense)

