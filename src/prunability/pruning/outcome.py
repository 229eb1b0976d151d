"""What one prune job produces, collected point by point: ``JobOutput``.

A schedule (pruning/schedules.py) records every pruned network it makes with
``JobOutput.add`` and every training run's history with ``add_dnr``; the prune
stage writes the result — the pruning, layer-sparsity, dnr and stability
tables (schemas in prunability.schemas) and the masks and weights files.
Nothing here reads or writes a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prunability.data.split import PreparedData
from prunability.dnr import DeadReluCounter
from prunability.evaluation import EvalContext, evaluate
from prunability.pruning.flops import flops, layer_sparsity
from prunability.pruning.masks import Masks, kept_count, pack_masks
from prunability.pruning_jobs import FINE_TUNED, PruningJob, is_ap, sparsity_key


@dataclass
class JobOutput:
    """The rows and files of one prune job. ``data`` is the model's prepared data (the
    train-eval subset and the test split give the rows), ``costs`` the dense network's
    layer costs (pruning.flops.layer_costs), ``ctx`` the evaluation context."""
    job: PruningJob
    data: PreparedData
    costs: object
    ctx: EvalContext
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

    def add(self, model, masks: Masks, sparsity: float, schedule: str, finite: bool = True,
            state: dict | None = None) -> None:
        """Record one pruned network (``model`` holds it): its rows, layer counts and masks,
        and its weights (``state``) when training changed them. A network whose weights are
        not ``finite`` gets NaN rows."""
        kept, total = kept_count(masks)
        dense_flops, kept_flops = flops(self.costs, masks)
        base = {"method": self.job.method, "schedule": schedule, "sparsity": sparsity, "kept": kept,
                "prunable": total, "kept_fraction": kept / total, "flops": dense_flops, "flops_kept": kept_flops,
                "ap": is_ap(schedule)}
        self.rows += point_rows(model, self.data, base, self.ctx, not finite)
        if schedule != FINE_TUNED:  # fine-tuning keeps the one-shot masks and their counts
            self.layers += [{"method": self.job.method, "schedule": schedule, "sparsity": sparsity, **row}
                            for row in layer_sparsity(masks)]
            self.masks[sparsity_key(sparsity)] = pack_masks(masks)
        if state is not None:
            self.weights.setdefault(schedule, {})[sparsity_key(sparsity)] = state


def point_rows(model, data: PreparedData, base: dict, ctx: EvalContext, diverged: bool) -> list[dict]:
    """The pruning-table rows of one network: ``base`` with the loss, accuracy and dead-neuron
    rate on the train-eval subset (split "train") and the test split ("test"); NaN for a
    network whose weights are not finite (its curve is recorded as missing, nothing crashes)."""
    x_train, y_train = data.train_eval()
    rows = []
    for split, (x, y) in {"train": (x_train, y_train), "test": (data.split.x_test, data.split.y_test)}.items():
        if diverged:
            rows.append({**base, "split": split, "loss": float("nan"), "accuracy": float("nan"), "dnr": float("nan")})
        else:
            with DeadReluCounter(model) as counter:  # the same pass gives the dead-neuron rate
                e = evaluate(model, x, y, ctx.batch_size)
            rows.append({**base, "split": split, "loss": e.loss, "accuracy": e.accuracy, "dnr": counter.rate_or_nan()})
    return rows
