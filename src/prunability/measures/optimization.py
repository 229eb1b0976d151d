"""Optimization-based measures of Jiang et al. 2020, "Fantastic Generalization
Measures and Where to Find Them" (arXiv 1912.02178), §"Optimization-based
measures": the speed of training (from the train stage's milestones), the
gradient noise at the end of training, and the final cross-entropy and
output entropy on the training subset.

Expected signs follow the margin view the catalogue already takes for
``inverse_margin``: slower optimization, noisier final gradients, a higher
final loss and less confident outputs go with a larger generalization gap.
"""

from __future__ import annotations

import torch

from prunability.evaluation import evaluate, logits_of
from prunability.measures.context import MeasureFailed, register
from prunability.measures.gradients import flat_loss_gradient


def milestone_step(ctx, target_ce: float) -> int:
    """The first optimizer step at which the training CE reached ``target_ce``."""
    steps = {float(k): v for k, v in ctx.milestones.items()}
    if float(target_ce) not in steps:
        raise MeasureFailed(f"training recorded no milestone at CE {target_ce:g}; add it to training.milestones")
    step = steps[float(target_ce)]
    if step is None:
        raise MeasureFailed(f"training never reached cross-entropy {target_ce:g}")
    return int(step)


@register("steps_to_ce_01", sign=+1, needs=("history",))
def steps_to_ce_01(ctx) -> float:
    """Optimizer steps until the training cross-entropy first reached 0.1
    (Jiang et al. 2020, "#steps to CE 0.1"; resolved to epoch ends)."""
    return float(milestone_step(ctx, 0.1))


@register("steps_from_ce_01_to_001", sign=+1, needs=("history",))
def steps_from_ce_01_to_001(ctx) -> float:
    """Optimizer steps from training CE 0.1 to 0.01 (Jiang et al. 2020, "#steps 0.1 → 0.01")."""
    return float(milestone_step(ctx, 0.01) - milestone_step(ctx, 0.1))


def minibatch_gradients(model: torch.nn.Module, x, y, batch_size: int, max_batches: int, generator: torch.Generator):
    """Flattened mean-loss gradients of up to ``max_batches`` disjoint random
    minibatches of exactly ``batch_size`` samples (model in eval mode)."""
    order = torch.randperm(len(x), generator=generator).split(batch_size)
    batches = [idx for idx in order if len(idx) == batch_size][:max_batches]
    return torch.stack([flat_loss_gradient(model, x[idx], y[idx], batch_size) for idx in batches]).double()


@register("gradient_noise", sign=+1)
def gradient_noise(ctx) -> float:
    """E_b ‖g_b − ḡ‖², the total variance of minibatch gradients of the trained
    model (Jiang et al. 2020, "gradient noise" at the end of training), over
    disjoint minibatches of the training batch size from the training subset,
    ḡ their mean; dropout and BatchNorm in eval mode."""
    cfg = ctx.config
    generator = torch.Generator().manual_seed(ctx.seed)
    grads = minibatch_gradients(ctx.model.eval(), ctx.x_train, ctx.y_train, ctx.train_batch_size,
                                cfg.gradient_noise_batches, generator)
    if len(grads) < 2:
        raise MeasureFailed(f"the training subset holds fewer than two minibatches of {ctx.train_batch_size}")
    return (grads - grads.mean(dim=0)).pow(2).sum(dim=1).mean().item()


@register("final_train_ce", sign=+1)
def final_train_ce(ctx) -> float:
    """Mean cross-entropy of the trained model on the training subset
    (Jiang et al. 2020, "cross-entropy" baseline)."""
    return ctx.cached("train_eval", lambda: evaluate(ctx.model, ctx.x_train, ctx.y_train, ctx.batch_size)).loss


@register("output_entropy", sign=+1)
def output_entropy(ctx) -> float:
    """Mean entropy (nats) of the softmax output on the training subset
    (Jiang et al. 2020, "entropy" baseline)."""
    logp = torch.log_softmax(logits_of(ctx.model, ctx.x_train, ctx.batch_size).double(), dim=1)
    return -(logp.exp() * logp).sum(dim=1).mean().item()
