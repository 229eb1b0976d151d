"""Noise corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR,
"Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations"), with the 32x32 parameters of ``make_cifar_c.py``.
"""

from __future__ import annotations

import torch

from prunability.corruptions.poisson import MAX_RATE, levels_from_uniforms, poisson
from prunability.corruptions.registry import TwoStep, register_corruption


def standard_normal(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """N(0, 1) draws of ``x``'s shape, dtype and device, drawn in float32.

    torch's float32 normal sampler is vectorised and about 5x faster than its
    float64 one on the CPU. The draws differ only below float32's resolution
    (2^-24 relative, far below one 8-bit level of 1/255) and in the far tail:
    float32 Box-Muller reaches |eps| <= 5.8, lost with probability 8e-9 per
    value -- immaterial for noise of a few pixel levels.
    """
    eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=torch.float32)
    return eps.to(x.dtype)


def _unit(x_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 -> float64 in [0, 1], as ``apply.to_unit_float`` (by way of float32, exact)."""
    return x_uint8.to(torch.float32).to(torch.float64) / 255


def _truncate(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> uint8 as ``apply.to_uint8`` (``np.uint8(x * 255)``, truncating)."""
    return (x.clamp(0.0, 1.0) * 255).to(torch.uint8)


def _draw_normal(x: torch.Tensor, param, generator: torch.Generator) -> torch.Tensor:
    """The N(0, 1) draws of ``standard_normal`` for uint8 images, kept in float32."""
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=torch.float32)


def _gaussian_noise_finish(x: torch.Tensor, sigma: float, eps: torch.Tensor) -> torch.Tensor:
    return _truncate(gaussian_noise(_unit(x), sigma, None, eps=eps.to(torch.float64)))


@register_corruption("gaussian_noise", "noise", (0.04, 0.06, 0.08, 0.09, 0.10),
                     uint8=TwoStep(_draw_normal, _gaussian_noise_finish))
def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator,
                   eps: torch.Tensor | None = None) -> torch.Tensor:
    """Additive i.i.d. Gaussian noise: ``clip(x + sigma * eps, 0, 1)``, eps ~ N(0, 1).

    make_cifar_c.py: ``np.clip(x + np.random.normal(size=x.shape, scale=c), 0, 1)``
    with c = 0.04, 0.06, .08, .09, .10 for severities 1..5. One draw per pixel
    and channel, from ``generator`` (which must live on ``x.device``), or ``eps``
    when given (the uint8 path draws first, see ``registry.TwoStep``).
    """
    eps = standard_normal(x, generator) if eps is None else eps
    return (x + sigma * eps).clamp_(0.0, 1.0)


def _draw_shot(x: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """The draws of ``poisson`` on 8-bit levels: one float64 uniform per value (or, above
    ``MAX_RATE``, torch's Poisson counts themselves)."""
    if 0 < rate <= MAX_RATE:
        return torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float64)
    return torch.poisson(_unit(x) * rate, generator=generator)


def _shot_noise_finish(x: torch.Tensor, rate: float, drawn: torch.Tensor) -> torch.Tensor:
    counts = levels_from_uniforms(x.long(), rate, drawn) if 0 < rate <= MAX_RATE else drawn
    return _truncate((counts / rate).clamp_(0.0, 1.0))


