"""The pruned networks a prune job produced, loaded one after another into a model.

A one-shot job's networks are the dense weights under each sparsity's mask;
its fine-tuned networks, and every network of an at-init, round or baseline
job, are stored weights (the dense model is the sparsity-0 point of those
schedules). Stages that evaluate pruned networks (corruptions, geometry)
iterate here rather than knowing how each schedule stores them; they load the
job's masks and weights files (``Layout.masks``, ``Layout.pruned_weights``).
"""

from __future__ import annotations

from typing import Iterator

from prunability.pruning.masks import apply_masks, unpack_masks
from prunability.pruning_jobs import ONE_SHOT, PruningJob


def pruned_networks(model, job: PruningJob, masks: dict[str, dict], weights: dict[str, dict]
                    ) -> Iterator[tuple[str, float]]:
    """Set ``model`` (a Classifier holding the trained dense weights) to each pruned network
    of ``job`` and yield its (schedule, sparsity); ``masks`` is the job's masks file (sparsity
    key -> packed masks), ``weights`` its weights file (schedule -> sparsity key -> state_dict).
    The model is left with the dense weights at the end."""
    dense = {k: v.clone() for k, v in model.state_dict().items()}
    for key in sorted(masks, key=float):
        if job.schedule == ONE_SHOT or float(key) == 0:
            model.load_state_dict(dense)
            apply_masks(model.net, unpack_masks(masks[key]))
            yield job.schedule, float(key)
    for schedule, states in weights.items():
        for key in sorted(states, key=float):
            model.load_state_dict(states[key])
            yield schedule, float(key)
    model.load_state_dict(dense)
