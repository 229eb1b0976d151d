"""Noise corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR,
"Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations"), with the 32x32 parameters of ``make_cifar_c.py``.
"""

from __future__ import annotations

import torch

from prunability.corruptions.registry import register_corruption


@register_corruption("gaussian_noise", "noise", (0.04, 0.06, 0.08, 0.09, 0.10))
def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator) -> torch.Tensor:
    """Additive i.i.d. Gaussian noise: ``clip(x + sigma * eps, 0, 1)``, eps ~ N(0, 1).

    make_cifar_c.py: ``np.clip(x + np.random.normal(size=x.shape, scale=c), 0, 1)``
    with c = 0.04, 0.06, .08, .09, .10 for severities 1..5. One draw per pixel
    and channel, from ``generator`` (which must live on ``x.device``).
    """
    eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    return (x + sigma * eps).clamp_(0.0, 1.0)
