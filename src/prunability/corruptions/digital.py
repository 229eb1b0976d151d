"""Digital corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR,
"Benchmarking Neural Network Robustness to Common Corruptions and
Perturbations"), with the 32x32 parameters of ``make_cifar_c.py``.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
import torchvision.io

from prunability.corruptions.blur import gaussian_filter2d
from prunability.corruptions.color import LUMA, hsv_to_rgb, rgb_to_hsv
from prunability.corruptions.registry import register_corruption, unit_two_step
from prunability.corruptions.resample import pil_box_resize_8bit

IMSIZE = 32  # make_cifar_c.py scales the elastic parameters by the CIFAR image size


def sequential_channel_mean(x: torch.Tensor) -> torch.Tensor:
    """Per-image, per-channel mean (N x C x 1 x 1), summed pixel by pixel in raster order.

    This is the order of ``np.mean(x, axis=(0, 1))`` on the reference's
    contiguous H x W x C array: the channel axis is innermost, so numpy adds
    whole pixels one after another into a running sum (no pairwise summation)
    and then divides by H * W. ``torch.mean`` sums in another order and differs
    in the last bit; because ``(x - m) * c + m`` often lands exactly on a
    multiple of 1/255 (e.g. c = 0.75 and 255 * m = sum / (H * W)), that bit
    decides the uint8 truncation of about a third of the pixels. On the CPU
    the last entry of ``cumsum`` is that running sum (its kernel scans left to
    right, accumulating float64 in float64); other devices scan in parallel,
    so there the pixels are added one by one. Either way ``contrast`` matches
    the reference bit for bit in float64.
    """
    n, c, h, w = x.shape
    if x.device.type == "cpu":
        total = x.reshape(n, c, h * w).cumsum(-1)[..., -1]
    else:
        total = torch.zeros((n, c), dtype=x.dtype, device=x.device)
        for pixel in x.reshape(n, c, h * w).unbind(-1):
            total += pixel
    return (total / (h * w)).reshape(n, c, 1, 1)


def _contrast_uint8(x: torch.Tensor, factor: float, generator: torch.Generator) -> torch.Tensor:
    """``contrast`` on uint8 images: the same float64 arithmetic, in place, truncated once
    (the float path's second clip and its temporaries are what this saves)."""
    unit = x.to(torch.float32).to(torch.float64) / 255  # to_unit_float, exact
    means = sequential_channel_mean(unit)
    out = unit.sub_(means).mul_(factor).add_(means).clamp_(0.0, 1.0)
    return out.mul_(255).to(torch.uint8)


@register_corruption("contrast", "digital", (0.75, 0.5, 0.4, 0.3, 0.15), uint8=_contrast_uint8, deterministic=True)
def contrast(x: torch.Tensor, factor: float, generator: torch.Generator) -> torch.Tensor:
    """Shrink every pixel toward the image mean: ``clip((x - m) * factor + m, 0, 1)``.

    make_cifar_c.py: ``means = np.mean(x, axis=(0, 1), keepdims=True)`` on an
    H x W x C array, i.e. ``m`` is the mean over the pixels of each image
    **per channel** (not over channels too), then
    ``np.clip((x - means) * c + means, 0, 1)`` with c = .75, .5, .4, .3, 0.15
    for severities 1..5. The mean is summed in numpy's order (see
    ``sequential_channel_mean``) so that, in float64, the result is bit for bit
    the reference's. Deterministic: ``generator`` is unused.
    """
    means = sequential_channel_mean(x)
    return ((x - means) * factor + means).clamp_(0.0, 1.0)


def _affine_points(h: int, w: int, x: torch.Tensor) -> torch.Tensor:
    """The three (x, y) anchor points of the reference's random affine map (3 x 2)."""
    cx, cy, s = w // 2, h // 2, min(h, w) // 3
    return torch.tensor([[cx + s, cy + s], [cx + s, cy - s], [cx - s, cy - s]], dtype=x.dtype, device=x.device)


def _random_affine(x: torch.Tensor, jitter: float, noise: torch.Tensor) -> torch.Tensor:
    """``cv2.warpAffine`` by the map taking the anchors to anchors + U(-jitter, jitter)
    (``noise``: N x 3 x 2 draws of U(0, 1)): bilinear, borders mirrored without
    repeating the edge (BORDER_REFLECT_101)."""
    n, _, h, w = x.shape
    src = _affine_points(h, w, x).expand(n, 3, 2)
    dst = src + (noise * 2 - 1) * jitter
    ones = torch.ones((n, 3, 1), dtype=x.dtype, device=x.device)
    # Solve [dst 1] @ T = src: the map from output to source pixel (what sampling needs).
    inverse = torch.linalg.solve(torch.cat([dst, ones], 2), src)  # n x 3 x 2
    ys, xs = torch.meshgrid(torch.arange(h, dtype=x.dtype, device=x.device),
                            torch.arange(w, dtype=x.dtype, device=x.device), indexing="ij")
    grid = torch.stack([xs, ys, torch.ones_like(xs)], -1).view(1, h * w, 3) @ inverse
    return _sample(x, grid.view(n, h, w, 2), align_corners=True)


def _sample(x: torch.Tensor, xy: torch.Tensor, align_corners: bool) -> torch.Tensor:
    """Bilinear samples of ``x`` at pixel coordinates ``xy`` (N x H x W x 2, (x, y)),
    mirrored outside: about the edge pixels (align_corners, cv2's REFLECT_101) or
    about the image border (scipy's ``mode='reflect'``)."""
    h, w = x.shape[-2:]
    size = torch.tensor([w, h], dtype=x.dtype, device=x.device)
    norm = xy * 2 / (size - 1) - 1 if align_corners else (xy * 2 + 1) / size - 1
    return F.grid_sample(x, norm, mode="bilinear", padding_mode="reflection", align_corners=align_corners)


def _elastic_draw(x: torch.Tensor, param: tuple, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """elastic_transform's draws, in order: the affine jitter (N x 3 x 2), the field (N x 2 x H x W)."""
    n, _, h, w = x.shape
    noise = torch.rand((n, 3, 2), generator=generator, device=x.device, dtype=x.dtype)
    return noise, torch.rand((n, 2, h, w), generator=generator, device=x.device, dtype=x.dtype)


def _elastic_finish(x: torch.Tensor, param: tuple, drawn: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    alpha, sigma, affine = param
    noise, field = drawn
    n, _, h, w = x.shape
    out = _random_affine(x, affine, noise)
    field = field * 2 - 1
    if sigma > 0:
        field = gaussian_filter2d(field, sigma, truncate=3.0, mode="reflect")
    ys, xs = torch.meshgrid(torch.arange(h, dtype=x.dtype, device=x.device),
                            torch.arange(w, dtype=x.dtype, device=x.device), indexing="ij")
    xy = torch.stack([xs + alpha * field[:, 0], ys + alpha * field[:, 1]], -1)
    return _sample(out, xy, align_corners=False).clamp_(0.0, 1.0)


@register_corruption("elastic_transform", "digital", tuple(
    (IMSIZE * a, IMSIZE * s, IMSIZE * f)
    for a, s, f in ((0, 0, 0.08), (0.05, 0.2, 0.07), (0.08, 0.06, 0.06), (0.1, 0.04, 0.05), (0.1, 0.03, 0.03))
), uint8=unit_two_step(_elastic_draw, _elastic_finish))
def elastic_transform(x: torch.Tensor, param: tuple[float, float, float], generator: torch.Generator) -> torch.Tensor:
    """A random affine warp, then a smooth random displacement field.

    make_cifar_c.py: (alpha, sigma, affine) = IMSIZE * (0, 0, .08),
    (.05, .2, .07), (.08, .06, .06), (.1, .04, .05), (.1, .03, .03) with
    IMSIZE = 32, for severities 1..5. Three anchor points around the centre
    move by U(-affine, affine) (``cv2.warpAffine``, bilinear, reflect-101
    borders); then every pixel moves by ``alpha * gaussian(U(-1, 1), sigma,
    mode='reflect', truncate=3)`` in x and in y (``map_coordinates``, order 1,
    mode 'reflect'), clipped. Both warps are ``grid_sample`` calls. OpenCV
    quantises its bilinear weights to 1/32; this does not. Pixel units are
    those of 32 x 32 images, unchanged for other sizes.
    """
    return _elastic_finish(x, param, _elastic_draw(x, param, generator))


def _pixelate_uint8(x: torch.Tensor, factor: float, generator: torch.Generator) -> torch.Tensor:
    """``pixelate`` on uint8 images, without the float64 round trip (same bytes)."""
    h, w = x.shape[-2:]
    small = pil_box_resize_8bit(x.to(torch.float32), int(h * factor), int(w * factor))
    return pil_box_resize_8bit(small, h, w).to(torch.uint8)


@register_corruption("pixelate", "digital", (0.95, 0.9, 0.85, 0.75, 0.65), uint8=_pixelate_uint8,
                     deterministic=True)
def pixelate(x: torch.Tensor, factor: float, generator: torch.Generator) -> torch.Tensor:
    """Shrink by ``factor`` and enlarge back, both with PIL's BOX filter -- PIL's pixels exactly.

    make_cifar_c.py: ``x.resize((int(32 * c), int(32 * c)), BOX)`` then
    ``.resize((32, 32), BOX)`` on the 8-bit PIL image, with c = 0.95, 0.9,
    0.85, 0.75, 0.65 for severities 1..5. Both resizes follow Pillow's 8-bit
    resampler (``resample.pil_box_resize_8bit``: two 1-D passes in fixed point,
    each rounded to 8 bits), so uint8 images come out equal to PIL's, value for
    value (tested against PIL at every severity). Float images are rounded to
    8 bits first, as PIL sees them. Deterministic.
    """
    h, w = x.shape[-2:]
    v = torch.floor(x.clamp(0.0, 1.0) * 255 + 0.5)
    small = pil_box_resize_8bit(v, int(h * factor), int(w * factor))
    return pil_box_resize_8bit(small, h, w).to(x.dtype) / 255


@register_corruption("jpeg_compression", "digital", (80, 65, 58, 50, 40), deterministic=True)
def jpeg_compression(x: torch.Tensor, quality: int, generator: torch.Generator) -> torch.Tensor:
    """Encode as JPEG at ``quality`` and decode (block and ringing artefacts).

    make_cifar_c.py: PIL ``save(format='JPEG', quality=c)`` and reopen, with
    c = 80, 65, 58, 50, 40 for severities 1..5. Here libjpeg through
    ``torchvision.io.encode_jpeg`` / ``decode_jpeg`` on the CPU (images on
    another device go there and back); float images are first rounded to 8
    bits. Deterministic.
    """
    pixels = torch.floor(x.clamp(0.0, 1.0) * 255 + 0.5).to(torch.uint8).cpu()
    mode = torchvision.io.ImageReadMode.GRAY if x.shape[1] == 1 else torchvision.io.ImageReadMode.RGB
    with warnings.catch_warnings():
        # torchvision 0.29 deprecates its codecs in favour of torchcodec; they still give
        # byte-for-byte the JPEG of PIL (tested), which is what the reference used.
        warnings.simplefilter("ignore", DeprecationWarning)
        encoded = torchvision.io.encode_jpeg(list(pixels), quality=int(quality))
        decoded = torch.stack(torchvision.io.decode_jpeg(encoded, mode=mode))
    return decoded.to(device=x.device, dtype=x.dtype) / 255


@register_corruption("saturate", "digital", ((0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)), deterministic=True)
def saturate(x: torch.Tensor, param: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """Scale and shift the HSV saturation: ``S = clip(S * a + b, 0, 1)``.

    make_cifar_c.py: (a, b) = (0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1),
    (2.5, 0.2) for severities 1..5 (one of the 4 extras), via skimage's
    ``rgb2hsv``/``hsv2rgb``. A grayscale image is the achromatic RGB image,
    whose saturation 0 becomes b with skimage's hue 0 (red): its pixels turn
    (v, v (1 - b), v (1 - b)), returned as luma ``v * (1 - 0.701 b)`` -- a
    darkening at severities 4 and 5 and the identity at 1-3. Deterministic.
    """
    a, b = param
    if x.shape[1] == 1:
        return (x - x * ((1 - LUMA[0]) * b)).clamp_(0.0, 1.0)
    hsv = rgb_to_hsv(x)
    hsv[:, 1] = (hsv[:, 1] * a + b).clamp_(0.0, 1.0)
    return hsv_to_rgb(hsv).clamp_(0.0, 1.0)
