"""Training one model of the zoo to a target training cross-entropy.

Following Jiang et al. 2020 (§ "Experimental setup"), every model trains until
its training cross-entropy reaches ``target_ce`` (0.01) so that training
progress does not confound the measures; a ``max_epochs`` budget bounds the
cost. The training set lives on the device as one tensor (no DataLoader), the
batch order comes from a generator seeded by the model's seed, and the
training loss is measured once per epoch over the whole training set in eval
mode, so milestone steps are resolved to the end of an epoch.
"""

from __future__ import annotations

import copy
import math
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from prunability import io
from prunability.config import TrainingConfig
from prunability.data.split import PreparedData, as_float
from prunability.dnr import DeadReluCounter, dead_relu_rate
from prunability.evaluation import EvalContext, evaluation_of, logits_of
from prunability.models import Classifier, build_model
from prunability.optimizers import optimizer_of
from prunability.precision import Precision
from prunability.status import Status
from prunability.zoo import ModelSpec


@dataclass
class TrainResult:
    init_state: dict
    final_state: dict
    status: Status = Status.RUNNING
    epochs: int = 0
    steps: int = 0
    history: list[dict] = field(default_factory=list)  # one row per epoch
    milestones: dict[float, int | None] = field(default_factory=dict)  # target CE -> first step
    rewind_state: dict | None = None  # weights after ``rewind_step`` optimizer steps (IMP rewinds to them)
    rewind_step: int | None = None  # the step they were taken at
    scores: dict = field(default_factory=dict)  # per-example difficulty state (prunability.difficulty)

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


def new_model(spec: ModelSpec, data: PreparedData, device: torch.device) -> Classifier:
    """The model of ``spec`` at initialization (seeded, so init is reproducible)."""
    torch.manual_seed(spec.seed)
    model = build_model(spec.hparams, data.image_shape, data.num_classes, data.mean, data.std)
    return model.to(device)


def batch_order(n: int, batch_size: int, generator: torch.Generator):
    order = torch.randperm(n, generator=generator)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        if len(index) > 1:  # BatchNorm cannot train on a batch of one
            yield index


def _epoch(model, optimizer, x, y, batch_size, generator, after_step=None,
           precision: Precision = Precision(), dnr: DeadReluCounter | None = None,
           on_replay=None) -> tuple[int, bool]:
    """One pass over the data; returns (steps taken, whether the loss stayed finite).
    ``after_step`` runs after every optimizer step (fine-tuning re-applies masks there);
    ``dnr`` counts the ReLU zeros of the training forward passes (train mode).

    The loss is not read on the host during the pass (a per-step ``.item()`` or
    ``bool`` stalls the device): a non-finite loss raises a device-side flag that
    is read once, at the end. If it was raised, the epoch is replayed from its
    start (model, optimizer, batch order, dropout RNG and DNR counts restored;
    ``on_replay`` runs first, so that hooks with state can rewind it) checking
    every step, and stops before the first non-finite step as it always did."""
    start = _EpochStart(model, optimizer, generator, dnr)
    steps, finite = _pass(model, optimizer, x, y, batch_size, generator, after_step, precision, dnr, check=False)
    if finite:
        return steps, True
    start.restore()
    if on_replay is not None:
        on_replay()
    return _pass(model, optimizer, x, y, batch_size, generator, after_step, precision, dnr, check=True)


