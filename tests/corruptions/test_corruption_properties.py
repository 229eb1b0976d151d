"""Properties that fail if a corruption is wrong: no-op parameters, noise moments,
closed forms, and the reference operations (scipy, PIL, make_cifar_c.py's loops)."""

import colorsys
import io

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import ndimage

from prunability.corruptions import CORRUPTIONS, SEVERITIES, corrupt, corrupt_all_severities
from prunability.corruptions import blur, digital, noise, resample, weather
from prunability.corruptions.fractal import plasma_fractal
from prunability.corruptions.motion import motion_blur, motion_kernel
from prunability.corruptions.resample import clipped_zoom

from corruption_images import gen, rand_uint8, smooth_uint8


def unit(x):
    return x.double() / 255


# --- no-op parameters return the input
@pytest.mark.parametrize("fn, param", [
    (noise.gaussian_noise, 0.0), (noise.speckle_noise, 0.0), (noise.impulse_noise, 0.0),
    (digital.contrast, 1.0), (weather.brightness, 0.0), (digital.saturate, (1.0, 0.0)),
    (blur.zoom_blur, (1.0,)), (digital.pixelate, 1.0), (weather.fog, (0.0, 2.0)), (weather.frost, (1.0, 0.0)), (weather.frost_procedural, (1.0, 0.0)),
    (blur.defocus_blur, (0.3, 0.01)), (blur.motion_blur, (6, 0.01)), (digital.elastic_transform, (0.0, 0.0, 0.0)),
])
def test_no_op_parameter_returns_input(fn, param):
    x = unit(smooth_uint8(2, 3, 16, 16))
    torch.testing.assert_close(fn(x, param, gen()), x, rtol=0, atol=1e-6)  # zoom_blur works in float32


def test_shot_noise_with_huge_rate_is_nearly_identity():
    x = unit(smooth_uint8(2, 3, 16, 16))
    assert (noise.shot_noise(x, 1e9, gen()) - x).abs().max() < 1e-3


# --- noise moments on flat gray
@pytest.mark.parametrize("severity", SEVERITIES)
def test_shot_noise_mean_and_variance_on_gray(severity):
    rate = CORRUPTIONS.get("shot_noise").param(severity)
    x = torch.full((4, 3, 64, 64), 0.5, dtype=torch.float64)
    out = noise.shot_noise(x, rate, gen(severity))
    assert abs(out.mean().item() - 0.5) < 0.01 * 0.5
    assert abs(out.std().item() / (0.5 / rate) ** 0.5 - 1) < 0.05


@pytest.mark.parametrize("severity", SEVERITIES)
def test_speckle_noise_std_is_proportional_to_intensity(severity):
    sigma = CORRUPTIONS.get("speckle_noise").param(severity)
    x = torch.full((4, 3, 64, 64), 0.4, dtype=torch.float64)
    out = noise.speckle_noise(x, sigma, gen(severity))
    assert abs(out.mean().item() - 0.4) < 0.03 * 0.4 * sigma
    assert abs(out.std().item() / (0.4 * sigma) - 1) < 0.05


@pytest.mark.parametrize("severity", SEVERITIES)
def test_impulse_noise_hits_the_amount_half_salt_half_pepper(severity):
    amount = CORRUPTIONS.get("impulse_noise").param(severity)
    x = torch.full((8, 3, 64, 64), 0.5, dtype=torch.float64)
    out = noise.impulse_noise(x, amount, gen(severity))
    salt, pepper = (out == 1).double().mean().item(), (out == 0).double().mean().item()
    assert abs((salt + pepper) / amount - 1) < 0.08
    assert abs(salt / (salt + pepper) - 0.5) < 0.06
    assert ((out == 0.5) | (out == 0) | (out == 1)).all()


