"""Corruption speed: the batched torch suite vs a straightforward per-image NumPy/SciPy port.

Corrupts N random uint8 32 x 32 x 3 images (CIFAR-sized; default N = 10,000,
the CIFAR-10 test set) with all 19 corruptions at severities 1..5 using
``prunability.corruptions.corrupt_all_severities`` (batched; by default the
whole set in one call per severity, as the corrupt stage does), and
prints images per second per corruption. The baseline is written below: the
make_cifar_c.py recipe one image at a time in NumPy / SciPy / PIL (OpenCV,
scikit-image and ImageMagick are not installed, so their calls are replaced by
their NumPy/SciPy equivalents; frost reads, shrinks and crops a photograph
per image as the reference does (from --frost-dir, or synthetic photographs
written to a temporary folder when none is given), frost_procedural uses the
same procedural texture per image; spatter's Canny is simplified to a Sobel
threshold, which only flatters the baseline). Running the baseline on every image would take long, so it runs on a
subset (--baseline-images per corruption and severity) and its rate is
extrapolated to N images. Per corruption the two sides run alternately for
--rounds rounds and the fastest round of each is kept, so both see the same
machine load; the ratios printed are from this one run. Besides wall time, each
side's CPU time (``time.process_time``, all threads of the process) is kept the
same way: on a shared machine the wall-clock ratio also measures who got the
cores (the baseline's short runs catch quiet moments that 10,000-image runs
cannot), the CPU-time ratio only the work. --threads sets torch's
thread count, which ``corrupt_all_severities`` uses to run blocks of images side
by side where that cannot change a value (see ``corruptions/apply.py``); the
baseline is single-threaded, as make_cifar_c.py is.

    .venv/bin/python bench/corruption_speed.py [--images 10000] [--baseline-images 100] [--rounds 2] [--device cpu]
        [--names pixelate spatter ...] [--frost-dir data/frost]
"""

from __future__ import annotations

import argparse
import io
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from scipy import ndimage

from prunability.corruptions import CORRUPTIONS, SEVERITIES, corrupt_all_severities, frost_photos
from prunability.corruptions.blur import disk_kernel
from prunability.corruptions.motion import motion_kernel

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- per-image baseline (H x W x C float64 in [0, 1])
def np_gauss(x, sigma, mode="nearest", truncate=4.0):
    sig = (sigma, sigma, 0) if x.ndim == 3 else sigma
    return ndimage.gaussian_filter(x, sig, mode=mode, truncate=truncate)


def np_motion(img2d, radius, sigma, angle):
    taps = motion_kernel(radius, sigma)
    h, w = img2d.shape[:2]
    out = np.zeros_like(img2d)
    for i, t in enumerate(taps):
        dx = math.ceil(i * math.cos(math.radians(angle)) - 0.5)
        dy = math.ceil(i * math.sin(math.radians(angle)) - 0.5)
        rows = np.clip(np.arange(h) + dy, 0, h - 1)
        cols = np.clip(np.arange(w) + dx, 0, w - 1)
        out += t * img2d[rows][:, cols]
    return out


def np_clipped_zoom(img, z):
    h = img.shape[0]
    ch = int(np.ceil(h / z))
    top = (h - ch) // 2
    zoom = (z, z, 1) if img.ndim == 3 else (z, z)
    img = ndimage.zoom(img[top:top + ch, top:top + ch], zoom, order=1)
    trim = (img.shape[0] - h) // 2
    return img[trim:trim + h, trim:trim + h]


def np_plasma(mapsize, decay):
    m = np.zeros((mapsize, mapsize))
    step, wibble = mapsize, 100.0
    while step >= 2:
        half = step // 2
        c = m[0::step, 0::step]
        sq = c + np.roll(c, -1, 0)
        sq += np.roll(sq, -1, 1)
        m[half::step, half::step] = sq / 4 + wibble * RNG.uniform(-wibble, wibble, sq.shape)
        dr, ul = m[half::step, half::step], m[0::step, 0::step]
        lt = dr + np.roll(dr, 1, 0) + ul + np.roll(ul, -1, 1)
        m[0::step, half::step] = lt / 4 + wibble * RNG.uniform(-wibble, wibble, lt.shape)
        tt = dr + np.roll(dr, 1, 1) + ul + np.roll(ul, -1, 0)
        m[half::step, 0::step] = tt / 4 + wibble * RNG.uniform(-wibble, wibble, tt.shape)
        step //= 2
        wibble /= decay
    m -= m.min()
    return m / m.max()


