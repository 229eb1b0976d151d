"""The Activate-while-Pruning (AP) removal rule, as a pure function on tensors.

Liu, Ghosh, Tan & Motani, "AP: Selective Activation for De-sparsifying Pruned
Neural Networks" (arXiv 2212.06145; TMLR 2023). AP is not a pruning method of
its own: inside each round of an iterative method it takes a share q of the
round's removal budget (the base method removes the rest by its own scores)
and removes the alive weights that are negative after the round's training
and moved least during it:

    C = { j alive : W_T[j] < 0 },   remove the round(q·n) members of C with the
    smallest |W_T[j] − W_start[j]|,

where n is the number of alive weights at the start of the round, W_T the
weights after the round's training and W_start the weights that training
started from. Removing a negative incoming weight of a unit whose inputs come
out of a ReLU (≥ 0) raises its pre-activation, so it fires more often: the
rule lowers the dynamic dead-neuron rate (prunability.dnr) on purpose.

The paper's equation could not be read; the rule follows the mechanism of the
authors' public code (github.com/Martin1937/Activate-While-Pruning, pooled over
all prunable tensors, AP from round 1), as described in
``shared/references/activate_while_pruning.md``. Ties in |W_T − W_start| are
broken by position (tensors in the masks' order, then flat index), so the
count removed is exact.
"""

from __future__ import annotations

import numpy as np
import torch

Masks = dict[str, torch.Tensor]


def ap_count(alive: int, share: float) -> int:
    """round(q·n) weights for AP out of ``alive`` (Python's round, half to even)."""
    return int(round(share * alive))


def ap_candidates(masks: Masks, trained: dict[str, torch.Tensor]) -> Masks:
    """Alive weights that are negative after training: AP's candidate set C."""
    return {n: m.to(torch.bool) & (trained[n].detach().to(m.device) < 0) for n, m in masks.items()}


def ap_prune(masks: Masks, trained: dict[str, torch.Tensor], start: dict[str, torch.Tensor],
             count: int) -> tuple[Masks, int]:
    """``masks`` with ``count`` more weights removed by the AP rule; returns the new
    masks (the inputs are left alone) and how many were removed — fewer than
    ``count`` only when fewer candidates exist (all of them go then).

    ``masks``: bool per prunable tensor (True keeps); ``trained``: W_T; ``start``:
    W_start, both by the same names. Among alive weights with W_T < 0, those with
    the smallest |W_T − W_start| go first; ties by position."""
    if count < 0:
        raise ValueError(f"AP cannot remove a negative number of weights ({count})")
    names = list(masks)
    candidates = ap_candidates(masks, trained)
    change = torch.cat([
        (trained[n].detach().double().cpu() - start[n].detach().double().cpu()).abs().reshape(-1) for n in names])
    eligible = torch.cat([candidates[n].cpu().reshape(-1) for n in names])
    index = torch.nonzero(eligible).reshape(-1)
    order = np.argsort(change[index].numpy(), kind="stable")  # ascending change, ties by position
    chosen = index[torch.from_numpy(order[:count].copy())]
    flat_removed = torch.zeros(eligible.numel(), dtype=torch.bool)
    flat_removed[chosen] = True
    out, start_at = {}, 0
    for n in names:
        size = masks[n].numel()
        removed = flat_removed[start_at : start_at + size].reshape(masks[n].shape).to(masks[n].device)
        out[n] = masks[n].to(torch.bool) & ~removed
        start_at += size
    return out, int(chosen.numel())
