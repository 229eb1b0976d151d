"""Output margins on the training set and the inverse-margin measure."""

from __future__ import annotations

import math

import torch

from prunability.evaluation import logits_of
from prunability.measures.context import MeasureFailed, register


def margins(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """logit_y − max_{j≠y} logit_j per sample; negative where the sample is misclassified."""
    y = y.to(logits.device)
    true = logits.gather(1, y[:, None]).squeeze(1)
    others = logits.scatter(1, y[:, None], float("-inf"))
    return true - others.max(dim=1).values


def percentile(values: torch.Tensor, q: float) -> float:
    """The q-th percentile (0 < q < 100), linearly interpolated as numpy's default.

    Jiang et al.'s code takes the (m//10)-th smallest value instead; the two
    differ by less than one gap between neighbouring order statistics.
    """
    return torch.quantile(values.double(), q / 100.0).item()


def training_margins(ctx) -> torch.Tensor:
    """Margins of the trained model on the context's training subset (cached)."""
    return ctx.cached("margins", lambda: margins(logits_of(ctx.model, ctx.x_train, ctx.batch_size).float(), ctx.y_train))


def margin_gamma(ctx) -> float:
    """γ: the ``margin_percentile``-th percentile of the training margins (cached)."""
    return ctx.cached("margin_gamma", lambda: percentile(training_margins(ctx), ctx.config.margin_percentile))


def log_margin_squared(ctx) -> float:
    """2 log γ, for the "/margin" forms of the norm measures; fails where γ ≤ 0."""
    gamma = margin_gamma(ctx)
    if gamma <= 0:
        raise MeasureFailed(f"the {ctx.config.margin_percentile:g}th-percentile training margin is {gamma:.3g} ≤ 0, so log γ is undefined")
    return 2.0 * math.log(gamma)


@register("inverse_margin", sign=+1)
def inverse_margin(ctx) -> float:
    """1/γ²: Jiang et al. 2020, "Fantastic Generalization Measures", eq. (22).

    A percentile rather than the minimum makes γ robust to a few outliers.
    Where γ ≤ 0 (over ``margin_percentile`` % of the subset misclassified) the
    margin bound is vacuous and we return +inf, which still ranks such a model
    above every model with a positive margin.
    """
    gamma = margin_gamma(ctx)
    return 1.0 / gamma**2 if gamma > 0 else float("inf")
