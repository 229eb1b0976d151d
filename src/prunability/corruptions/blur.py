"""Blur corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR,
"Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations"), with the 32x32 parameters of ``make_cifar_c.py``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from prunability.corruptions import motion
from prunability.corruptions.registry import register_corruption, unit_two_step
from prunability.corruptions.resample import clipped_zoom, symmetric_index, zoom_matrix

SCIPY_TAPS = 12  # correlate2d: above this many taps scipy's C loop beats torch's weighted sum
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


def _pad(x: torch.Tensor, radius: int, dim: int, mode: str) -> torch.Tensor:
    """Pad ``radius`` values on both ends of ``dim``: edges repeated (scipy 'nearest')
    or mirrored with the edge pixel doubled (scipy 'reflect', any radius)."""
    if mode == "nearest":
        return F.pad(x, (0, 0, radius, radius) if dim == -2 else (radius, radius, 0, 0), mode="replicate")
    if mode == "reflect":
        return x.index_select(dim, symmetric_index(x.shape[dim], radius, x.device))
    raise ValueError(f"mode must be 'nearest' or 'reflect', got {mode!r}")


def correlate_symmetric(x: torch.Tensor, taps: list[float], dim: int, mode: str = "nearest") -> torch.Tensor:
    """Correlate ``x`` along ``dim`` (-2 or -1) with symmetric ``taps``, edges replicated
    (``mode='nearest'``) or mirrored (``mode='reflect'``, scipy's half-sample symmetric).

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
    padded = _pad(x, radius, dim, mode)
    out = padded.narrow(dim, radius, size) * taps[radius]
    for j in range(radius, 0, -1):
        pair = padded.narrow(dim, radius - j, size) + padded.narrow(dim, radius + j, size)
        out += pair.mul_(taps[radius + j])
    return out


def gaussian_filter2d(x: torch.Tensor, sigma: float, truncate: float = TRUNCATE, mode: str = "nearest") -> torch.Tensor:
    """``scipy.ndimage.gaussian_filter`` over H and W of every image and channel (no clipping)."""
    taps = gaussian_kernel1d(sigma, truncate)
    return correlate_symmetric(correlate_symmetric(x, taps, -2, mode), taps, -1, mode)


@lru_cache(maxsize=16)
def disk_kernel(radius: float, alias_blur: float) -> np.ndarray:
    """make_cifar_c.py's ``disk``: a normalised binary disk on a 17 x 17 grid (radius <= 8),
    anti-aliased by a 3 x 3 Gaussian (``cv2.GaussianBlur``), in float32, with its
    all-zero border rows and columns trimmed (they add nothing but padding)."""
    if radius > 8:
        raise ValueError(f"defocus radius must be <= 8 (the 17 x 17 grid of make_cifar_c.py), got {radius}")
    offsets = np.arange(-8, 9)
    xx, yy = np.meshgrid(offsets, offsets)
    disk = np.array(xx**2 + yy**2 <= radius**2, dtype=np.float32)
    disk /= disk.sum()
    g = np.exp(-((np.arange(3) - 1.0) ** 2) / (2 * alias_blur**2))
    g = (g / g.sum()).astype(np.float32)
    kernel = np.apply_along_axis(lambda r: np.convolve(r, g, mode="same"), 0, disk)
    kernel = np.apply_along_axis(lambda r: np.convolve(r, g, mode="same"), 1, kernel)
    keep = np.flatnonzero(kernel.any(axis=0))
    trim = min(keep[0], 16 - keep[-1])
    return kernel[trim:17 - trim, trim:17 - trim]


@register_corruption("defocus_blur", "blur", ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)),
                     deterministic=True)
