"""Masks with an exact kept count, following ``torch.nn.utils.prune`` conventions
(a mask is a tensor of the parameter's shape; 1 keeps, 0 prunes).

Kept weights are chosen by index-based top-k over scores, with ties broken by
position (a stable sort), so the number kept is exactly round((1 − s)·n) even
where many scores tie — unlike thresholding at the k-th value, which
over-prunes on ties.

Three scopes: ``global`` (one ranking over every scored tensor), ``layerwise``
(the same kept fraction of each tensor) and ``filter`` (structured: whole rows
along dim 0 — the output channels of a conv — kept or removed, the same
fraction of rows in each tensor, ranked by the row's score).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

Masks = dict[str, torch.Tensor]

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)


def prunable_parameters(model: nn.Module, include_biases: bool, include_norm: bool) -> dict[str, nn.Parameter]:
    """Weights of conv and linear layers (plus biases / norm affines if asked), by name. The two
    flags are the study's ``pruning.include_biases`` and ``pruning.include_norm`` (their
    defaults live in the schema only)."""
    found: dict[str, nn.Parameter] = {}
    for module_name, module in model.named_modules():
        prefix = f"{module_name}." if module_name else ""
        is_layer = isinstance(module, (nn.Conv2d, nn.Linear))
        is_norm = isinstance(module, _NORMS)
        if (is_layer or (is_norm and include_norm)) and getattr(module, "weight", None) is not None:
            found[prefix + "weight"] = module.weight
        if include_biases and (is_layer or (is_norm and include_norm)) and getattr(module, "bias", None) is not None:
            found[prefix + "bias"] = module.bias
    return found


def keep_count(total: int, sparsity: float) -> int:
    """How many of ``total`` weights a sparsity keeps: round((1 − s)·total), with
    Python's round (half to even), so the count is reproducible everywhere."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must lie in [0, 1), got {sparsity}")
    return int(round((1.0 - sparsity) * total))


def _finite_order(flat: torch.Tensor) -> torch.Tensor:
    """Scores ready to rank: NaN (a diverged model's) ranks as +inf, integers as floats."""
    flat = flat if flat.is_floating_point() else flat.float()
    return torch.nan_to_num(flat, nan=float("inf"), posinf=float("inf"), neginf=float("-inf"))


def _top_k_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    """The k highest scores, ties broken by position (lower index kept first): the
    first k of a stable descending sort, found in linear time by selecting the
    k-th largest value v, keeping everything above v and the first ties at v."""
    flat = _finite_order(scores.reshape(-1))
    n = flat.numel()
    if k >= n:
        return torch.ones(scores.shape, dtype=torch.bool, device=scores.device)
    mask = torch.zeros(n, dtype=torch.bool, device=flat.device)
    if k > 0:
        v = torch.kthvalue(flat, n - k + 1).values
        mask = flat > v
        ties = torch.nonzero(flat == v).reshape(-1)[: k - int(mask.sum())]
        mask[ties] = True
    return mask.reshape(scores.shape)


SCOPES = ("global", "layerwise", "filter")


def row_scores(scores: torch.Tensor) -> torch.Tensor:
    """One score per row (dim 0, an output channel) of a tensor's scores: the row's maximum
    (a structured method gives every weight of a row the row's score)."""
    return scores.reshape(scores.shape[0], -1).amax(dim=1) if scores.dim() > 1 else scores


def _filter_mask(scores: torch.Tensor, sparsity: float) -> torch.Tensor:
    rows = row_scores(scores)
    keep = _top_k_mask(rows, keep_count(rows.numel(), sparsity))
    return keep.reshape(-1, *([1] * (scores.dim() - 1))).expand(scores.shape).clone()


def _flat(scores: dict[str, torch.Tensor], names: list[str]) -> torch.Tensor:
    """All scores in one vector, in the widest floating type among them (float64
    scores, e.g. SynFlow's, are not rounded to float32, which could create ties)."""
    dtype = torch.float32
    for n in names:
        if scores[n].is_floating_point():
            dtype = torch.promote_types(dtype, scores[n].dtype)
    return _finite_order(torch.cat([scores[n].reshape(-1).to(dtype) for n in names]))


