"""Spatter (water drops or mud on the lens), one of CIFAR-10-C's 4 extra corruptions
(Hendrycks & Dietterich 2019), with the 32x32 parameters of ``make_cifar_c.py``.

The reference draws a liquid layer N(loc, scale) per pixel, smooths it with a
Gaussian (sigma) and zeroes it below a threshold. Water (severities 1-3) adds a
pale-turquoise sheen whose strength follows an embossed map of the distance to
the liquid's edges (Canny edges, distance transform, equalisation, emboss
filter, all OpenCV); mud (severities 4-5) pastes brown blobs.

OpenCV is replaced by torch: Canny as Sobel gradients, non-maximum suppression
in four directions and hysteresis by repeated dilation; the distance transform
is the exact Euclidean one (OpenCV's DIST_L2 with a 5 x 5 mask approximates it);
histogram equalisation is torchvision's ``equalize``. The water maps can
therefore differ in detail from the released files; the mud branch is exact up
to randomness.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF

from prunability.corruptions.blur import gaussian_filter2d
from prunability.corruptions.color import to_channels
from prunability.corruptions.noise import standard_normal
from prunability.corruptions.registry import register_corruption

WATER = (175 / 255, 238 / 255, 238 / 255)  # pale turquoise (r, g, b)
MUD = (63 / 255, 42 / 255, 20 / 255)  # mud brown
EMBOSS = ((-2.0, -1.0, 0.0), (-1.0, 1.0, 1.0), (0.0, 1.0, 2.0))
SOBEL = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
CHUNK = 512  # images per distance-transform block (memory N x H x W x W)


def _filter3x3(x: torch.Tensor, kernel) -> torch.Tensor:
    """3 x 3 correlation of N x 1 x H x W with OpenCV's default border (reflect-101).

    A weighted sum of the nine shifted windows of the padded image (zero
    weights skipped): on one-channel 32 x 32 images this is several times
    faster than ``conv2d``, which has no fast float64 path on the CPU.
    """
    h, w = x.shape[-2:]
    padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
    out = None
    for i, row in enumerate(kernel):
        for j, weight in enumerate(row):
            if weight:
                term = padded[..., i:i + h, j:j + w] * weight
                out = term if out is None else out.add_(term)
    return out


def _box3(x: torch.Tensor) -> torch.Tensor:
    """``cv2.blur(x, (3, 3))``: 3 x 3 mean, reflect-101 borders."""
    return _filter3x3(x, ((1 / 9,) * 3,) * 3)


def canny(gray8: torch.Tensor, low: float = 50, high: float = 150) -> torch.Tensor:
    """Boolean edges of N x 1 x H x W images with values 0..255 (OpenCV's Canny, L1 gradient)."""
    gx = _filter3x3(gray8, SOBEL)
    gy = _filter3x3(gray8, tuple(zip(*SOBEL)))
    mag = gx.abs() + gy.abs()
    padded = F.pad(mag, (1, 1, 1, 1))
    h, w = mag.shape[-2:]

    def neighbour(dy: int, dx: int) -> torch.Tensor:
        return padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]

    tan22, tan67 = math.tan(math.pi / 8), math.tan(3 * math.pi / 8)
    ax, ay = gx.abs(), gy.abs()
    horizontal = ay <= ax * tan22
    vertical = ay >= ax * tan67
    same_sign = gx * gy > 0
    peak = torch.where(horizontal, (mag > neighbour(0, -1)) & (mag >= neighbour(0, 1)),
           torch.where(vertical, (mag > neighbour(-1, 0)) & (mag >= neighbour(1, 0)),
           torch.where(same_sign, (mag > neighbour(-1, -1)) & (mag >= neighbour(1, 1)),
                       (mag > neighbour(-1, 1)) & (mag >= neighbour(1, -1)))))
    weak = peak & (mag > low)
    edges = peak & (mag > high)
    for _ in range(h * w):  # hysteresis: grow strong edges along weak ones
        grown = weak & (F.max_pool2d(edges.to(mag.dtype), 3, 1, 1) > 0)
        if torch.equal(grown, edges):
            break
        edges = grown
    return edges


