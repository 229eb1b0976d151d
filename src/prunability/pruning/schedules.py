"""Pruning schedules: how one prune job turns a trained model into its pruned networks.

Every schedule is a function ``PruneRequest -> JobOutput`` registered in
``SCHEDULES`` under the schedule names of prunability.pruning_jobs (``prune_job``
picks a job's):

- ``one_shot``: the trained network pruned at every ``pruning.sparsities``;
  with ``pruning.finetune_epochs``, each pruned network also fine-tuned
  (rows with schedule ``fine_tuned``);
- ``at_init``: the initialization pruned at every sparsity, each sparse
  network trained by the zoo's protocol;
- ``imp_weight_rewind`` / ``imp_lr_rewind`` / ``iterative_weight_rewind`` /
  ``iterative_lr_rewind`` (and their ``+ap`` twins): prune-retrain rounds
  (pruning/iterative.py), one point per round;
- ``random_reinit`` / ``layer_matched_random``: a baseline of another job of
  the study, trained on that job's masks (pruning/baselines.py).

A schedule reads only its request — the model (holding the trained dense
weights; the schedule may change it), the stored states the prune stage loaded
(``StoredWeights``), the data and the study's config — and returns what the
stage writes. It opens no file.

Adding a schedule: write its function here (``out = req.output()``, one
``out.add(…)`` per pruned network, ``return out``) and register it under its
name (``@SCHEDULES.register("name")``). Two declarations stay outside, since
Snakemake builds the DAG without torch: the job list in
prunability/pruning_jobs.py (the name, its key in ``parse_key``, its jobs in
``pruning_jobs``) and the settings that list its jobs — a key under
``pruning`` in src/prunability/schema.yaml with its field in
``config.PruningConfig``. The prune stage needs no change
(tests/pruning/test_schedules.py checks that every job schedule has a function).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable

import torch

from prunability.config import StudyConfig
from prunability.data.split import PreparedData
from prunability.evaluation import EvalContext
from prunability.models import Classifier
from prunability.pruning.baselines import StartWeights, baseline_networks, reinit_seed
from prunability.pruning.finetune import finetune
from prunability.pruning.flops import layer_costs
from prunability.pruning.imp import magnitude
from prunability.pruning.iterative import Round, iterative_rounds
from prunability.pruning.masks import Masks, apply_masks_from, prunable_parameters
from prunability.pruning.methods import METHODS
from prunability.pruning.outcome import JobOutput
from prunability.pruning.retrain import train_sparse
from prunability.pruning.stability import sparse_instability
from prunability.pruning.study import compute_masks, method_scorer
from prunability.pruning.validation import check_reachable
from prunability.pruning_jobs import (
    AT_INIT, BASELINES, FINE_TUNED, IMP_SCHEDULES, ITERATIVE_SCHEDULES, ONE_SHOT, PruningJob, base_schedule, is_ap,
)
from prunability.registry import Registry
from prunability.status import Status
from prunability.train import new_model, snapshot
from prunability.zoo import ModelSpec


@dataclass(frozen=True)
class StoredWeights:
    """The saved states of a model that a schedule may start from, loaded by the prune stage."""
    init: dict  # the dense run's initialization (a Classifier state_dict)
    rewind: dict  # its weights at training.rewind_step
    dense_finite: bool  # the dense training did not diverge
    source_masks: dict[float, Masks] | None = None  # a baseline's source job: its masks by sparsity
    source_weights: dict | None = None  # … and its stored networks (schedule -> sparsity key -> state_dict)


@dataclass(frozen=True)
class PruneRequest:
    """One prune job of one model: everything a schedule reads."""
    job: PruningJob
    model: Classifier  # holding the trained dense weights
    spec: ModelSpec
    data: PreparedData  # the model's prepared data (its training subset)
    config: StudyConfig
    stored: StoredWeights
    ctx: EvalContext  # how every evaluation of the job runs (built by the prune stage)

    def output(self) -> JobOutput:
        """An empty output for the job; call it before changing the model (it measures the
        dense network's layer costs)."""
        return JobOutput(self.job, self.data, layer_costs(self.model.net, self.data.image_shape), self.ctx)


Schedule = Callable[[PruneRequest], JobOutput]

SCHEDULES: Registry[Schedule] = Registry("pruning schedule")


def schedule_name(job: PruningJob) -> str:
    """The registry name of a job's schedule: its baseline kind, else its schedule without '+ap'."""
    return job.baseline or base_schedule(job.schedule)


def prune_job(request: PruneRequest) -> JobOutput:
    """Run the request's job with its schedule and return every row, mask and weight it produced."""
    return SCHEDULES.get(schedule_name(request.job))(request)


@SCHEDULES.register(ONE_SHOT)
def one_shot(req: PruneRequest) -> JobOutput:
    """The trained network pruned at every sparsity; optionally each one fine-tuned.
    Fine-tuning works on a copy: training also moves BatchNorm statistics, which
    the next sparsity's one-shot model must not inherit."""
    model, p, out = req.model, req.config.pruning, req.output()
    dense_state = snapshot(model)
    all_masks = compute_masks(model, p, req.job.method, req.data)
    model.load_state_dict(dense_state)  # scoring leaves the weights alone; be certain
    dense = {n: t.detach().clone() for n, t in model.net.named_parameters()}
    diverged = not req.stored.dense_finite
    for sparsity, masks in all_masks.items():
        apply_masks_from(model.net, dense, masks)  # the dense weights, pruned (one-shot: nothing else changes)
        out.add(model, masks, sparsity, ONE_SHOT, finite=not diverged)
        if p.finetune_epochs and sparsity > 0 and not diverged:
            tuned, history = copy.deepcopy(model), []
            finite = finetune(tuned, masks, req.data.split.x_train, req.data.split.y_train,
                              epochs=p.finetune_epochs, lr=p.finetune_lr, batch_size=req.spec.hparams.batch_size,
                              ctx=req.ctx, seed=p.seed, x_eval=req.data.train_eval()[0], history=history)
            out.add_dnr(history, FINE_TUNED, sparsity)
            out.add(tuned, masks, sparsity, FINE_TUNED, finite, snapshot(tuned))
    return out


@SCHEDULES.register(AT_INIT)
def at_init(req: PruneRequest) -> JobOutput:
    """The initialization pruned at every sparsity, each sparse network trained.
    Sparsity 0 is the zoo's own model (same initialization, seed and protocol)."""
    model, init_state, out = req.model, req.stored.init, req.output()
    final_state = snapshot(model)
    model.load_state_dict(init_state)
    all_masks = compute_masks(model, req.config.pruning, req.job.method, req.data)
    for sparsity, masks in all_masks.items():
        if sparsity == 0:
            model.load_state_dict(final_state)
            out.add(model, masks, 0.0, AT_INIT, finite=req.stored.dense_finite)
            continue
        model.load_state_dict(init_state)
        result = train_sparse(model, masks, req.spec, req.config.training, req.data, req.ctx)
        out.add(model, masks, sparsity, AT_INIT, result.status is not Status.DIVERGED, result.final_state)
        out.add_dnr(result.history, AT_INIT, sparsity)
        print(f"  at init, sparsity {sparsity:g}: {result.status} after {result.epochs} epochs")
    return out


def _round_scorer(req: PruneRequest, params: dict[str, torch.Tensor]):
    """The scores of the job's method for the current weights (IMP: their magnitude)."""
    if base_schedule(req.job.schedule) in IMP_SCHEDULES.values():
        return magnitude(params)
    return method_scorer(req.model, req.config.pruning, req.job.method, req.data)


def rounds(req: PruneRequest) -> JobOutput:
    """Prune-retrain rounds from the trained network (IMP, or the iterative schedule of any
    method), with AP for a '+ap' job; the dense network is the first point. The rounds
    listed in ``pruning.imp.instability_rounds`` also get a stability row."""
    job, model, p, out = req.job, req.model, req.config.pruning, req.output()
    params = prunable_parameters(model.net, p.include_biases, p.include_norm)
    ones = {n: torch.ones_like(t, dtype=torch.bool) for n, t in params.items()}
    out.add(model, ones, 0.0, job.schedule, finite=req.stored.dense_finite)
    share = p.ap.share if job.ap else 0.0
    method = METHODS.get(job.method)
    check_reachable(method, p.imp.sparsities(), params)
    for r in iterative_rounds(model, params, _round_scorer(req, params), method.scope, p.imp.sparsities(),
                              req.stored.rewind, job.rewinding, req.stored.init, req.spec, req.config.training,
                              req.data, share, req.ctx):
        out.add(model, r.masks, r.sparsity, job.schedule, r.result.status is not Status.DIVERGED, r.result.final_state)
        out.add_dnr(r.result.history, job.schedule, r.sparsity, r.round)
        if r.round in p.imp.instability_rounds:
            out.stability.append(round_stability(req, r))
        print(f"  round {r.round} (sparsity {r.sparsity:.4g}{f', AP removed {r.ap_removed}' if job.ap else ''}): "
              f"{r.result.status} after {r.result.epochs} epochs")
    return out


for _name in (*IMP_SCHEDULES.values(), *ITERATIVE_SCHEDULES.values()):
    SCHEDULES.register(_name)(rounds)


def round_stability(req: PruneRequest, r: Round) -> dict:
    """The stability-table row of one round: its sparse network's instability (pruning/stability.py)."""
    job = req.job
    x, y = req.data.train_eval()
    barrier, statuses = sparse_instability(req.model, r.result.init_state, r.masks, req.spec, req.config.training,
                                           req.data, req.config.measures.instability_points, x, y,
                                           ctx=req.ctx)
    return {"job": job.key, "method": job.method, "schedule": job.schedule, "ap": is_ap(job.schedule),
            "sparsity": r.sparsity, "round": r.round, "instability": barrier.height,
            "end_error": 0.5 * (barrier.errors[0] + barrier.errors[-1]), "statuses": "|".join(statuses)}


def start_weights(req: PruneRequest, seed: int) -> StartWeights:
    """Every state a baseline may start from: a fresh initialization drawn with ``seed``,
    the stored initialization and rewind point, the trained dense weights (``req.model``)
    and the source job's stored networks (not a one-shot job's fine_tuned ones)."""
    device = next(req.model.parameters()).device
    fresh = snapshot(new_model(dataclasses.replace(req.spec, seed=seed), req.data, device))
    stored = req.stored.source_weights or {}
    rounds_ = {float(k): v for k, v in stored.get(req.job.source.schedule, {}).items()}
    return StartWeights(fresh=fresh, init=req.stored.init, rewind=req.stored.rewind, final=snapshot(req.model),
                        rounds=rounds_)


def baseline(req: PruneRequest) -> JobOutput:
    """The baseline ``req.job`` of its source job, one trained network per sparsity of the
    source's masks (``req.stored.source_masks``)."""
    job, source, model = req.job, req.job.source, req.model
    if req.stored.source_masks is None:
        raise ValueError(f"pruning job {job.key!r} is a baseline of {source.key!r}: load that job's masks "
                         f"into StoredWeights.source_masks")
    seed = reinit_seed(req.spec.seed, req.config.pruning.baselines.seed)
    out = req.output()
    starts = start_weights(req, seed)
    generator = torch.Generator().manual_seed(seed)
    print(f"  {job.baseline} of {source.key}: seed {seed} (model seed {req.spec.seed})")
    for net in baseline_networks(job.baseline, source.schedule, req.stored.source_masks, starts, generator,
                                 req.config.pruning.baselines.min_sparsity):
        if net.start is None:  # the dense point: the zoo's model, as trained
            model.load_state_dict(starts.final)
            out.add(model, net.masks, 0.0, job.schedule, finite=req.stored.dense_finite)
            continue
        model.load_state_dict(net.start)
        result = train_sparse(model, net.masks, req.spec, req.config.training, req.data, req.ctx)
        out.add(model, net.masks, net.sparsity, job.schedule, result.status is not Status.DIVERGED, result.final_state)
        print(f"  {job.schedule}, sparsity {net.sparsity:.4g}: {result.status} after {result.epochs} epochs")
    return out


for _name in BASELINES:
    SCHEDULES.register(_name)(baseline)
