"""spatter's OpenCV steps (corruptions/opencv.py): hand-computed cases of OpenCV's
semantics, and -- where ``cv2`` is installed (the ``oracle`` extra) -- OpenCV itself."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from prunability.corruptions import opencv, spatter

f32 = lambda v: float(np.float32(v))  # noqa: E731


def t(a):
    return torch.as_tensor(np.asarray(a, dtype=np.float64))[None, None]


def test_canny_sobel_replicates_the_border():
    # a bright first column: with replicated borders the gradient peaks AT column 0
    # (reflect-101 would mirror column 1 and put the edge at column 1)
    img = np.zeros((8, 8))
    img[:, 0] = 255
    edges = opencv.canny(t(img))[0, 0].numpy()
    assert edges[:, 0].all() and not edges[:, 1:].any()


def test_canny_step_keeps_the_first_of_two_equal_maxima():
    img = np.zeros((8, 8))
    img[:, 4:] = 255  # |dx| = 1020 at columns 3 and 4; NMS: m > left and m >= right
    edges = opencv.canny(t(img))[0, 0].numpy()
    assert edges[:, 3].all() and edges.sum() == 8
    weak = np.zeros((8, 8))
    weak[:, 4:] = 30  # |dx| = 120: above low (50), below high (150), no strong seed
    assert not opencv.canny(t(weak)).any()


def test_chamfer_distance_uses_the_5x5_mask_costs_in_float32():
    edges = np.zeros((8, 8), bool)
    edges[3, 2] = True
    d = opencv.chamfer_distance_5x5(torch.from_numpy(edges)[None, None])[0, 0].numpy()
    assert d[3, 2] == 0 and d[3, 3] == 1 and d[3, 7] == 5
    assert d[2, 3] == f32(1.4) and d[2, 4] == f32(2.1969)  # (1, 1) and (1, 2) steps, not sqrt 2, sqrt 5
    assert d[1, 4] == f32(np.float32(1.4) + np.float32(1.4))
    assert d[1, 5] == f32(np.float32(2.1969) + np.float32(1.4))  # (2, 3) = (1, 2) + (1, 1)
    assert d[0, 5] == f32(np.float32(np.float32(1.4) + np.float32(1.4)) + np.float32(1.4))  # (3, 3): 3 diagonals
    assert np.all(d >= 0) and d.max() < 8


def test_blur_float32_rounds_the_double_sum_to_float32():
    # the nine values sum to 17.99999988 (1.4f, 2.8f are below 1.4, 2.8): OpenCV's
    # float32(sum * 1/9) is 2.0, so astype(uint8) gives 2; weighting each term by 1/9
    # in double gives 1.99999998... and 1.
    window = [[2.0, 2.0, f32(2.8)], [f32(1.4), 2.0, 0.0], [f32(2.8), 2.0, 3.0]]
    img = np.pad(np.array(window), 1, mode="reflect")  # any border: only the centre is read
    out = opencv.blur3x3_float32(t(img))[0, 0, 2, 2].item()
    assert np.floor(out) == 2 and sum(v * (1 / 9) for row in window for v in row) < 2


def test_blur_uint8_fixed_point_equals_rounding_for_every_sum():
    s = torch.arange(0, 9 * 255 + 1, dtype=torch.float64)
    assert torch.equal(torch.floor((s + 4) * 7282 / 65536), torch.floor(s / 9 + 0.5))
    img = np.arange(9.0).reshape(3, 3) * 10
    out = opencv.blur3x3_uint8(t(img))[0, 0].numpy()
    ref = np.floor(ndimage.uniform_filter(img, 3, mode="mirror") + 0.5)  # scipy 'mirror' = reflect-101
    assert np.array_equal(out, ref)


def test_equalize_hist_lookup_table():
    # 16 pixels: 4 x 3, 6 x 5, 2 x 9, 4 x 200. i0 = 3 -> 0; scale = 255 / (16 - 4) = 21.25;
    # 5 -> round(6 * 21.25 = 127.5) = 128 (half to even), 9 -> 170, 200 -> 255.
    img = np.array([3] * 4 + [5] * 6 + [9] * 2 + [200] * 4, dtype=np.float64).reshape(4, 4)
    out = opencv.equalize_hist(t(img))[0, 0].numpy()
    lut = {3: 0, 5: 128, 9: 170, 200: 255}
    assert np.array_equal(out, np.vectorize(lut.get)(img))
    flat = np.full((4, 4), 7.0)
    assert np.array_equal(opencv.equalize_hist(t(flat))[0, 0].numpy(), flat)  # one value: unchanged


# ------------------------------------------------------------------ OpenCV itself, where installed
def _liquid_layers(n, seed):
    """Thresholded smoothed liquid layers of the three water severities (N x H x W float64)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        loc, scale, sigma, thr = [(0.62, 0.1, 0.7, 0.7), (0.65, 0.1, 0.8, 0.7), (0.65, 0.3, 1, 0.69)][k % 3]
        liquid = ndimage.gaussian_filter(rng.normal(loc, scale, (32, 32)), sigma, mode="nearest")
        out.append(np.clip(np.where(liquid < thr, 0, liquid), 0, 1))
    return np.stack(out)


