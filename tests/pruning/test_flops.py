"""FLOPs (multiply-accumulates) kept and the layer-sparsity rows, on hand-sized nets."""

from __future__ import annotations

import torch
from torch import nn

from prunability.pruning import flops, layer_costs, layer_sparsity


def test_macs_of_a_conv_and_a_linear_by_hand():
    # Conv2d(1→2, 3×3) on 5×5: 18 weights × 3·3 positions = 162; Linear(18→3): 54; total 216
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(18, 3))
    costs = layer_costs(net, (1, 5, 5))
    assert [(c.weight, c.weights, c.positions) for c in costs] == [("0.weight", 18, 9), ("3.weight", 54, 1)]
    assert flops(costs) == (216, 216)
    conv = torch.ones(2, 1, 3, 3, dtype=torch.bool)
    conv.view(-1)[:5] = False  # 13 conv weights kept: 13·9 + 54 = 171
    linear = torch.zeros(3, 18, dtype=torch.bool)
    linear[0, :4] = True  # 4 linear weights kept: 13·9 + 4 = 121
    assert flops(costs, {"0.weight": conv}) == (216, 171)
    assert flops(costs, {"0.weight": conv, "3.weight": linear}) == (216, 121)


def test_strided_padded_conv_counts_its_output_positions():
    # 3×3 stride 2 padding 1 on 7×7 -> 4×4 positions; 1×1 conv then keeps 4×4
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.Conv2d(4, 5, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    costs = layer_costs(net.train(), (3, 7, 7))
    assert [c.macs for c in costs] == [4 * 3 * 9 * 16, 5 * 4 * 16]
    assert net.training  # mode restored


def test_layer_sparsity_rows():
    masks = {"a": torch.tensor([True, False, True]), "b": torch.zeros(2, 2, dtype=torch.bool)}
    assert layer_sparsity(masks) == [{"layer": "a", "kept": 2, "total": 3}, {"layer": "b", "kept": 0, "total": 4}]
