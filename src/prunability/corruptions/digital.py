"""Digital corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR,
"Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations"), with the 32x32 parameters of ``make_cifar_c.py``.
"""

from __future__ import annotations

import torch

from prunability.corruptions.registry import register_corruption


def sequential_channel_mean(x: torch.Tensor) -> torch.Tensor:
    """Per-image, per-channel mean (N x C x 1 x 1), summed pixel by pixel in raster order.

    This is the order of ``np.mean(x, axis=(0, 1))`` on the reference's
    contiguous H x W x C array: the channel axis is innermost, so numpy adds
    whole pixels one after another into a running sum (no pairwise summation)
    and then divides by H * W. ``torch.mean`` sums in another order and differs
    in the last bit; because ``(x - m) * c + m`` often lands exactly on a
    multiple of 1/255 (e.g. c = 0.75 and 255 * m = sum / (H * W)), that bit
    decides the uint8 truncation of about a third of the pixels. Summing in
    numpy's order makes ``contrast`` match the reference bit for bit in float64.
    """
    n, c, h, w = x.shape
    pixels = x.reshape(n, c, h * w).permute(2, 0, 1).contiguous()  # HW x N x C
    total = torch.zeros((n, c), dtype=x.dtype, device=x.device)
    for pixel in pixels:
        total += pixel
    return (total / (h * w)).reshape(n, c, 1, 1)


@register_corruption("contrast", "digital", (0.75, 0.5, 0.4, 0.3, 0.15))
def contrast(x: torch.Tensor, factor: float, generator: torch.Generator) -> torch.Tensor:
    """Shrink every pixel toward the image mean: ``clip((x - m) * factor + m, 0, 1)``.

    make_cifar_c.py: ``means = np.mean(x, axis=(0, 1), keepdims=True)`` on an
    H x W x C array, i.e. ``m`` is the mean over the pixels of each image
    **per channel** (not over channels too), then
    ``np.clip((x - means) * c + means, 0, 1)`` with c = .75, .5, .4, .3, 0.15
    for severities 1..5. The mean is summed in numpy's order (see
    ``sequential_channel_mean``) so that, in float64, the result is bit for bit
    the reference's. Deterministic: ``generator`` is unused.
    """
    means = sequential_channel_mean(x)
    return ((x - means) * factor + means).clamp_(0.0, 1.0)