@register_corruption("shot_noise", "noise", (500, 250, 100, 75, 50), uint8=TwoStep(_draw_shot, _shot_noise_finish))
def shot_noise(x: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """Poisson (photon-count) noise: ``clip(Poisson(x * rate) / rate, 0, 1)``.

    make_cifar_c.py: ``np.clip(np.random.poisson(x * c) / c, 0, 1)`` with
    c = 500, 250, 100, 75, 50 for severities 1..5; mean x, variance x / c.
    8-bit images are drawn by table inversion (``corruptions.poisson``, exact
    and several times faster than ``torch.poisson``), other values by torch.
    """
    return (poisson(x, rate, generator) / rate).clamp_(0.0, 1.0)


def uniform_levels16(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One uniform 16-bit level per value of ``x`` (int16, shaped as ``x``).

    Drawn as full-range 64-bit words, each cut into four 16-bit levels: a quarter
    of the generator words of one float32 uniform per value, and 2.8x faster on
    the CPU (impulse noise is bound by its draws). All 64 bits of a word are
    uniform (``random_(-2**63, None)``; plain ``random_()`` leaves the top bit 0).
    """
    words = torch.empty(-(-x.numel() // 4), dtype=torch.int64, device=x.device)
    words.random_(-2**63, None, generator=generator)
    return words.view(torch.int16)[:x.numel()].view(x.shape)


def impulse_thresholds(amount: float) -> tuple[int, int]:
    """int16 levels below which a value is hit, and below which a hit is salt.

    ``amount`` rounded to an even number of 1/65536 steps, so salt is exactly half
    the hits; the hit rate is off by at most 2^-16 (1.5e-5, vs amounts >= 0.01).
    """
    hits = 2 * round(amount * 2**15)
    return -2**15 + hits, -2**15 + hits // 2


def _draw_levels(x: torch.Tensor, param, generator: torch.Generator) -> torch.Tensor:
    return uniform_levels16(x, generator)


def _impulse_noise_finish(x: torch.Tensor, amount: float, levels: torch.Tensor) -> torch.Tensor:
    """``impulse_noise`` on uint8 images given its levels: 0 or 255 where hit, else the pixel."""
    hit, salt = impulse_thresholds(amount)
    return torch.where(levels < hit, (levels < salt).to(torch.uint8) * 255, x)


@register_corruption("impulse_noise", "noise", (0.01, 0.02, 0.03, 0.05, 0.07),
                     uint8=TwoStep(_draw_levels, _impulse_noise_finish))
def impulse_noise(x: torch.Tensor, amount: float, generator: torch.Generator) -> torch.Tensor:
    """Salt-and-pepper noise: a fraction ``amount`` of the values set to 0 or 1 (even odds).

    make_cifar_c.py: ``sk.util.random_noise(x, mode='s&p', amount=c)`` with
    c = .01, .02, .03, .05, .07 for severities 1..5. As in skimage, every
    channel value is hit independently (so a pixel can turn coloured), salt and
    pepper are equally likely. One uniform 16-bit level per value decides both
    (``impulse_thresholds``): a low level hits, and a hit is salt in the lower
    half of the hit levels -- given a hit, salt with probability 1/2, as two
    independent draws would give, at a fraction of the cost.
    """
    levels = uniform_levels16(x, generator)
    hit, salt = impulse_thresholds(amount)
    return torch.where(levels < hit, (levels < salt).to(x.dtype), x)


def _speckle_noise_finish(x: torch.Tensor, sigma: float, eps: torch.Tensor) -> torch.Tensor:
    return _truncate(speckle_noise(_unit(x), sigma, None, eps=eps.to(torch.float64)))


@register_corruption("speckle_noise", "noise", (0.06, 0.1, 0.12, 0.16, 0.2),
                     uint8=TwoStep(_draw_normal, _speckle_noise_finish))
def speckle_noise(x: torch.Tensor, sigma: float, generator: torch.Generator,
                  eps: torch.Tensor | None = None) -> torch.Tensor:
    """Multiplicative Gaussian noise: ``clip(x + x * sigma * eps, 0, 1)``, eps ~ N(0, 1).

    make_cifar_c.py: ``np.clip(x + x * np.random.normal(size=x.shape, scale=c), 0, 1)``
    with c = .06, .1, .12, .16, .2 for severities 1..5 (one of the 4 extras).
    ``eps``: the N(0, 1) draws when made beforehand (as ``gaussian_noise``).
    """
    eps = standard_normal(x, generator) if eps is None else eps
    return (x + x * (sigma * eps)).clamp_(0.0, 1.0)