def _row_distance2(edges: torch.Tensor) -> torch.Tensor:
    """Squared distance (float32) from every pixel to the nearest edge in its own row
    (b x H x W booleans): the nearest edge is the last one at or left of the pixel
    or the first one at or right of it, found by running max / min of edge columns."""
    w = edges.shape[-1]
    far = 4 * w  # "no edge on this side": beyond any real distance
    cols = torch.arange(w, device=edges.device)
    left = torch.where(edges, cols, -far).cummax(-1).values
    right = torch.where(edges, cols, w + far).flip(-1).cummin(-1).values.flip(-1)
    return torch.minimum(cols - left, right - cols).to(torch.float32).square()


def edge_distance(edges: torch.Tensor, cap: float) -> torch.Tensor:
    """Euclidean distance of every pixel to the nearest edge pixel, capped at ``cap``
    (``cv2.distanceTransform`` of the non-edge mask, then ``cv2.threshold(TRUNC)``).

    Exact and separable: the squared distance along each row first, then the
    minimum over the rows of that plus the squared row offset."""
    h = edges.shape[-2]
    rows = torch.arange(h, device=edges.device, dtype=torch.float32)
    row_d2 = (rows.view(-1, 1) - rows.view(1, -1)) ** 2  # H x H
    out = []
    for block in edges.split(CHUNK):
        along_w = _row_distance2(block[:, 0])  # b x H x W
        d2 = (along_w.transpose(1, 2).unsqueeze(-2) + row_d2).amin(-1).transpose(1, 2)
        out.append(d2.sqrt().clamp_(max=cap))
    return torch.cat(out).unsqueeze(1)


def water_sheen(liquid: torch.Tensor) -> torch.Tensor:
    """The reference's embossed edge-distance map of the liquid layer (N x 1 x H x W, >= 0)."""
    layer8 = torch.floor(liquid.clamp(0.0, 1.0) * 255)
    dist = edge_distance(canny(layer8), 20.0).to(liquid.dtype)
    dist = torch.floor(_box3(dist))  # .astype(np.uint8)
    dist = TF.equalize(dist.to(torch.uint8)).to(liquid.dtype)
    dist = torch.floor(_filter3x3(dist, EMBOSS) + 0.5).clamp_(0, 255)  # filter2D to CV_8U saturates
    return _box3(dist)


@register_corruption("spatter", "weather", (
    (0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0), (0.65, 0.3, 1, 0.69, 0.5, 0),
    (0.65, 0.1, 0.7, 0.69, 0.6, 1), (0.65, 0.1, 0.5, 0.68, 0.6, 1),
))
def spatter(x: torch.Tensor, param: tuple, generator: torch.Generator) -> torch.Tensor:
    """Water drops (severities 1-3) or mud (4-5) on the lens.

    make_cifar_c.py: (loc, scale, sigma, threshold, intensity, mud) =
    (0.62,0.1,0.7,0.7,0.5,0), (0.65,0.1,0.8,0.7,0.5,0), (0.65,0.3,1,0.69,0.5,0),
    (0.65,0.1,0.7,0.69,0.6,1), (0.65,0.1,0.5,0.68,0.6,1). Water:
    ``clip(x + m * turquoise)`` with m the liquid times its sheen map,
    normalised to max ``intensity``. Mud: m = Gaussian(sigma=intensity) of the
    liquid mask, zeroed below 0.8, and ``x * (1 - m) + m * brown``.
    Grayscale images get the colours' luma.
    """
    loc, scale, sigma, threshold, intensity, mud = param
    n, c, h, w = x.shape
    liquid = loc + scale * standard_normal(x[:, :1], generator)  # float32 draws, see noise.standard_normal
    liquid = gaussian_filter2d(liquid, sigma)
    liquid = torch.where(liquid < threshold, torch.zeros_like(liquid), liquid)
    colour = lambda rgb: to_channels(torch.tensor(rgb, dtype=x.dtype, device=x.device).view(1, 3, 1, 1), c)
    if mud:
        m = gaussian_filter2d((liquid > threshold).to(x.dtype), intensity)
        m = torch.where(m < 0.8, torch.zeros_like(m), m)
        return (x * (1 - m) + m * colour(MUD)).clamp_(0.0, 1.0)
    m = liquid * water_sheen(liquid)
    peak = m.amax((2, 3), keepdim=True)
    m = torch.where(peak > 0, m / torch.where(peak > 0, peak, 1.0), 0.0) * intensity
    return (x + m * colour(WATER)).clamp_(0.0, 1.0)
