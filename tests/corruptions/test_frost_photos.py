"""frost from the reference's photographs: files, checksums, fetch, the cv2 shrink, and the blend."""

import hashlib

import numpy as np
import pytest
import torch

from prunability.corruptions import CORRUPTIONS, SEVERITIES, corrupt, corrupt_all_severities, frost_photos
from prunability.corruptions.frost_photos import FrostPhotosError

from corruption_images import smooth_uint8
from frost_files import SIZES, shrunk, write_frost_photos


def _crops(photo, h, w):
    """Every h x w crop of an H x W x 3 array: dict (top, left) -> crop."""
    return {(t, l): photo[t:t + h, l:l + w] for t in range(photo.shape[0] - h) for l in range(photo.shape[1] - w)}


def test_frost_blends_a_crop_of_a_shrunk_photograph_as_the_reference(tmp_path):
    pixels = write_frost_photos(tmp_path / "frost", seed=3)
    x = smooth_uint8(40, 3, 32, 32, seed=1)
    used = set()
    for s in (1, 5):
        a, b = CORRUPTIONS.get("frost").param(s)
        out = corrupt(x, "frost", s, seed=2, frost_dir=tmp_path / "frost").permute(0, 2, 3, 1).numpy()
        img = x.permute(0, 2, 3, 1).numpy()
        for n in range(len(x)):
            matches = []
            for name in frost_photos.FILES:  # frost6 included: it must never match
                for corner, crop in _crops(shrunk(pixels[name]), 32, 32).items():
                    # make_cifar_c.py: np.uint8(np.clip(c[0] * np.array(x) + c[1] * frost, 0, 255))
                    ref = np.uint8(np.clip(a * img[n] + b * crop.astype(np.float64), 0, 255))
                    if np.array_equal(out[n], ref):
                        matches.append((name, corner))
            assert matches, (s, n)
            assert all(name in frost_photos.USED for name, _ in matches)
            used.update(name for name, _ in matches)
    assert used == set(frost_photos.USED)  # 80 draws: each of the five photographs turns up


def test_shrink_is_cv2_resize_by_a_fifth():
    # cvRound(n * 0.2) outputs at source pixels 5 d + 2: n = 13 -> 3 rows (2, 7, 12), n = 12 -> 2 rows
    photo = np.arange(13 * 12 * 3).reshape(13, 12, 3)
    out = frost_photos.shrink(photo)
    assert out.shape == (3, 2, 3)
    assert np.array_equal(out, photo[[2, 7, 12]][:, [2, 7]])


def test_shrink_equals_opencv():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(0)
    for h in range(160, 200, 3):
        img = rng.integers(0, 256, (h, h + 7, 3), dtype=np.uint8)
        assert np.array_equal(frost_photos.shrink(img), cv2.resize(img, (0, 0), fx=0.2, fy=0.2))


def test_read_drops_alpha(tmp_path):
    write_frost_photos(tmp_path, seed=0)
    from PIL import Image

    rgba = np.asarray(Image.open(tmp_path / "frost2.png"))
    assert rgba.shape[-1] == 4
    assert np.array_equal(frost_photos.read_bgr_as_rgb(tmp_path / "frost2.png"), rgba[..., :3])


def test_read_equals_cv2_imread_on_png_and_jpeg(tmp_path):
    cv2 = pytest.importorskip("cv2")
    pixels = write_frost_photos(tmp_path, seed=0)
    for name in SIZES:
        assert np.array_equal(frost_photos.read_bgr_as_rgb(tmp_path / name), cv2.imread(str(tmp_path / name))[..., ::-1])
        assert np.array_equal(pixels[name], cv2.imread(str(tmp_path / name))[..., ::-1])


def test_missing_photographs_are_named_with_the_folder_and_the_source(tmp_path):
    write_frost_photos(tmp_path / "frost")
    (tmp_path / "frost" / "frost3.png").unlink()
    (tmp_path / "frost" / "frost6.jpg").unlink()  # never used: not asked for
    x = smooth_uint8(2, 3, 32, 32)
    with pytest.raises(FrostPhotosError) as info:
        corrupt(x, "frost", 1, seed=0, frost_dir=tmp_path / "frost")
    message = str(info.value)
    assert "frost3.png" in message and "frost6.jpg" not in message.split("--")[0]
    assert str(tmp_path / "frost") in message and frost_photos.REPOSITORY in message
    assert "corruptions.frost_dir" in message and "frost_download" in message
    with pytest.raises(FrostPhotosError, match="nowhere"):
        corrupt_all_severities(x, "frost", SEVERITIES, seed=0, frost_dir=tmp_path / "nowhere")
    corrupt(x, "frost_procedural", 1, seed=0, frost_dir=tmp_path / "nowhere")  # needs no photographs


def test_fetch_checks_pinned_digests_records_them_and_load_verifies(tmp_path):
    mirror = tmp_path / "mirror"
    write_frost_photos(mirror, seed=5)
    digests = {n: hashlib.sha256((mirror / n).read_bytes()).hexdigest() for n in frost_photos.USED}
    url = mirror.as_uri() + "/"

    wrong = {**digests, "frost4.jpg": "0" * 64}
    with pytest.raises(FrostPhotosError, match="frost4.jpg has SHA-256"):
        frost_photos.fetch(tmp_path / "bad", base_url=url, pinned=wrong)
    assert not (tmp_path / "bad" / "frost4.jpg").exists()

    target = tmp_path / "fetched"
    frost_photos.fetch(target, base_url=url, pinned=digests)
    assert frost_photos.missing(target) == []
    recorded = dict(reversed(line.split()) for line in (target / "SHA256SUMS").read_text().splitlines())
    assert recorded == digests
    photos = frost_photos.load(target)
    assert [tuple(p.shape) for p in photos] == [(3, round(h * 0.2), round(w * 0.2)) for h, w in
                                                (SIZES[n] for n in frost_photos.USED)]

    (target / "frost1.png").write_bytes((mirror / "frost2.png").read_bytes())  # swapped since the fetch
    with pytest.raises(FrostPhotosError, match="frost1.png does not match its SHA-256"):
        frost_photos.load(target)


def test_fetch_failure_says_what_to_do(tmp_path):
    with pytest.raises(FrostPhotosError, match="could not fetch .*frost1.png.*corruptions.frost_dir"):
        frost_photos.fetch(tmp_path / "f", base_url=(tmp_path / "empty").as_uri() + "/")


def test_photographs_too_small_for_the_images_are_refused(tmp_path):
    write_frost_photos(tmp_path / "frost")
    x = torch.zeros(1, 3, 40, 40, dtype=torch.uint8)  # frost5 shrinks to 35 x 38
    with pytest.raises(ValueError, match="too small for 40 x 40"):
        corrupt(x, "frost", 1, seed=0, frost_dir=tmp_path / "frost")