def _opencv_water(cv2, x8, liquid, intensity):
    """make_cifar_c.py's water branch, written with the OpenCV calls it makes (H x W x 3 uint8 out)."""
    layer8 = (liquid * 255).astype(np.uint8)
    dist = cv2.distanceTransform(255 - cv2.Canny(layer8, 50, 150), cv2.DIST_L2, 5)
    dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)[1]
    dist = cv2.equalizeHist(cv2.blur(dist, (3, 3)).astype(np.uint8))
    dist = cv2.filter2D(dist, cv2.CV_8U, np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32))
    m = layer8 * cv2.blur(dist, (3, 3)).astype(np.float32)
    m = m / m.max() * np.float32(intensity)
    colour = (np.array([175, 238, 238]) / 255.0).astype(np.float32)
    x = np.asarray(x8, dtype=np.float32) / 255.0
    return np.uint8(np.clip(x + m[..., None] * colour, 0, 1) * 255)


def test_water_branch_equals_opencv_given_the_same_liquid_layer():
    cv2 = pytest.importorskip("cv2")
    liquids = _liquid_layers(60, seed=0)
    x8 = np.random.default_rng(1).integers(0, 256, (60, 32, 32, 3), dtype=np.uint8)
    x = torch.from_numpy(x8).permute(0, 3, 1, 2).double() / 255
    out = spatter.water(x, torch.from_numpy(liquids)[:, None], 0.5)
    got = (out * 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    for k in range(len(liquids)):
        layer8 = (liquids[k] * 255).astype(np.uint8)
        edges = opencv.canny(torch.from_numpy(layer8.astype(np.float64))[None, None])[0, 0].numpy()
        assert np.array_equal(edges, cv2.Canny(layer8, 50, 150) > 0), k
        d = opencv.chamfer_distance_5x5(torch.from_numpy(edges)[None, None])[0, 0].numpy()
        assert np.array_equal(d.astype(np.float32), cv2.distanceTransform(255 - 255 * edges.astype(np.uint8), cv2.DIST_L2, 5)), k
        assert np.array_equal(got[k], _opencv_water(cv2, x8[k], liquids[k], 0.5)), k


def test_separable_sobel_equals_the_3x3_kernels_with_replicated_borders():
    x = torch.randint(0, 256, (2, 1, 9, 7), generator=torch.Generator().manual_seed(0)).double()
    gx, gy = opencv.sobel3x3(x)
    assert torch.equal(gx, opencv.filter3x3(x, opencv.SOBEL_X, "replicate"))
    assert torch.equal(gy, opencv.filter3x3(x, opencv.SOBEL_Y, "replicate"))
