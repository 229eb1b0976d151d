"""Blur corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR,
"Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations"), with the 32x32 parameters of ``make_cifar_c.py``.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from prunability.corruptions.registry import register_corruption

TRUNCATE = 4.0  # skimage.filters.gaussian's default, passed on to scipy.ndimage


def gaussian_kernel1d(sigma: float, truncate: float = TRUNCATE) -> list[float]:
    """The normalised 1-D Gaussian taps of ``scipy.ndimage.gaussian_filter``.

    Radius ``int(truncate * sigma + 0.5)``, so 2 * radius + 1 taps. Computed
    the way scipy's ``_gaussian_kernel1d`` does, in float64 numpy, so the taps
    are bit-identical to the reference's.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    radius = int(truncate * float(sigma) + 0.5)
    offsets = np.arange(-radius, radius + 1)
    phi = np.exp(-0.5 / (sigma * sigma) * offsets**2)
    return (phi / phi.sum()).tolist()


def correlate_symmetric(x: torch.Tensor, taps: list[float], dim: int) -> torch.Tensor:
    """Correlate ``x`` along ``dim`` (-2 or -1) with symmetric ``taps``, edges replicated.

    Written as a weighted sum of shifted slices, in scipy's own order for
    symmetric filters (``ni_filters.c``: ``w0 * x0``, then
    ``+= (x[-j] + x[+j]) * w[j]`` for j = radius .. 1), so that in float64 it
    reproduces ``scipy.ndimage.correlate1d(mode='nearest')`` bit for bit; the
    result does not depend on a cuDNN algorithm choice either.
    """
    if dim not in (-2, -1):
        raise ValueError(f"dim must be -2 (H) or -1 (W), got {dim!r}")
    radius = len(taps) // 2
    size = x.shape[dim]
    pad = (0, 0, radius, radius) if dim == -2 else (radius, radius, 0, 0)
    padded = F.pad(x, pad, mode="replicate")
    out = padded.narrow(dim, radius, size) * taps[radius]
    for j in range(radius, 0, -1):
        pair = padded.narrow(dim, radius - j, size) + padded.narrow(dim, radius + j, size)
        out += pair.mul_(taps[radius + j])
    return out


@register_corruption("gaussian_blur", "blur", (0.4, 0.6, 0.7, 0.8, 1.0))
def gaussian_blur(x: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """Gaussian blur of each channel, as ``skimage.filters.gaussian(x, sigma)``.

    make_cifar_c.py: ``gaussian(x, sigma=c, multichannel=True)`` with
    c = .4, .6, 0.7, .8, 1 for severities 1..5, then ``np.clip(x, 0, 1)``.
    skimage hands this to ``scipy.ndimage.gaussian_filter`` with sigma 0 on the
    channel axis, ``mode='nearest'`` (edges replicated) and ``truncate=4.0``,
    i.e. a separable filter of radius ``int(4 * sigma + 0.5)`` applied along H
    and then along W.

    A custom separable filter with replicate padding is needed because
    ``torchvision.transforms.functional.gaussian_blur`` pads with ``reflect``
    and sizes its kernel differently, which changes the border pixels (a
    quarter of a 32x32 image lies within 4 pixels of an edge).
    Deterministic: ``generator`` is unused.
    """
    taps = gaussian_kernel1d(sigma)
    out = correlate_symmetric(x, taps, dim=-2)
    out = correlate_symmetric(out, taps, dim=-1)
    return out.clamp_(0.0, 1.0)
