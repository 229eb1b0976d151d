"""Colour conversions for the corruptions, in torch, with skimage's and OpenCV's conventions.

make_cifar_c.py (Hendrycks & Dietterich 2019) uses ``skimage.color.rgb2hsv`` /
``hsv2rgb`` for brightness and saturate and ``cv2.COLOR_RGB2GRAY`` (ITU-R 601
luma) for snow; these are written here for batched N x C x H x W tensors.

Grayscale images (C = 1) are treated as the achromatic RGB image (g, g, g):
a corruption defined on colour runs on that image and its result is turned
back to one channel with the same luma weights (``to_channels``).
"""

from __future__ import annotations

import torch

LUMA = (0.299, 0.587, 0.114)  # cv2.COLOR_RGB2GRAY


def to_gray(x: torch.Tensor) -> torch.Tensor:
    """N x 1 x H x W luma of RGB images; single-channel images are returned as they are."""
    if x.shape[1] == 1:
        return x
    r, g, b = x.unbind(1)
    return (LUMA[0] * r + LUMA[1] * g + LUMA[2] * b).unsqueeze(1)


def as_rgb(x: torch.Tensor) -> torch.Tensor:
    """RGB images unchanged; single-channel images repeated to (g, g, g)."""
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def to_channels(rgb: torch.Tensor, channels: int) -> torch.Tensor:
    """Back to the caller's channel count: RGB unchanged, or its luma for C = 1."""
    return to_gray(rgb) if channels == 1 else rgb


def rgb_to_hsv(x: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W RGB in [0, 1] -> HSV in [0, 1], as ``skimage.color.rgb2hsv``.

    Hue ties are resolved like skimage (blue wins over green over red), and an
    achromatic pixel gets hue 0 and saturation 0.
    """
    r, g, b = x.unbind(1)
    v = x.amax(1)
    delta = v - x.amin(1)
    safe = torch.where(delta == 0, torch.ones_like(delta), delta)
    h = torch.where(r == v, (g - b) / safe, torch.zeros_like(v))
    h = torch.where(g == v, 2.0 + (b - r) / safe, h)
    h = torch.where(b == v, 4.0 + (r - g) / safe, h)
    h = torch.where(delta == 0, torch.zeros_like(h), torch.remainder(h / 6.0, 1.0))
    s = torch.where(delta == 0, torch.zeros_like(v), delta / torch.where(v == 0, torch.ones_like(v), v))
    return torch.stack([h, s, v], 1)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """N x 3 x H x W HSV in [0, 1] -> RGB, the inverse of ``rgb_to_hsv`` (skimage's ``hsv2rgb``).

    Written as ``V - V S clip(min(k, 4 - k), 0, 1)`` with ``k = (n + 6 H) mod 6``
    and n = 5, 3, 1 for r, g, b: the six hue sectors of skimage in one
    expression per channel, with no table of candidates to gather from.
    """
    h, s, v = hsv[:, 0:1], hsv[:, 1:2], hsv[:, 2:3]
    n = torch.tensor([5.0, 3.0, 1.0], dtype=hsv.dtype, device=hsv.device).view(1, 3, 1, 1)
    k = torch.remainder(n + h * 6.0, 6.0)
    return v - v * s * torch.minimum(k, 4.0 - k).clamp(0.0, 1.0)
