"""The weight matrices W_1 … W_d that norm-based measures sum over.

Jiang et al. 2020 (§"Notation"): measures use weights only (biases and BN
parameters excluded, BN already folded), and a convolution kernel of shape
out × in × k × k counts as the out × (in·k·k) matrix that maps one receptive
field to one output pixel.
"""

from __future__ import annotations

import torch
from torch import nn

from prunability.measures.folding import folded_init_net, folded_net

_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def weight_matrices(net: nn.Module) -> list[torch.Tensor]:
    """Each conv/linear weight as an out × fan-in matrix, in module order (detached)."""
    return [m.weight.detach().reshape(m.weight.shape[0], -1) for m in net.modules() if isinstance(m, _LAYERS)]


def trained_weights(ctx) -> list[torch.Tensor]:
    """W_i of the trained model's BN-folded net."""
    return weight_matrices(folded_net(ctx))


def initial_weights(ctx) -> list[torch.Tensor]:
    """W_i⁰ of the initial model's BN-folded net, in the same order as ``trained_weights``."""
    return weight_matrices(folded_init_net(ctx))