def defocus_blur(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """Convolve each channel with an anti-aliased disk (out-of-focus lens).

    make_cifar_c.py: ``disk(radius, alias_blur)`` with (radius, alias_blur) =
    (0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1) for severities
    1..5, applied with ``cv2.filter2D`` (borders mirrored without repeating the
    edge pixel, BORDER_REFLECT_101 = torch's 'reflect'), then clipped.
    Deterministic: ``generator`` is unused.
    """
    return correlate2d(x, disk_kernel(*param)).clamp_(0.0, 1.0)


def correlate2d(x: torch.Tensor, kernel: np.ndarray) -> torch.Tensor:
    """``cv2.filter2D(x, -1, kernel)`` of every image and channel (square odd kernel, anchor at
    the centre, BORDER_REFLECT_101 = torch's 'reflect'), not clipped.

    As OpenCV's direct filter sums it: the nonzero taps in raster order, each product
    rounded, then added (``s += k * x``, no fused multiply-add) -- a weighted sum of
    shifted views in ``x``'s dtype. On 32 x 32 CIFAR images 5-10x faster than the float64
    ``conv2d`` it replaces (im2col and a GEMM), whose sums ran in the GEMM's order; the two
    differ by float rounding only (below 1e-15). On the CPU, kernels of more than
    ``SCIPY_TAPS`` taps go to ``scipy.ndimage.correlate`` (mode 'mirror' = REFLECT_101),
    which sums the same products in the same order in one C loop (measured 2x faster at
    5 x 5, equal bit for bit; it skips taps below 2.2e-16, which move no float64 sum of
    pixels in [0, 1] that the tests found)."""
    if x.device.type == "cpu" and x.dtype == torch.float64 and np.count_nonzero(kernel) > SCIPY_TAPS:
        weights = kernel.astype(np.float64)[None, None]
        return torch.from_numpy(ndimage.correlate(x.contiguous().numpy(), weights, mode="mirror"))
    r = kernel.shape[0] // 2
    h, w = x.shape[-2:]
    padded = F.pad(x, (r, r, r, r), mode="reflect")
    out = torch.zeros_like(x)
    for (i, j), weight in np.ndenumerate(kernel.astype(np.float64)):
        if weight:
            out += padded[..., i:i + h, j:j + w] * weight
    return out


def shuffle_pixels(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """One pass of glass blur's local pixel shuffle, given the per-pixel offsets.

    make_cifar_c.py walks h = H-1 .. 2 and w = W-1 .. 2 (for max_delta 1) and
    runs ``x[h, w], x[h', w'] = x[h', w'], x[h, w]`` with h' = h + dy,
    w' = w + dx, dx, dy in {-1, 0}. On numpy arrays both sides are views, so
    the "swap" only COPIES x[h', w'] into x[h, w] -- and since every source
    lies above or to the left of the target, no source has been overwritten
    yet when it is read. The whole pass is therefore one gather:
    ``out[h, w] = x[h + dy, w + dx]`` on the interior block. ``dy``, ``dx``:
    N x (H - 2) x (W - 2) integer offsets in {-1, 0}.
    """
    n, c, h, w = x.shape
    rows = torch.arange(2, h, device=x.device).view(1, -1, 1) + dy
    cols = torch.arange(2, w, device=x.device).view(1, 1, -1) + dx
    source = (rows * w + cols).reshape(n, 1, -1).expand(n, c, -1)
    out = x.clone()
    out[:, :, 2:, 2:] = x.flatten(2).gather(2, source).view(n, c, h - 2, w - 2)
    return out


def _glass_draw(x: torch.Tensor, param: tuple[float, int, int], generator: torch.Generator) -> list[torch.Tensor]:
    """glass_blur's draws: per pass, the offsets (dy, dx), 2 x N x (H - 2) x (W - 2) in {-1, 0}."""
    sigma, delta, iterations = param
    if delta != 1:
        raise ValueError(f"glass_blur supports max_delta 1 (all CIFAR-10-C severities), got {delta}")
    n, _, h, w = x.shape
    return [torch.randint(-1, 1, (2, n, h - 2, w - 2), generator=generator, device=x.device)
            for _ in range(iterations)]


def _glass_finish(x: torch.Tensor, param: tuple[float, int, int], offsets: list[torch.Tensor]) -> torch.Tensor:
    sigma = param[0]
    out = torch.floor(gaussian_filter2d(x, sigma).clamp_(0.0, 1.0) * 255) / 255  # np.uint8(... * 255)
    for dy, dx in offsets:
        out = shuffle_pixels(out, dy, dx)
    return gaussian_filter2d(out, sigma).clamp_(0.0, 1.0)


@register_corruption("glass_blur", "blur", ((0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)),
                     uint8=unit_two_step(_glass_draw, _glass_finish))
def glass_blur(x: torch.Tensor, param: tuple[float, int, int], generator: torch.Generator) -> torch.Tensor:
    """Blur, shuffle pixels locally, blur again (frosted glass).

    make_cifar_c.py: (sigma, max_delta, iterations) = (0.05,1,1), (0.25,1,1),
    (0.4,1,1), (0.25,1,2), (0.4,1,2) for severities 1..5: a Gaussian blur
    (skimage, sigma), truncation to uint8, ``iterations`` passes of the local
    shuffle (see ``shuffle_pixels``: offsets from ``randint(-1, 1)``, i.e.
    {-1, 0}), a second Gaussian blur, clipping. Only max_delta = 1 occurs in
    the table and only it is supported (larger deltas would read pixels the
    pass already overwrote).
    """
    return _glass_finish(x, param, _glass_draw(x, param, generator))


def _motion_angles(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """motion_blur's only draws: an angle ~ U(-45, 45) degrees per image (float64)."""
    return torch.rand(x.shape[0], generator=generator, device=x.device, dtype=torch.float64) * 90.0 - 45.0


def _motion_finish(x: torch.Tensor, param: tuple[float, float], angles: torch.Tensor) -> torch.Tensor:
    radius, sigma = param
    return motion.motion_blur(x, radius, sigma, angles).clamp_(0.0, 1.0)


@register_corruption("motion_blur", "blur", ((6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)),
                     uint8=unit_two_step(_motion_angles, _motion_finish))
def motion_blur(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """Blur along a line at a random angle per image (camera shake).

    make_cifar_c.py: ImageMagick's ``MotionBlurImage(radius, sigma, angle)``
    with (radius, sigma) = (6,1), (6,1.5), (6,2), (8,2), (9,2.5) for
    severities 1..5 and angle ~ U(-45, 45) degrees per image. ImageMagick is
    replaced by its algorithm in torch (``prunability.corruptions.motion``: a
    one-sided Gaussian line kernel, edge pixels repeated); unlike the released
    files the blurred image is not rounded to 8 bits before the final
    truncation, so pixels may differ by one level.
    """
    return _motion_finish(x, param, _motion_angles(x, param, generator))


ZOOM_STOPS = (1.06, 1.11, 1.16, 1.21, 1.26)


@register_corruption("zoom_blur", "blur", tuple(tuple(np.arange(1, stop, 0.01).tolist()) for stop in ZOOM_STOPS),
                     deterministic=True)
def zoom_blur(x: torch.Tensor, factors: tuple[float, ...], generator: torch.Generator) -> torch.Tensor:
    """Average the image with zoomed-in copies of its centre (zooming during exposure).

    make_cifar_c.py: zoom factors ``np.arange(1, stop, 0.01)`` with stop =
    1.06, 1.11, 1.16, 1.21, 1.26 for severities 1..5 (floating-point arange:
    7, 12, 16, 21 and 26 factors), ``clipped_zoom`` with scipy's linear zoom,
    ``(x + sum of zooms) / (len + 1)`` in float32, clipped. Each zoom is a
    fixed linear map (``resample.clipped_zoom``), so their sum is one matrix
    on the flattened image, applied to the whole batch in one product.
    Deterministic: ``generator`` is unused.
    """
    x32 = x.to(torch.float32)  # the reference works in float32 here
    n, c, h, w = x.shape
    if h * w <= MAX_OPERATOR_PIXELS:
        operator = _zoom_sum_operator(h, w, tuple(factors), str(x.device))
        zooms = (x32.reshape(n * c, h * w) @ operator).view(n, c, h, w)
    else:
        zooms = sum(clipped_zoom(x32, factor) for factor in factors)
    return ((x32 + zooms) / (len(factors) + 1)).clamp_(0.0, 1.0).to(x.dtype)


MAX_OPERATOR_PIXELS = 48 * 48  # the summed-zoom operator is (H W)^2 floats: 21 MiB at 48 x 48


@lru_cache(maxsize=16)
def _zoom_sum_operator(h: int, w: int, factors: tuple[float, ...], device: str) -> torch.Tensor:
    """(H W) x (H W) float32 matrix T with ``x_flat @ T`` = the sum of ``clipped_zoom(x, f)``.

    Every zoom is ``R_f x C_f^T`` (``resample.clipped_zoom``), so the sum maps
    pixel (k, l) to (i, j) with weight sum_f R_f[i, k] C_f[j, l]; built once per
    severity in float64. One GEMM then replaces 2 x 26 small batched products
    (3x less time at 32 x 32); the float32 result differs from the per-zoom sum
    by rounding only (< 1e-6).
    """
    like = torch.empty(0, dtype=torch.float64)
    rows = torch.stack([zoom_matrix(h, f, like) for f in factors])
    cols = torch.stack([zoom_matrix(w, f, like) for f in factors])
    total = torch.einsum("fik,fjl->klij", rows, cols).reshape(h * w, h * w)
    return total.to(device=device, dtype=torch.float32).contiguous()


@register_corruption("gaussian_blur", "blur", (0.4, 0.6, 0.7, 0.8, 1.0), deterministic=True)
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
    return gaussian_filter2d(x, sigma).clamp_(0.0, 1.0)
