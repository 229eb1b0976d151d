"""Scores from derivatives: gradient magnitude, SNIP, GraSP (the loss on training
batches) and SynFlow (data-free).

Conventions shared by all four: higher score = keep; the model is scored in
eval mode (BatchNorm uses its running statistics and dropout is off, so the
scores do not depend on how the batches are grouped and match the loss the
prune stage evaluates; the Synaptic-Flow reference code also prunes in eval
mode by default); the loss L is the mean cross-entropy over all scoring images
(each batch weighted by its size); the model's weights, mode and ``.grad`` are
left as they were.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from prunability.pruning.context import ScoringContext
from prunability.pruning.masks import masks_from_scores

Scores = dict[str, torch.Tensor]

GRASP_TEMPERATURE = 200.0  # logits / T, as in the GraSP and Synaptic-Flow reference code
GRASP_EPS = 1e-10


@contextmanager
def _eval_with_grad(model: torch.nn.Module, params: list[torch.Tensor]):
    was_training = model.training
    needed = [p.requires_grad for p in params]
    model.eval()
    try:
        with torch.enable_grad():
            for p in params:
                p.requires_grad_(True)
            yield
    finally:
        for p, r in zip(params, needed):
            p.requires_grad_(r)
        model.train(was_training)


def _weights(ctx: ScoringContext, batches) -> list[float]:
    total = sum(len(y) for _, y in batches)
    return [len(y) / total for _, y in batches]


def loss_gradients(ctx: ScoringContext, method: str, temperature: float = 1.0) -> Scores:
    """∂L/∂w for every prunable tensor, L = mean cross-entropy of logits/T over the context's batches."""
    batches = ctx.require_batches(method)
    names = list(ctx.params)
    params = [ctx.params[n] for n in names]
    grads = [torch.zeros_like(p, dtype=torch.float32) for p in params]
    with _eval_with_grad(ctx.model, params):
        for (x, y), weight in zip(batches, _weights(ctx, batches)):
            loss = F.cross_entropy(ctx.model(x) / temperature, y)
            for acc, g in zip(grads, torch.autograd.grad(loss, params, allow_unused=True)):
                if g is not None:
                    acc.add_(g.detach().float(), alpha=weight)
    return dict(zip(names, grads))


def gradient_magnitude_scores(ctx: ScoringContext) -> Scores:
    """Gradient magnitude ("MagGrad" of ShrinkBench; Blalock et al. 2020, "What is
    the State of Neural Network Pruning?"): the first-order Taylor estimate of the
    loss change when w_j is removed, s_j = |w_j · ∂L/∂w_j|, with ∂L/∂w the gradient
    of the mean training loss over ``pruning.score_batches`` batches (ShrinkBench
    uses one). Global or layerwise by the registered scope."""
    grads = loss_gradients(ctx, "gradient magnitude")
    return {n: (p.detach().float() * grads[n]).abs() for n, p in ctx.params.items()}


def snip_scores(ctx: ScoringContext) -> Scores:
    """SNIP: Lee et al. 2019, "SNIP: Single-shot Network Pruning based on
    Connection Sensitivity" (ICLR), Eq. (6). With a mask c multiplying the weights,
    g_j = ∂L(c ⊙ w)/∂c_j at c = 1 equals w_j · ∂L/∂w_j, and the connection
    sensitivity is

        s_j = |g_j| / Σ_k |g_k|,

    the sum running over every prunable weight; the top-κ are kept (global).
    The normalization does not change the ranking, so SNIP's masks equal those of
    global gradient magnitude on the same batches; the paper applies it at
    initialization (the at-init schedule is the caller's choice)."""
    saliency = gradient_magnitude_scores(ctx)
    total = sum(s.sum() for s in saliency.values())
    total = total if float(total) > 0 else torch.tensor(1.0)
    return {n: s / total for n, s in saliency.items()}


