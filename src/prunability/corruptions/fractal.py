"""Plasma fractal (diamond-square) height maps, batched: the fog layer of CIFAR-10-C.

make_cifar_c.py (Hendrycks & Dietterich 2019) builds fog from
``plasma_fractal(mapsize=32, wibbledecay)``: a square map starts at 0, and at
every scale the centres of squares, then the midpoints of their edges, get the
mean of their four neighbours (wrapping around) plus a uniform perturbation
``wibble * U(-wibble, wibble)``; ``wibble`` starts at 100 and is divided by
``wibbledecay`` per scale. The map is shifted and scaled to [0, 1]. Here every
image of a batch draws its own map in one pass.
"""

from __future__ import annotations

import torch


def _perturbed_mean(total: torch.Tensor, wibble: float, noise: torch.Tensor) -> torch.Tensor:
    return total / 4 + wibble * (noise * (2 * wibble) - wibble)


def plasma_fractal(n: int, mapsize: int, wibbledecay: float, generator: torch.Generator,
                   device: torch.device | str, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """N x mapsize x mapsize maps in [0, 1]; ``mapsize`` a power of two."""
    return plasma_from_draws(plasma_draws(n, mapsize, generator, device, dtype), wibbledecay)


def plasma_draws(n: int, mapsize: int, generator: torch.Generator, device: torch.device | str,
                 dtype: torch.dtype = torch.float64) -> list[torch.Tensor]:
    """Every random draw of ``plasma_fractal``, in its order: per scale (coarse to fine) the
    U(0, 1) values of the square centres, then of the two sets of edge midpoints, each
    N x m x m (m = mapsize / step). They depend on the shape only, not on the map."""
    if mapsize < 2 or mapsize & (mapsize - 1):
        raise ValueError(f"mapsize must be a power of two >= 2, got {mapsize}")
    draws, step = [], mapsize
    while step >= 2:
        m = mapsize // step
        draws += [torch.rand((n, m, m), generator=generator, device=device, dtype=dtype) for _ in range(3)]
        step //= 2
    return draws


def plasma_from_draws(draws: list[torch.Tensor], wibbledecay: float) -> torch.Tensor:
    """``plasma_fractal`` given ``plasma_draws``: no generator touched."""
    n, m, _ = draws[-1].shape
    mapsize = 2 * m
    maps = torch.zeros((n, mapsize, mapsize), dtype=draws[0].dtype, device=draws[0].device)
    noise = iter(draws)
    step, wibble = mapsize, 100.0
    while step >= 2:
        half = step // 2
        corners = maps[:, ::step, ::step]
        squares = corners + corners.roll(-1, 1)
        squares = squares + squares.roll(-1, 2)
        maps[:, half::step, half::step] = _perturbed_mean(squares, wibble, next(noise))
        centres, corners = maps[:, half::step, half::step], maps[:, ::step, ::step]
        left = centres + centres.roll(1, 1) + corners + corners.roll(-1, 2)
        maps[:, ::step, half::step] = _perturbed_mean(left, wibble, next(noise))
        top = centres + centres.roll(1, 2) + corners + corners.roll(-1, 1)
        maps[:, half::step, ::step] = _perturbed_mean(top, wibble, next(noise))
        step //= 2
        wibble /= wibbledecay
    maps -= maps.amin((1, 2), keepdim=True)
    return maps / maps.amax((1, 2), keepdim=True)


def next_power_of_two(size: int) -> int:
    return 1 << max(1, (int(size) - 1).bit_length())
