"""Spatter (water drops or mud on the lens), one of CIFAR-10-C's 4 extra corruptions
(Hendrycks & Dietterich 2019), with the 32x32 parameters of ``make_cifar_c.py``.

The reference draws a liquid layer N(loc, scale) per pixel, smooths it with a
Gaussian (sigma) and zeroes it below a threshold. Water (severities 1-3) adds a
pale-turquoise sheen whose strength follows an embossed map of the distance to
the liquid's edges (OpenCV: ``Canny``, ``distanceTransform``, ``threshold``,
``blur``, ``equalizeHist``, ``filter2D``, ``blur``); mud (severities 4-5)
pastes brown blobs.

The OpenCV steps are re-implemented in torch with OpenCV's own integer
semantics (``prunability.corruptions.opencv``), so given the same liquid layer
the water branch gives the reference's pixels (tested against OpenCV itself
where it is installed, and against hand-computed cases everywhere). Only the
random draws differ from the reference's (torch's generator, not numpy's).
"""

from __future__ import annotations

import torch

from prunability.corruptions import opencv
from prunability.corruptions.blur import gaussian_filter2d
from prunability.corruptions.color import to_channels
from prunability.corruptions.noise import standard_normal
from prunability.corruptions.registry import TwoStep, register_corruption

WATER = (175 / 255, 238 / 255, 238 / 255)  # pale turquoise (r, g, b)
MUD = (63 / 255, 42 / 255, 20 / 255)  # mud brown
EMBOSS = ((-2.0, -1.0, 0.0), (-1.0, 1.0, 1.0), (0.0, 1.0, 2.0))
CANNY_LOW, CANNY_HIGH = 50, 150
DIST_CAP = 20.0  # cv2.threshold(dist, 20, 20, THRESH_TRUNC)


def water_sheen(liquid8: torch.Tensor) -> torch.Tensor:
    """The reference's sheen map of the 8-bit liquid layer (N x 1 x H x W, integers 0..255).

    ``dist = 255 - Canny(liquid8, 50, 150)``; ``distanceTransform(dist, DIST_L2, 5)``;
    truncated at 20; ``blur(3 x 3)`` then ``astype(uint8)``; ``equalizeHist``;
    ``filter2D(CV_8U, emboss)``; ``blur(3 x 3)`` on uint8. Integers 0..255 out.
    """
    edges = opencv.canny(liquid8, CANNY_LOW, CANNY_HIGH)
    dist = opencv.chamfer_distance_5x5(edges).clamp_(max=DIST_CAP)
    dist = torch.floor(opencv.blur3x3_float32(dist))  # .astype(np.uint8) truncates
    dist = opencv.equalize_hist(dist)
    dist = opencv.filter3x3(dist, EMBOSS).clamp_(0, 255)  # integer sums; CV_8U saturates
    return opencv.blur3x3_uint8(dist)


def water_levels(levels: torch.Tensor, liquid: torch.Tensor, intensity: float) -> torch.Tensor:
    """The water branch on 8-bit images given as float32 levels 0..255 (N x C x H x W) and the
    thresholded liquid layer (N x 1 x H x W); returns the output levels, float32 integers.

    As the reference, in float32: ``x = levels / 255``, ``m = uint8(liquid * 255) * sheen``,
    divided by its maximum over the image, times ``intensity``;
    ``floor(clip(x + m * colour, 0, 1) * 255)`` (``np.uint8``). Where the liquid or its sheen
    is zero everywhere the reference divides 0 by 0 (NaN, a black image after ``np.uint8``);
    here the image is returned unchanged.
    """
    liquid8 = torch.floor(liquid.clamp(0.0, 1.0) * 255)  # .astype(np.uint8)
    m = (liquid8 * water_sheen(liquid8)).to(torch.float32)
    peak = m.amax((2, 3), keepdim=True)
    m = torch.where(peak > 0, m / torch.where(peak > 0, peak, 1.0), 0.0) * torch.tensor(intensity, dtype=torch.float32)
    colour = to_channels(torch.tensor(WATER, dtype=torch.float32, device=levels.device).view(1, 3, 1, 1),
                         levels.shape[1])
    return (levels / 255).add_(m * colour).clamp_(0.0, 1.0).mul_(255).floor_()  # in place, same operations


