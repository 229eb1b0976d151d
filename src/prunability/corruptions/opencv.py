"""The OpenCV operations of make_cifar_c.py's spatter, with OpenCV's integer semantics, in torch.

Batched over N x 1 x H x W images of integer values held in float64 (exact).
Each function states the OpenCV behaviour it reproduces (OpenCV 3.4-5.0
``imgproc``: ``canny.cpp``, ``distransform.cpp``, ``box_filter``,
``histogram.cpp``, ``filter``); the tests compare them with hand-computed cases
and, where ``cv2`` is installed, with OpenCV itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))
SOBEL_Y = ((-1.0, -2.0, -1.0), (0.0, 0.0, 0.0), (1.0, 2.0, 1.0))
CANNY_SHIFT = 15
TG22 = 13573  # (int)(tan(22.5 deg) * 2**15 + 0.5), canny.cpp
FAR = float(2**20)  # distance outside the image (and to no edge): beyond any real one


def filter3x3(x: torch.Tensor, kernel, border: str = "reflect") -> torch.Tensor:
    """3 x 3 correlation (``cv2.filter2D`` anchor at the centre), borders ``reflect``
    (OpenCV's default BORDER_REFLECT_101: ``c b | a b c``) or ``replicate``.

    A weighted sum of the nine shifted windows (zero weights skipped): on
    one-channel 32 x 32 images several times faster than ``conv2d``, which
    has no fast float64 path on the CPU. Integer inputs and weights sum exactly.
    """
    h, w = x.shape[-2:]
    padded = F.pad(x, (1, 1, 1, 1), mode=border)
    out = None
    for i, row in enumerate(kernel):
        for j, weight in enumerate(row):
            if weight:
                window = padded[..., i:i + h, j:j + w]
                term = window * weight if weight != 1 else window.clone()
                out = term if out is None else out.add_(term)
    return out


def box_sum3x3(x: torch.Tensor) -> torch.Tensor:
    """3 x 3 sums with BORDER_REFLECT_101, separable (rows then columns); exact for integers
    and for the multiples of 2**-16 of the distance map."""
    h, w = x.shape[-2:]
    p = F.pad(x, (1, 1, 1, 1), mode="reflect")
    rows = p[..., :, 0:w] + p[..., :, 1:w + 1] + p[..., :, 2:w + 2]
    return rows[..., 0:h, :] + rows[..., 1:h + 1, :] + rows[..., 2:h + 2, :]


def blur3x3_float32(x: torch.Tensor) -> torch.Tensor:
    """``cv2.blur(x, (3, 3))`` of a float32 image: the sum (accumulated in double, exact
    here) times the double 1/9, rounded to float32. Returned as float64 holding float32 values."""
    return (box_sum3x3(x) * (1.0 / 9.0)).to(torch.float32).to(x.dtype)


def blur3x3_uint8(x: torch.Tensor) -> torch.Tensor:
    """``cv2.blur(x, (3, 3))`` of a uint8 image: the 16-bit sum S, then OpenCV's fixed-point
    division ``((S + 4) * 7282) >> 16`` (ColumnSum<ushort, uchar>), which equals round(S / 9)
    for every S in 0..2295 (tested)."""
    return torch.floor((box_sum3x3(x) + 4) * 7282 / 65536)


def sobel3x3(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``cv2.Sobel`` dx and dy (aperture 3) with BORDER_REPLICATE, separably: a central
    difference along one axis and the [1, 2, 1] smoothing along the other (SOBEL_X, SOBEL_Y)."""
    h, w = x.shape[-2:]
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    diff_x = p[..., :, 2:w + 2] - p[..., :, 0:w]  # (H + 2) x W
    smooth_x = p[..., :, 0:w] + 2 * p[..., :, 1:w + 1] + p[..., :, 2:w + 2]
    gx = diff_x[..., 0:h, :] + 2 * diff_x[..., 1:h + 1, :] + diff_x[..., 2:h + 2, :]
    gy = smooth_x[..., 2:h + 2, :] - smooth_x[..., 0:h, :]
    return gx, gy


def canny(gray8: torch.Tensor, low: float = 50, high: float = 150) -> torch.Tensor:
    """``cv2.Canny(gray8, low, high)`` (aperture 3, L1 gradient) as booleans, N x 1 x H x W.

    OpenCV: Sobel derivatives with BORDER_REPLICATE; magnitude |dx| + |dy|
    (zero outside the image); non-maximum suppression in integer arithmetic --
    horizontal if ``|dy| * 2**15 < |dx| * TG22``, vertical if
    ``|dy| * 2**15 > |dx| * (TG22 + 2**16)``, else diagonal (the one of the
    signs of dx * dy); a pixel is kept if its magnitude is > low and > the
    neighbour before it and >= the one after it (diagonal: > both); then
    hysteresis: kept pixels 8-connected to one with magnitude > high.
    """
    gx, gy = sobel3x3(gray8.to(torch.float32))  # integers below 2**11: exact in float32
    mag = gx.abs() + gy.abs()
    padded = F.pad(mag, (1, 1, 1, 1))
    h, w = mag.shape[-2:]

    def neighbour(dy: int, dx: int) -> torch.Tensor:
        return padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]

    y = gy.abs() * (1 << CANNY_SHIFT)
    tg22x = gx.abs() * TG22
    horizontal = y < tg22x
    vertical = ~horizontal & (y > tg22x + gx.abs() * (1 << (CANNY_SHIFT + 1)))
    opposite = (gx * gy) < 0  # s = -1 in canny.cpp
    peak = torch.where(horizontal, (mag > neighbour(0, -1)) & (mag >= neighbour(0, 1)),
           torch.where(vertical, (mag > neighbour(-1, 0)) & (mag >= neighbour(1, 0)),
           torch.where(opposite, (mag > neighbour(-1, 1)) & (mag > neighbour(1, -1)),
                       (mag > neighbour(-1, -1)) & (mag > neighbour(1, 1)))))
    weak = peak & (mag > low)
    edges = weak & (mag > high)
    return hysteresis(edges, weak & ~edges)