def test_impulse_thresholds_are_the_amount_in_even_16_bit_steps():
    assert noise.impulse_thresholds(0.07) == (-32768 + 4588, -32768 + 2294)  # 2 * round(0.07 * 32768)
    assert noise.impulse_thresholds(0.01) == (-32768 + 656, -32768 + 328)
    for amount in CORRUPTIONS.get("impulse_noise").params:
        hit, salt = noise.impulse_thresholds(amount)
        assert abs((hit + 32768) / 65536 - amount) <= 2**-16 and hit + 32768 == 2 * (salt + 32768)


def test_uniform_levels16_use_every_bit_of_their_words():
    levels = noise.uniform_levels16(torch.empty(400_001), torch.Generator().manual_seed(0))
    assert levels.shape == (400_001,) and levels.dtype == torch.int16
    for lane in range(4):  # the last 16 bits of a word too (plain random_() leaves its top bit 0)
        share = (levels[lane:400_000:4] < 0).double().mean().item()
        assert abs(share - 0.5) < 0.01, lane
    assert abs(levels.double().mean().item() / 32768) < 0.01


# --- closed forms
@pytest.mark.parametrize("severity", SEVERITIES)
def test_brightness_closed_form(severity):
    c = CORRUPTIONS.get("brightness").param(severity)
    gray = unit(smooth_uint8(2, 1, 8, 8))
    assert torch.equal(weather.brightness(gray, c, None), (gray + c).clamp(0, 1))
    rgb = unit(smooth_uint8(2, 3, 16, 16))
    v = rgb.amax(1, keepdim=True)
    expected = torch.where(v > 0, rgb * (v + c).clamp(0, 1) / v, (v + c).clamp(0, 1))
    torch.testing.assert_close(weather.brightness(rgb, c, None), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("severity", SEVERITIES)
def test_saturate_matches_colorsys_per_pixel(severity):
    a, b = CORRUPTIONS.get("saturate").param(severity)
    rgb = unit(torch.cat([rand_uint8((1, 3, 8, 8)), torch.full((1, 3, 8, 8), 90, dtype=torch.uint8)]))
    out = digital.saturate(rgb, (a, b), None)
    pixels = rgb.permute(0, 2, 3, 1).reshape(-1, 3).tolist()
    expected = []
    for r, g, bl in pixels:
        h, s, v = colorsys.rgb_to_hsv(r, g, bl)
        expected.append(colorsys.hsv_to_rgb(h, min(max(s * a + b, 0.0), 1.0), v))
    expected = torch.tensor(expected, dtype=torch.float64).reshape(2, 8, 8, 3).permute(0, 3, 1, 2)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


def test_saturate_gray_is_luma_of_the_tinted_achromatic_image():
    gray = unit(smooth_uint8(1, 1, 8, 8))
    for a, b in CORRUPTIONS.get("saturate").params:
        rgb = digital.saturate(gray.expand(-1, 3, -1, -1), (a, b), None)
        luma = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
        torch.testing.assert_close(digital.saturate(gray, (a, b), None)[:, 0], luma, rtol=0, atol=1e-12)
    assert torch.equal(corrupt(smooth_uint8(1, 1, 8, 8), "saturate", 1, 0), smooth_uint8(1, 1, 8, 8))


# --- reference operations
def test_defocus_blur_matches_scipy_correlation_with_the_disk():
    x = unit(smooth_uint8(2, 3, 16, 16))
    for radius, alias in CORRUPTIONS.get("defocus_blur").params:
        grid = np.arange(-8, 9)
        xx, yy = np.meshgrid(grid, grid)
        disk = (xx**2 + yy**2 <= radius**2).astype(np.float32)
        disk /= disk.sum()
        taps = np.exp(-((np.arange(3) - 1.0) ** 2) / (2 * alias**2))
        taps = (taps / taps.sum()).astype(np.float32)
        kernel = ndimage.correlate1d(ndimage.correlate1d(disk, taps, 0, mode="mirror"), taps, 1, mode="mirror")
        ref = np.stack([[ndimage.correlate(ch, kernel, mode="mirror") for ch in img] for img in x.numpy()])
        out = blur.defocus_blur(x, (radius, alias), None)
        np.testing.assert_allclose(out.numpy(), np.clip(ref, 0, 1), rtol=0, atol=1e-6)


def reference_clipped_zoom(img, factor):
    """make_cifar_c.py's clipped_zoom on an H x W x C array (transcribed)."""
    h = img.shape[0]
    ch = int(np.ceil(h / factor))
    top = (h - ch) // 2
    img = ndimage.zoom(img[top:top + ch, top:top + ch], (factor, factor, 1), order=1)
    trim = (img.shape[0] - h) // 2
    return img[trim:trim + h, trim:trim + h]


@pytest.mark.parametrize("size", [32, 9])
def test_clipped_zoom_matches_scipy_zoom(size):
    x = unit(smooth_uint8(2, 3, size, size))
    for factor in CORRUPTIONS.get("zoom_blur").params[4] + (1.75, 2.25):
        ours = clipped_zoom(x, factor).permute(0, 2, 3, 1).numpy()
        ref = np.stack([reference_clipped_zoom(img, factor) for img in x.permute(0, 2, 3, 1).numpy()])
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_zoom_blur_matches_make_cifar_c():
    x = unit(smooth_uint8(2, 3, 32, 32))
    for factors in CORRUPTIONS.get("zoom_blur").params:
        hwc = x.permute(0, 2, 3, 1).numpy().astype(np.float32)
        ref = np.stack([(img + sum(reference_clipped_zoom(img, z) for z in factors)) / (len(factors) + 1) for img in hwc])
        out = blur.zoom_blur(x, factors, None).permute(0, 2, 3, 1).numpy()
        np.testing.assert_allclose(out, np.clip(ref, 0, 1), rtol=0, atol=1e-5)


def test_glass_shuffle_equals_the_reference_loop_with_numpy_views():
    x = rand_uint8((2, 3, 12, 10))
    dy, dx = torch.randint(-1, 1, (2, 2, 10, 8), generator=gen())
    out = blur.shuffle_pixels(x, dy, dx)
    for n in range(2):
        img = x[n].permute(1, 2, 0).numpy().copy()  # H x W x C, like the reference
        for h in range(12 - 1, 1, -1):
            for w in range(10 - 1, 1, -1):
                hp, wp = h + int(dy[n, h - 2, w - 2]), w + int(dx[n, h - 2, w - 2])
                img[h, w], img[hp, wp] = img[hp, wp], img[h, w]  # views: a copy, not a swap
        assert np.array_equal(out[n].permute(1, 2, 0).numpy(), img)


@pytest.mark.parametrize("channels", [3, 1])
def test_pixelate_equals_pil_box_resizes_exactly(channels):
    x = rand_uint8((6, channels, 32, 32), seed=channels)
    x[0] = smooth_uint8(1, channels)[0]
    for s, c in zip(SEVERITIES, CORRUPTIONS.get("pixelate").params):
        out = corrupt(x, "pixelate", s, seed=0)
        for n in range(len(x)):
            arr = x[n].permute(1, 2, 0).numpy()
            im = Image.fromarray(arr if channels == 3 else arr[..., 0])
            ref = np.array(im.resize((int(32 * c), int(32 * c)), Image.BOX).resize((32, 32), Image.BOX))
            assert np.array_equal(out[n].permute(1, 2, 0).numpy().reshape(ref.shape), ref), (s, n)
        # blocks: enlarging copies pixels, so only int(32 c) distinct rows and columns remain
        assert len(torch.unique(out[0], dim=1)) <= int(32 * c)
        assert len(torch.unique(out[0], dim=2)) <= int(32 * c)


@pytest.mark.parametrize("size", [(10, 7), (13, 32), (32, 15), (20, 20)])
def test_pil_box_resize_equals_pil_by_any_factor(size):
    # factors below 1/2 average three or more pixels (the float64 fixed-point path), the others
    # one or two (the float32 pair path); both must give PIL's bytes
    x = rand_uint8((3, 3, 32, 32), seed=7)
    out = resample.pil_box_resize_8bit(x.double(), *size)
    for n in range(3):
        ref = np.array(Image.fromarray(x[n].permute(1, 2, 0).numpy()).resize(size[::-1], Image.BOX))
        assert np.array_equal(out[n].permute(1, 2, 0).numpy(), ref)


def test_pil_box_resize_rounds_after_each_pass():
    # 3 -> 2 pixels: PIL's box takes pixels 0 and 1 (weights 1/2, 1/2) for the first output and
    # pixel 2 for the second; it rounds half up after the horizontal pass and again after the
    # vertical one: rows [1, 2], [2, 2], [3, 0], then [[2, 2], [3, 0]]. One rounding at the end
    # would give 1 at the top left (the mean of 0, 1, 1, 2).
    v = torch.tensor([[[[0.0, 1.0, 2.0], [1.0, 2.0, 2.0], [3.0, 3.0, 0.0]]]], dtype=torch.float64)
    out = resample.pil_box_resize_8bit(v, 2, 2)
    assert out[0, 0].tolist() == [[2.0, 2.0], [3.0, 0.0]]
    im = Image.fromarray(v[0, 0].numpy().astype(np.uint8)).resize((2, 2), Image.BOX)
    assert np.array_equal(out[0, 0].numpy(), np.array(im))


@pytest.mark.parametrize("channels", [3, 1])
def test_jpeg_is_a_real_jpeg_round_trip_identical_to_pil(channels):
    x = smooth_uint8(2, channels, 32, 32)
    for s, quality in zip(SEVERITIES, CORRUPTIONS.get("jpeg_compression").params):
        out = corrupt(x, "jpeg_compression", s, seed=0)
        for n in range(2):
            arr = x[n].permute(1, 2, 0).numpy()
            buffer = io.BytesIO()
            Image.fromarray(arr if channels == 3 else arr[..., 0]).save(buffer, "JPEG", quality=quality)
            ref = np.array(Image.open(buffer)).reshape(32, 32, channels)
            assert np.array_equal(out[n].permute(1, 2, 0).numpy(), ref)


def test_motion_blur_is_a_one_sided_line():
    taps = motion_kernel(6, 2.0)
    assert len(taps) == 13 and abs(sum(taps) - 1) < 1e-12 and taps == sorted(taps, reverse=True)
    x = torch.zeros(2, 1, 16, 16, dtype=torch.float64)
    x[:, 0, 8, 8] = 1.0
    out = motion_blur(x, 6, 2.0, torch.tensor([0.0, 90.0]))
    # angle 0: the output at column p reads columns p .. p + 12, so the dot smears to the left
    torch.testing.assert_close(out[0, 0, 8, :9].flip(0), torch.tensor(taps[:9], dtype=torch.float64))
    assert out[0, 0, 8, 9:].abs().sum() == 0 and out[0, 0, :8].abs().sum() == 0
    # angle 90: the same, upwards
    torch.testing.assert_close(out[1, 0, :9, 8].flip(0), torch.tensor(taps[:9], dtype=torch.float64))


def test_plasma_fractal_range_and_independence():
    maps = plasma_fractal(3, 32, 2.0, gen(), "cpu")
    assert maps.shape == (3, 32, 32)
    assert torch.equal(maps.amin((1, 2)), torch.zeros(3, dtype=maps.dtype)) and torch.equal(maps.amax((1, 2)), torch.ones(3, dtype=maps.dtype))
    assert not torch.equal(maps[0], maps[1])


def test_fog_keeps_black_black_and_scales_by_the_image_maximum():
    x = torch.zeros(1, 3, 16, 16, dtype=torch.float64)
    assert torch.equal(weather.fog(x, (1.5, 1.75), gen()), x)
    y = unit(smooth_uint8(1, 3, 16, 16))
    assert weather.fog(y, (0.2, 3), gen()).max() <= y.max() + 1e-12


def test_spatter_mud_pastes_brown_and_water_only_brightens():
    x = unit(smooth_uint8(4, 3, 32, 32))
    params = CORRUPTIONS.get("spatter").params
    water = CORRUPTIONS.get("spatter").apply(x, params[2], gen())
    assert (water >= x - 1e-12).all() and (water > x).any()
    mud = CORRUPTIONS.get("spatter").apply(x, params[4], gen())
    assert (mud != x).any()


def test_glass_blur_severity_1_keeps_pixel_values_from_the_neighbourhood():
    x = smooth_uint8(2, 3, 16, 16)
    out = corrupt(x, "glass_blur", 1, seed=0)  # sigma 0.05: blur is the identity
    assert torch.equal(out[..., :2, :], x[..., :2, :]) and torch.equal(out[..., :, :2], x[..., :, :2])
    assert not torch.equal(out, x)


def test_corrupt_all_severities_on_uint8_equals_float_path_then_truncation():
    x = smooth_uint8(2, 3, 16, 16)
    for name in ("fog", "elastic_transform", "snow", "impulse_noise", "pixelate", "spatter"):  # last 3: uint8 paths
        u = corrupt_all_severities(x, name, [3], seed=2)[3]
        f = corrupt_all_severities(x.double() / 255, name, [3], seed=2)[3]
        assert torch.equal(u, (f * 255).to(torch.uint8))


@pytest.mark.parametrize("name", ["impulse_noise", "pixelate", "spatter", "gaussian_noise", "shot_noise",
                                  "speckle_noise", "contrast"])
def test_uint8_fast_paths_equal_the_float_path_at_every_severity(name):
    assert CORRUPTIONS.get(name).apply_uint8 is not None
    x = rand_uint8((200, 3, 32, 32), seed=11)  # more than one block of work
    u = corrupt_all_severities(x, name, SEVERITIES, seed=4)
    f = corrupt_all_severities(x.double() / 255, name, SEVERITIES, seed=4)
    for s in SEVERITIES:
        assert torch.equal(u[s], (f[s] * 255).to(torch.uint8)), s


def test_corruptions_marked_deterministic_never_touch_their_generator():
    x = rand_uint8((3, 3, 16, 16), seed=5).double() / 255
    marked = [name for name in CORRUPTIONS.names() if CORRUPTIONS.get(name).deterministic]
    assert {"defocus_blur", "gaussian_blur", "contrast", "pixelate", "jpeg_compression"} <= set(marked)
    for name in marked:
        generator = torch.Generator().manual_seed(0)
        before = generator.get_state()
        for s in SEVERITIES:
            CORRUPTIONS.get(name)(x, s, generator)
        assert torch.equal(generator.get_state(), before), name
    generator = torch.Generator().manual_seed(0)  # the check can fail: a random one moves it
    before = generator.get_state()
    CORRUPTIONS.get("gaussian_noise")(x, 1, generator)
    assert not torch.equal(generator.get_state(), before)


@pytest.mark.parametrize("name", ["gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "spatter",
                                  "defocus_blur", "contrast", "pixelate"])
def test_blocks_on_two_threads_give_the_serial_bytes(name):
    from prunability.corruptions import apply

    x = rand_uint8((300, 3, 32, 32), seed=12)  # 4 blocks of work
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert apply.block_workers(CORRUPTIONS.get(name), x, 4) == 1
        serial = corrupt_all_severities(x, name, SEVERITIES, seed=6)
        torch.set_num_threads(2)
        assert apply.block_workers(CORRUPTIONS.get(name), x, 4) == 2
        threaded = corrupt_all_severities(x, name, SEVERITIES, seed=6)
    finally:
        torch.set_num_threads(before)
    for s in SEVERITIES:
        assert torch.equal(threaded[s], serial[s]), s



@pytest.mark.skipif(not __import__("platform").libc_ver()[0] == "glibc", reason="mallopt is glibc's")
def test_freed_memory_setting_takes_effect_on_glibc():
    from prunability.corruptions import apply

    assert apply.keep_freed_memory() is True
