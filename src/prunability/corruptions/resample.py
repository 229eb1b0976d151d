"""Fixed resampling operators as matrices: scipy's ``clipped_zoom`` and PIL's BOX resize
(in float, and bit for bit in Pillow's 8-bit fixed point).

Both are separable and identical for every image of a batch, so each is a pair
of small matrices (rows, columns) and a corruption applies it to the whole
batch as ``A @ x @ B.T`` -- no per-image loop and no interpolation
convention of ``torch.nn.functional.interpolate`` to reconcile with the
reference's.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch


@lru_cache(maxsize=256)
def _zoom_matrix_np(size: int, factor: float) -> np.ndarray:
    """size x size matrix of make_cifar_c.py's ``clipped_zoom`` along one axis.

    The reference crops the central ``ceil(size / factor)`` pixels, zooms them
    with ``scipy.ndimage.zoom(order=1)`` to ``round(crop * factor)`` pixels
    (scipy maps output o to input ``o * (crop - 1) / (out - 1)``, i.e. corners
    aligned) and trims the centre ``size`` pixels. Linear interpolation: two
    taps per output pixel.
    """
    crop = int(math.ceil(size / factor))
    top = (size - crop) // 2
    out = int(round(crop * factor))
    trim = (out - size) // 2
    scale = (crop - 1) / (out - 1) if out > 1 else 0.0
    matrix = np.zeros((size, size))
    for i in range(size):
        coord = (i + trim) * scale
        lo = min(int(math.floor(coord)), crop - 1)
        frac = coord - lo
        matrix[i, top + lo] += 1.0 - frac
        if frac > 0:
            matrix[i, top + lo + 1] += frac
    return matrix


def zoom_matrix(size: int, factor: float, like: torch.Tensor) -> torch.Tensor:
    """``_zoom_matrix_np`` as a tensor with ``like``'s dtype and device."""
    return torch.as_tensor(_zoom_matrix_np(int(size), float(factor)), dtype=like.dtype, device=like.device)


def clipped_zoom(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Zoom the centre of every image by ``factor`` >= 1, keeping H x W (the reference's helper)."""
    rows = zoom_matrix(x.shape[-2], factor, x)
    cols = zoom_matrix(x.shape[-1], factor, x)
    return rows @ x @ cols.T


@lru_cache(maxsize=256)
def _box_matrix_np(in_size: int, out_size: int) -> np.ndarray:
    """out x in matrix of PIL's ``Image.resize(..., Image.BOX)`` along one axis.

    PIL centres output pixel j at ``(j + 0.5) * scale`` in input coordinates
    (scale = in / out), widens the box filter to the scale when shrinking and
    gives each input pixel whose centre falls in the box the weight 1 (then
    normalises). Enlarging therefore copies pixels (blocks); shrinking averages
    whole pixels.
    """
    scale = in_size / out_size
    support = 0.5 * max(scale, 1.0)
    matrix = np.zeros((out_size, in_size))
    for j in range(out_size):
        center = (j + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        for i in range(lo, hi):
            t = (i - center + 0.5) / max(scale, 1.0)
            if -0.5 < t <= 0.5:  # PIL's box: (-1/2, 1/2]
                matrix[j, i] = 1.0
        matrix[j] /= matrix[j].sum()
    return matrix


PIL_PRECISION_BITS = 22  # Pillow's Resample.c: 32 - 8 - 2 fractional bits for 8-bit images


@lru_cache(maxsize=256)
def _box_fixed_np(in_size: int, out_size: int) -> np.ndarray:
    """``_box_matrix_np`` in Pillow's fixed point: every weight w as ``int(0.5 + w * 2**22)``
    (``normalize_coeffs_8bpc``; BOX weights are positive). Integers, exact in float64."""
    return np.floor(0.5 + _box_matrix_np(in_size, out_size) * (1 << PIL_PRECISION_BITS))


@lru_cache(maxsize=256)
def _pair_sum_np(in_size: int, out_size: int) -> np.ndarray | None:
    """When every output pixel of the 8-bit BOX resize is one input pixel (weight 2**22) or the
    mean of two (2**21 each), the out x in matrix S with S @ v = a + b (a + a for one pixel):
    then Pillow's ``(k a + k b + 2**21) >> 22`` is ``floor((a + b + 1) / 2)``. Else None."""
    k = _box_fixed_np(in_size, out_size)
    full, half = 1 << PIL_PRECISION_BITS, 1 << (PIL_PRECISION_BITS - 1)
    out = np.zeros_like(k)
    for j, row in enumerate(k):
        taps = np.flatnonzero(row)
        if len(taps) == 1 and row[taps[0]] == full:
            out[j, taps[0]] = 2
        elif len(taps) == 2 and (row[taps] == half).all():
            out[j, taps] = 1
        else:
            return None
    return out


def _fixed_pass(v: torch.Tensor, in_size: int, out_size: int, axis: int) -> torch.Tensor:
    """One 1-D pass of Pillow's 8-bit resampler along ``axis`` (-1 columns, -2 rows) of the
    integer-valued ``v``: ``clip8((sum k_i v_i + 2**21) >> 22)``.

    BOX resizes by factors in [1/2, oo) average one or two pixels: those run as a float32
    matrix of sums (integers below 2**24, exact) and a halving. Others sum in float64, every
    partial sum an integer below 2**53 (exact), and ``floor`` is the shift."""
    pairs = _pair_sum_np(in_size, out_size)
    if pairs is not None:
        m = torch.as_tensor(pairs, dtype=torch.float32, device=v.device)
        acc = v.to(torch.float32) @ m.T if axis == -1 else m @ v.to(torch.float32)
        return torch.floor((acc + 1) * 0.5)
    k = torch.as_tensor(_box_fixed_np(in_size, out_size), dtype=torch.float64, device=v.device)
    v = v.to(torch.float64)
    acc = v @ k.T if axis == -1 else k @ v
    return torch.floor((acc + (1 << (PIL_PRECISION_BITS - 1))) / (1 << PIL_PRECISION_BITS)).clamp_(0, 255)


def pil_box_resize_8bit(v: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``PIL.Image.resize((width, height), Image.BOX)`` of 8-bit images, bit for bit.

    ``v`` holds integers 0..255 (any float dtype), N x C x H x W; the result
    holds integers too, in float32 or float64. Pillow (``ImagingResampleInner``)
    resamples in two 1-D passes, horizontal first, each only where the size
    changes, and each ends in an 8-bit image: weights in 22-bit fixed point,
    ``+ 2**21``, shift right by 22, clip to 0..255. So the result is rounded
    twice, not once -- a float resize rounded at the end differs by one level
    on up to a quarter of the values.
    """
    h, w = v.shape[-2:]
    if int(width) != w:
        v = _fixed_pass(v, w, int(width), -1)
    if int(height) != h:
        v = _fixed_pass(v, h, int(height), -2)
    return v


def symmetric_index(size: int, radius: int, device: torch.device | str) -> torch.Tensor:
    """Indices 0..size-1 of ``range(-radius, size + radius)`` under half-sample symmetric
    reflection (scipy's ``mode='reflect'``: d c b a | a b c d), for any radius."""
    idx = torch.arange(-radius, size + radius, device=device) % (2 * size)
    return torch.where(idx >= size, 2 * size - 1 - idx, idx)