def grasp_scores(ctx: ScoringContext) -> Scores:
    """GraSP: Wang, Zhang & Grosse 2020, "Picking Winning Tickets Before Training
    by Preserving Gradient Flow" (ICLR), Eq. (8) and Algorithm 1.

    With g = ∂L/∂w and H the Hessian of L, removing weight q (δ = −w_q e_q)
    changes the gradient flow gᵀg by about 2δᵀHg, so the paper's score is

        S(−w) = −w ⊙ Hg,

    and GraSP *removes* the weights with the largest S: their removal reduces the
    gradient flow least (or increases it). Our convention is higher = keep, so we
    return the negation, normalized by a positive constant:

        keep score = (w ⊙ Hg) / (|Σ_k w_k (Hg)_k| + 1e-10)

    (signed, not absolute; the top keep scores are exactly the bottom S). As in
    the reference code, L uses logits / T with T = 200, g is computed once and
    held fixed (detached), and Hg = ∂(g_stoppedᵀ ∂L/∂w)/∂w by double backward."""
    g = loss_gradients(ctx, "grasp", temperature=GRASP_TEMPERATURE)
    batches = ctx.batches
    names = list(ctx.params)
    params = [ctx.params[n] for n in names]
    hg = [torch.zeros_like(p, dtype=torch.float32) for p in params]
    with _eval_with_grad(ctx.model, params):
        for (x, y), weight in zip(batches, _weights(ctx, batches)):
            loss = F.cross_entropy(ctx.model(x) / GRASP_TEMPERATURE, y)
            grads = torch.autograd.grad(loss, params, create_graph=True, allow_unused=True)
            z = sum((gi * g[n].to(gi.dtype)).sum() for n, gi in zip(names, grads) if gi is not None)
            if not torch.is_tensor(z) or not z.requires_grad:
                continue  # no second-order path (e.g. a purely linear model with no curvature in w)
            for acc, h in zip(hg, torch.autograd.grad(z, params, allow_unused=True)):
                if h is not None:
                    acc.add_(h.detach().float(), alpha=weight)
    raw = {n: p.detach().float() * h for n, p, h in zip(names, params, hg)}
    norm = torch.abs(sum(s.sum() for s in raw.values())) + GRASP_EPS
    return {n: s / norm for n, s in raw.items()}


def synflow_densities(sparsity: float, rounds: int) -> list[float]:
    """SynFlow's exponential schedule: the density after round k = 1…n is ρ^{k/n},
    ρ = 1 − sparsity the target density, so round n reaches ρ exactly."""
    rho = 1.0 - sparsity
    return [rho ** (k / rounds) for k in range(1, rounds + 1)]


def _synflow_round(net: torch.nn.Module, prunable: dict[str, torch.Tensor], ones: torch.Tensor) -> Scores:
    names = list(prunable)
    with torch.enable_grad():
        r = net(ones).sum()
        grads = torch.autograd.grad(r, [prunable[n] for n in names], allow_unused=True)
    return {n: (g * prunable[n]).detach().abs() if g is not None else torch.zeros_like(prunable[n])
            for n, g in zip(names, grads)}


def synflow_scores(ctx: ScoringContext) -> Scores:
    """SynFlow: Tanaka et al. 2020, "Pruning neural networks without any data by
    iteratively conserving synaptic flow" (NeurIPS), Eq. (2) and Algorithm 1.

    Data-free. Every floating tensor of ``net``'s state (weights, biases, norm
    statistics) is replaced by its absolute value, one all-ones input of the
    image shape is fed to ``net`` (after, not through, the input normalization),
    in eval mode and float64, and R = Σ output = 1ᵀ(∏_l |W_l|)1 for a linear
    chain. The synaptic-flow score is s = |∂R/∂w ⊙ w|. Scoring and pruning
    alternate for n = ``pruning.synflow_rounds`` rounds with the exponential
    schedule: after round k the global top round(ρ^{k/n}·N) scores are kept, and
    the next round scores the masked network (pruned weights are 0 and can never
    return). All of this happens on a float64 copy, so the model's weights and
    signs are untouched.

    The mask depends on the target, so the method is registered as
    ``per_sparsity``; the returned scores are the last round's (−inf for weights
    pruned in earlier rounds), whose global top-k at ``ctx.sparsity`` is the
    final mask, with exactly round((1 − s)·N) kept."""
    sparsity = ctx.sparsity if ctx.sparsity is not None else 0.0
    rounds = ctx.require_settings("synflow").synflow_rounds
    net = copy.deepcopy(ctx.net).double().eval()
    with torch.no_grad():
        for t in net.state_dict().values():
            if t.is_floating_point():
                t.abs_()
    named = dict(net.named_parameters())
    prunable = {n: named[n] for n in ctx.params}
    for p in prunable.values():
        p.requires_grad_(True)
    dense = {n: p.detach().clone() for n, p in prunable.items()}
    ones = torch.ones((1, *ctx.image_shape()), dtype=torch.float64, device=next(iter(dense.values())).device)
    densities = synflow_densities(sparsity, rounds) if sparsity > 0 else [1.0]
    mask = {n: torch.ones_like(p, dtype=torch.bool) for n, p in dense.items()}
    scores: Scores = {}
    for k, density in enumerate(densities, start=1):
        with torch.no_grad():
            for n, p in prunable.items():
                p.copy_(dense[n] * mask[n])
        scores = _synflow_round(net, prunable, ones)
        scores = {n: s.masked_fill(~mask[n], float("-inf")) for n, s in scores.items()}
        if k < len(densities):  # the last round's top-k is taken by the caller, at exactly the target
            mask = masks_from_scores(scores, 1.0 - density, "global")
    return scores
