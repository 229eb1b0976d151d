"""prune: one model, one pruning job (a method and a schedule — see
prunability.pruning_jobs):

- one_shot: the trained network pruned at every configured sparsity, and,
  with ``pruning.finetune_epochs``, each pruned network fine-tuned;
- at_init: the initial weights pruned at every sparsity and each sparse
  network trained by the zoo's protocol;
- imp_weight_rewind / imp_lr_rewind: iterative magnitude pruning, one point
  per round;
- iterative_weight_rewind / iterative_lr_rewind: the same rounds for any
  scoring method, re-scored per round;
- any of the four with "+ap": the same rounds with Activate-while-Pruning.

Per point: train-subset and test loss and accuracy, the FLOPs kept, the kept
count of every tensor (layer-sparsity table), the masks as packed bits, the
weights of every network that training changed (for the evaluate stage), and
the dynamic dead-neuron rate of every epoch of every training run (dnr table)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch

from prunability import io
from prunability.config import StudyConfig
from prunability.evaluation import evaluate
from prunability.layout import Layout
from prunability.pruning.finetune import finetune
from prunability.dnr import DeadReluCounter
from prunability.pruning.imp import magnitude
from prunability.pruning.iterative import iterative_rounds
from prunability.pruning.stability import sparse_instability
from prunability.pruning.retrain import train_sparse
from prunability.train import snapshot
from prunability.pruning_jobs import AT_INIT, FINE_TUNED, IMP_SCHEDULES, ONE_SHOT, PruningJob, base_schedule, \
    is_ap, parse_key, sparsity_key
from prunability.pruning import (
    METHODS, ScoringContext, apply_masks_from, flops, kept_count, layer_costs, layer_sparsity, pack_masks,
    prunable_parameters, scoring_batches,
)
from prunability.pruning.validation import check_reachable
from prunability.stages.prune_baseline import prune_baseline
from prunability.stages.common import load_model_data, load_model, setup, train_status, write_job_table



def scoring_context(model, config: StudyConfig, method_name: str, data=None) -> ScoringContext:
    """What ``method_name`` scores ``model`` with: its prunable tensors, a seeded
    generator, the pruning settings, the image shape, and — for data-dependent
    methods — ``score_batches`` × ``score_batch_size`` images of the fixed
    training subset (a seeded draw, as [0, 1] floats on the model's device)."""
    settings = config.pruning
    method = METHODS.get(method_name)
    params = prunable_parameters(model.net, settings.include_biases, settings.include_norm)
    batches = ()
    input_shape = tuple(data.image_shape) if data is not None else None
    if method.needs_data:
        if data is None:
            raise ValueError(f"pruning method {method_name!r} needs training data to score")
        x, y = data.train_eval()
        device = next(model.parameters()).device
        draw = torch.Generator().manual_seed(settings.seed)
        batches = scoring_batches(x, y, settings.score_batches, settings.score_batch_size, draw, device)
    return ScoringContext(params=params, model=model, batches=batches,
                          generator=torch.Generator().manual_seed(settings.seed), settings=settings,
                          input_shape=input_shape)


def compute_masks(model, config: StudyConfig, method_name: str, data=None,
                  sparsities=None) -> dict[float, dict[str, torch.Tensor]]:
    """Masks of ``model.net``'s prunable tensors for every configured sparsity
    (``model`` is a Classifier; ``data`` the PreparedData, needed by data-dependent
    methods and SynFlow's input shape). One scoring pass serves every sparsity
    unless the method scores per sparsity (SynFlow). Raises ConfigError first if
    the method cannot reach a sparsity on this network."""
    method = METHODS.get(method_name)
    ctx = scoring_context(model, config, method_name, data)
    sparsities = config.pruning.sparsities if sparsities is None else sparsities
    check_reachable(method, sparsities, ctx.params)
    return method.masks(ctx, sparsities)


@dataclass
class JobOutput:
    """Everything one prune job writes, collected point by point."""
    job: PruningJob
    rows: list[dict] = field(default_factory=list)  # pruning table
    layers: list[dict] = field(default_factory=list)  # layer-sparsity table
    masks: dict[str, dict] = field(default_factory=dict)  # sparsity key -> packed masks
    weights: dict[str, dict] = field(default_factory=dict)  # schedule -> sparsity key -> state dict
    dnr: list[dict] = field(default_factory=list)  # dnr table: per epoch of every training run
    stability: list[dict] = field(default_factory=list)  # stability table: chosen rounds' instability

    def add_dnr(self, history: list[dict], schedule: str, sparsity: float, round_: int = 0) -> None:
        """One dnr row per epoch of a training run's history (rows with epoch, step, dnr_eval, dnr_train)."""
        key = {"job": self.job.key, "method": self.job.method, "schedule": schedule, "ap": is_ap(schedule),
               "sparsity": sparsity, "round": round_}
        self.dnr += [{**key, "epoch": h["epoch"], "step": h["step"], "dnr_eval": h.get("dnr_eval", float("nan")),
                      "dnr_train": h.get("dnr_train", float("nan"))} for h in history]

    def add(self, model, masks, sparsity: float, schedule: str, data, config: StudyConfig, costs,
            finite: bool = True, state: dict | None = None) -> dict:
        """Record one pruned network: its rows, layer counts and masks (and its weights
        when training changed them). Returns the base row for derived schedules."""
        kept, total = kept_count(masks)
        dense_flops, kept_flops = flops(costs, masks)
        base = {"method": self.job.method, "schedule": schedule, "sparsity": sparsity, "kept": kept,
                "prunable": total, "kept_fraction": kept / total, "flops": dense_flops, "flops_kept": kept_flops,
                "ap": is_ap(schedule)}
        self.rows += _rows(model, data, base, config.evaluation.batch_size, not finite)
        if schedule != FINE_TUNED:  # fine-tuning keeps the one-shot masks and their counts
            self.layers += [{"method": self.job.method, "schedule": schedule, "sparsity": sparsity, **row}
                            for row in layer_sparsity(masks)]
            self.masks[sparsity_key(sparsity)] = pack_masks(masks)
        if state is not None:
            self.weights.setdefault(schedule, {})[sparsity_key(sparsity)] = state
        return base


def _rows(model, data, base, batch_size, diverged: bool) -> list[dict]:
    x_train, y_train = data.train_eval()
    rows = []
    for split, (x, y) in {"train": (x_train, y_train), "test": (data.split.x_test, data.split.y_test)}.items():
        if diverged:  # its weights are not finite: record the curve as missing, do not crash
            rows.append({**base, "split": split, "loss": float("nan"), "accuracy": float("nan"), "dnr": float("nan")})
        else:
            with DeadReluCounter(model) as counter:  # the same pass gives the dead-neuron rate
                e = evaluate(model, x, y, batch_size)
            rows.append({**base, "split": split, "loss": e.loss, "accuracy": e.accuracy, "dnr": counter.rate_or_nan()})
    return rows


def _one_shot(out: JobOutput, model, spec, data, config: StudyConfig, layout: Layout, model_id: str, costs) -> None:
    """The trained network pruned at every sparsity; optionally each one fine-tuned.
    Fine-tuning works on a copy: training also moves BatchNorm statistics, which
    the next sparsity's one-shot model must not inherit."""
    p = config.pruning
    dense_state = snapshot(model)
    all_masks = compute_masks(model, config, out.job.method, data)
    model.load_state_dict(dense_state)  # scoring leaves the weights alone; be certain
    dense = {n: t.detach().clone() for n, t in model.net.named_parameters()}
    diverged = train_status(layout, model_id) == "diverged"
    for sparsity, masks in all_masks.items():
        apply_masks_from(model.net, dense, masks)  # the dense weights, pruned (one-shot: nothing else changes)
        out.add(model, masks, sparsity, ONE_SHOT, data, config, costs, finite=not diverged)
        if p.finetune_epochs and sparsity > 0 and not diverged:
            tuned, history = copy.deepcopy(model), []
            finite = finetune(tuned, masks, data.split.x_train, data.split.y_train, epochs=p.finetune_epochs,
                              lr=p.finetune_lr, batch_size=spec.batch_size, seed=p.seed,
                              x_eval=data.train_eval()[0], history=history)
            out.add_dnr(history, FINE_TUNED, sparsity)
            out.add(tuned, masks, sparsity, FINE_TUNED, data, config, costs, finite, snapshot(tuned))


def _at_init(out: JobOutput, model, spec, data, config: StudyConfig, layout: Layout, model_id: str, costs) -> None:
    """The initialization pruned at every sparsity, each sparse network trained.
    Sparsity 0 is the zoo's own model (same initialization, seed and protocol)."""
    device = next(model.parameters()).device
    init_state = io.load_torch(layout.init_weights(model_id), str(device))
    final_state = snapshot(model)
    model.load_state_dict(init_state)
    all_masks = compute_masks(model, config, out.job.method, data)
    for sparsity, masks in all_masks.items():
        if sparsity == 0:
            model.load_state_dict(final_state)
            out.add(model, masks, 0.0, AT_INIT, data, config, costs,
                    finite=train_status(layout, model_id) != "diverged")
            continue
        model.load_state_dict(init_state)
        result = train_sparse(model, masks, spec, config.training, data, config.evaluation.batch_size)
        out.add(model, masks, sparsity, AT_INIT, data, config, costs, result.status != "diverged",
                result.final_state)
        out.add_dnr(result.history, AT_INIT, sparsity)
        print(f"  at init, sparsity {sparsity:g}: {result.status} after {result.epochs} epochs")


def _round_scorer(model, params, config: StudyConfig, job: PruningJob, data):
    """The scores of the job's method for the current weights (IMP: their magnitude).
    Scoring must not move the weights (data-dependent scorers run the model): they are restored."""
    if base_schedule(job.schedule) in IMP_SCHEDULES.values():
        return magnitude(params)
    method = METHODS.get(job.method)

    def score(sparsity: float):
        state = snapshot(model)
        ctx = scoring_context(model, config, job.method, data)
        scores = method.score(ctx.at(sparsity) if method.per_sparsity else ctx)
        model.load_state_dict(state)
        return {n: s.detach().clone() for n, s in scores.items()}

    return score


def _rounds(out: JobOutput, model, spec, data, config: StudyConfig, layout: Layout, model_id: str, costs) -> None:
    """Prune-retrain rounds from the trained network (IMP, or the iterative schedule of any
    method), with AP for a '+ap' job; the dense network is the first point."""
    job, p = out.job, config.pruning
    device = next(model.parameters()).device
    params = prunable_parameters(model.net, p.include_biases, p.include_norm)
    ones = {n: torch.ones_like(t, dtype=torch.bool) for n, t in params.items()}
    out.add(model, ones, 0.0, job.schedule, data, config, costs,
            finite=train_status(layout, model_id) != "diverged")
    rewind_state = io.load_torch(layout.rewind_weights(model_id), str(device))
    init_state = io.load_torch(layout.init_weights(model_id), str(device))
    share = p.ap.share if job.ap else 0.0
    scope = METHODS.get(job.method).scope
    check_reachable(METHODS.get(job.method), p.imp.sparsities(), params)
    for r in iterative_rounds(model, params, _round_scorer(model, params, config, job, data), scope,
                              p.imp.sparsities(), rewind_state, job.rewinding, init_state, spec, config.training,
                              data, share, config.evaluation.batch_size):
        out.add(model, r.masks, r.sparsity, job.schedule, data, config, costs, r.result.status != "diverged",
                r.result.final_state)
        out.add_dnr(r.result.history, job.schedule, r.sparsity, r.round)
        if r.round in p.imp.instability_rounds:
            out.stability.append(_round_stability(r, model, spec, data, config, job))
        print(f"  round {r.round} (sparsity {r.sparsity:.4g}{f', AP removed {r.ap_removed}' if job.ap else ''}): "
              f"{r.result.status} after {r.result.epochs} epochs")


def _round_stability(r, model, spec, data, config: StudyConfig, job: PruningJob) -> dict:
    """The stability-table row of one round: its sparse network's instability (pruning/stability.py)."""
    x, y = data.train_eval()
    barrier, statuses = sparse_instability(model, r.result.init_state, r.masks, spec, config.training, data,
                                           config.measures.instability_points, x, y,
                                           eval_batch_size=config.evaluation.batch_size)
    return {"job": job.key, "method": job.method, "schedule": job.schedule, "ap": is_ap(job.schedule),
            "sparsity": r.sparsity, "round": r.round, "instability": barrier.height,
            "end_error": 0.5 * (barrier.errors[0] + barrier.errors[-1]), "statuses": "|".join(statuses)}


def _pruner(job: PruningJob):
    if job.baseline:  # random_reinit / layer_matched_random of another job's masks
        return prune_baseline
    if job.schedule == ONE_SHOT:
        return _one_shot
    if job.schedule == AT_INIT:
        return _at_init
    return _rounds


def run(config: StudyConfig, layout: Layout, model_id: str, method: str) -> None:
    """``method`` is the job key: a method name, or ``<method>.<schedule>``."""
    job = parse_key(method)
    spec, device = setup(config, model_id)
    data = load_model_data(config, layout, spec, device)
    model = load_model(spec, data, layout.final_weights(model_id), device)
    out = JobOutput(job)
    _pruner(job)(out, model, spec, data, config, layout, model_id, layer_costs(model.net, data.image_shape))
    io.save_torch(out.weights, layout.pruned_weights(model_id, job.key))
    io.save_torch(out.masks, layout.masks(model_id, job.key))
    write_job_table(out.layers, layout.layer_sparsity(model_id, job.key), "layer_sparsity", model_id)
    write_job_table(out.dnr, layout.dnr(model_id, job.key), "dnr", model_id)
    write_job_table(out.stability, layout.stability(model_id, job.key), "stability", model_id)
    write_job_table(out.rows, layout.pruning_curve(model_id, job.key), "pruning", model_id)
    print(f"{model_id}/{job.key}: {len(out.masks)} sparsities")
