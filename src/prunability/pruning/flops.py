"""FLOPs kept by a mask and the per-layer sparsity of a mask.

FLOPs are counted as multiply-accumulates (MACs) of the conv and linear layers
for one input image, the convention of ShrinkBench's ``flops``/``flops_nz``:
a weight of a conv layer is used once per output position, so the layer costs
(weights) × H_out·W_out; a linear layer costs its weights (× the positions of
any leading dimensions). Pruned weights cost nothing; biases, normalization,
activations and pooling are not counted. Output sizes come from forward hooks
on one all-zeros input.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from prunability.pruning.masks import Masks


@dataclass(frozen=True)
class LayerCost:
    weight: str  # parameter name of the layer's weight, relative to the network
    weights: int  # number of entries of the weight
    positions: int  # output positions per image (H_out·W_out for a conv, 1 for a plain linear)

    @property
    def macs(self) -> int:
        return self.weights * self.positions


@torch.no_grad()
def layer_costs(net: nn.Module, input_shape: tuple[int, ...]) -> list[LayerCost]:
    """Every conv and linear layer of ``net`` with its output positions for one image of ``input_shape``."""
    positions: dict[str, int] = {}
    hooks = []
    for name, module in net.named_modules():
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)):
            def record(mod, args, out, name=name):
                if isinstance(mod, nn.Linear):
                    positions[name] = int(out[0].numel() // out.shape[-1])
                else:
                    positions[name] = int(out[0, 0].numel())
            hooks.append(module.register_forward_hook(record))
    device = next(iter(net.parameters()), torch.empty(0)).device
    was_training = net.training
    net.eval()
    try:
        net(torch.zeros((1, *input_shape), device=device))
    finally:
        net.train(was_training)
        for h in hooks:
            h.remove()
    modules = dict(net.named_modules())
    return [LayerCost(f"{name}.weight" if name else "weight", modules[name].weight.numel(), pos)
            for name, pos in positions.items()]


def flops(costs: list[LayerCost], masks: Masks | None = None) -> tuple[int, int]:
    """(dense MACs, MACs of the kept weights) per image; a layer without a mask is dense."""
    masks = masks or {}
    dense = sum(c.macs for c in costs)
    kept = sum((int(masks[c.weight].sum()) if c.weight in masks else c.weights) * c.positions for c in costs)
    return dense, kept


def layer_sparsity(masks: Masks) -> list[dict]:
    """One row per masked tensor: its name, kept entries and total entries."""
    return [{"layer": name, "kept": int(m.sum()), "total": int(m.numel())} for name, m in masks.items()]
