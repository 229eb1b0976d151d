"""The released CIFAR-10-C / CIFAR-100-C files (Hendrycks & Dietterich 2019).

Zenodo records 2535967 (CIFAR-10-C) and 3555552 (CIFAR-100-C) hold one
``<corruption>.npy`` per corruption -- uint8, 50000 x 32 x 32 x 3, the five
severities in consecutive blocks of 10,000 images, each block in test-set
order -- and ``labels.npy`` (the 10,000 test labels repeated five times).
Hendrycks recommends evaluating on these files rather than on corruptions
computed in memory; this module reads them (memory-mapped, only the blocks
asked for) as uint8 N x C x H x W tensors like the generated ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from prunability.corruptions.registry import SEVERITIES, check_severity

LABELS_FILE = "labels.npy"


class ReleasedFilesError(FileNotFoundError):
    """Released corruption files are missing or malformed; the message names them."""


def released_file(directory: str | Path, name: str) -> Path:
    return Path(directory) / f"{name}.npy"


def check_released(directory: str | Path, names: Iterable[str]) -> None:
    """Raise ReleasedFilesError naming every missing ``<name>.npy`` / labels.npy and the directory."""
    directory = Path(directory)
    wanted = [f"{name}.npy" for name in names] + [LABELS_FILE]
    missing = [f for f in wanted if not (directory / f).is_file()]
    if missing:
        raise ReleasedFilesError(
            f"released corruption files missing from {directory}: {', '.join(missing)} "
            "(CIFAR-10-C is Zenodo record 2535967, CIFAR-100-C record 3555552; "
            "set corruptions.released_dir to the folder holding the .npy files)"
        )


def _load(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ReleasedFilesError(f"{path} is not a readable .npy file ({exc})") from None


def _block_size(images: np.ndarray, labels: np.ndarray, path: Path) -> int:
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise ReleasedFilesError(f"{path}: expected uint8 N x H x W x C (C = 1 or 3), got {images.dtype} {images.shape}")
    if len(images) % len(SEVERITIES) or len(labels) != len(images):
        raise ReleasedFilesError(
            f"{path}: {len(images)} images and {len(labels)} labels; expected equal counts, "
            f"{len(SEVERITIES)} severity blocks of the same size"
        )
    return len(images) // len(SEVERITIES)


def load_released(directory: str | Path, name: str, severities: Iterable[int] = SEVERITIES
                  ) -> tuple[dict[int, torch.Tensor], dict[int, torch.Tensor]]:
    """``({severity: uint8 N x C x H x W}, {severity: int64 labels N})`` of one corruption."""
    severities = [check_severity(s) for s in severities]
    check_released(directory, [name])
    path = released_file(directory, name)
    images, labels = _load(path), _load(Path(directory) / LABELS_FILE)
    block = _block_size(images, labels, path)
    out_images, out_labels = {}, {}
    for s in severities:
        rows = slice((s - 1) * block, s * block)
        hwc = np.array(images[rows])
        hwc = hwc[..., None] if hwc.ndim == 3 else hwc
        out_images[s] = torch.from_numpy(hwc).permute(0, 3, 1, 2).contiguous()
        out_labels[s] = torch.from_numpy(np.array(labels[rows]).astype(np.int64))
    return out_images, out_labels


def load_released_for(directory: str | Path, name: str, severities: Iterable[int],
                      x_test: torch.Tensor, y_test: torch.Tensor) -> dict[int, torch.Tensor]:
    """The released images of ``name`` per severity, checked against the prepared test set:
    the severity block must have as many images as the test set, of the same shape,
    and carry its labels in the same order (else ReleasedFilesError says which differ)."""
    images, labels = load_released(directory, name, severities)
    path = released_file(directory, name)
    for s, x in images.items():
        if x.shape[1:] != x_test.shape[1:] or len(x) != len(x_test):
            raise ReleasedFilesError(
                f"{path}: severity {s} holds {len(x)} images of shape {tuple(x.shape[1:])}; the prepared "
                f"test set has {len(x_test)} of shape {tuple(x_test.shape[1:])} (is dataset.name the set "
                "the files were made from: cifar10 for CIFAR-10-C, cifar100 for CIFAR-100-C?)"
            )
        differ = int((labels[s] != y_test.cpu().to(torch.int64)).sum())
        if differ:
            raise ReleasedFilesError(
                f"{Path(directory) / LABELS_FILE}: {differ} of {len(x)} labels of severity {s} differ from the "
                "prepared test labels, so the images are not in test-set order of this dataset "
                "(is dataset.name the set the files were made from?)"
            )
    return images
