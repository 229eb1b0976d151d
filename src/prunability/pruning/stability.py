"""Is a sparse subnetwork stable to SGD noise? The instability of an IMP round
(Frankle, Dziugaite, Roy & Carbin 2020, §5 "sparse networks"; prunability.instability):
two copies of the round's start (the rewind point with the round's masks applied,
or the survivors under learning-rate rewinding) are trained with the masks held
fixed (pruning/retrain.py: the zoo's protocol, a fresh optimizer) with two other
data orders and dropout seeds, and the error barrier is measured on the linear
path between them, BatchNorm statistics recomputed at every α. Both end points
are zero wherever the mask is, so every interpolated network has the same mask.
Frankle et al. find IMP's subnetworks matching exactly when they are stable.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Sequence

import torch

from prunability.data.split import PreparedData
from prunability.evaluation import EvalContext
from prunability.instability import COPY_SEED_OFFSETS, Barrier, error_barrier
from prunability.pruning.masks import Masks
from prunability.pruning.retrain import train_sparse
from prunability.zoo import ModelSpec


def sparse_instability(model, start_state: dict, masks: Masks, spec: ModelSpec, training, data: PreparedData,
                       points: int, x: torch.Tensor, y: torch.Tensor, seeds: Sequence[int] | None = None,
                       *, ctx: EvalContext) -> tuple[Barrier, tuple[str, ...]]:
    """The error barrier on (x, y) between two copies of ``model`` loaded with ``start_state``
    and trained with ``masks`` fixed, batch order and dropout seeded by ``seeds`` (default:
    the model's seed plus instability.COPY_SEED_OFFSETS), evaluated under ``ctx``; and the copies' statuses.
    ``model`` itself is not changed; the global RNG is restored."""
    seeds = tuple(seeds) if seeds is not None else tuple(spec.seed + o for o in COPY_SEED_OFFSETS)
    device = next(model.parameters()).device
    ends, statuses = [], []
    for seed in seeds:
        copy_ = copy.deepcopy(model)
        copy_.load_state_dict(start_state)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            result = train_sparse(copy_, masks, dataclasses.replace(spec, seed=seed), training, data, ctx)
        ends.append(result.final_state)
        statuses.append(result.status)
    barrier = error_barrier(lambda: copy.deepcopy(model), ends[0], ends[1], x, y, points, data.split.x_train,
                            ctx=ctx)
    return barrier, tuple(statuses)
