"""Stability of a network to SGD noise: the error barrier between two copies
trained from one starting point with different data orders.

Frankle, Dziugaite, Roy & Carbin 2020 (ICML), "Linear Mode Connectivity and the
Lottery Ticket Hypothesis", §2:

- for networks W_1, W_2 and α ∈ [0, 1], the error of the interpolated network
  E(α) = error(α W_1 + (1 − α) W_2);
- the *error barrier height* is sup_α E(α) − ½ (E(0) + E(1));
- the *instability* of a network at step k is that barrier between two copies
  trained from its weights at step k to the end with different data orders
  (different SGD noise); the two are *linearly mode connected* when it is ≈ 0.

Here the supremum is a maximum over ``points`` evenly spaced α (Frankle et al.
use 30), so it includes both end points and is never negative. After
interpolation, every BatchNorm layer's running statistics are recomputed on
the model's training split (cumulative average over batches, all other layers
in eval mode): averaged statistics do not belong to the averaged weights
(Frankle et al.'s networks keep the interpolated statistics; recomputing is the
common repair, e.g. Jordan et al. 2023, "REPAIR"). The end points are
recomputed the same way, so all α are treated alike.

The copies are trained by the zoo's protocol (``train.fit``: until the training
cross-entropy reaches the target or ``max_epochs``) from a state that follows
the model's own trajectory for its first k steps (same initialization, batch
order, dropout draws and optimizer state), so k = 0 is the initialization.
Each copy gets its own batch-order generator and dropout seed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from prunability.data.split import PreparedData, as_float
from prunability.evaluation import EvalContext, evaluate
from prunability.optimizers import optimizer_of
from prunability.status import Status
from prunability.train import TrainResult, batch_order, fit, new_model
from prunability.zoo import ModelSpec

#: offsets of the two copies' data-order seeds from the model's seed (far from any zoo seed)
COPY_SEED_OFFSETS = (1_000_003, 2_000_006)


@dataclass(frozen=True)
class Barrier:
    alphas: tuple[float, ...]
    errors: tuple[float, ...]  # E(α) for each α; α = 0 is the first network, α = 1 the second

    @property
    def height(self) -> float:
        """max_α E(α) − ½ (E(0) + E(1)) (Frankle et al. 2020, §2)."""
        return max(self.errors) - 0.5 * (self.errors[0] + self.errors[-1])


def interpolate(state_a: dict, state_b: dict, alpha: float) -> dict:
    """(1 − α)·a + α·b for floating tensors (``torch.lerp``: exactly a at α = 0, and a
    itself wherever a = b); others (BatchNorm's batch counter) taken from ``a``."""
    return {k: torch.lerp(v, state_b[k], alpha) if v.is_floating_point() else v.clone() for k, v in state_a.items()}


BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


@torch.no_grad()
def recompute_batchnorm(model: nn.Module, x: torch.Tensor, batch_size: int) -> None:
    """Reset every BatchNorm's running mean and variance and set them to the cumulative
    average over ``x`` in batches (momentum None), other modules in eval mode. No-op
    without BatchNorm. Leaves the model in eval mode."""
    norms = [m for m in model.modules() if isinstance(m, BATCHNORMS)]
    model.eval()
    if not norms:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    device = next(model.parameters()).device
    for i in range(0, len(x), batch_size):
        batch = x[i : i + batch_size]
        if len(batch) > 1:
            model(as_float(batch.to(device)))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    model.eval()


def error_barrier(make_model: Callable[[], nn.Module], state_a: dict, state_b: dict, x: torch.Tensor, y: torch.Tensor,
                  points: int, bn_x: torch.Tensor | None = None, *, ctx: EvalContext) -> Barrier:
    """E(α) on (x, y) at ``points`` evenly spaced α from a (α = 0) to b (α = 1), evaluated
    under ``ctx``; with ``bn_x``, BatchNorm statistics are recomputed on it for every α."""
    if points < 2:
        raise ValueError(f"an error barrier needs at least 2 interpolation points, got {points}")
    alphas = torch.linspace(0.0, 1.0, points).tolist()
    model, errors = make_model(), []
    for alpha in alphas:
        model.load_state_dict(interpolate(state_a, state_b, alpha))
        if bn_x is not None:
            recompute_batchnorm(model, bn_x, ctx.batch_size)
        errors.append(1.0 - evaluate(model.eval(), x, y, ctx.batch_size).accuracy)
    return Barrier(tuple(alphas), tuple(errors))


def _advance(model, optimizer, spec: ModelSpec, data: PreparedData, steps: int, precision) -> None:
    """The first ``steps`` optimizer steps of the model's own run (its seed's batch order)."""
    device = next(model.parameters()).device
    x, y = data.split.x_train.to(device), data.split.y_train.to(device)
    generator = torch.Generator().manual_seed(spec.seed)
    done = 0
    model.train()
    while done < steps:
        for index in batch_order(len(x), spec.hparams.batch_size, generator):
            with precision.autocast(device):
                loss = nn.functional.cross_entropy(model(precision.layout(as_float(x[index]))), y[index]).float()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            done += 1
            if done == steps:
                return


def start_point(spec: ModelSpec, data: PreparedData, device: torch.device, k: int, training) -> tuple[nn.Module, dict]:
    """(model, optimizer state) after the first ``k`` steps of the model's own run."""
    model = new_model(spec, data, device)
    optimizer = optimizer_of(spec.hparams, model.parameters())
    precision = training.precision.active(device)
    precision.prepare(model)
    _advance(model, optimizer, spec, data, k, precision)
    return model, copy.deepcopy(optimizer.state_dict())


def train_copy(spec: ModelSpec, training, data: PreparedData, start: nn.Module, optimizer_state: dict, seed: int,
               ctx: EvalContext) -> tuple[dict, Status]:
    """(final weights, status) of a copy of ``start`` trained by the zoo's protocol with
    batch order and dropout seeded by ``seed``, evaluated each epoch under ``ctx``; the
    global RNG is restored afterwards."""
    model = copy.deepcopy(start)
    optimizer = optimizer_of(spec.hparams, model.parameters())
    optimizer.load_state_dict(copy.deepcopy(optimizer_state))
    result = TrainResult(init_state={}, final_state={})
    device = next(model.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        fit(model, optimizer, torch.Generator().manual_seed(seed), result, spec, training, data, ctx)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}, result.status


def instability(spec: ModelSpec, training, data: PreparedData, device: torch.device, k: int, points: int,
                x: torch.Tensor, y: torch.Tensor, seeds: Sequence[int] | None = None,
                *, eval_batch_size: int) -> tuple[Barrier, tuple[Status, Status]]:
    """The error barrier on (x, y) between two copies trained from step ``k`` of ``spec``'s
    run with data-order seeds ``seeds`` (default: the model's seed plus COPY_SEED_OFFSETS),
    and the two copies' training statuses. ``device`` and ``eval_batch_size`` make the
    evaluation context of the copies' training and of the barrier."""
    ctx = EvalContext(torch.device(device), eval_batch_size)
    seeds = tuple(seeds) if seeds is not None else tuple(spec.seed + o for o in COPY_SEED_OFFSETS)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):  # new_model seeds the global RNG
        start, optimizer_state = start_point(spec, data, device, k, training)
    (a, status_a), (b, status_b) = (train_copy(spec, training, data, start, optimizer_state, s, ctx)
                                    for s in seeds)
    barrier = error_barrier(lambda: copy.deepcopy(start), a, b, x, y, points, data.split.x_train, ctx=ctx)
    return barrier, (status_a, status_b)