def np_rgb2hsv(x):
    v = x.max(-1)
    delta = v - x.min(-1)
    safe = np.where(delta == 0, 1, delta)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    h = np.where(r == v, (g - b) / safe, 0.0)
    h = np.where(g == v, 2 + (b - r) / safe, h)
    h = np.where(b == v, 4 + (r - g) / safe, h)
    h = np.where(delta == 0, 0, (h / 6) % 1)
    s = np.where(delta == 0, 0, delta / np.where(v == 0, 1, v))
    return np.stack([h, s, v], -1)


def np_hsv2rgb(hsv):
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    i = np.floor(h * 6)
    f = h * 6 - i
    i = i.astype(int) % 6
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    choices = [np.stack(c, -1) for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))]
    return np.choose(i[..., None], choices)


def b_glass(x, p):
    sigma, delta, iters = p
    x = np.floor(np.clip(np_gauss(x, sigma), 0, 1) * 255).astype(np.uint8)
    h, w = x.shape[:2]
    for _ in range(iters):
        for r in range(h - delta, delta, -1):
            for c in range(w - delta, delta, -1):
                dx, dy = RNG.integers(-delta, delta, size=2)
                x[r, c], x[r + dy, c + dx] = x[r + dy, c + dx], x[r, c]
    return np.clip(np_gauss(x / 255.0, sigma), 0, 1)


def b_snow(x, p):
    loc, scale, zoom, thr, radius, sigma, blend = p
    layer = np_clipped_zoom(RNG.normal(loc, scale, x.shape[:2]), zoom)
    layer[layer < thr] = 0
    layer = np.floor(np.clip(layer, 0, 1) * 255) / 255
    layer = np.floor(np_motion(layer, radius, sigma, RNG.uniform(-135, -45)) * 255 + 0.5) / 255
    gray = x @ np.array([0.299, 0.587, 0.114])
    x = blend * x + (1 - blend) * np.maximum(x, gray[..., None] * 1.5 + 0.5)
    return np.clip(x + layer[..., None] + np.rot90(layer, 2)[..., None], 0, 1)


FROST_DIR = None  # set in main


def b_frost(x, p):  # make_cifar_c.py: read a photograph, shrink it by a fifth, crop, blend
    photo = frost_photos.read_bgr_as_rgb(Path(FROST_DIR) / frost_photos.USED[RNG.integers(5)])
    photo = frost_photos.shrink(photo)
    top, left = RNG.integers(0, photo.shape[0] - 32), RNG.integers(0, photo.shape[1] - 32)
    return np.clip(p[0] * x + p[1] * photo[top:top + 32, left:left + 32] / 255.0, 0, 1)


def b_frost_procedural(x, p):
    haze = np_plasma(32, 2.0)
    crystals = np.zeros(x.shape[:2])
    for _ in range(3):
        seeds = (RNG.random(x.shape[:2]) < 0.06).astype(float)
        crystals = np.maximum(crystals, np_motion(seeds, 3.0, 2.0, RNG.uniform(0, 360)))
    tex = np.clip(0.55 * haze + 2.2 * crystals, 0, 1)[..., None] * np.array([0.8, 0.9, 1.0])
    return np.clip(p[0] * x + p[1] * tex, 0, 1)


def b_spatter(x, p):
    loc, scale, sigma, thr, intensity, mud = p
    liquid = np_gauss(RNG.normal(loc, scale, x.shape[:2]), sigma)
    liquid[liquid < thr] = 0
    if mud:
        m = np_gauss((liquid > thr).astype(float), intensity)
        m[m < 0.8] = 0
        return np.clip(x * (1 - m[..., None]) + m[..., None] * np.array([63, 42, 20]) / 255, 0, 1)
    layer = np.floor(np.clip(liquid, 0, 1) * 255)
    mag = np.abs(ndimage.sobel(layer, 0)) + np.abs(ndimage.sobel(layer, 1))
    edges = mag > 150
    dist = np.minimum(ndimage.distance_transform_edt(~edges), 20) if edges.any() else np.full(edges.shape, 20.0)
    dist = np.floor(np.clip(ndimage.uniform_filter(dist, 3, mode="mirror"), 0, 255))
    hist = np.bincount(dist.astype(int).ravel(), minlength=256).cumsum()
    dist = np.floor(255 * (hist[dist.astype(int)] - hist.min()) / max(hist[-1] - hist.min(), 1))
    dist = np.clip(np.round(ndimage.correlate(dist, np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]), mode="mirror")), 0, 255)
    m = liquid * ndimage.uniform_filter(dist, 3, mode="mirror")
    m = m / m.max() * intensity if m.max() > 0 else m
    return np.clip(x + m[..., None] * np.array([175, 238, 238]) / 255, 0, 1)


