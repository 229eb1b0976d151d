"""Weather corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR,
"Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations"), with the 32x32 parameters of ``make_cifar_c.py``.

Spatial parameters are in pixels of a 32 x 32 image and are applied unchanged
to images of other sizes.
"""

from __future__ import annotations

import torch

from prunability.corruptions import frost_photos, motion
from prunability.corruptions.color import to_channels, to_gray
from prunability.corruptions.fractal import next_power_of_two, plasma_draws, plasma_from_draws
from prunability.corruptions.noise import standard_normal
from prunability.corruptions.registry import register_corruption, unit_two_step
from prunability.corruptions.resample import clipped_zoom
from prunability.corruptions.textures import frost_texture_draws, frost_texture_from_draws

SNOW = (
    (0.1, 0.2, 1, 0.6, 8, 3, 0.95),
    (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
    (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
    (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
    (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8),
)


def _snow_draw(x: torch.Tensor, param: tuple, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """snow's draws, in order: N(0, 1) per pixel (N x 1 x H x W, ``x``'s dtype), an angle per image."""
    eps = standard_normal(x[:, :1], generator)  # float32 draws, see noise.standard_normal
    angles = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=torch.float64) * 90.0 - 135.0
    return eps, angles


def _snow_layer(param: tuple, eps: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """N x 1 x H x W falling snow: thresholded zoomed noise, quantised, motion-blurred."""
    loc, scale, zoom, threshold, radius, sigma, _ = param
    layer = loc + scale * eps
    layer = clipped_zoom(layer, zoom)
    layer = torch.where(layer < threshold, torch.zeros_like(layer), layer)
    layer = torch.floor(layer.clamp(0.0, 1.0) * 255) / 255  # the reference's uint8 PNG
    layer = motion.motion_blur(layer, radius, sigma, angles)
    return torch.floor(layer * 255 + 0.5) / 255  # ImageMagick writes 8-bit, rounded


def _snow_finish(x: torch.Tensor, param: tuple, drawn: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    blend = param[6]
    layer = _snow_layer(param, *drawn)
    whitened = torch.maximum(x, (to_gray(x) * 1.5).add_(0.5))
    out = whitened.mul_(1 - blend).add_(x * blend)  # blend * x + (1 - blend) * whitened, in place
    return out.add_(layer).add_(layer.flip(-2, -1)).clamp_(0.0, 1.0)


@register_corruption("snow", "weather", SNOW, uint8=unit_two_step(_snow_draw, _snow_finish))
def snow(x: torch.Tensor, param: tuple, generator: torch.Generator) -> torch.Tensor:
    """Snowflakes streaking down, over a whitened image.

    make_cifar_c.py: (loc, scale, zoom, threshold, blur radius, blur sigma,
    blend) per severity as in ``SNOW``. A layer N(loc, scale) per pixel is
    zoomed (``clipped_zoom``), zeroed below the threshold, saved as an 8-bit
    image and motion-blurred by ImageMagick at an angle ~ U(-135, -45); the
    image becomes ``blend * x + (1 - blend) * max(x, 1.5 * gray(x) + 0.5)``
    and the layer and its 180-degree rotation are added, then clipped.
    ImageMagick's motion blur is replaced by the torch port in
    ``prunability.corruptions.motion``. Grayscale images use themselves as gray.
    """
    return _snow_finish(x, param, _snow_draw(x, param, generator))


FROST = ((1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45))


def frost_crops(photos: tuple[torch.Tensor, ...], n: int, h: int, w: int,
                generator: torch.Generator, device: torch.device | str) -> torch.Tensor:
    """N x 3 x H x W float64 crops (0..255) of randomly chosen photographs, as the reference:
    photograph ``randint(5)``, then top-left corner ``randint(0, rows - H)``, ``randint(0, cols - W)``."""
    draws = torch.rand((3, n), generator=generator, device=device, dtype=torch.float64)
    pick = (draws[0] * len(photos)).long().clamp_(max=len(photos) - 1)
    out = torch.empty((n, 3, h, w), dtype=torch.float64, device=device)
    for k, photo in enumerate(photos):
        rows, cols = photo.shape[-2:]
        if rows <= h or cols <= w:
            raise ValueError(f"frost photograph {k + 1} is {rows} x {cols} after the reference's 0.2 shrink, "
                             f"too small for {h} x {w} images (frost is defined for images up to that size)")
        chosen = (pick == k).nonzero().flatten()
        if not len(chosen):
            continue
        top = (draws[1, chosen] * (rows - h)).long()[:, None] + torch.arange(h, device=device)
        left = (draws[2, chosen] * (cols - w)).long()[:, None] + torch.arange(w, device=device)
        pixels = photo.to(device=device, dtype=torch.float64)
        out[chosen] = pixels[:, top[:, :, None], left[:, None, :]].permute(1, 0, 2, 3)
    return out


@register_corruption("frost", "weather", FROST, options=("frost_dir", "frost_download"))
def frost(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator,
          frost_dir: str | None = None, frost_download: bool = False) -> torch.Tensor:
    """Frost on the lens: ``clip(a * x + b * crop, 0, 255)`` on the 0..255 scale, a crop of a frost photograph.

    make_cifar_c.py: (a, b) = (1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4),
    (0.75, 0.45) for severities 1..5; one of frost1.png..frost5.jpg (read
    from ``frost_dir``, default ``frost_photos.DEFAULT_DIR``), shrunk by ``cv2.resize(fx=0.2)``
    and cropped at a uniformly random corner to the image size. The blend is
    computed on the 0..255 scale in float64 like the reference and rounded down
    to its 8-bit level (``np.uint8``), so uint8 output equals the reference's
    for the same photograph and corner. Grayscale images get the crop's luma.
    """
    a, b = param
    n, c, h, w = x.shape
    photos = frost_photos.load(frost_dir or frost_photos.DEFAULT_DIR, download=frost_download)
    crop = to_channels(frost_crops(photos, n, h, w, generator, x.device).to(x.dtype), c)
    return torch.floor((a * (x * 255) + b * crop).clamp_(0.0, 255.0)) / 255


def _frost_procedural_draw(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> tuple:
    n, _, h, w = x.shape
    return frost_texture_draws(n, h, w, generator, x.device, x.dtype)


def _frost_procedural_finish(x: torch.Tensor, param: tuple[float, float], drawn: tuple) -> torch.Tensor:
    a, b = param
    texture = to_channels(frost_texture_from_draws(drawn), x.shape[1])  # a fresh tensor: scaled in place
    return texture.mul_(b).add_(x * a).clamp_(0.0, 1.0)  # a * x + b * texture


@register_corruption("frost_procedural", "weather", FROST,
                     uint8=unit_two_step(_frost_procedural_draw, _frost_procedural_finish))
def frost_procedural(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """Frost from a synthetic texture: ``clip(a * x + b * texture, 0, 1)`` -- NOT CIFAR-10-C's frost.

    The coefficients of ``frost`` with the procedural texture of
    ``prunability.corruptions.textures`` instead of the photographs, for
    machines without them. Measured against the photographs the reference uses
    its effect is about a fifth weaker at every severity (darker mean, three
    times the contrast; issue 14). Grayscale images get the texture's luma.
    """
    return _frost_procedural_finish(x, param, _frost_procedural_draw(x, param, generator))


def _fog_draw(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> list[torch.Tensor]:
    """fog's draws: its plasma fractal's (``plasma_draws``), 32 x 32 or the next power of two."""
    size = max(32, next_power_of_two(max(x.shape[-2:])))
    return plasma_draws(x.shape[0], size, generator, x.device, x.dtype)


def _fog_finish(x: torch.Tensor, param: tuple[float, float], drawn: list[torch.Tensor]) -> torch.Tensor:
    amount, decay = param
    h, w = x.shape[-2:]
    layer = plasma_from_draws(drawn, decay)[:, None, :h, :w]
    peak = x.amax((1, 2, 3), keepdim=True)
    return ((x + amount * layer) * peak / (peak + amount)).clamp_(0.0, 1.0)


@register_corruption("fog", "weather", ((0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)),
                     uint8=unit_two_step(_fog_draw, _fog_finish))
def fog(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """Fog: add a plasma fractal and rescale to keep the image's maximum.

    make_cifar_c.py: (amount, wibbledecay) = (.2,3), (.5,3), (0.75,2.5), (1,2),
    (1.5,1.75) for severities 1..5; ``(x + amount * plasma_fractal(32,
    wibbledecay)) * max(x) / (max(x) + amount)``, clipped, the fractal shared
    by the channels and ``max(x)`` taken over the whole image. The map is 32 x
    32 (or the next power of two for larger images), cropped to H x W.
    """
    return _fog_finish(x, param, _fog_draw(x, param, generator))


@register_corruption("brightness", "weather", (0.05, 0.1, 0.15, 0.2, 0.3), deterministic=True)
def brightness(x: torch.Tensor, shift: float, generator: torch.Generator) -> torch.Tensor:
    """Brighten: add ``shift`` to the HSV value channel, clipped, hue and saturation kept.

    make_cifar_c.py: ``rgb2hsv``, ``V = clip(V + c, 0, 1)``, ``hsv2rgb`` with
    c = .05, .1, .15, .2, .3 for severities 1..5. Closed form: each RGB pixel
    is scaled by ``clip(V + c) / V`` (V its largest channel); a grayscale image
    is its own V, so it becomes ``clip(x + c, 0, 1)``. Deterministic.
    """
    v = x.amax(1, keepdim=True)
    brighter = (v + shift).clamp_(0.0, 1.0)
    scaled = x * (brighter / torch.where(v > 0, v, 1.0))
    # The largest channel IS the new V (exactly, as in hsv2rgb); black turns gray.
    return torch.where((x == v) | (v == 0), brighter, scaled).clamp_(0.0, 1.0)
