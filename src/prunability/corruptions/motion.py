"""ImageMagick's motion blur (``MagickMotionBlurImage``) as a batched torch gather.

make_cifar_c.py (Hendrycks & Dietterich 2019) calls ImageMagick through Wand
for motion_blur and for the snow layer. ImageMagick's algorithm, re-expressed
here: a ONE-SIDED line kernel of ``width = 2 * ceil(radius) + 1`` taps with
Gaussian weights ``exp(-i^2 / (2 sigma^2))`` for i = 0 .. width - 1
(normalised), tap i sampling the pixel at offset
``(ceil(i cos a - 0.5), ceil(i sin a - 0.5))`` (x right, y down) from the
output pixel, edge pixels repeated beyond the border (ImageMagick's default
virtual-pixel method). Each image gets its own angle.

Differences from the released files: ImageMagick quantises its result to 8
bits (rounding) inside the PNG round trip; here the result stays in float and
the caller's final truncation applies.
"""

from __future__ import annotations

import math

import torch


def motion_kernel(radius: float, sigma: float) -> list[float]:
    """The normalised one-sided Gaussian taps of ImageMagick's motion blur."""
    width = 2 * int(math.ceil(radius)) + 1
    taps = [math.exp(-(i * i) / (2.0 * sigma * sigma)) for i in range(width)]
    total = sum(taps)
    return [t / total for t in taps]


def motion_blur(x: torch.Tensor, radius: float, sigma: float, angles_deg: torch.Tensor) -> torch.Tensor:
    """Blur every image of ``x`` (N x C x H x W) along its own angle (N degrees)."""
    n, c, h, w = x.shape
    rad = torch.deg2rad(angles_deg.to(torch.float64))
    cos, sin = torch.cos(rad).view(n, 1, 1), torch.sin(rad).view(n, 1, 1)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    flat = x.reshape(n, c, h * w)
    out = torch.zeros_like(flat)
    for i, tap in enumerate(motion_kernel(radius, sigma)):
        # One gather per tap on the flattened image: source pixel of every output pixel.
        dy = torch.ceil(i * sin - 0.5).long()
        dx = torch.ceil(i * cos - 0.5).long()
        source = (rows + dy).clamp_(0, h - 1) * w + (cols + dx).clamp_(0, w - 1)
        out.add_(flat.gather(2, source.view(n, 1, h * w).expand(n, c, h * w)), alpha=tap)
    return out.view(n, c, h, w)
