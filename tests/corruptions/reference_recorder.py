"""Record reference statistics of make_cifar_c.py's corruptions (Hendrycks & Dietterich 2019).

Each corruption below is written out from the reference's recipe with the
libraries it calls -- numpy's generator, scipy for skimage's ``gaussian``
(``gaussian_filter``, mode 'nearest', truncate 4), PIL, and OpenCV (``cv2``,
the ``oracle`` extra) -- and applied, one image at a time, to the fixed image
set of ``reference_images``. Per (corruption, severity) it records the mean
over images of the mean absolute change (0..255 levels), of the standard
deviation of the corrupted image, and the standard error of the first over
images. ``test_reference_stats.py`` compares the package with the record.

Not recordable here: frost (the photographs are not on this machine), snow and
motion_blur (ImageMagick), brightness, saturate, impulse_noise and glass_blur
(scikit-image), fog and elastic_transform (not ported to this recorder).

    PYTHONPATH=<folder with cv2> .venv/bin/python tests/corruptions/reference_recorder.py
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

import cv2  # the oracle extra

from corruption_images import smooth_uint8

OUT = Path(__file__).with_name("reference_stats.json")
IMAGES = 200
RNG = np.random.default_rng(20191)


def reference_images() -> np.ndarray:
    """The fixed image set: IMAGES smooth 32 x 32 RGB uint8 images, N x H x W x C."""
    return smooth_uint8(IMAGES, 3, 32, 32, seed=14).permute(0, 2, 3, 1).numpy()


def gaussian(x, sigma):  # skimage.filters.gaussian(x, sigma, multichannel=True) on float images
    return ndimage.gaussian_filter(x, (sigma, sigma, 0) if x.ndim == 3 else sigma, mode="nearest", truncate=4.0)


def disk(radius, alias_blur):
    grid = np.arange(-8, 9)
    xx, yy = np.meshgrid(grid, grid)
    k = ((xx ** 2 + yy ** 2) <= radius ** 2).astype(np.float32)
    return cv2.GaussianBlur(k / k.sum(), (3, 3), alias_blur)


def clipped_zoom(img, factor):
    h = img.shape[0]
    crop = int(np.ceil(h / factor))
    top = (h - crop) // 2
    out = ndimage.zoom(img[top:top + crop, top:top + crop], (factor, factor, 1), order=1)
    trim = (out.shape[0] - h) // 2
    return out[trim:trim + h, trim:trim + h]


def spatter(x8, c):
    loc, scale, sigma, thr, intensity, mud = c
    x = np.asarray(x8, dtype=np.float32) / 255.0
    liquid = gaussian(RNG.normal(loc, scale, x.shape[:2]), sigma)
    liquid[liquid < thr] = 0
    if mud:
        m = gaussian((liquid > thr).astype(np.float32), intensity)
        m[m < 0.8] = 0
        brown = np.array([63, 42, 20], dtype=np.float32) / 255
        return np.clip(x * (1 - m[..., None]) + brown * m[..., None], 0, 1) * 255
    layer8 = (liquid * 255).astype(np.uint8)
    dist = cv2.distanceTransform(255 - cv2.Canny(layer8, 50, 150), cv2.DIST_L2, 5)
    dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)[1]
    dist = cv2.equalizeHist(cv2.blur(dist, (3, 3)).astype(np.uint8))
    dist = cv2.filter2D(dist, cv2.CV_8U, np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float32))
    m = layer8 * cv2.blur(dist, (3, 3)).astype(np.float32)
    m = m / m.max() * np.float32(intensity)
    turquoise = (np.array([175, 238, 238]) / 255.0).astype(np.float32)
    return np.clip(x + m[..., None] * turquoise, 0, 1) * 255


def pil(x8, fn):
    return np.asarray(fn(Image.fromarray(x8)))


def jpeg(im, quality):
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=quality)
    return Image.open(buffer)


def unit(fn):
    """A recipe on x / 255 (float64) whose result in [0, 1] is scaled back to 0..255."""
    return lambda x8, c: fn(x8 / 255.0, c) * 255


RECIPES = {
    "gaussian_noise": (unit(lambda x, c: np.clip(x + RNG.normal(size=x.shape, scale=c), 0, 1)), False),
    "shot_noise": (unit(lambda x, c: np.clip(RNG.poisson(x * c) / c, 0, 1)), False),
    "speckle_noise": (unit(lambda x, c: np.clip(x + x * RNG.normal(size=x.shape, scale=c), 0, 1)), False),
    "gaussian_blur": (unit(lambda x, c: np.clip(gaussian(x, c), 0, 1)), True),
    "defocus_blur": (unit(lambda x, c: np.clip(np.stack(
        [cv2.filter2D(x[..., k], -1, disk(*c)) for k in range(3)], -1), 0, 1)), True),
    "zoom_blur": (unit(lambda x, c: np.clip((x.astype(np.float32) + sum(
        clipped_zoom(x.astype(np.float32), z) for z in c)) / (len(c) + 1), 0, 1)), True),
    "contrast": (unit(lambda x, c: np.clip((x - x.mean(axis=(0, 1), keepdims=True)) * c
                                           + x.mean(axis=(0, 1), keepdims=True), 0, 1)), True),
    "spatter": (spatter, False),
    "pixelate": (lambda x8, c: pil(x8, lambda im: im.resize((int(32 * c),) * 2, Image.BOX).resize((32, 32), Image.BOX)),
                 True),
    "jpeg_compression": (lambda x8, q: pil(x8, lambda im: jpeg(im, q)), True),
}


def stats(images: np.ndarray, corrupted: np.ndarray) -> dict:
    change = np.abs(corrupted.astype(np.float64) - images).mean(axis=(1, 2, 3))
    spread = corrupted.astype(np.float64).reshape(len(images), -1).std(axis=1)
    return {"mean_abs_change": float(change.mean()), "std": float(spread.mean()),
            "se_change": float(change.std(ddof=1) / np.sqrt(len(images)))}


def main() -> None:
    from prunability.corruptions import CORRUPTIONS

    images = reference_images()
    record = {"images": f"smooth_uint8({IMAGES}, 3, 32, 32, seed=14)", "opencv": cv2.__version__, "stats": {}}
    for name, (recipe, deterministic) in RECIPES.items():
        record["stats"][name] = {"deterministic": deterministic, "severities": {}}
        for s, c in enumerate(CORRUPTIONS.get(name).params, start=1):
            out = np.stack([np.uint8(recipe(img, c)) for img in images])
            record["stats"][name]["severities"][str(s)] = stats(images, out)
            print(name, s, record["stats"][name]["severities"][str(s)])
    OUT.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