def b_elastic(x, p):
    alpha, sigma, affine = p
    h, w = x.shape[:2]
    c, s = np.array([w // 2, h // 2], float), min(h, w) // 3
    src = np.array([c + s, [c[0] + s, c[1] - s], c - s])
    dst = src + RNG.uniform(-affine, affine, src.shape)
    t = np.linalg.solve(np.c_[dst, np.ones(3)], src)  # [x y 1] @ t -> source (x, y)
    matrix = np.array([[t[1, 1], t[0, 1]], [t[1, 0], t[0, 0]]])  # in (row, col) order
    out = np.stack([ndimage.affine_transform(x[..., k], matrix, offset=(t[2, 1], t[2, 0]), order=1, mode="mirror")
                    for k in range(3)], -1)
    dx = np_gauss(RNG.uniform(-1, 1, (h, w)), sigma, "reflect", 3) * alpha if sigma else np.zeros((h, w))
    dy = np_gauss(RNG.uniform(-1, 1, (h, w)), sigma, "reflect", 3) * alpha if sigma else np.zeros((h, w))
    yy, xx = np.mgrid[0:h, 0:w]
    coords = [yy + dy, xx + dx]
    return np.clip(np.stack([ndimage.map_coordinates(out[..., k], coords, order=1, mode="reflect")
                             for k in range(3)], -1), 0, 1)


def b_pil(x, fn):
    return np.asarray(fn(Image.fromarray(np.uint8(x * 255)))) / 255.0


def b_jpeg(im, q):
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=q)
    return Image.open(buffer)


def b_saturate(x, p):
    hsv = np_rgb2hsv(x)
    hsv[..., 1] = np.clip(hsv[..., 1] * p[0] + p[1], 0, 1)
    return np.clip(np_hsv2rgb(hsv), 0, 1)


def b_brightness(x, c):
    hsv = np_rgb2hsv(x)
    hsv[..., 2] = np.clip(hsv[..., 2] + c, 0, 1)
    return np.clip(np_hsv2rgb(hsv), 0, 1)


def b_fog(x, p):
    peak = x.max()
    return np.clip((x + p[0] * np_plasma(32, p[1])[..., None]) * peak / (peak + p[0]), 0, 1)


def b_defocus(x, p):
    k = disk_kernel(*p)
    return np.clip(np.stack([ndimage.correlate(x[..., i], k, mode="mirror") for i in range(3)], -1), 0, 1)


def b_zoom(x, factors):
    x = x.astype(np.float32)
    return np.clip((x + sum(np_clipped_zoom(x, z) for z in factors)) / (len(factors) + 1), 0, 1)


def b_contrast(x, c):
    m = x.mean(axis=(0, 1), keepdims=True)
    return np.clip((x - m) * c + m, 0, 1)


BASELINE = {
    "gaussian_noise": lambda x, c: np.clip(x + RNG.normal(size=x.shape, scale=c), 0, 1),
    "shot_noise": lambda x, c: np.clip(RNG.poisson(x * c) / c, 0, 1),
    "impulse_noise": lambda x, c: np.where(RNG.random(x.shape) < c, (RNG.random(x.shape) < 0.5) * 1.0, x),
    "speckle_noise": lambda x, c: np.clip(x + x * RNG.normal(size=x.shape, scale=c), 0, 1),
    "defocus_blur": b_defocus,
    "glass_blur": b_glass,
    "motion_blur": lambda x, p: np.clip(np_motion(x, p[0], p[1], RNG.uniform(-45, 45)), 0, 1),
    "zoom_blur": b_zoom,
    "gaussian_blur": lambda x, c: np.clip(np_gauss(x, c), 0, 1),
    "snow": b_snow,
    "frost": b_frost,
    "frost_procedural": b_frost_procedural,
    "fog": b_fog,
    "brightness": b_brightness,
    "spatter": b_spatter,
    "contrast": b_contrast,
    "elastic_transform": b_elastic,
    "pixelate": lambda x, c: b_pil(x, lambda im: im.resize((int(32 * c),) * 2, Image.BOX).resize((32, 32), Image.BOX)),
    "jpeg_compression": lambda x, q: b_pil(x, lambda im: b_jpeg(im, q)),
    "saturate": b_saturate,
}


def _clocks() -> np.ndarray:
    """Wall seconds and this process's CPU seconds (all its threads), now."""
    return np.array([time.perf_counter(), time.process_time()])


def baseline_seconds(name: str, images: np.ndarray) -> np.ndarray:
    """Wall and CPU seconds of the per-image baseline for ``images`` at all five severities."""
    params = CORRUPTIONS.get(name).params
    start = _clocks()
    for p in params:
        for img in images:
            np.uint8(BASELINE[name](img / 255.0, p) * 255)
    return _clocks() - start


def torch_seconds(name: str, x: torch.Tensor, chunk: int) -> np.ndarray:
    """Wall and CPU seconds of ``corrupt_all_severities`` on all of ``x`` (in calls of ``chunk`` images)."""
    start = _clocks()
    for block in x.split(chunk or len(x)):
        corrupt_all_severities(block, name, SEVERITIES, seed=0, frost_dir=FROST_DIR)
    if x.device.type == "cuda":
        torch.cuda.synchronize()
    return _clocks() - start


def _synthetic_frost_dir() -> str:
    """Five pale random photographs (PNG and JPEG, 180-240 pixels) in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="frost_"))
    for k, name in enumerate(frost_photos.USED):
        pixels = RNG.integers(120, 256, (180 + 15 * k, 240 - 10 * k, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / name)
    return str(folder)


def load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--baseline-images", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=0, help="images per call (0: all at once, as the stage does)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the fastest of each side is kept")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    parser.add_argument("--names", "--only", nargs="*", default=None,
                        help="corruptions to time, by space or comma (default: all registered)")
    parser.add_argument("--frost-dir", default=None, help="frost photographs (default: synthetic ones, temporary)")
    args = parser.parse_args()
    global FROST_DIR
    FROST_DIR = args.frost_dir or _synthetic_frost_dir()
    names = [n for item in args.names for n in item.split(",") if n] if args.names else CORRUPTIONS.names()
    if args.threads:
        torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (args.images, 3, 32, 32), dtype=torch.uint8, generator=gen).to(args.device)
    subset = x[: args.baseline_images].permute(0, 2, 3, 1).cpu().numpy()
    for name in names:  # warm-up: caches, lazy imports, allocator
        corrupt_all_severities(x[:8], name, SEVERITIES, seed=0, frost_dir=FROST_DIR)
    print(f"{args.images} random 32x32x3 uint8 images x 5 severities; torch on {args.device} "
          f"({torch.get_num_threads()} threads, {'one call' if not args.chunk else f'calls of {args.chunk}'} "
          f"per severity); per-image NumPy/SciPy baseline on {len(subset)} images, extrapolated; "
          f"{args.rounds} interleaved rounds, fastest kept; {load()}")
    print(f"{'corruption':18s} {'torch img/s':>12s} {'baseline img/s':>15s} {'ratio':>7s} {'CPU-time ratio':>15s}")
    total_torch, total_base = np.zeros(2), np.zeros(2)
    for name in names:
        fast = slow = np.full(2, math.inf)
        for _ in range(args.rounds):  # interleaved, so both sides see the same machine load
            fast = np.minimum(fast, torch_seconds(name, x, args.chunk))
            slow = np.minimum(slow, baseline_seconds(name, subset) * args.images / len(subset))
        total_torch += fast
        total_base += slow
        rate = args.images * len(SEVERITIES)
        print(f"{name:18s} {rate / fast[0]:12.0f} {rate / slow[0]:15.0f} {slow[0] / fast[0]:7.1f}x "
              f"{slow[1] / fast[1]:14.1f}x", flush=True)
    print(f"{len(names)} corruptions x 5 on {args.images} images: torch {total_torch[0]:.1f} s, baseline "
          f"{total_base[0]:.1f} s (extrapolated), overall {total_base[0] / total_torch[0]:.1f}x faster; CPU time: "
          f"torch {total_torch[1]:.1f} s, baseline {total_base[1]:.1f} s, {total_base[1] / total_torch[1]:.1f}x; "
          f"{load()}")


if __name__ == "__main__":
    main()