def _pass(model, optimizer, x, y, batch_size, generator, after_step, precision: Precision,
          dnr: DeadReluCounter | None, check: bool) -> tuple[int, bool]:
    """The steps of one epoch. With ``check``, stop before the first non-finite loss's
    update (a host sync per step); without, every step is taken and non-finiteness
    is accumulated on the device and read once at the end."""
    model.train()
    steps = 0
    nonfinite = torch.zeros((), dtype=torch.bool, device=x.device)
    for index in batch_order(len(x), batch_size, generator):
        with precision.autocast(x.device), (dnr if dnr is not None else nullcontext()):
            loss = F.cross_entropy(model(precision.layout(as_float(x[index]))), y[index]).float()
        if check and not torch.isfinite(loss):
            return steps, False
        nonfinite |= ~torch.isfinite(loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step()
        steps += 1
    return steps, check or not bool(nonfinite)


class _EpochStart:
    """What an epoch changes, saved at its start so that it can be replayed exactly:
    model weights and buffers, optimizer state, the batch-order generator, the
    global (dropout) RNGs and the DNR counter's records."""

    def __init__(self, model, optimizer, generator: torch.Generator, dnr: DeadReluCounter | None):
        self.model, self.optimizer, self.generator, self.dnr = model, optimizer, generator, dnr
        self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
        self.optim = copy.deepcopy(optimizer.state_dict())
        self.order = generator.get_state()
        self.rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        self.dnr_records = None if dnr is None else len(dnr.per_input)

    def restore(self) -> None:
        self.model.load_state_dict(self.weights)
        self.optimizer.load_state_dict(self.optim)
        self.generator.set_state(self.order)
        torch.set_rng_state(self.rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        if self.dnr is not None:
            del self.dnr.per_input[self.dnr_records:]


def snapshot(model: torch.nn.Module) -> dict:
    return {k: v.detach().clone().cpu() for k, v in model.state_dict().items()}


def _epoch_row(model, data: PreparedData, epoch: int, step: int, ctx: EvalContext,
               dnr_train: float = float("nan"), observe=None) -> dict:
    """The epoch's losses and accuracies (``ctx.batch_size`` images a pass), and its dynamic
    dead-neuron rates (prunability.dnr): ``dnr_eval`` on the fixed train-eval subset in eval
    mode, ``dnr_train`` the running rate of the epoch's training passes (train mode: dropout,
    batch statistics).
    ``observe(epoch, model, {"train": logits, "test": logits})`` sees the same pass."""
    s = data.split
    batch = ctx.batch_size
    logits = {"train": logits_of(model, s.x_train, batch), "test": logits_of(model, s.x_test, batch)}
    return _row_of(model, data, epoch, step, logits, dead_relu_rate(model, data.train_eval()[0], batch),
                   dnr_train, observe)


def _row_of(model, data: PreparedData, epoch: int, step: int, logits: dict, dnr_eval: float, dnr_train: float,
            observe=None) -> dict:
    """``_epoch_row`` from the epoch's eval-mode ``logits`` ({"train", "test"}) and DNRs
    (the batched trainer computes them for several models at once)."""
    s = data.split
    train, test = evaluation_of(logits["train"], s.y_train), evaluation_of(logits["test"], s.y_test)
    if observe is not None:
        observe(epoch, model, logits)
    return {"epoch": epoch, "step": step, "train_loss": train.loss, "train_acc": train.accuracy,
            "test_loss": test.loss, "test_acc": test.accuracy, "dnr_eval": dnr_eval, "dnr_train": dnr_train}


def _checkpoint(result: TrainResult, model, optimizer, generator: torch.Generator) -> dict:
    """Everything needed to continue bit for bit: weights, optimizer, both RNG states, progress."""
    return {
        "model": snapshot(model), "optimizer": optimizer.state_dict(), "generator": generator.get_state(),
        "torch_rng": torch.get_rng_state(), "init_state": result.init_state, "status": result.status.value,
        "epochs": result.epochs, "steps": result.steps, "history": result.history,
        "milestones": [[t, s] for t, s in result.milestones.items()],
        "rewind_state": result.rewind_state, "rewind_step": result.rewind_step, "scores": result.scores,
    }


def _resume(path, model, optimizer, generator: torch.Generator, device) -> TrainResult | None:
    """The TrainResult saved at ``path`` with model, optimizer and RNGs restored, or None."""
    if path is None or not Path(path).is_file():
        return None
    try:
        state = io.load_torch(path, "cpu")
    except io.CorruptFileError as error:  # only a resume point: losing it costs time, not results
        print(f"warning: {error}; training starts again from the beginning")
        return None
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return TrainResult(init_state=state["init_state"], final_state={}, status=_saved_status(state["status"]),
                       epochs=state["epochs"], steps=state["steps"], history=state["history"],
                       milestones={float(t): (None if s is None else int(s)) for t, s in state["milestones"]},
                       rewind_state=state.get("rewind_state"), rewind_step=state.get("rewind_step"),
                       scores=state.get("scores", {}))


def _saved_status(saved: str) -> Status:
    """A checkpoint's status. Checkpoints written before ``Status.RUNNING`` existed
    saved a still-training model as "max_epochs" (and a checkpoint never holds a
    model that ran out of epochs: ``fit`` decides that after its last save)."""
    status = Status(saved)
    return Status.RUNNING if status is Status.MAX_EPOCHS else status


def start_training(spec: ModelSpec, cfg: TrainingConfig, data: PreparedData, device: torch.device,
                   checkpoint_path=None):
    """(model, optimizer, batch-order generator, TrainResult) of ``spec`` at its start:
    seeded initialization, or wherever the checkpoint at ``checkpoint_path`` left off."""
    model = new_model(spec, data, device)
    optimizer = optimizer_of(spec.hparams, model.parameters())
    generator = torch.Generator().manual_seed(spec.seed)
    result = _resume(checkpoint_path, model, optimizer, generator, device) or TrainResult(
        init_state=snapshot(model), final_state={}, milestones={m: None for m in cfg.milestones})
    if cfg.rewind_step == 0 and result.rewind_state is None:
        result.rewind_state, result.rewind_step = result.init_state, 0
    return model, optimizer, generator, result


def train_model(spec: ModelSpec, cfg: TrainingConfig, data: PreparedData, ctx: EvalContext,
                checkpoint_path=None, difficulty=None) -> TrainResult:
    """Train ``spec`` to ``cfg.target_ce`` on ``ctx.device``, evaluated each epoch under ``ctx``.
    With ``checkpoint_path``, progress is saved every ``cfg.checkpoint_every`` epochs and a
    run killed in between resumes from the last save, reaching the same weights as an
    uninterrupted run (on CPU).
    The weights after ``cfg.rewind_step`` steps are kept for rewinding (the final
    ones if training stops earlier; ``result.rewind_step`` says which step).
    A ``difficulty`` recorder (prunability.difficulty) fills ``result.scores``."""
    model, optimizer, generator, result = start_training(spec, cfg, data, ctx.device, checkpoint_path)

    def save_checkpoint():
        if checkpoint_path is not None and result.epochs % cfg.checkpoint_every == 0:
            io.save_torch(_checkpoint(result, model, optimizer, generator), checkpoint_path)

    observe = None if difficulty is None else (lambda *a: difficulty.observe(result.scores, *a))
    fit(model, optimizer, generator, result, spec, cfg, data, ctx,
        after_step=_rewind_capture(model, result, cfg.rewind_step), after_epoch=save_checkpoint, observe=observe)
    if difficulty is not None:
        difficulty.finish(result.scores, model)
    result.final_state = snapshot(model)
    if result.rewind_state is None:
        result.rewind_state, result.rewind_step = result.final_state, result.steps
    return result


def _rewind_capture(model, result: TrainResult, rewind_step: int):
    """An after-step hook that snapshots the weights once ``rewind_step`` steps are done.
    Its ``restart()`` takes it back to the start of the current epoch (``result.steps``),
    dropping a snapshot taken in it, when ``_epoch`` replays an epoch whose loss diverged."""
    counter = {"step": result.steps}

    def capture():
        counter["step"] += 1
        if counter["step"] == rewind_step and result.rewind_state is None:
            result.rewind_state, result.rewind_step = snapshot(model), rewind_step

    def restart():
        counter["step"] = result.steps
        if result.rewind_step is not None and result.rewind_step > result.steps:
            result.rewind_state, result.rewind_step = None, None

    capture.restart = restart
    return capture


def fit(model, optimizer, generator, result: TrainResult, spec: ModelSpec, cfg: TrainingConfig, data: PreparedData,
        ctx: EvalContext, after_step=None, after_epoch=None, observe=None) -> TrainResult:
    """The zoo's training protocol from wherever ``result`` stands: epochs until the
    training cross-entropy reaches ``cfg.target_ce``, ``cfg.max_epochs`` pass, or
    the loss diverges. Pruning reuses it to train sparse networks (``after_step``
    re-applies their masks); ``observe`` sees each epoch's evaluation (``_epoch_row``, under ``ctx``)."""
    device = next(model.parameters()).device
    precision = cfg.precision.active(device)
    precision.prepare(model)
    if cfg.compile and hasattr(model, "net"):  # training.compile, see _compile
        _compile(model)
    x, y = data.split.x_train.to(device), data.split.y_train.to(device)
    while result.status is Status.RUNNING and result.epochs < cfg.max_epochs:
        dnr = DeadReluCounter(model)
        steps, finite = _epoch(model, optimizer, x, y, spec.hparams.batch_size, generator, after_step, precision, dnr,
                               on_replay=getattr(after_step, "restart", None))
        result.steps += steps
        result.epochs += 1
        row = _epoch_row(model, data, result.epochs, result.steps, ctx, dnr.rate_or_nan(), observe)
        _record_epoch(result, row, finite, cfg)
        if after_epoch is not None:
            after_epoch()
    stop_running(result)
    return result


def stop_running(result: TrainResult) -> None:
    """After the last epoch: a model still running has spent its ``max_epochs``."""
    if result.status is Status.RUNNING:
        result.status = Status.MAX_EPOCHS


def _compile(model: Classifier) -> None:
    """``training.compile``: the network (``model.net``) runs through torch.compile from now
    on, in training and evaluation (a graph per mode). Not the Classifier itself: the
    dead-neuron counter's hook on it stays outside the compiled region. Compiled kernels
    round differently and draw dropout masks from their own generator, so weights differ
    from an eager run (within float tolerance without dropout); the option is part of the
    train stage's config, so switching it retrains."""
    if not getattr(model.net, "_compiled_call_impl", None):
        model.net.compile()


def _record_epoch(result: TrainResult, row: dict, finite: bool, cfg: TrainingConfig) -> None:
    """Append the epoch's row; mark milestones, convergence and divergence."""
    result.history.append(row)
    if not finite or not math.isfinite(row["train_loss"]):
        result.status = Status.DIVERGED
        return
    for target, step in result.milestones.items():
        if step is None and row["train_loss"] <= target:
            result.milestones[target] = result.steps
    if row["train_loss"] <= cfg.target_ce:
        result.status = Status.CONVERGED
