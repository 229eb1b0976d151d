"""Instability to SGD noise as a generalization measure (Frankle, Dziugaite, Roy &
Carbin 2020, "Linear Mode Connectivity and the Lottery Ticket Hypothesis", §2;
prunability.instability): the error barrier between two copies of the model
trained from its initialization (``instability_init``) or from its weights after
``measures.instability_k_step`` steps of its own run (``instability_k``) with two
other data orders, over ``measures.instability_points`` evenly spaced
interpolations, BatchNorm statistics recomputed at each.

The error is measured on the model's fixed train-eval subset, not on the test
set as Frankle et al. report it: a generalization measure may not look at test
data. Expected sign +1: a network whose SGD noise lands it in separate basins is
taken to be the more complex one (the paper ties stability to matching tickets,
not to the gap; the sign is our hypothesis).
"""

from __future__ import annotations

from prunability.instability import instability
from prunability.measures.context import MeasureFailed, register
from prunability.status import Status


def _barrier(ctx, k: int) -> float:
    barrier, statuses = instability(ctx.spec, ctx.training, ctx.data, ctx.device, k, ctx.config.instability_points,
                                    ctx.x_train, ctx.y_train, eval_batch_size=ctx.batch_size)
    if Status.DIVERGED in statuses:
        raise MeasureFailed("a copy trained for the instability diverged (non-finite loss)")
    return barrier.height


@register("instability_init", sign=+1, needs=("training",))
def instability_init(ctx) -> float:
    """Error barrier (max over α of E(α) − mean of the end points' errors) between two copies
    trained from the initialization with different data orders (Frankle et al. 2020, §2, k = 0)."""
    return _barrier(ctx, 0)


@register("instability_k", sign=+1, needs=("training",))
def instability_k(ctx) -> float:
    """The same barrier for copies trained from the weights (and optimizer state) after
    ``instability_k_step`` steps of the model's own run (Frankle et al. 2020, §2, step k)."""
    return _barrier(ctx, ctx.config.instability_k_step)
