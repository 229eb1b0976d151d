"""Masks with an exact kept count, following ``torch.nn.utils.prune`` conventions
(a mask is a tensor of the parameter's shape; 1 keeps, 0 prunes).

Kept weights are chosen by index-based top-k over scores, with ties broken by
position (a stable sort), so the number kept is exactly round((1 − s)·n) even
where many scores tie — unlike thresholding at the k-th value, which
over-prunes on ties.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

Masks = dict[str, torch.Tensor]

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)


def prunable_parameters(model: nn.Module, include_biases: bool = False, include_norm: bool = False) -> dict[str, nn.Parameter]:
    """Weights of conv and linear layers (plus biases / norm affines if asked), by name."""
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


def _top_k_mask(scores: torch.Tensor, k: int) -> torch.Tensor:
    flat = scores.reshape(-1)
    order = torch.argsort(flat, descending=True, stable=True)
    mask = torch.zeros_like(flat, dtype=torch.bool)
    mask[order[:k]] = True
    return mask.reshape(scores.shape)


def masks_from_scores(scores: dict[str, torch.Tensor], sparsity: float, scope: str) -> Masks:
    """Keep the highest scores: over all tensors at once (``global``) or the same
    fraction of each tensor (``layerwise``)."""
    if scope == "layerwise":
        return {n: _top_k_mask(s, keep_count(s.numel(), sparsity)) for n, s in scores.items()}
    if scope != "global":
        raise ValueError(f"scope must be 'global' or 'layerwise', got {scope!r}")
    names = list(scores)
    flat = torch.cat([scores[n].reshape(-1).float() for n in names])
    kept = _top_k_mask(flat, keep_count(flat.numel(), sparsity))
    out, start = {}, 0
    for n in names:
        size = scores[n].numel()
        out[n] = kept[start : start + size].reshape(scores[n].shape)
        start += size
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
