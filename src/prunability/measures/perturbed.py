"""Training loss and accuracy of one network at many perturbed weight vectors.

The Monte-Carlo measures (PAC-Bayes σ', random-perturbation robustness)
evaluate the same network at K noisy copies of its weights w + u_k. Instead of
copying each u_k into the model and running one forward pass per draw, the K
weight vectors are stacked and the network is evaluated once per image chunk
for a group of draws (``torch.func.functional_call`` under ``torch.func.vmap``,
which turns a convolution with K weight sets into one grouped convolution).
Both paths add the perturbation as ``w + u`` in the same order and count
correct predictions as integers, so they give the same accuracies; the losses
agree up to the summation order of the batched kernels. The unbatched path is
kept as the reference (``draws_per_pass=1``), and is taken for a model with
any module in training mode (a train-mode BatchNorm updates its running
statistics in place, which ``vmap`` cannot do per draw; dropout would draw one
mask for the whole stack). Every architecture of the zoo (NiN, MLP, VGG,
ResNet-18, ResNet-20) takes the batched path once BN-folded (tested).

What batching buys depends on where the time goes. On this project's CPU
the forward passes are compute-bound (convolutions ≈ 80 % of the profile)
and a grouped convolution is no faster than K plain ones, while a plain
pass in channels-last layout (``device.in_fast_layout``) is 3x faster than
in NCHW: on a CIFAR-sized NiN one draw costs 0.06 s as its own channels-last
pass and 0.27 s inside a stack of 8. So ``noise_draws_per_pass: auto`` takes
one pass per draw on the CPU (``draws_per_pass_on``) and stacks 16 on other
devices, where one draw's pass leaves most of the device idle; no GPU was
lent to measure that.

:func:`perturbed` is the one perturb–evaluate–restore of the measures: the
unbatched draws, the sharpness ascent and the prunability trials all change a
model's weights inside it and get them back bit for bit after.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch.func import functional_call, vmap

from prunability.data.split import as_float


@dataclass(frozen=True)
class PerturbedEvaluations:
    losses: list[float]  # mean training cross-entropy at w + u_k, one per draw
    accuracies: list[float]  # training accuracy at w + u_k (correct count / N), one per draw


@contextmanager
def restored(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """``model``, whose parameters may be changed in place inside the block and are
    copied back to their values at entry (bit for bit) when it ends, also on error."""
    params = list(model.parameters())
    clean = [p.detach().clone() for p in params]
    try:
        yield model
    finally:
        with torch.no_grad():
            for p, c in zip(params, clean):
                p.copy_(c)


@contextmanager
def perturbed(model: torch.nn.Module, u: Sequence[torch.Tensor]) -> Iterator[torch.nn.Module]:
    """``model`` at weights w + u inside the block (``u`` in ``model.parameters()``
    order), back at w after: perturb, evaluate, restore."""
    with restored(model) as same:
        with torch.no_grad():
            for p, d in zip(model.parameters(), u):
                p.copy_(p + d)
        yield same


def vmappable(model: torch.nn.Module) -> bool:
    """Whether draws can be stacked under ``vmap``: every module in eval mode."""
    return not any(m.training for m in model.modules())


def _totals(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed cross-entropy and number correct along the last-but-one axis (per draw when batched)."""
    logits = logits.float()
    target = y.expand(logits.shape[:-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
    correct = logits.argmax(dim=-1) == target
    return loss.reshape(target.shape).double().sum(dim=-1), correct.sum(dim=-1)


def _images(x, y, subset, device):
    """The draw's images and labels (``subset`` None: all), on ``device``."""
    if subset is None:
        return x, y.to(device)
    return x[subset], y[subset].to(device)


def _unbatched(model, x, y, perturbations, subsets, batch_size):
    device = next(model.parameters()).device
    losses, corrects = [], []
    for u, subset in zip(perturbations, subsets):
        xs, ys = _images(x, y, subset, device)
        loss, correct = torch.zeros((), dtype=torch.float64, device=device), 0
        with perturbed(model, u):
            for i in range(0, len(xs), batch_size):
                l, c = _totals(model(as_float(xs[i : i + batch_size].to(device))), ys[i : i + batch_size])
                loss, correct = loss + l, correct + int(c)
        losses.append(loss.item())
        corrects.append(correct)
    return losses, corrects


def _batched(model, x, y, perturbations, subsets, batch_size, draws_per_pass):
    names = [n for n, _ in model.named_parameters()]
    clean = [p.detach() for _, p in model.named_parameters()]
    buffers = {n: b for n, b in model.named_buffers()}
    device = clean[0].device

    def forward(params: dict, xb: torch.Tensor) -> torch.Tensor:
        return functional_call(model, (params, buffers), (xb,))

    shared = subsets[0] is None  # every draw sees all images: one image batch for the whole group
    batched_forward = vmap(forward, in_dims=(0, None if shared else 0))
    losses, corrects = [], []
    for start in range(0, len(perturbations), draws_per_pass):
        group = perturbations[start : start + draws_per_pass]
        stacked = {n: c.unsqueeze(0) + torch.stack([u[i] for u in group]) for i, (n, c) in enumerate(zip(names, clean))}
        if shared:
            xs, ys = x, y.to(device)
        else:
            pairs = [_images(x, y, subset, device) for subset in subsets[start : start + draws_per_pass]]
            xs, ys = torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
        images = max(1, batch_size // len(group))  # as many activations per pass as one unbatched batch
        loss = torch.zeros(len(group), dtype=torch.float64, device=device)
        correct = torch.zeros(len(group), dtype=torch.int64, device=device)
        for i in range(0, xs.shape[0 if shared else 1], images):
            xb = xs[i : i + images] if shared else xs[:, i : i + images]
            yb = ys[i : i + images] if shared else ys[:, i : i + images]
            with warnings.catch_warnings():  # vmap loops over draws for adaptive pooling (cheap: the last, smallest map)
                warnings.filterwarnings("ignore", message="There is a performance drop")
                logits = batched_forward(stacked, as_float(xb.to(device)))
            l, c = _totals(logits, yb)
            loss, correct = loss + l, correct + c
        losses.extend(loss.tolist())
        corrects.extend(int(c) for c in correct.tolist())
    return losses, corrects


STACKED_DRAWS = 16  # draws per pass of ``noise_draws_per_pass: auto`` off the CPU


def draws_per_pass_on(setting: int | str, device: torch.device) -> int:
    """The ``measures.noise_draws_per_pass`` setting on ``device``: ``auto`` is one
    draw per pass on the CPU (a channels-last pass per draw beats a stacked pass
    there, see the module docstring) and ``STACKED_DRAWS`` elsewhere."""
    if setting == "auto":
        return 1 if device.type == "cpu" else STACKED_DRAWS
    return int(setting)


@torch.no_grad()
def evaluate_perturbed(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, perturbations: Sequence[Sequence[torch.Tensor]], *,
    batch_size: int, draws_per_pass: int, subsets: Sequence[torch.Tensor] | None = None,
) -> PerturbedEvaluations:
    """Loss and accuracy of ``model`` (eval mode) at w + u for every u in ``perturbations``
    (each a list of tensors in ``model.parameters()`` order); weights unchanged after.

    ``subsets``: per draw, the indices of the images it is evaluated on (all
    of one length); None: every draw on all of ``x``.
    Batched: up to ``draws_per_pass`` draws per forward pass, with
    ``batch_size // draws`` images each, so a pass holds as many activations
    as one unbatched batch of ``batch_size`` images; ``draws_per_pass=1`` is
    one pass per draw, with the weights copied into ``model``.
    """
    perturbations = list(perturbations)
    subsets = [None] * len(perturbations) if subsets is None else list(subsets)
    if len(subsets) != len(perturbations) or len({None if s is None else len(s) for s in subsets}) > 1:
        raise ValueError("subsets must give one index tensor per draw, all of one length")
    if draws_per_pass > 1 and vmappable(model):
        losses, corrects = _batched(model, x, y, perturbations, subsets, batch_size, draws_per_pass)
    else:
        losses, corrects = _unbatched(model, x, y, perturbations, subsets, batch_size)
    n = len(x) if subsets[0] is None else len(subsets[0])
    return PerturbedEvaluations(losses=[v / n for v in losses], accuracies=[c / n for c in corrects])
