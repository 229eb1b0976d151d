"""Mixed precision and channels-last memory layout for training on a GPU.

Both are throughput options for CUDA (``training.mixed_precision``,
``training.channels_last``) and do nothing on the CPU, where the tests and the
default study run, so CPU results stay bit-for-bit reproducible. Mixed
precision autocasts the forward pass to bfloat16 — the same exponent range
as float32, so no loss scaling is needed (unlike float16) — while weights,
optimizer state and gradients stay float32. Evaluation, pruning scores and
measures always run in float32: they are the science, not the throughput.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Precision:
    mixed: bool = False
    channels_last: bool = False

    def active(self, device: torch.device) -> "Precision":
        """The options that apply on ``device``: none off CUDA."""
        return self if torch.device(device).type == "cuda" else Precision()

    def autocast(self, device: torch.device):
        """Context for the training forward pass."""
        if self.mixed and torch.device(device).type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def layout(self, tensor: torch.Tensor) -> torch.Tensor:
        """A 4-D batch in channels-last layout when asked (other tensors unchanged)."""
        if self.channels_last and tensor.dim() == 4:
            return tensor.contiguous(memory_format=torch.channels_last)
        return tensor

    def prepare(self, model: torch.nn.Module) -> torch.nn.Module:
        """The model in channels-last layout when asked (in place, returned for chaining)."""
        return model.to(memory_format=torch.channels_last) if self.channels_last else model
