"""The frost photographs of make_cifar_c.py (Hendrycks & Dietterich 2019): find, fetch, check, load.

The reference's ``frost`` reads ``frost1.png, frost2.png, frost3.png,
frost4.jpg, frost5.jpg, frost6.jpg`` with ``cv2.imread`` (colour, BGR),
shrinks them with ``cv2.resize(fx=0.2, fy=0.2)`` and blends a random crop
into the image. ``np.random.randint(5)`` picks the photograph, so frost6.jpg is
listed but never used; only the first five are needed here.

The photographs ship with the reference repository (``hendrycks/robustness``,
``ImageNet-C/imagenet_c/imagenet_c/frost/``, the ``imagenet_c`` package's
data). This machine has no network, so they are placed by hand like a dataset
(``corruptions.frost_dir``, default ``data/frost``) or fetched on first use
(``corruptions.frost_download: true``). No checksum of the files is published
in the sources at hand, so ``SHA256`` is empty: a fetch records the SHA-256
of each file in ``SHA256SUMS`` beside them, and every later load checks the
files against that record (a file changed or truncated since is refused).
Fill ``SHA256`` once the digests are verified against the repository, and
fetches will check them too.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

FILES: tuple[str, ...] = ("frost1.png", "frost2.png", "frost3.png", "frost4.jpg", "frost5.jpg", "frost6.jpg")
USED: tuple[str, ...] = FILES[:5]  # np.random.randint(5): frost6.jpg is never drawn
DEFAULT_DIR = "data/frost"
SOURCE_URL = "https://raw.githubusercontent.com/hendrycks/robustness/master/ImageNet-C/imagenet_c/imagenet_c/frost/"
REPOSITORY = "https://github.com/hendrycks/robustness/tree/master/ImageNet-C/imagenet_c/imagenet_c/frost"
SHA256: dict[str, str] = {}  # no published digests known; see the module docstring
CHECKSUM_FILE = "SHA256SUMS"
SHRINK = 5  # cv2.resize(fx=0.2): scale 1 / 0.2 = 5 exactly in double


class FrostPhotosError(FileNotFoundError):
    """Frost photographs missing, unreadable or changed; the message names them and the fix."""


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def missing(folder: str | Path) -> list[str]:
    return [name for name in USED if not (Path(folder) / name).is_file()]


def _missing_message(folder: Path, names: list[str]) -> str:
    return (
        f"frost photographs missing from {folder}: {', '.join(names)} -- copy make_cifar_c.py's "
        f"{', '.join(USED)} from {REPOSITORY} (or the imagenet_c package) into that folder, set "
        "corruptions.frost_dir to where they are, set corruptions.frost_download: true to fetch them "
        "on first use, or use frost_procedural (a synthetic texture, not the reference)"
    )


def _recorded(folder: Path) -> dict[str, str]:
    path = folder / CHECKSUM_FILE
    if not path.is_file():
        return {}
    pairs = (line.split() for line in path.read_text().splitlines() if line.strip())
    return {name.lstrip("*"): digest for digest, name in pairs}


def verify(folder: str | Path, pinned: dict[str, str] | None = None) -> None:
    """Check every used photograph against the pinned digests and the folder's SHA256SUMS."""
    folder = Path(folder)
    expected = {**_recorded(folder), **(SHA256 if pinned is None else pinned)}
    for name in USED:
        if name in expected and sha256(folder / name) != expected[name]:
            raise FrostPhotosError(
                f"{folder / name} does not match its SHA-256 ({expected[name][:12]}...); "
                f"the file changed since it was recorded -- delete it and place or fetch it again from {REPOSITORY}"
            )


def fetch(folder: str | Path, base_url: str = SOURCE_URL, pinned: dict[str, str] | None = None) -> None:
    """Download the missing photographs from ``base_url`` into ``folder``, checking the pinned
    SHA-256 where known, and record the digests of all used files in SHA256SUMS."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pinned = SHA256 if pinned is None else pinned
    for name in missing(folder):
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as tmp:
            try:
                with urllib.request.urlopen(base_url + name, timeout=60) as response:
                    shutil.copyfileobj(response, tmp)
            except OSError as exc:
                Path(tmp.name).unlink(missing_ok=True)
                raise FrostPhotosError(f"could not fetch {base_url + name} ({exc}); "
                                       + _missing_message(folder, missing(folder))) from None
        digest = sha256(Path(tmp.name))
        if name in pinned and digest != pinned[name]:
            Path(tmp.name).unlink()
            raise FrostPhotosError(f"{base_url + name} has SHA-256 {digest[:12]}..., expected {pinned[name][:12]}...; "
                                   "not saved")
        Path(tmp.name).replace(folder / name)
    recorded = {**_recorded(folder), **{name: sha256(folder / name) for name in USED}}
    (folder / CHECKSUM_FILE).write_text("".join(f"{recorded[n]}  {n}\n" for n in sorted(recorded)))


def read_bgr_as_rgb(path: Path) -> np.ndarray:
    """``cv2.imread(path)[..., ::-1]``: H x W x 3 uint8 RGB, alpha dropped, gray replicated,
    EXIF orientation applied (IMREAD_COLOR does), decoded by PIL."""
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode not in ("RGB", "RGBA", "L", "LA", "P", "PA"):
                raise FrostPhotosError(f"{path}: image mode {im.mode} is not an 8-bit photograph; "
                                       f"use the files of {REPOSITORY}")
            return np.asarray(im.convert("RGB"))
    except (OSError, SyntaxError) as exc:
        raise FrostPhotosError(f"{path} is not a readable image ({exc}); place or fetch it again from {REPOSITORY}") from None


def shrink(photo: np.ndarray) -> np.ndarray:
    """``cv2.resize(photo, (0, 0), fx=0.2, fy=0.2)`` (INTER_LINEAR).

    OpenCV makes the output ``cvRound(n * 0.2)`` pixels long and samples
    output pixel d at ``(d + 0.5) * 5 - 0.5 = 5 d + 2`` in the source: a whole
    pixel, so the bilinear weights are (1, 0) and the resize picks every fifth
    pixel from the third (clamped to the last pixel).
    """
    h, w = photo.shape[:2]
    rows = np.minimum(np.arange(int(np.rint(h * 0.2))) * SHRINK + 2, h - 1)
    cols = np.minimum(np.arange(int(np.rint(w * 0.2))) * SHRINK + 2, w - 1)
    return photo[rows][:, cols]


@lru_cache(maxsize=4)
def _load(folder: str, stamps: tuple) -> tuple[torch.Tensor, ...]:
    verify(folder)
    return tuple(torch.from_numpy(shrink(read_bgr_as_rgb(Path(folder) / name)).copy()).permute(2, 0, 1)
                 for name in USED)


def load(folder: str | Path = DEFAULT_DIR, download: bool = False) -> tuple[torch.Tensor, ...]:
    """The five used photographs, shrunk as the reference does: uint8 3 x h x w tensors (RGB).

    Missing files are fetched when ``download`` is true, else one error names
    them, the folder and where to get them. Cached per folder and file times.
    """
    folder = Path(folder)
    absent = missing(folder)
    if absent and download:
        fetch(folder)
        absent = missing(folder)
    if absent:
        raise FrostPhotosError(_missing_message(folder, absent))
    stamps = tuple((folder / name).stat().st_mtime_ns for name in (*USED, CHECKSUM_FILE) if (folder / name).exists())
    return _load(str(folder.resolve()), stamps)