def water(x: torch.Tensor, liquid: torch.Tensor, intensity: float) -> torch.Tensor:
    """``water_levels`` of images in [0, 1], taken at 8 bits as the reference's PIL image, as
    8-bit levels / 255 (so uint8 output matches the reference exactly)."""
    levels = torch.round(x * 255).to(torch.float32)  # np.array(x, dtype=np.float32)
    return water_levels(levels, liquid, intensity).to(x.dtype) / 255


def liquid_layer(x: torch.Tensor, loc: float, scale: float, sigma: float, threshold: float,
                 generator: torch.Generator) -> torch.Tensor:
    """N(loc, scale) per pixel, Gaussian-smoothed (skimage's ``gaussian``: nearest borders,
    truncate 4), zeroed below ``threshold``: N x 1 x H x W in float64."""
    template = torch.empty((x.shape[0], 1, *x.shape[-2:]), dtype=torch.float64, device=x.device)
    eps = standard_normal(template, generator)  # float32 draws, see noise.standard_normal
    return liquid_from_normals(eps, loc, scale, sigma, threshold)


def liquid_from_normals(eps: torch.Tensor, loc: float, scale: float, sigma: float, threshold: float) -> torch.Tensor:
    """``liquid_layer`` given its N(0, 1) draws ``eps`` (N x 1 x H x W, float32 values)."""
    liquid = loc + scale * eps.to(torch.float64)
    liquid = gaussian_filter2d(liquid, sigma)
    return torch.where(liquid < threshold, torch.zeros_like(liquid), liquid)


def _mud(x: torch.Tensor, liquid: torch.Tensor, threshold: float, intensity: float) -> torch.Tensor:
    colour = to_channels(torch.tensor(MUD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1), x.shape[1])
    m = gaussian_filter2d((liquid > threshold).to(x.dtype), intensity)
    m = torch.where(m < 0.8, torch.zeros_like(m), m)
    return (x * (1 - m)).add_(m * colour).clamp_(0.0, 1.0)  # x * (1 - m) + m * colour


def _draw_spatter(x: torch.Tensor, param: tuple, generator: torch.Generator) -> torch.Tensor:
    """The only draws of spatter: ``liquid_layer``'s N(0, 1) values, N x 1 x H x W float32."""
    return torch.randn((x.shape[0], 1, *x.shape[-2:]), generator=generator, device=x.device, dtype=torch.float32)


def _spatter_finish(x: torch.Tensor, param: tuple, eps: torch.Tensor) -> torch.Tensor:
    """``spatter`` on uint8 images given its draws: the same bytes, water without the float64 round trip."""
    loc, scale, sigma, threshold, intensity, mud = param
    liquid = liquid_from_normals(eps, loc, scale, sigma, threshold)
    if mud:
        unit = x.to(torch.float32).to(torch.float64) / 255  # exact; torch's uint8 -> float64 cast is slow
        return _mud(unit, liquid, threshold, intensity).mul_(255).to(torch.uint8)
    return water_levels(x.to(torch.float32), liquid, intensity).to(torch.uint8)


@register_corruption("spatter", "weather", (
    (0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0), (0.65, 0.3, 1, 0.69, 0.5, 0),
    (0.65, 0.1, 0.7, 0.69, 0.6, 1), (0.65, 0.1, 0.5, 0.68, 0.6, 1),
), uint8=TwoStep(_draw_spatter, _spatter_finish))
def spatter(x: torch.Tensor, param: tuple, generator: torch.Generator) -> torch.Tensor:
    """Water drops (severities 1-3) or mud (4-5) on the lens.

    make_cifar_c.py: (loc, scale, sigma, threshold, intensity, mud) =
    (0.62,0.1,0.7,0.7,0.5,0), (0.65,0.1,0.8,0.7,0.5,0), (0.65,0.3,1,0.69,0.5,0),
    (0.65,0.1,0.7,0.69,0.6,1), (0.65,0.1,0.5,0.68,0.6,1). Water:
    ``clip(x + m * turquoise)`` with m the liquid times its sheen map,
    normalised to max ``intensity`` (``water``). Mud: m = Gaussian(sigma=intensity)
    of the liquid mask, zeroed below 0.8, and ``x * (1 - m) + m * brown``.
    Grayscale images get the colours' luma.
    """
    loc, scale, sigma, threshold, intensity, mud = param
    liquid = liquid_layer(x, loc, scale, sigma, threshold, generator).to(x.dtype)
    if not mud:
        return water(x, liquid, intensity)
    return _mud(x, liquid, threshold, intensity)
