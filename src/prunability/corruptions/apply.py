"""Corrupt uint8 images: conversions, seeding, and the public ``corrupt`` calls.

Conversion follows make_cifar_c.py (Hendrycks & Dietterich 2019): the uint8
image is divided by 255 in float64 (numpy's ``np.array(x) / 255.``), the
corruption clips to [0, 1], the result is multiplied by 255 and cast with
``np.uint8``, which TRUNCATES toward zero (254.9 -> 254). Working in float64
keeps the arithmetic that of the reference, so the deterministic corruptions
land on the same side of every integer as it does.

Seeding: the randomness of (``seed``, ``name``, ``severity``) comes from one
``torch.Generator`` on the images' device seeded with
``generator_seed(seed, name, severity)``, the first 63 bits of
SHA-256(``"{seed}/{name}/{severity}"``). So every corruption and every
severity draws an independent stream (as the unseeded original did), and
``corrupt_all_severities(x, name, sevs, seed)[s]`` equals
``corrupt(x, name, s, seed)``. Results are bit-for-bit reproducible on the same
device for the same input batch; a different batching of the same images draws
different noise, so corrupt a test set in one call (or in fixed chunks).
"""

from __future__ import annotations

import hashlib
from typing import Iterable

import torch

from prunability.corruptions.registry import CORRUPTIONS, SEVERITIES, check_severity

WORK_DTYPE = torch.float64
MIN_SIZE = 8


def to_unit_float(x_uint8: torch.Tensor, dtype: torch.dtype = WORK_DTYPE) -> torch.Tensor:
    """uint8 in 0..255 -> float in [0, 1], as ``np.array(x) / 255.``."""
    return x_uint8.to(dtype) / 255


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """float in [0, 1] -> uint8, as ``np.uint8(np.clip(x, 0, 1) * 255)``: truncation, not rounding."""
    return (x.clamp(0.0, 1.0) * 255).to(torch.uint8)


def generator_seed(seed: int, name: str, severity: int) -> int:
    """The seed of the generator for (``seed``, ``name``, ``severity``): 63 bits of a SHA-256."""
    digest = hashlib.sha256(f"{int(seed)}/{name}/{int(severity)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def make_generator(seed: int, name: str, severity: int, device: torch.device | str) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(generator_seed(seed, name, severity))


def _check_images(x_uint8: torch.Tensor) -> None:
    if not isinstance(x_uint8, torch.Tensor) or x_uint8.dtype != torch.uint8:
        got = x_uint8.dtype if isinstance(x_uint8, torch.Tensor) else type(x_uint8).__name__
        raise TypeError(f"images must be a uint8 tensor N x C x H x W, got {got}")
    if x_uint8.ndim != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {tuple(x_uint8.shape)}")
    if min(x_uint8.shape[-2:]) < MIN_SIZE:
        raise ValueError(f"images must be at least {MIN_SIZE}x{MIN_SIZE}, got {tuple(x_uint8.shape[-2:])}")


def corrupt(x_uint8: torch.Tensor, name: str, severity: int, seed: int) -> torch.Tensor:
    """Corrupt uint8 images N x C x H x W (C = 1 or 3, H, W >= 8) at ``severity`` 1..5.

    Returns uint8 of the same shape on the same device. Unknown ``name`` raises
    the registry's error listing the valid names; a severity outside 1..5
    raises ValueError.
    """
    corruption = CORRUPTIONS.get(name)
    severity = check_severity(severity)
    _check_images(x_uint8)
    generator = make_generator(seed, name, severity, x_uint8.device)
    return to_uint8(corruption(to_unit_float(x_uint8), severity, generator))


def corrupt_all_severities(
    x_uint8: torch.Tensor, name: str, severities: Iterable[int], seed: int
) -> dict[int, torch.Tensor]:
    """``{s: corrupt(x_uint8, name, s, seed)}`` for each severity (each its own generator)."""
    corruption = CORRUPTIONS.get(name)
    severities = [check_severity(s) for s in severities]
    _check_images(x_uint8)
    x = to_unit_float(x_uint8)
    return {
        s: to_uint8(corruption(x, s, make_generator(seed, name, s, x_uint8.device)))
        for s in severities
    }


__all__ = [
    "SEVERITIES", "WORK_DTYPE", "corrupt", "corrupt_all_severities", "generator_seed",
    "make_generator", "to_uint8", "to_unit_float",
]
