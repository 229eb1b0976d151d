"""Scores that read only the weights: magnitude, random, LAMP, L1-norm of filters.

Every function takes a ``ScoringContext`` and returns one score per weight,
higher = keep. Ties are left to ``masks_from_scores``, which breaks them by
position.
"""

from __future__ import annotations

import torch

from prunability.pruning.context import ScoringContext

Scores = dict[str, torch.Tensor]


def magnitude_scores(ctx: ScoringContext) -> Scores:
    """|w|: Han et al. 2015, "Learning both Weights and Connections for Efficient
    Neural Networks", §3 — s_j = |w_j|."""
    return {n: p.detach().abs() for n, p in ctx.params.items()}


def random_scores(ctx: ScoringContext) -> Scores:
    """s_j ~ U(0, 1) i.i.d. from the context's seeded generator: with index-based
    top-k this is an exactly-k random mask (cf. ``torch.nn.utils.prune.RandomUnstructured``;
    ShrinkBench's Bernoulli mask is not exact)."""
    return {n: torch.rand(p.shape, generator=ctx.generator).to(p.device) for n, p in ctx.params.items()}


def lamp_scores(ctx: ScoringContext) -> Scores:
    """LAMP: Lee et al. 2021, "Layer-adaptive Sparsity for the Magnitude-based
    Pruning" (ICLR), Eq. (3). Within each tensor, index the weights u = 1…n in
    ascending order of |w| (ties by position: a stable sort), then

        score(u) = w_u² / Σ_{v ≥ u} w_v²,

    and prune with one global threshold. Each tensor's largest weight scores
    exactly 1, so no tensor loses every weight while the kept count is at least
    the number of tensors. A score with a zero denominator (all remaining weights
    of the tensor are 0) is 0."""
    out = {}
    for name, p in ctx.params.items():
        w2 = p.detach().double().reshape(-1) ** 2
        order = torch.argsort(w2, stable=True)
        ascending = w2[order]
        tail = ascending.flip(0).cumsum(0).flip(0)  # Σ_{v ≥ u} w_v²
        sorted_scores = torch.where(tail > 0, ascending / tail.clamp_min(torch.finfo(torch.float64).tiny), 0.0)
        scores = torch.empty_like(w2)
        scores[order] = sorted_scores
        out[name] = scores.reshape(p.shape)
    return out


def filter_targets(params: dict[str, torch.Tensor]) -> list[str]:
    """The conv weights (4-D) that L1 filter pruning removes filters from: every one
    except the network's last layer, whose output channels are the classes (NiN's
    head is a 1×1 conv). The last layer is the last weight of two or more dimensions
    in registration order."""
    weights = [n for n, p in params.items() if n.endswith("weight") and p.dim() >= 2]
    last = weights[-1] if weights else None
    return [n for n in weights if params[n].dim() == 4 and n != last]


def l1_filter_scores(ctx: ScoringContext) -> Scores:
    """L1-norm filter pruning: Li et al. 2017, "Pruning Filters for Efficient
    ConvNets" (ICLR), §3.1. For conv layer i with kernel tensor F_i of shape
    (n_out, n_in, k, k), filter j scores s_j = Σ |F_{i,j}| (the sum of its absolute
    kernel weights); the smallest-scoring filters of each layer are removed whole.
    Structured: every weight of filter j gets s_j (and so does entry j of the
    layer's bias when biases are prunable); ``masks_from_scores(…, "filter")``
    keeps round((1 − s)·n_out) filters per conv layer, so the kept weights are
    exactly kept filters × n_in·k·k. Linear layers and the last layer (the
    classifier) are left out of the scores and so stay dense, as in the paper.
    Not done here (Li et al. also do it): removing the next layer's kernels that
    read a removed channel, and the channel's normalization; a mask only zeroes
    the filter itself."""
    params = ctx.params
    targets = filter_targets(params)
    if not targets:
        raise ValueError("pruning method 'l1_filter' removes conv filters, but this network has no conv layer "
                         "besides its classifier; use a magnitude method")
    out = {}
    for name in targets:
        p = params[name].detach()
        norms = p.abs().sum(dim=tuple(range(1, p.dim())))
        out[name] = norms.reshape(-1, *([1] * (p.dim() - 1))).expand(p.shape).clone()
        bias = name[: -len("weight")] + "bias"
        if bias in params:
            out[bias] = norms.clone()
    return out
