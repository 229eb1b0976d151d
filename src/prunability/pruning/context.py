"""What a scoring function may look at: the ``ScoringContext``.

Weight-only methods read ``params``; data-dependent ones (gradient magnitude,
SNIP, GraSP) also run the ``model`` — the Classifier, so the loss goes through
its input normalization — on ``batches``; SynFlow feeds an all-ones input of
``input_shape`` to ``model.net``; methods whose mask depends on the target
(SynFlow's iterative schedule) read ``sparsity``. Parameter names are relative
to ``model.net``, as everywhere in the pruning package.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from prunability.config import PruningConfig
from prunability.data.split import as_float

Batch = tuple[torch.Tensor, torch.Tensor]  # float images in [0, 1], int64 labels, on the model's device


@dataclass(frozen=True)
class ScoringContext:
    params: dict[str, nn.Parameter]  # the prunable tensors, by name relative to model.net
    model: nn.Module | None = None  # a Classifier (normalization + .net)
    batches: tuple[Batch, ...] = ()
    generator: torch.Generator | None = None
    settings: PruningConfig | None = None  # the study's pruning settings, for methods that read one (synflow_rounds)
    input_shape: tuple[int, ...] | None = None  # (C, H, W) of one image
    sparsity: float | None = None  # the target, for methods that score per sparsity

    def at(self, sparsity: float) -> "ScoringContext":
        """The same context aimed at one target sparsity."""
        return dataclasses.replace(self, sparsity=sparsity)

    @property
    def net(self) -> nn.Module:
        if self.model is None:
            raise ValueError("this pruning method needs the model, not only its parameters; build a ScoringContext with model=")
        return self.model.net

    def require_settings(self, method: str) -> PruningConfig:
        """The study's pruning settings; a clear error for a context built without them."""
        if self.settings is None:
            raise ValueError(f"pruning method {method!r} reads the study's pruning settings; build the "
                             f"ScoringContext with settings=config.pruning (a StudyConfig from config.parse)")
        return self.settings

    def require_batches(self, method: str) -> tuple[Batch, ...]:
        if self.model is None or not self.batches:
            raise ValueError(f"pruning method {method!r} needs the model and training batches (ScoringContext.model, .batches)")
        return self.batches

    def image_shape(self) -> tuple[int, ...]:
        if self.input_shape is not None:
            return tuple(self.input_shape)
        if self.batches:
            return tuple(self.batches[0][0].shape[1:])
        raise ValueError("the input shape is unknown: build the ScoringContext with input_shape=")


def scoring_batches(
    x: torch.Tensor, y: torch.Tensor, n_batches: int, batch_size: int, generator: torch.Generator,
    device: torch.device | str | None = None,
) -> tuple[Batch, ...]:
    """``n_batches`` batches of ``batch_size`` images drawn without replacement (a seeded
    permutation) from ``x`` (uint8 or float), as [0, 1] floats. If ``x`` holds fewer than
    n_batches × batch_size images, all of them are used and the last batch is smaller."""
    order = torch.randperm(len(x), generator=generator)[: n_batches * batch_size]
    device = device if device is not None else x.device
    out = []
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size].to(x.device)
        out.append((as_float(x[index]).to(device), y[index.to(y.device)].to(device)))
    return tuple(out)