def dilate3x3(mask: torch.Tensor) -> torch.Tensor:
    """Boolean 3 x 3 dilation (8-neighbourhood), nothing outside the image."""
    h, w = mask.shape[-2:]
    p = F.pad(mask, (1, 1, 1, 1))
    rows = p[..., :, 0:w] | p[..., :, 1:w + 1] | p[..., :, 2:w + 2]
    return rows[..., 0:h, :] | rows[..., 1:h + 1, :] | rows[..., 2:h + 2, :]


def hysteresis(strong: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """``strong`` plus every candidate 8-connected to it through candidates (Canny's edge
    tracking), grown one ring at a time until nothing joins."""
    edges = strong.clone()
    while candidates.any():
        grown = candidates & dilate3x3(edges)
        if not grown.any():
            break
        edges |= grown
        candidates = candidates & ~grown
    return edges


def _row_pass(u: torch.Tensor, j: torch.Tensor, reverse: bool) -> torch.Tensor:
    """The in-row recurrence ``t[j] = min(u[j], t[j -/+ 1] + 1)`` of a raster pass, in closed
    form ``t[j] = min_k u[k] + |j - k|`` by a cumulative minimum (``j`` = 0, 1, ... in float64),
    summed exactly in float64 and rounded to float32 once. (OpenCV adds 1 step by step in
    float32; the two could differ in float32's last bit where a chain crosses a power of two --
    on 1,000 random edge maps they never did.)"""
    u = u.to(torch.float64)
    if reverse:
        t = (u + j).flip(-1).cummin(-1).values.flip(-1) - j
    else:
        t = (u - j).cummin(-1).values + j
    return t.to(torch.float32)


def chamfer_distance_5x5(edges: torch.Tensor) -> torch.Tensor:
    """``cv2.distanceTransform(255 - edges, DIST_L2, 5)``: float distances (N x 1 x H x W).

    Two raster passes with the 5 x 5 chamfer mask of DIST_L2 -- steps (1, 0),
    (1, 1), (2, 1) cost a, b, c = 1, 1.4f, 2.1969f (``getDistanceTransformMask``)
    -- in float32, as OpenCV's IPP path computes them (OpenCV 5.0 and the
    IPP-enabled pip builds; without IPP, OpenCV 3.4/4.x sums 16-bit fixed-point
    costs instead, 1.4 -> 91750 / 2**16). Each pass runs row by row for the
    whole batch: the two rows above (below) are done, and the left (right)
    neighbour's dependency is a running minimum (``_row_pass``). Adding a cost
    is monotone, so ``min(p + c, q + c) = min(p, q) + c`` and the neighbours of
    one cost are taken together. Far from any edge (no edge at all) values are
    about 2**20; spatter caps at 20.
    """
    n, _, h, w = edges.shape
    a, b, c = (torch.tensor(v, dtype=torch.float32) for v in (1.0, 1.4, 2.1969))
    big = torch.full((n, h + 4, w + 4), FAR, dtype=torch.float32, device=edges.device)
    seed = edges[:, 0]
    zero = torch.zeros((), dtype=torch.float32, device=edges.device)
    j = torch.arange(w, device=edges.device, dtype=torch.float64)
    cols = slice(2, w + 2)

    def candidates(far: torch.Tensor, near: torch.Tensor) -> torch.Tensor:
        """Best cost from the row two away (``far``) and the adjacent row (``near``), padded rows."""
        long = torch.minimum(torch.minimum(far[:, 1:w + 1], far[:, 3:w + 3]),
                             torch.minimum(near[:, 0:w], near[:, 4:w + 4])) + c
        diag = torch.minimum(near[:, 1:w + 1], near[:, 3:w + 3]) + b
        return torch.minimum(torch.minimum(long, diag), near[:, cols] + a)

    for i in range(h):  # forward: rows above and the left neighbour
        u = candidates(big[:, i], big[:, i + 1])
        big[:, i + 2, cols] = _row_pass(torch.where(seed[:, i], zero, u), j, reverse=False)
    for i in range(h - 1, -1, -1):  # backward: rows below and the right neighbour
        v = torch.minimum(big[:, i + 2, cols], candidates(big[:, i + 4], big[:, i + 3]))
        big[:, i + 2, cols] = _row_pass(v, j, reverse=True)
    return big[:, 2:h + 2, cols].to(torch.float64).unsqueeze(1)


def equalize_hist(x: torch.Tensor) -> torch.Tensor:
    """``cv2.equalizeHist`` of every uint8 image (integers 0..255 in N x 1 x H x W).

    OpenCV (histogram.cpp): i0 = the smallest value present; an image of one
    value is returned unchanged; else ``scale = 255.f / (total - hist[i0])``
    (float32), ``lut[i0] = 0`` and for v > i0 ``lut[v] = cvRound(float32(sum) * scale)``
    with ``sum`` the count of pixels in (i0, v] -- rounding half to even.
    """
    n = x.shape[0]
    flat = x.reshape(n, -1).to(torch.int64)
    total = flat.shape[1]
    offsets = torch.arange(n, device=x.device).view(n, 1) * 256
    hist = torch.bincount((flat + offsets).flatten(), minlength=256 * n).view(n, 256)
    first = (hist > 0).to(torch.int8).argmax(1, keepdim=True)
    first_count = hist.gather(1, first)
    below = hist.cumsum(1) - first_count  # pixels in (i0, v] for v >= i0
    scale = torch.tensor(255.0, dtype=torch.float32, device=x.device) / (total - first_count).clamp(min=1).to(torch.float32)
    lut = torch.round(below.to(torch.float32) * scale).clamp_(0, 255)
    constant = first_count == total
    lut = torch.where(constant, torch.arange(256, device=x.device, dtype=torch.float32), lut)
    return lut.to(x.dtype).gather(1, flat).reshape(x.shape)
