"""Masks for a model under a study's pruning settings (``PruningConfig``).

The one entry point from a trained (or initial) network to its masks: which
tensors are prunable (``pruning.include_biases``, ``.include_norm``), the
seeded generator of the random methods (``pruning.seed``), the scoring batches
of the data-dependent methods (``pruning.score_batches`` ×
``.score_batch_size`` images of the fixed training subset, drawn with
``pruning.seed``), SynFlow's rounds (``pruning.synflow_rounds``) — every
setting read from the config, none defaulted here.

    masks = compute_masks(model, config.pruning, "snip", data)   # {sparsity: {name: bool tensor}}
"""

from __future__ import annotations

from typing import Callable, Iterable

import torch

from prunability.config import PruningConfig
from prunability.data.split import PreparedData
from prunability.pruning.context import ScoringContext, scoring_batches
from prunability.pruning.masks import Masks, prunable_parameters
from prunability.pruning.methods import METHODS
from prunability.pruning.validation import check_reachable
from prunability.seeds import derived_generator
from prunability.train import snapshot

Scorer = Callable[[float], dict[str, torch.Tensor]]  # target sparsity -> scores of the current weights


def scoring_context(model, pruning: PruningConfig, method_name: str, data: PreparedData | None = None
                    ) -> ScoringContext:
    """What ``method_name`` scores ``model`` (a Classifier) with: its prunable tensors, a seeded
    generator, the pruning settings, the image shape, and — for data-dependent methods —
    ``score_batches`` × ``score_batch_size`` images of the fixed training subset (a seeded
    draw, as [0, 1] floats on the model's device)."""
    method = METHODS.get(method_name)
    params = prunable_parameters(model.net, pruning.include_biases, pruning.include_norm)
    batches = ()
    input_shape = tuple(data.image_shape) if data is not None else None
    if method.needs_data:
        if data is None:
            raise ValueError(f"pruning method {method_name!r} needs training data to score")
        x, y = data.train_eval()
        device = next(model.parameters()).device
        draw = torch.Generator().manual_seed(pruning.seed)
        batches = scoring_batches(x, y, pruning.score_batches, pruning.score_batch_size, draw, device)
    # The random methods' stream is derived from pruning.seed: seeded with it, a model whose
    # zoo seed equals it (seed 0 by default) got scores that replay its initial weights'
    # uniforms, so `random` kept its largest signed initial weights (``seeds.py``).
    return ScoringContext(params=params, model=model, batches=batches,
                          generator=derived_generator(pruning.seed, "pruning_scores"), settings=pruning,
                          input_shape=input_shape)


def compute_masks(model, pruning: PruningConfig, method_name: str, data: PreparedData | None = None,
                  sparsities: Iterable[float] | None = None) -> dict[float, Masks]:
    """Masks of ``model.net``'s prunable tensors for every sparsity (``pruning.sparsities``
    unless given); ``data`` is needed by data-dependent methods and gives SynFlow its input
    shape. One scoring pass serves every sparsity unless the method scores per sparsity
    (SynFlow). Raises ConfigError first if the method cannot reach a sparsity on this network."""
    method = METHODS.get(method_name)
    ctx = scoring_context(model, pruning, method_name, data)
    sparsities = pruning.sparsities if sparsities is None else tuple(sparsities)
    check_reachable(method, sparsities, ctx.params)
    return method.masks(ctx, sparsities)


def method_scorer(model, pruning: PruningConfig, method_name: str, data: PreparedData | None = None) -> Scorer:
    """``score(s)``: the method's scores of ``model``'s current weights (for target ``s`` where
    the method scores per sparsity), re-drawn from a fresh context each call — what the
    prune-retrain rounds re-score with. Scoring must not move the weights (data-dependent
    scorers run the model): the state is restored after each call."""
    method = METHODS.get(method_name)

    def score(sparsity: float) -> dict[str, torch.Tensor]:
        state = snapshot(model)
        ctx = scoring_context(model, pruning, method_name, data)
        scores = method.score(ctx.at(sparsity) if method.per_sparsity else ctx)
        model.load_state_dict(state)
        return {n: s.detach().clone() for n, s in scores.items()}

    return score
