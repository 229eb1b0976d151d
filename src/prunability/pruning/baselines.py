"""Baselines of a pruning job: its masks with a fresh initialization, and random
masks with its per-tensor kept counts.

Frankle & Carbin 2019 (ICLR, "The Lottery Ticket Hypothesis", §2) test whether a
winning ticket's initialization matters with two controls: the same sparse
network *randomly reinitialized* (mask kept, weights re-drawn from the
initialization distribution), and *random pruning* (a random mask with the
ticket's layer-wise pruning rates). Liu et al. 2019 (ICLR, "Rethinking the Value
of Network Pruning", §6) repeat the comparison and find random initialization as
good at moderate sparsity with a large learning rate. Both controls are trained
here by the zoo's protocol (pruning/retrain.py), masks re-applied after every
step, exactly as the job's own sparse networks are.

- ``random_reinit``: the job's mask at each sparsity applied to a fresh
  initialization drawn with seed ``reinit_seed`` (never the model's own seed);
  every weight, buffer and BatchNorm statistic comes from the fresh draw.
- ``layer_matched_random``: per tensor, exactly as many kept positions as the
  job's mask, drawn uniformly without replacement (so the per-layer densities
  match exactly, unlike Bernoulli masks), applied to the weights the job itself
  started that sparsity's training from (``pruning_jobs.start_point``): the
  rewind point for weight rewinding, the initialization at init, the trained
  network for one-shot, the previous round's weights for learning-rate rewinding.
  A structured (filter) job's counts are matched by an unstructured mask.

The dense point (sparsity 0) of every baseline is the zoo's own trained model,
as for the at-init and IMP schedules; it is not trained again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch

from prunability.pruning.masks import Masks
from prunability.pruning_jobs import LAYER_MATCHED_RANDOM, RANDOM_REINIT, start_point

SEED_STRIDE = 1_000_003  # a prime above any zoo seed: reinit seeds never equal a model's own


def reinit_seed(model_seed: int, baseline_seed: int) -> int:
    """The seed of a model's fresh initialization and random masks:
    ``SEED_STRIDE · baseline_seed + model_seed`` (baseline_seed ≥ 1, so it differs
    from every zoo seed below SEED_STRIDE)."""
    if baseline_seed < 1:
        raise ValueError(f"pruning.baselines.seed must be at least 1, got {baseline_seed}")
    return SEED_STRIDE * baseline_seed + model_seed


def layer_matched_random_masks(masks: Masks, generator: torch.Generator) -> Masks:
    """Random masks with exactly ``masks``' kept count in every tensor, positions drawn
    uniformly without replacement (tensors in name order, so the draw does not depend
    on the order of ``masks``)."""
    out = {}
    for name in sorted(masks):
        mask = masks[name]
        kept = torch.randperm(mask.numel(), generator=generator)[: int(mask.sum())]
        flat = torch.zeros(mask.numel(), dtype=torch.bool)
        flat[kept] = True
        out[name] = flat.reshape(mask.shape).to(mask.device)
    return {name: out[name] for name in masks}


@dataclass(frozen=True)
class StartWeights:
    """The state dicts a baseline's networks can start from (model state_dict keys)."""

    fresh: dict  # a fresh initialization (reinit_seed)
    init: dict  # the model's own initialization
    rewind: dict  # the weights of training.rewind_step
    final: dict  # the trained dense network
    rounds: dict[float, dict]  # the job's trained networks by sparsity (learning-rate rewinding's rounds)

    def of(self, where: str, sparsity: float) -> dict:
        """The state named by ``pruning_jobs.start_point`` for the network at ``sparsity``."""
        if where == "previous":  # the last trained round below this sparsity, the dense network before round 1
            below = [s for s in self.rounds if s < sparsity]
            return self.rounds[max(below)] if below else self.final
        return {"init": self.init, "rewind": self.rewind, "final": self.final}[where]


@dataclass(frozen=True)
class BaselineNetwork:
    sparsity: float
    masks: Masks
    start: dict | None  # None at sparsity 0: the zoo's trained model is the dense point


def baseline_networks(kind: str, source_schedule: str, source_masks: dict[float, Masks], starts: StartWeights,
                      generator: torch.Generator, min_sparsity: float) -> Iterator[BaselineNetwork]:
    """The networks of a ``kind`` baseline of a job with ``source_schedule`` whose masks
    are ``source_masks`` (by sparsity): each to be trained from ``start`` under ``masks``;
    the dense point and every sparsity from ``min_sparsity`` (``pruning.baselines.min_sparsity``) on."""
    if kind not in (RANDOM_REINIT, LAYER_MATCHED_RANDOM):
        raise ValueError(f"baseline kind must be {RANDOM_REINIT!r} or {LAYER_MATCHED_RANDOM!r}, got {kind!r}")
    where = start_point(source_schedule)
    if kind == LAYER_MATCHED_RANDOM and where is None:
        raise ValueError(f"no start point is known for schedule {source_schedule!r} (pruning_jobs.start_point)")
    for sparsity in sorted(source_masks):
        masks = source_masks[sparsity]
        if 0 < sparsity < min_sparsity:
            continue
        if sparsity == 0:
            yield BaselineNetwork(0.0, masks, None)
        elif kind == RANDOM_REINIT:
            yield BaselineNetwork(sparsity, masks, starts.fresh)
        else:
            yield BaselineNetwork(sparsity, layer_matched_random_masks(masks, generator), starts.of(where, sparsity))
