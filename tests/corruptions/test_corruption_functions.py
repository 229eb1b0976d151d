"""The three corruptions on float images, against scipy and hand-computed values."""

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from prunability.corruptions import CORRUPTIONS, SEVERITIES
from prunability.corruptions.blur import gaussian_blur, gaussian_kernel1d
from prunability.corruptions.digital import contrast
from prunability.corruptions.noise import gaussian_noise

SIGMAS = (0.4, 0.6, 0.7, 0.8, 1.0, 1.7, 2.5)  # the table, plus radii 7 and 10 (> 8 px)


def rand_images(shape, dtype=torch.float64, seed=0):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def scipy_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Reference: skimage.filters.gaussian(channel, sigma) per channel."""
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            out[n, c] = gaussian_filter(x[n, c], sigma, mode="nearest", truncate=4.0)
    return np.clip(out, 0, 1)


@pytest.mark.parametrize("shape", [(2, 3, 16, 16), (1, 1, 8, 8), (1, 3, 9, 13)])
@pytest.mark.parametrize("sigma", SIGMAS)
def test_gaussian_blur_matches_scipy(shape, sigma):
    x = rand_images(shape)
    ref = scipy_blur(x.numpy(), sigma)
    out = gaussian_blur(x, sigma, None)
    np.testing.assert_allclose(out.numpy(), ref, rtol=0, atol=1e-5)
    # Same taps, same summation order: float64 is bit-identical to scipy.
    assert np.array_equal(out.numpy(), ref)
    out32 = gaussian_blur(x.float(), sigma, None)
    assert out32.dtype == torch.float32
    np.testing.assert_allclose(out32.numpy(), ref, rtol=0, atol=1e-5)


def test_gaussian_kernel_radius_and_normalisation():
    for sigma in SIGMAS:
        taps = gaussian_kernel1d(sigma)
        assert len(taps) == 2 * int(4 * sigma + 0.5) + 1
        assert abs(sum(taps) - 1) < 1e-12
        assert taps == taps[::-1]
    assert len(gaussian_kernel1d(1.0)) == 9  # radius 4 at severity 5


def test_gaussian_blur_differs_from_reflect_padding():
    torchvision_f = pytest.importorskip("torchvision.transforms.functional")
    x = rand_images((1, 3, 16, 16))
    ours = gaussian_blur(x, 1.0, None)
    reflect = torchvision_f.gaussian_blur(x, kernel_size=9, sigma=1.0)
    assert torch.allclose(ours[..., 4:-4, 4:-4], reflect[..., 4:-4, 4:-4], atol=1e-6)
    assert not torch.allclose(ours, reflect, atol=1e-3)  # the borders differ


@pytest.mark.parametrize("factor", (0.75, 0.5, 0.4, 0.3, 0.15))
def test_contrast_of_constant_image_is_identity(factor):
    x = torch.full((2, 3, 8, 8), 0.3, dtype=torch.float64)
    x[1] = 0.9
    torch.testing.assert_close(contrast(x, factor, None), x, rtol=0, atol=1e-12)


def test_contrast_hand_computed_grayscale():
    x = torch.tensor([0.2, 0.6], dtype=torch.float64).reshape(1, 1, 1, 2)
    # mean 0.4; severity 2 (c = 0.5): (0.2 - 0.4) * 0.5 + 0.4 = 0.3 and 0.5
    out = CORRUPTIONS.get("contrast")(x, 2, None)
    torch.testing.assert_close(out.flatten(), torch.tensor([0.3, 0.5], dtype=torch.float64))


def test_contrast_mean_is_per_channel_like_make_cifar_c():
    # np.mean(x, axis=(0, 1)) on H x W x C: one mean per channel.
    x = torch.tensor([[0.0, 1.0], [0.2, 0.2], [0.9, 0.1]], dtype=torch.float64).reshape(1, 3, 1, 2)
    out = contrast(x, 0.5, None)
    expected = torch.tensor([[0.25, 0.75], [0.2, 0.2], [0.7, 0.3]], dtype=torch.float64).reshape(1, 3, 1, 2)
    torch.testing.assert_close(out, expected)


def test_contrast_is_per_image():
    x = torch.stack([torch.full((1, 8, 8), 0.1), rand_images((1, 8, 8), torch.float32)]).double()
    torch.testing.assert_close(contrast(x, 0.3, None)[:1], contrast(x[:1], 0.3, None))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_gaussian_noise_std_on_mid_gray(severity):
    sigma = CORRUPTIONS.get("gaussian_noise").param(severity)
    x = torch.full((4, 3, 64, 64), 0.5, dtype=torch.float64)  # 0.5 is 5 sigma from either clip
    out = gaussian_noise(x, sigma, torch.Generator().manual_seed(severity))
    assert out.shape == x.shape and out.dtype == x.dtype
    noise = out - x
    assert abs(noise.std().item() / sigma - 1) < 0.03
    assert abs(noise.mean().item()) < 0.03 * sigma
    assert 0 <= out.min() and out.max() <= 1


def test_gaussian_noise_clips_to_unit_interval():
    x = torch.tensor([0.0, 1.0]).repeat(1, 1, 8, 4)
    out = gaussian_noise(x, 0.5, torch.Generator().manual_seed(0))
    assert out.min() == 0 and out.max() == 1


def test_gaussian_noise_reproducible_from_generator():
    x = rand_images((2, 3, 8, 8))
    a = gaussian_noise(x, 0.1, torch.Generator().manual_seed(1))
    b = gaussian_noise(x, 0.1, torch.Generator().manual_seed(1))
    c = gaussian_noise(x, 0.1, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("name", ["gaussian_noise", "gaussian_blur", "contrast"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_contract(name, dtype):
    x = rand_images((2, 3, 8, 8), dtype)
    before = x.clone()
    for severity in SEVERITIES:
        out = CORRUPTIONS.get(name)(x, severity, torch.Generator().manual_seed(0))
        assert out.dtype == dtype and out.shape == x.shape and out.device == x.device
        assert 0 <= out.min() and out.max() <= 1
    assert torch.equal(x, before)  # inputs are never modified in place
