"""Every registered corruption: dtype, shape, range, device, seeding, bad input."""

import pytest
import torch

from prunability.corruptions import CORRUPTIONS, SEVERITIES, corrupt, corrupt_all_severities
from prunability.registry import UnknownNameError

from corruption_images import DEVICES, rand_uint8, smooth_uint8

NAMES = CORRUPTIONS.names()
RANDOM = {"gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "glass_blur", "motion_blur",
          "snow", "frost", "frost_procedural", "fog", "spatter", "elastic_transform"}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("image", [lambda s: smooth_uint8(*s), rand_uint8], ids=["smooth", "random"])
@pytest.mark.parametrize("shape", [(2, 3, 32, 32), (2, 3, 16, 16), (2, 1, 8, 8), (1, 3, 9, 12), (1, 3, 8, 11)])
def test_uint8_contract_every_severity(device, name, image, shape):
    x = image(shape).to(device)
    before = x.clone()
    outs = corrupt_all_severities(x, name, SEVERITIES, seed=1)
    assert list(outs) == list(SEVERITIES)
    for out in outs.values():
        assert out.dtype == torch.uint8 and out.shape == x.shape and out.device == x.device
    assert torch.equal(x, before)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", NAMES)
def test_float_in_float_out_in_unit_range(name, device):
    x = smooth_uint8(2, 3, 16, 16).to(device).float() / 255
    for s in (1, 5):
        out = corrupt(x, name, s, seed=0)
        assert out.dtype == torch.float32 and out.shape == x.shape and out.device == x.device
        assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_images_other_seed_other_images(name):
    x = smooth_uint8(3, 3, 32, 32)
    a = corrupt(x, name, 3, seed=5)
    assert torch.equal(a, corrupt(x, name, 3, seed=5))
    if name in RANDOM:
        assert not torch.equal(a, corrupt(x, name, 3, seed=6))
    else:
        assert torch.equal(a, corrupt(x, name, 3, seed=6))  # deterministic: the seed is unused


@pytest.mark.parametrize("name", NAMES)
def test_corruption_changes_images_more_at_severity_5_than_1(name):
    x = smooth_uint8(8, 3, 32, 32)
    outs = corrupt_all_severities(x, name, [1, 5], seed=0)
    change = {s: (o.double() - x.double()).abs().mean().item() for s, o in outs.items()}
    assert change[5] > 0
    if name not in {"saturate", "glass_blur", "elastic_transform"}:  # not monotone in the reference either
        assert change[5] > change[1], change


def test_images_are_independent_within_a_batch():
    x = smooth_uint8(4, 3, 16, 16)
    for name in NAMES:
        out = corrupt(x, name, 3, seed=0)
        if name not in RANDOM:
            assert torch.equal(out[1:2], corrupt(x[1:2], name, 3, seed=0)), name


@pytest.mark.parametrize("bad, error, match", [
    (torch.zeros(1, 3, 8, 8, dtype=torch.int64), TypeError, "uint8 tensor"),
    (torch.zeros(1, 3, 8, 8, dtype=torch.bool), TypeError, "uint8 tensor"),
    ([[0]], TypeError, "uint8 tensor"),
    (torch.full((1, 3, 8, 8), 2.0), ValueError, r"\[0, 1\]"),
    (torch.full((1, 3, 8, 8), -0.1), ValueError, r"\[0, 1\]"),
    (torch.full((1, 3, 8, 8), float("nan")), ValueError, r"\[0, 1\]"),
    (torch.zeros(1, 2, 8, 8, dtype=torch.uint8), ValueError, "1 \\(gray\\) or 3 \\(RGB\\) channels"),
    (torch.zeros(3, 8, 8, dtype=torch.uint8), ValueError, "N x C x H x W"),
    (torch.zeros(1, 3, 8, 7, dtype=torch.uint8), ValueError, "at least 8x8"),
])
def test_bad_images_give_one_clear_error(bad, error, match):
    for name in ("gaussian_noise", "jpeg_compression"):
        with pytest.raises(error, match=match):
            corrupt(bad, name, 1, seed=0)
        with pytest.raises(error, match=match):
            corrupt_all_severities(bad, name, SEVERITIES, seed=0)


def test_bad_name_and_severity():
    x = rand_uint8((1, 3, 8, 8))
    with pytest.raises(UnknownNameError, match="choose one of: gaussian_noise"):
        corrupt(x, "frosty", 1, seed=0)
    for bad in (0, 6):
        with pytest.raises(ValueError, match=r"1\.\.5"):
            corrupt(x, "frost", bad, seed=0)


def test_blocking_keeps_deterministic_results_and_reproducible_random_ones(monkeypatch):
    from prunability.corruptions import apply

    x = smooth_uint8(5, 3, 16, 16)
    whole = {name: corrupt(x, name, 4, seed=3) for name in NAMES}
    monkeypatch.setattr(apply, "CPU_BLOCK_VALUES", 2 * 3 * 16 * 16)  # blocks of 2 images
    for name in NAMES:
        blocked = corrupt(x, name, 4, seed=3)
        assert torch.equal(blocked, corrupt(x, name, 4, seed=3)), name
        if name not in RANDOM:
            assert torch.equal(blocked, whole[name]), name
    assert corrupt(x[:0], "fog", 1, seed=0).shape == (0, 3, 16, 16)
