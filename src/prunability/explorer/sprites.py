"""Test images for the Samples view, as one PNG sprite sheet beside the page.

Only the samples the page can show (the Geometry subset and the ranked lists)
go in, so the sheet stays small for any test-set size; the browser loads it
once, the first time a sample is displayed, and each tile is a window on it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from prunability import io


def test_images(prepared: Path) -> np.ndarray:
    """The prepared test set as uint8 N × C × H × W."""
    x = io.load_torch(prepared)["x_test"]
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


def sheet(images: np.ndarray, samples: list[int]) -> tuple[np.ndarray, int]:
    """The ``samples``' images tiled row-major on a near-square grid (H·rows × W·cols × C), and cols."""
    n, (c, h, w) = len(samples), images.shape[1:]
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = max(1, math.ceil(n / cols))
    out = np.zeros((rows * h, cols * w, c), dtype=np.uint8)
    for i, s in enumerate(samples):
        r, k = divmod(i, cols)
        out[r * h:(r + 1) * h, k * w:(k + 1) * w] = images[s].transpose(1, 2, 0)
    return out, cols


def write(images: np.ndarray, samples: list[int], path: Path) -> dict:
    """Write the sheet atomically; return what the page needs to cut tiles from it."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"test images must be uint8 N×C×H×W with 1 or 3 channels, got {images.dtype} {images.shape}")
    bad = [s for s in samples if not 0 <= s < len(images)]
    if bad:
        raise ValueError(f"samples {bad[:5]} are outside the test set of {len(images)} images")
    pixels, cols = sheet(images, samples)
    picture = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    with io.atomic_path(path) as tmp:
        picture.save(tmp, format="PNG", optimize=True)
    return {"file": path.name, "tile": [int(images.shape[2]), int(images.shape[3])], "cols": cols,
            "index": {str(s): i for i, s in enumerate(samples)}}


def write_blank(path: Path) -> None:
    """A one-pixel sheet, for a study with no images to show (the page then shows none)."""
    with io.atomic_path(path) as tmp:
        Image.new("L", (1, 1)).save(tmp, format="PNG")
