"""Synthetic frost photographs in the reference's formats (imported as a plain module)."""

from pathlib import Path

import numpy as np
from PIL import Image

from prunability.corruptions import frost_photos

SIZES = {"frost1.png": (190, 230), "frost2.png": (215, 176), "frost3.png": (201, 199),
         "frost4.jpg": (240, 260), "frost5.jpg": (177, 188), "frost6.jpg": (180, 180)}


def write_frost_photos(folder: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Write frost1.png..frost6.jpg (PNG RGBA for frost2, RGB otherwise; JPEG quality 95) into
    ``folder``; returns each file's pixels as PIL decodes them (H x W x 3 uint8, RGB)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    pixels = {}
    for name, (h, w) in SIZES.items():
        yy, xx = np.mgrid[0:h, 0:w]
        base = 175 + 55 * np.sin(xx / 7.0 + rng.uniform(0, 6)) * np.cos(yy / 11.0)
        rgb = np.clip(base[..., None] * np.array([0.8, 0.9, 1.0]) + rng.normal(0, 25, (h, w, 3)), 0, 255).astype(np.uint8)
        if name == "frost2.png":
            alpha = rng.integers(0, 256, (h, w, 1), dtype=np.uint8)
            Image.fromarray(np.concatenate([rgb, alpha], -1), "RGBA").save(folder / name)
        elif name.endswith(".png"):
            Image.fromarray(rgb).save(folder / name)
        else:
            Image.fromarray(rgb).save(folder / name, quality=95)
        pixels[name] = np.asarray(Image.open(folder / name).convert("RGB"))
    return pixels


def shrunk(pixels: np.ndarray) -> np.ndarray:
    """cv2.resize(fx=0.2) written out: every fifth pixel from the third, cvRound(n * 0.2) of them."""
    h, w = pixels.shape[:2]
    rows = [min(5 * d + 2, h - 1) for d in range(int(round(h * 0.2)))]
    cols = [min(5 * d + 2, w - 1) for d in range(int(round(w * 0.2)))]
    return pixels[np.ix_(rows, cols)]


__all__ = ["SIZES", "frost_photos", "shrunk", "write_frost_photos"]