def masks_from_scores(scores: dict[str, torch.Tensor], sparsity: float, scope: str) -> Masks:
    """Keep the highest scores: over all tensors at once (``global``), the same
    fraction of each tensor (``layerwise``), or the same fraction of the rows
    (output channels) of each tensor (``filter``)."""
    if scope == "layerwise":
        return {n: _top_k_mask(s, keep_count(s.numel(), sparsity)) for n, s in scores.items()}
    if scope == "filter":
        return {n: _filter_mask(s, sparsity) for n, s in scores.items()}
    if scope != "global":
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    names = list(scores)
    flat = _flat(scores, names)
    kept = _top_k_mask(flat, keep_count(flat.numel(), sparsity))
    out, start = {}, 0
    for n in names:
        size = scores[n].numel()
        out[n] = kept[start : start + size].reshape(scores[n].shape)
        start += size
    return out


def _descending_order(flat: torch.Tensor) -> torch.Tensor:
    """Indices of a stable descending sort (ties by position). On the CPU numpy's
    stable sort of −x is several times faster than torch's; the order is the same."""
    if flat.device.type == "cpu":
        return torch.from_numpy(np.argsort(-flat.numpy(), kind="stable"))
    return torch.argsort(flat, descending=True, stable=True)


SORT_ONCE_FROM = 5  # sparsities; below, a linear-time selection per sparsity is faster than one full sort


def masks_for_sparsities(scores: dict[str, torch.Tensor], sparsities, scope: str) -> dict[float, Masks]:
    """``masks_from_scores`` at every sparsity, sorting the scores once: the
    same stable order serves every kept count, so the masks are identical to
    calling ``masks_from_scores`` per sparsity (and nested)."""
    sparsities = list(sparsities)
    if scope != "global" or not scores or len(sparsities) < SORT_ONCE_FROM:
        return {s: masks_from_scores(scores, s, scope) for s in sparsities}
    names = list(scores)
    flat = _flat(scores, names)
    order = _descending_order(flat)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=order.device)
    out = {}
    for s in sparsities:
        kept = rank < keep_count(flat.numel(), s)
        masks, start = {}, 0
        for n in names:
            size = scores[n].numel()
            masks[n] = kept[start : start + size].reshape(scores[n].shape)
            start += size
        out[s] = masks
    return out


def kept_count(masks: Masks) -> tuple[int, int]:
    """(kept, total) over all masks."""
    return sum(int(m.sum()) for m in masks.values()), sum(m.numel() for m in masks.values())


@torch.no_grad()
def apply_masks(model: nn.Module, masks: Masks) -> None:
    """Zero the pruned weights in place (one-shot pruning without fine-tuning)."""
    params = dict(model.named_parameters())
    for name, mask in masks.items():
        params[name].mul_(mask.to(params[name].device, params[name].dtype))


@torch.no_grad()
def apply_masks_from(model: nn.Module, dense: dict[str, torch.Tensor], masks: Masks) -> None:
    """Set every masked parameter to dense ⊙ mask in one pass: restoring the dense
    weights and pruning them without copying the whole state_dict per sparsity.
    ``dense`` holds the unpruned values of (at least) the masked parameters."""
    params = dict(model.named_parameters())
    for name, mask in masks.items():
        torch.mul(dense[name], mask.to(dense[name].device), out=params[name].data)


def pack_masks(masks: Masks) -> dict[str, torch.Tensor]:
    """Masks as packed bits (uint8, 8 weights a byte) plus their shapes, for compact files."""
    out = {}
    for name, mask in masks.items():
        bits = np.packbits(mask.detach().cpu().numpy().astype(np.bool_).reshape(-1))
        out[f"{name}:bits"] = torch.from_numpy(bits)
        out[f"{name}:shape"] = torch.tensor(mask.shape, dtype=torch.int64)
    return out


def unpack_masks(packed: dict[str, torch.Tensor]) -> Masks:
    """Inverse of ``pack_masks``: boolean masks usable with ``prune.custom_from_mask``."""
    masks = {}
    for key in packed:
        if not key.endswith(":bits"):
            continue
        name = key[: -len(":bits")]
        shape = tuple(packed[f"{name}:shape"].tolist())
        count = int(np.prod(shape)) if shape else 1
        bits = np.unpackbits(packed[key].cpu().numpy(), count=count).astype(bool)
        masks[name] = torch.from_numpy(bits.reshape(shape))
    return masks
