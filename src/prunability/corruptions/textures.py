"""A procedural frost texture: ``frost_procedural``'s stand-in for the photographs frost1.png..frost5.jpg
(``frost`` itself uses the photographs, see ``frost_photos``).

make_cifar_c.py (Hendrycks & Dietterich 2019) adds a random 32 x 32 crop of one
of five frost photographs (shrunk to a fifth of their size) to the image. Those
photographs may be missing on a machine, so this texture is synthesised:
ice crystals are thin bright streaks in a few directions (sparse seeds drawn along lines with the motion-blur kernel, at random angles per
image), over a cloudy plasma-fractal haze, tinted pale blue (blue > green >
red, as in the photographs). The constants below were chosen by eye to give a
mean of about 0.45 and a standard deviation of about 0.2 on the [0, 1] scale,
close to crops of the photographs; the texture is NOT pixel-identical to any
crop of the released files, so ``frost_procedural`` is a kind of frost,
not a reproduction of CIFAR-10-C's frost.npy (about a fifth weaker, issue 14).
"""

from __future__ import annotations

import torch

from prunability.corruptions.fractal import next_power_of_two, plasma_draws, plasma_from_draws
from prunability.corruptions.motion import motion_blur

TINT = (0.80, 0.90, 1.0)  # r, g, b multipliers: pale blue ice
SEED_DENSITY = 0.06  # fraction of pixels that start a crystal streak
STREAKS = 3  # crystal directions per image
HAZE, CRYSTALS = 0.55, 2.2  # weights of the haze and of the crystal streaks


def frost_texture(n: int, height: int, width: int, generator: torch.Generator,
                  device: torch.device | str, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """N x 3 x H x W frost textures with values in [0, 1]."""
    return frost_texture_from_draws(frost_texture_draws(n, height, width, generator, device, dtype))


def frost_texture_draws(n: int, height: int, width: int, generator: torch.Generator,
                        device: torch.device | str, dtype: torch.dtype = torch.float64) -> tuple:
    """Every random draw of ``frost_texture``, in its order: the haze's (a plasma fractal's,
    ``plasma_draws``), then per streak direction U(0, 1) per pixel and an angle per image."""
    haze = plasma_draws(n, next_power_of_two(max(height, width)), generator, device, dtype)
    streaks = []
    for _ in range(STREAKS):
        u = torch.rand((n, 1, height, width), generator=generator, device=device, dtype=dtype)
        angles = torch.rand(n, generator=generator, device=device, dtype=dtype) * 360.0
        streaks.append((u, angles))
    return haze, tuple(streaks)


def frost_texture_from_draws(draws: tuple) -> torch.Tensor:
    """``frost_texture`` given ``frost_texture_draws``: no generator touched."""
    haze_draws, streaks = draws
    height, width = streaks[0][0].shape[-2:]
    haze = plasma_from_draws(haze_draws, 2.0)[:, None, :height, :width]
    crystals = torch.zeros_like(haze)
    for u, angles in streaks:
        seeds = (u < SEED_DENSITY).to(haze.dtype)
        crystals = torch.maximum(crystals, motion_blur(seeds, 3.0, 2.0, angles))
    gray = (haze * HAZE).add_(crystals.mul_(CRYSTALS)).clamp_(0.0, 1.0)  # HAZE * haze + CRYSTALS * crystals
    tint = torch.tensor(TINT, dtype=haze.dtype, device=haze.device).view(1, 3, 1, 1)
    return gray * tint
