"""Intrinsic dimension by TwoNN: Facco, d'Errico, Rodriguez & Laio 2017,
"Estimating the intrinsic dimension of datasets by a minimal neighborhood
information" (Scientific Reports 7:12140).

For each point, μ = r₂/r₁ (distances to its second and first nearest
neighbours) follows a Pareto law F(μ) = 1 − μ^(−d) on a locally uniform
d-dimensional manifold, so −log(1 − F(μ)) = d·log μ. d is the slope of the
line through the origin fitted to the empirical pairs (log μ_(i), −log(1 − i/N))
after discarding the largest ``twonn_discard_fraction`` of the μ (their eq. 3
and the fit of their Fig. 1). Points with a duplicate (r₁ = 0) are dropped.

Asked with the data and with the penultimate features, it lets a study ask
whether low-dimensional data make a network more prunable (Ansuini et al.
2019 found a low final-layer dimension where test accuracy is high).
"""

from __future__ import annotations

import torch

from prunability.data.split import as_float
from prunability.measures.context import MeasureFailed, register
from prunability.measures.features import penultimate_features


def twonn(points: torch.Tensor, discard_fraction: float = 0.1) -> float:
    """The TwoNN estimate of the intrinsic dimension of the rows of ``points``."""
    x = points.reshape(len(points), -1).double()
    dist = torch.cdist(x, x)
    dist.fill_diagonal_(float("inf"))
    r = dist.topk(2, dim=1, largest=False).values
    r1, r2 = r[:, 0], r[:, 1]
    keep = r1 > 0
    mu = torch.sort(r2[keep] / r1[keep]).values
    n = len(mu)
    used = int(n * (1.0 - discard_fraction))
    if used < 3:
        raise MeasureFailed(f"TwoNN needs at least 3 distinct points after discarding, got {used}")
    log_mu = mu[:used].log()
    target = -torch.log1p(-torch.arange(1, used + 1, dtype=torch.float64, device=mu.device) / n)
    denominator = log_mu.pow(2).sum()
    if denominator == 0:
        raise MeasureFailed("every point's two nearest neighbours are equally far (μ = 1): dimension undefined")
    return (log_mu * target).sum().item() / denominator.item()


def _sample(ctx, n: int) -> torch.Tensor:
    """A seeded subset of at most ``intrinsic_dim_samples`` indices of n (cdist is O(n²))."""
    generator = torch.Generator().manual_seed(ctx.seed)
    return torch.randperm(n, generator=generator)[: ctx.config.intrinsic_dim_samples]


@register("data_intrinsic_dim", sign=+1)
def data_intrinsic_dim(ctx) -> float:
    """TwoNN intrinsic dimension (Facco et al. 2017) of the training subset's
    images, as pixel vectors in [0, 1]. A property of the data, constant across
    the models of one study; expected sign +1 (higher-dimensional data, harder
    to generalize from)."""
    x = as_float(ctx.x_train[_sample(ctx, len(ctx.x_train))])
    return twonn(x, ctx.config.twonn_discard_fraction)


@register("feature_intrinsic_dim", sign=+1)
def feature_intrinsic_dim(ctx) -> float:
    """TwoNN intrinsic dimension (Facco et al. 2017) of the penultimate features
    (see ``features.py``) on the training subset. Expected sign +1: a
    lower-dimensional final representation went with better generalization in
    Ansuini et al. 2019."""
    features = penultimate_features(ctx).features
    return twonn(features[_sample(ctx, len(features))], ctx.config.twonn_discard_fraction)
