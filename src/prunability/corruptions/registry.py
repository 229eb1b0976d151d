"""The corruption registry: one ``Corruption`` per name, five severities each.

The corruptions and their parameters are those of CIFAR-10-C, from
Hendrycks & Dietterich 2019, "Benchmarking Neural Network Robustness to Common
Corruptions and Perturbations" (ICLR), whose generator script
``hendrycks/robustness: ImageNet-C/create_c/make_cifar_c.py`` (commit ca36008)
holds the parameters for 32x32 images that each module here copies verbatim.

Every corruption function has one signature::

    apply(x, param, generator) -> Tensor

``x`` is a float tensor N x C x H x W with values in [0, 1] (any C, any
H, W >= 8, any device); ``param`` is the entry of the severity table for the
severity asked for; ``generator`` is a ``torch.Generator`` on ``x.device``,
the only source of randomness (deterministic corruptions ignore it). The result
has the dtype, shape and device of ``x`` and values in [0, 1]. A corruption that
needs more (frost: the folder of its photographs) names the keyword arguments
it takes in ``options``; ``corrupt`` passes those and only those.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable

import torch

from prunability.registry import Registry

CorruptionFn = Callable[[torch.Tensor, Any, torch.Generator], torch.Tensor]

SEVERITIES: tuple[int, ...] = (1, 2, 3, 4, 5)

# Groups as in imagecorruptions (bethgelab) ``__init__.py``; the four extras
# of CIFAR-10-C are filed under the group of their kind.
GROUPS: tuple[str, ...] = ("noise", "blur", "weather", "digital")

# The 15 benchmark corruptions, in the order of make_cifar_c.py and of the
# released ``<name>.npy`` files ...
COMMON_CORRUPTIONS: tuple[str, ...] = (
    "gaussian_noise", "shot_noise", "impulse_noise",
    "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
    "snow", "frost", "fog", "brightness",
    "contrast", "elastic_transform", "pixelate", "jpeg_compression",
)
# ... and the 4 extra ("validation") corruptions released beside them.
EXTRA_CORRUPTIONS: tuple[str, ...] = ("speckle_noise", "gaussian_blur", "spatter", "saturate")


def check_severity(severity: Any) -> int:
    """The severity as an int, or ValueError naming the valid range 1..5."""
    try:
        if isinstance(severity, bool):
            raise TypeError
        value = operator.index(severity)
    except TypeError:
        value = None
    if value is None or value not in SEVERITIES:
        raise ValueError(
            f"severity must be an integer in 1..5 (one of {', '.join(map(str, SEVERITIES))}), "
            f"got {severity!r}"
        )
    return value


@dataclass(frozen=True)
class Corruption:
    """A named corruption: its group, its five severity parameters and its function."""

    name: str
    group: str
    params: tuple[Any, ...]  # params[s - 1] is the parameter of severity s
    apply: CorruptionFn
    options: tuple[str, ...] = ()  # keyword arguments ``apply`` takes besides (x, param, generator)
    # Optional fast path on uint8 images (0..255 in, uint8 out) that gives exactly what ``apply``
    # followed by the uint8 truncation gives, drawing the same random numbers in the same order.
    apply_uint8: CorruptionFn | None = None
    # True when ``apply`` never touches its generator: then blocks of images may run concurrently
    # (``apply._apply``) and give the same result (tests check that the generator is left untouched).
    deterministic: bool = False

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"corruption {self.name!r}: group must be one of {', '.join(GROUPS)}, got {self.group!r}")
        if len(self.params) != len(SEVERITIES):
            raise ValueError(
                f"corruption {self.name!r}: needs {len(SEVERITIES)} severity parameters, got {len(self.params)}"
            )

    @property
    def common(self) -> bool:
        """True for the 15 benchmark corruptions, False for the extras (and any others)."""
        return self.name in COMMON_CORRUPTIONS

    def param(self, severity: int) -> Any:
        return self.params[check_severity(severity) - 1]

    def __call__(self, x: torch.Tensor, severity: int, generator: torch.Generator, **options: Any) -> torch.Tensor:
        """Apply at ``severity`` (1..5) to float images in [0, 1]; ``options`` it does not take are ignored."""
        taken = {k: v for k, v in options.items() if k in self.options and v is not None}
        return self.apply(x, self.param(severity), generator, **taken)


@dataclass(frozen=True)
class TwoStep:
    """A uint8 path split at its random draws, so that blocks can overlap (``apply._apply``).

    ``draw(x, param, generator)`` makes every random draw the corruption needs for the
    block ``x`` -- the same draws in the same order as the one-step path -- and depends
    on ``x``'s shape, dtype and device only; ``finish(x, param, drawn)`` computes the
    uint8 result from them without touching the generator. Called as a whole it is the
    one-step uint8 path: ``finish(x, param, draw(x, param, generator))``.
    """

    draw: Callable[[torch.Tensor, Any, torch.Generator], Any]
    finish: Callable[[torch.Tensor, Any, Any], torch.Tensor]

    def __call__(self, x: torch.Tensor, param: Any, generator: torch.Generator) -> torch.Tensor:
        return self.finish(x, param, self.draw(x, param, generator))


def unit_two_step(draw: Callable[[torch.Tensor, Any, torch.Generator], Any],
                  finish: Callable[[torch.Tensor, Any, Any], torch.Tensor]) -> TwoStep:
    """The uint8 ``TwoStep`` of a corruption computed in float64 from its draws.

    ``draw(t, param, generator)`` makes every random draw, reading only the shape, dtype
    and device of ``t`` (a float64 stand-in of the block, no values); ``finish(x, param,
    drawn)`` is the float corruption on images in [0, 1] given those draws. The uint8 path
    is then exactly the generic one of ``apply._apply_block``: ``x / 255`` in float64
    (by way of float32, exact), the corruption, ``clamp(0, 1) * 255`` truncated to uint8;
    split so that blocks can be finished side by side.
    """

    def draw_uint8(x: torch.Tensor, param: Any, generator: torch.Generator) -> Any:
        template = torch.empty((), dtype=torch.float64, device=x.device).expand(x.shape)
        return draw(template, param, generator)

    def finish_uint8(x: torch.Tensor, param: Any, drawn: Any) -> torch.Tensor:
        unit = x.to(torch.float32).to(torch.float64) / 255
        return finish(unit, param, drawn).clamp_(0.0, 1.0).mul_(255).to(torch.uint8)

    return TwoStep(draw_uint8, finish_uint8)


CORRUPTIONS: Registry[Corruption] = Registry("corruption")


def register_corruption(name: str, group: str, params: tuple[Any, ...], options: tuple[str, ...] = (),
                        uint8: CorruptionFn | None = None,
                        deterministic: bool = False) -> Callable[[CorruptionFn], CorruptionFn]:
    """Decorator: register ``fn`` as corruption ``name``; returns ``fn`` unchanged.

    ``@register_corruption("contrast", "digital", (0.75, 0.5, 0.4, 0.3, 0.15))``
    """

    def add(fn: CorruptionFn) -> CorruptionFn:
        CORRUPTIONS.register(name)(Corruption(name, group, tuple(params), fn, tuple(options), uint8,
                                                     deterministic))
        return fn

    return add
