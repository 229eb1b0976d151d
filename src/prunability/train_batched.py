"""Training a group of zoo models together, each ending where it would end alone.

Models whose hyperparameters differ only in ``BATCHABLE_AXES`` (learning rate,
weight decay, dropout rate, training-set share) and seed share a structure
and a batch size, so they train as one stacked network
(:class:`prunability.stacked.StackedNetworks`). Each keeps everything that
makes it itself, as :func:`prunability.train.train_model` defines it:

- its initialization (``new_model``: seeded by its seed) and its batch order
  (a generator seeded by its seed, drawn by ``train.batch_order``);
- its dropout masks, from its own copy of the global RNG state as it stands
  after its initialization (on CPU: the very draws it would make alone);
- its learning rate and weight decay, and its own SGD momentum state;
- its own epochs: every global step, each running model takes the next batch
  of its own epoch; a model whose epoch ends is evaluated (the history row
  of ``train._epoch_row``, dynamic dead-neuron rates included: on a CPU by
  the model alone, elsewhere stacked with the models whose epochs end with
  it, see ``stacked_evaluation``), its
  milestones and status recorded by ``train._record_epoch``, its checkpoint
  written in ``train_model``'s format, and it stops at the target
  cross-entropy or ``max_epochs`` while the others go on;
- its rewind snapshot after ``training.rewind_step`` steps.

A step's models are grouped by batch length (the last batch of an epoch is
short, and a batch-norm batch cannot be padded), one stacked step per length.

Divergence is detected without a host synchronisation per step: each step
raises a device-side flag per model where the loss is not finite, read once
at the model's epoch end. A model whose flag is up leaves the stack and is
trained alone by ``train_model`` from its last checkpoint (or from the start
without one), which stops before its first non-finite step exactly as a lone
run does; the stacked steps taken past that point are discarded.

Equivalence is up to float rounding: the stacked layers are batched matrix
products (``prunability.grouped``), not oneDNN's convolutions, and the update
is computed on the stacked tensors, so weights agree with a lone run within
float tolerance, not bit for bit, and a run that trains for many epochs
accumulates those differences (training to a target cross-entropy amplifies
them: a model may stop an epoch earlier or later than alone; README,
``bench/batched_training.py``). On CUDA, dropout
masks come from a per-model CUDA generator seeded by the model's seed (a lone
run uses the fused dropout kernel, whose draws cannot be reproduced).
Channels-last layout (``training.channels_last``) is not applied to stacks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import torch

from prunability import io
from prunability.config import TrainingConfig
from prunability.data.split import PreparedData, as_float
from prunability.dnr import DeadReluCounter
from prunability.evaluation import EvalContext, logits_of
from prunability.stacked import StackedNetworks
from prunability.status import Status
from prunability.train import (TrainResult, batch_order, _checkpoint, _compile, _record_epoch, _row_of,
                               snapshot, start_training, stop_running, train_model)
from prunability.zoo import ModelSpec

BATCHABLE_AXES = frozenset({"lr", "weight_decay", "dropout", "train_fraction"})
MOMENTUM = {"sgd": 0.0, "sgd_momentum": 0.9}  # the optimizers a stack implements (prunability.optimizers)


def stacked_evaluation(device: torch.device) -> bool:
    """Whether a group's per-epoch evaluation runs stacked (``StackedNetworks.evaluate``). Not
    on a CPU: there oneDNN evaluates one model on a whole split about as fast per model as the
    stacked products evaluate several (6 NiNs on the digits' 540 test images: 12.8 ms one by one,
    14.0 ms stacked), so each model is evaluated alone, in one pass for its logits and DNR."""
    return device.type != "cpu"


def group_key(spec: ModelSpec) -> tuple:
    """Models with equal keys share a structure, batch size and optimizer: they can train stacked."""
    return tuple(sorted((k, v) for k, v in spec.hparams.as_dict().items() if k not in BATCHABLE_AXES))


def groups(specs: list[ModelSpec]) -> list[list[int]]:
    """Indices of ``specs`` by group key, in order of first appearance."""
    by_key: dict[tuple, list[int]] = defaultdict(list)
    for i, spec in enumerate(specs):
        by_key[group_key(spec)].append(i)
    return list(by_key.values())


def train_models(specs: list[ModelSpec], cfg: TrainingConfig, datas: list[PreparedData], ctx: EvalContext,
                 checkpoint_paths: list | None = None,
                 recorders: list | None = None) -> list[TrainResult]:
    """Every model of ``specs`` (``datas[i]`` the data model i sees; ``recorders[i]`` its
    difficulty recorder or None, as ``train_model`` takes one) as ``train_model`` trains it;
    models of one group (``groups``) train stacked, others alone."""
    paths = checkpoint_paths or [None] * len(specs)
    recorders = recorders or [None] * len(specs)
    results: list[TrainResult | None] = [None] * len(specs)
    for group in groups(specs):
        if len(group) > 1 and specs[group[0]].hparams.optimizer in MOMENTUM:
            done = train_group([specs[i] for i in group], cfg, [datas[i] for i in group], ctx,
                               [paths[i] for i in group], [recorders[i] for i in group])
        else:
            done = [train_model(specs[i], cfg, datas[i], ctx, paths[i], recorders[i])
                    for i in group]
        for i, result in zip(group, done):
            results[i] = result
    return results


@dataclass
class _Member:
    """One model of a stack: what it has alone (real model for evaluation and
    checkpoints, batch-order generator, dropout RNG) and its place in the stack."""

    spec: ModelSpec
    data: PreparedData
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    rng: torch.Generator
    result: TrainResult
    path: object
    x: torch.Tensor
    y: torch.Tensor
    row: int = -1
    batches: list = field(default_factory=list)
    pos: int = 0
    zeros: list = field(default_factory=list)  # ReLU zero counts per input, this epoch's passes
    max_epochs: int = 0
    recorder: object = None  # its difficulty recorder (prunability.difficulty), as train_model takes one

    @property
    def running(self) -> bool:
        return self.result.status is Status.RUNNING and self.result.epochs < self.max_epochs

    def next_index(self) -> torch.Tensor:
        return self.batches[self.pos]


def _member(spec: ModelSpec, data: PreparedData, cfg: TrainingConfig, device: torch.device, path) -> _Member:
    """A model set up as ``train_model`` sets it up (init, optimizer, generator, resume)."""
    model, optimizer, generator, result = start_training(spec, cfg, data, device, path)
    if device.type == "cuda":
        rng = torch.Generator(device=device).manual_seed(spec.seed)
    else:  # the global RNG as the model would use it alone: after its init (or as its checkpoint saved it)
        rng = torch.Generator().set_state(torch.get_rng_state())
    return _Member(spec, data, model, optimizer, generator, rng, result, path,
                   data.split.x_train.to(device), data.split.y_train.to(device), max_epochs=cfg.max_epochs)


def train_group(specs: list[ModelSpec], cfg: TrainingConfig, datas: list[PreparedData], ctx: EvalContext,
                checkpoint_paths: list | None = None,
                recorders: list | None = None) -> list[TrainResult]:
    """Train models that share ``group_key`` (and an optimizer of ``MOMENTUM``) stacked on
    ``ctx.device``, evaluated each epoch under ``ctx``."""
    if len({group_key(s) for s in specs}) != 1 or specs[0].hparams.optimizer not in MOMENTUM:
        raise ValueError("train_group needs models of one group (train_batched.group_key) trained by "
                         f"{' or '.join(MOMENTUM)}; use train_models to group them")
    device = ctx.device
    paths = checkpoint_paths or [None] * len(specs)
    members = [_member(s, d, cfg, device, p) for s, d, p in zip(specs, datas, paths)]
    for m, recorder in zip(members, recorders or [None] * len(specs)):
        m.recorder = recorder
    return _GroupRun(members, cfg, ctx).run()


def _layout(t: torch.Tensor) -> torch.memory_format:
    return torch.channels_last if t.dim() == 4 and not t.is_contiguous() else torch.contiguous_format


class ReluZeroCounter:
    """``dnr.DeadReluCounter``'s per-input rates for a network whose ReLUs are all ``nn.ReLU``
    modules (a grouped plan's), by forward hooks instead of a function-mode tap (which
    doubles the cost of an evaluation pass), each input's zeros counted in memory order, as
    units minus the sum of signs (a third of the cost of counting ``== 0``)."""

    def __init__(self, model: torch.nn.Module):
        self.relus = [m for m in model.modules() if isinstance(m, torch.nn.ReLU)]
        self.zeros, self.units, self.per_input, self.handles = None, 0, [], []
        self.model = model

    def _count(self, _module, _inputs, out: torch.Tensor) -> None:
        out, units = out.detach(), out[0].numel()
        if out.stride(0) == units and out.is_contiguous(memory_format=_layout(out)):
            out = out.as_strided((len(out), units), (units, 1))  # each input's values, in memory order
        # ReLU outputs are >= 0: their nonzeros are the sum of their signs (a NaN's sign is 0: made 1)
        nonzero = torch.sign(torch.nan_to_num(out, nan=1.0)).sum(dim=tuple(range(1, out.dim())))
        zeros = units - nonzero.double()
        self.zeros = zeros if self.zeros is None else self.zeros + zeros
        self.units += units

    def _close(self, _module, _inputs, out: torch.Tensor) -> None:
        if self.zeros is None:
            self.per_input.append(torch.full((len(out),), float("nan"), dtype=torch.float64))
        else:
            self.per_input.append((self.zeros / self.units).cpu())
        self.zeros, self.units = None, 0

    def __enter__(self) -> "ReluZeroCounter":
        self.handles = [r.register_forward_hook(self._count) for r in self.relus]
        self.handles.append(self.model.register_forward_hook(self._close))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles:
            handle.remove()

    def rates(self) -> torch.Tensor:
        return torch.cat(self.per_input) if self.per_input else torch.empty(0, dtype=torch.float64)


class _GroupRun:
    """The global step loop over a group's running members."""

    def __init__(self, members: list[_Member], cfg: TrainingConfig, ctx: EvalContext):
        self.members, self.cfg, self.ctx = members, cfg, ctx
        self.device = ctx.device
        self.precision = cfg.precision.active(self.device)
        self.momentum = MOMENTUM[members[0].spec.hparams.optimizer]
        self.observe = {}
        for m in members:
            self.observe[id(m)] = None if m.recorder is None else (
                lambda *a, m=m: m.recorder.observe(m.result.scores, *a))
        self.running = [m for m in members if m.running]
        self.stack: StackedNetworks | None = None
        self.stacked_eval = stacked_evaluation(self.device)
        self.diverged: list[_Member] = []

    def run(self) -> list[TrainResult]:
        if self.running:
            template = next((m.model for m in self.running if m.spec.hparams.dropout > 0), self.running[0].model)
            momentum = [self._momentum_of(m) for m in self.running]
            self.stack = StackedNetworks(template, [m.model for m in self.running], momentum)
            if self.cfg.compile:  # the stacked steps, and each model's evaluation as train_model compiles it
                self.stack.compile()
                for m in self.running:
                    _compile(m.model)
            self._index()
            for m in self.running:
                self._start_epoch(m)
        while self.running:
            self._global_step()
        for m in self.members:
            if m in self.diverged:
                m.result = train_model(m.spec, self.cfg, m.data, self.ctx, m.path, m.recorder)
            else:
                self._finish(m)
        return [m.result for m in self.members]

    def _index(self) -> None:
        for row, m in enumerate(self.running):
            m.row = row
        self.nonfinite = torch.zeros(len(self.running), dtype=torch.bool, device=self.device)
        self.lr = torch.tensor([[m.spec.hparams.lr] for m in self.running], device=self.device)
        self.weight_decay = torch.tensor([[m.spec.hparams.weight_decay] for m in self.running], device=self.device)

    def _momentum_of(self, m: _Member) -> torch.Tensor | None:
        buffers = [m.optimizer.state.get(p, {}).get("momentum_buffer") for p in m.model.parameters()]
        if any(b is None for b in buffers):
            return None
        return torch.cat([b.reshape(-1) for b in buffers])

    def _start_epoch(self, m: _Member) -> None:
        m.batches, m.pos, m.zeros = list(batch_order(len(m.x), m.spec.hparams.batch_size, m.generator)), 0, []
        self.nonfinite[m.row] = False

    def _global_step(self) -> None:
        by_length: dict[int, list[_Member]] = defaultdict(list)
        for m in self.running:
            by_length[len(m.next_index())].append(m)
        for members in by_length.values():
            self._step(members)
        ended = []
        for m in self.running:
            m.pos += 1
            self._maybe_capture_rewind(m)
            if m.pos == len(m.batches):
                ended.append(m)
        if ended:
            self._end_epochs(ended)
            still = [m for m in self.running if m.running and m not in self.diverged]
            if len(still) != len(self.running):
                self.stack.keep([m.row for m in still])
                nonfinite = self.nonfinite[[m.row for m in still]] if still else None
                self.running = still
                self._index()
                if nonfinite is not None:
                    self.nonfinite = nonfinite
            for m in ended:
                if m in self.running:
                    self._start_epoch(m)

    def _step(self, members: list[_Member]) -> None:
        rows = [m.row for m in members]
        indices = [m.next_index() for m in members]
        x = as_float(torch.stack([m.x[i] for m, i in zip(members, indices)]))
        y = torch.stack([m.y[i] for m, i in zip(members, indices)])
        lone = as_float(members[0].x[indices[0]])  # a lone model's input, strides too (they set the masks' layout)
        masks = [torch.stack([self._mask(m, shape, strides) for m in members])
                 for shape, strides in self.stack.dropout_layouts(lone)]
        whole = rows == list(range(len(self.stack)))
        autocast = self.precision.autocast(self.device) if self.precision.mixed else None
        lr, weight_decay = (self.lr, self.weight_decay) if whole else (self.lr[rows], self.weight_decay[rows])
        losses, zeros = self.stack.step(None if whole else rows, x, y, masks, lr, weight_decay, self.momentum,
                                        autocast)
        if whole:
            self.nonfinite |= ~torch.isfinite(losses)
        else:
            self.nonfinite[rows] |= ~torch.isfinite(losses)
        for j, m in enumerate(members):
            m.zeros.append((zeros, j))  # indexed at the epoch's end, not per step

    def _mask(self, m: _Member, shape: torch.Size, strides: tuple[int, ...]) -> torch.Tensor:
        """Model ``m``'s dropout mask, drawn as ``F.dropout`` draws it on CPU: Bernoulli(1 − p)
        in the input's memory layout (``empty_like``), divided by 1 − p."""
        p = m.spec.hparams.dropout
        if p <= 0:
            return torch.ones(shape, device=self.device)
        noise = torch.empty_strided(shape, strides, device=self.device)
        return noise.bernoulli_(1 - p, generator=m.rng).div_(1 - p)

    def _maybe_capture_rewind(self, m: _Member) -> None:
        r = m.result
        if r.rewind_state is None and r.steps + m.pos == self.cfg.rewind_step:
            self.stack.write_into(m.row, m.model)
            r.rewind_state, r.rewind_step = snapshot(m.model), self.cfg.rewind_step

    def _end_epochs(self, ended: list[_Member]) -> None:
        """The epoch ends of ``ended``: divergence read (one host read for all of them),
        evaluation (stacked where the forward is grouped), history rows, checkpoints."""
        flags = self.nonfinite[[m.row for m in ended]].tolist()
        self.diverged += [m for m, flag in zip(ended, flags) if flag]
        ended = [m for m, flag in zip(ended, flags) if not flag]
        if not ended:
            return
        for m in ended:
            self.stack.write_into(m.row, m.model)
        if self.stacked_eval and self.stack.plan is not None:
            passes = self._evaluate(ended)
        else:
            passes = {id(m): self._evaluate_alone(m) for m in ended}
        for m in ended:
            r = m.result
            r.steps += len(m.batches)
            r.epochs += 1
            rate = float("nan")
            if self.stack.units and m.zeros:
                rate = (torch.cat([z[j] for z, j in m.zeros]).double() / self.stack.units).mean().item()
            row = _row_of(m.model, m.data, r.epochs, r.steps, *passes[id(m)], rate, self.observe[id(m)])
            _record_epoch(r, row, True, self.cfg)
            if m.path is not None and r.epochs % self.cfg.checkpoint_every == 0:
                self._save_checkpoint(m)

    def _evaluate_alone(self, m: _Member) -> tuple[dict, float]:
        """Model ``m``'s eval-mode logits {"train", "test"} and ``dnr_eval`` as ``train._epoch_row``
        computes them, with the ReLU zeros counted in the training-set pass (the train-eval inputs
        are a subset of it) instead of a second pass. Needs the model's weights written into it."""
        s, batch = m.data.split, self.ctx.batch_size
        counter = ReluZeroCounter(m.model) if self.stack.plan is not None else DeadReluCounter(m.model)
        with counter:
            train = logits_of(m.model, s.x_train, batch)
        rates = counter.rates()[m.data.train_eval_index.cpu()]
        dnr_eval = float("nan") if rates.numel() == 0 or rates.isnan().any() else rates.mean().item()
        return {"train": train, "test": logits_of(m.model, s.x_test, batch)}, dnr_eval

    def _evaluate(self, ended: list[_Member]) -> dict[int, tuple[dict, float]]:
        """Per member (by ``id``): its eval-mode logits {"train", "test"} and its ``dnr_eval``,
        as ``train._epoch_row`` computes them, from stacked forward passes: the members' test
        sets at once, their training sets at once (by length), each ``dnr_eval`` from the
        training pass's ReLU zeros on its train-eval inputs (a subset of the training set)."""
        logits: dict[int, dict] = {id(m): {} for m in ended}
        dnr_eval: dict[int, float] = {}
        for split in ("train", "test"):
            by_length: dict[int, list[_Member]] = defaultdict(list)
            for m in ended:
                by_length[len(getattr(m.data.split, f"x_{split}"))].append(m)
            for members in by_length.values():
                xs = [getattr(m.data.split, f"x_{split}") for m in members]
                x = xs[0][None] if all(t is xs[0] for t in xs) else torch.stack(xs)  # one set all models see: once
                out, zeros, units = self.stack.evaluate([m.row for m in members], x.to(self.device),
                                                        self.ctx.batch_size, count=split == "train")
                for j, m in enumerate(members):
                    logits[id(m)][split] = out[j].contiguous()
                    if split == "train":
                        picked = zeros[j, m.data.train_eval_index.to(zeros.device)]
                        dnr_eval[id(m)] = ((picked.double() / units).mean().item()
                                           if units and len(picked) else float("nan"))
        return {key: ({"train": value["train"], "test": value["test"]}, dnr_eval[key]) for key, value in logits.items()}

    def _save_checkpoint(self, m: _Member) -> None:
        """``train_model``'s checkpoint of this model: its optimizer state as torch.optim keeps it."""
        if self.momentum and m.result.steps > 0:
            views = self.stack.views(self.stack.momentum[m.row : m.row + 1])
            for p, v in zip(m.model.parameters(), views.values()):
                m.optimizer.state[p]["momentum_buffer"] = v[0].clone()
        state = _checkpoint(m.result, m.model, m.optimizer, m.generator)
        state["torch_rng"] = m.rng.get_state() if m.rng.device.type == "cpu" else torch.get_rng_state()
        io.save_torch(state, m.path)

    def _finish(self, m: _Member) -> None:
        r = m.result
        stop_running(r)
        if m.recorder is not None:
            m.recorder.finish(r.scores, m.model)
        r.final_state = snapshot(m.model)
        if r.rewind_state is None:
            r.rewind_state, r.rewind_step = r.final_state, r.steps
