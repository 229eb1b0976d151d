"""CIFAR-10/100, MNIST, Fashion-MNIST and SVHN through torchvision.

Files live under ``dataset.root`` in torchvision's own layout, so a data folder
that torchvision already filled works as it is:

=============  ================================================================
cifar10        <root>/cifar-10-batches-py/  data_batch_1..5, test_batch, batches.meta
cifar100       <root>/cifar-100-python/     train, test, meta
mnist          <root>/MNIST/raw/            train-images-idx3-ubyte, train-labels-idx1-ubyte,
                                            t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte
fashion_mnist  <root>/FashionMNIST/raw/     the same four names
svhn           <root>/svhn/                 train_32x32.mat, test_32x32.mat
=============  ================================================================

SVHN is the one exception: torchvision puts its ``.mat`` files loose in the
root it is given, so it is given ``<root>/svhn``.

The arrays are taken straight from the torchvision objects (``.data`` and
``.targets``/``.labels``), never through PIL, and each set keeps its official
train/test split (``dataset.test_fraction`` is for digits only).

Integrity is torchvision's: CIFAR and SVHN files must match its md5 checksums
(a truncated download is refused, not half-read); MNIST's raw files are only
checked for existence, since torchvision's checksums are those of the ``.gz``
archives. A missing, partial or corrupted set raises DatasetUnavailableError
naming the directory, the files and the fixes.

With ``dataset.download: true`` a missing set is downloaded into a hidden
staging folder beside its final place; only when torchvision has fetched and
verified the whole set are its files moved into place (one atomic rename
each), and the staging folder, archives included, is always removed. A failed
or interrupted download therefore leaves no file that looks complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torchvision import datasets as tvd
from torchvision.datasets.utils import check_integrity

from prunability.config import DatasetConfig
from prunability.data.split import DatasetUnavailableError, ImageSplit


@dataclass(frozen=True)
class Source:
    """Where one torchvision dataset lives and how to read it."""

    name: str  # registry name
    title: str
    num_classes: int
    subdir: str  # the root handed to torchvision, relative to dataset.root ("" = dataset.root)
    folder: str  # where the files lie, relative to torchvision's root ("" = that root)
    files: tuple[tuple[str, str | None], ...]  # (file name, md5 torchvision checks, or None)
    origin: str  # where a person gets the files by hand
    open: Callable[[str, bool, bool], Any]  # (torchvision root, train, download) -> dataset
    arrays: Callable[[Any], tuple[torch.Tensor, torch.Tensor]]  # dataset -> uint8 N×C×H×W, int64 N

    def torchvision_root(self, root: Path) -> Path:
        return root / self.subdir if self.subdir else root

    def file_dir(self, root: Path) -> Path:
        tv_root = self.torchvision_root(root)
        return tv_root / self.folder if self.folder else tv_root


# -- per-family readers: torchvision object -> (uint8 N×C×H×W, int64 N) ------------


def _cifar_arrays(ds) -> tuple[torch.Tensor, torch.Tensor]:
    x = np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2))  # torchvision holds N×H×W×C
    return torch.from_numpy(x), torch.as_tensor(ds.targets, dtype=torch.int64)


def _mnist_arrays(ds) -> tuple[torch.Tensor, torch.Tensor]:
    return ds.data.to(torch.uint8).unsqueeze(1).contiguous(), ds.targets.to(torch.int64)


def _svhn_arrays(ds) -> tuple[torch.Tensor, torch.Tensor]:
    # torchvision already transposed the .mat's H×W×C×N to N×C×H×W and mapped label 10 to digit 0.
    return torch.from_numpy(np.ascontiguousarray(ds.data, dtype=np.uint8)), torch.from_numpy(
        np.asarray(ds.labels, dtype=np.int64)
    )


# -- the sources, their file lists read off torchvision's own class attributes ----------


def _cifar(name: str, title: str, cls, num_classes: int) -> Source:
    files = tuple((f, md5) for f, md5 in cls.train_list + cls.test_list)
    files += ((cls.meta["filename"], cls.meta["md5"]),)
    return Source(
        name, title, num_classes, subdir="", folder=cls.base_folder, files=files,
        origin=f"the extracted contents of {cls.url}",
        open=lambda root, train, download: cls(root, train=train, download=download),
        arrays=_cifar_arrays,
    )


def _mnist(name: str, title: str, cls) -> Source:
    files = tuple((os.path.splitext(os.path.basename(gz))[0], None) for gz, _ in cls.resources)
    return Source(
        name, title, 10, subdir="", folder=os.path.join(cls.__name__, "raw"), files=files,
        origin=f"the four .gz files at {cls.mirrors[0]}, decompressed",
        open=lambda root, train, download: cls(root, train=train, download=download),
        arrays=_mnist_arrays,
    )


def _svhn() -> Source:
    cls = tvd.SVHN
    files = tuple((cls.split_list[s][1], cls.split_list[s][2]) for s in ("train", "test"))
    return Source(
        "svhn", "SVHN", 10, subdir="svhn", folder="", files=files,
        origin=f"{cls.split_list['train'][0]} and {cls.split_list['test'][0]}",
        open=lambda root, train, download: cls(root, split="train" if train else "test", download=download),
        arrays=_svhn_arrays,
    )


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        _cifar("cifar10", "CIFAR-10", tvd.CIFAR10, 10),
        _cifar("cifar100", "CIFAR-100", tvd.CIFAR100, 100),
        _mnist("mnist", "MNIST", tvd.MNIST),
        _mnist("fashion_mnist", "Fashion-MNIST", tvd.FashionMNIST),
        _svhn(),
    )
}


# -- loading -------------------------------------------------------------------------


def load(source: Source, cfg: DatasetConfig) -> ImageSplit:
    root = Path(cfg.root).expanduser().absolute()
    try:
        train, test = _open(source, source.torchvision_root(root), download=False)
    except Exception as exc:
        # torchvision and the parsers under it raise many types for missing, partial or
        # corrupted files (RuntimeError "Dataset not found or corrupted", EOFError,
        # UnpicklingError, AssertionError, scipy's MatReadError...); all mean "not usable".
        if not cfg.download:
            raise DatasetUnavailableError(_message(source, root, _diagnose(source, root, exc))) from exc
        train, test = _download(source, root)
    return _to_split(source, root, train, test)


def _open(source: Source, tv_root: Path, download: bool):
    return source.open(str(tv_root), True, download), source.open(str(tv_root), False, download)


def _download(source: Source, root: Path):
    """Download into a staging folder beside the final one; move files into place only
    once torchvision has the whole set; always remove the staging folder."""
    tv_root = source.torchvision_root(root)
    created = _make_dirs(tv_root)
    staging = Path(tempfile.mkdtemp(prefix=f".{source.name}-download-", dir=tv_root))
    installed = False
    try:
        try:
            train, test = _open(source, staging, download=True)
        except Exception as exc:  # URLError/OSError without a network, RuntimeError on a bad checksum, ...
            reason = f"downloading it failed ({type(exc).__name__}: {exc})"
            raise DatasetUnavailableError(_message(source, root, reason, tried_download=True)) from exc
        final = source.file_dir(root)
        final.mkdir(parents=True, exist_ok=True)
        staged = source.file_dir(staging)
        for name, _ in source.files:
            os.replace(staged / name, final / name)
        installed = True
        return train, test
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not installed:
            for d in reversed(created):  # leave no empty folders behind either
                try:
                    d.rmdir()
                except OSError:
                    break


def _make_dirs(path: Path) -> list[Path]:
    """mkdir -p that returns the folders it created, outermost first."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    path.mkdir(parents=True, exist_ok=True)
    return missing[::-1]


def _to_split(source: Source, root: Path, train, test) -> ImageSplit:
    x_train, y_train = source.arrays(train)
    x_test, y_test = source.arrays(test)
    for y in (y_train, y_test):
        if len(y) and (int(y.min()) < 0 or int(y.max()) >= source.num_classes):
            reason = (f"its files hold labels outside 0..{source.num_classes - 1} "
                      f"(found {int(y.min())}..{int(y.max())}); they are corrupted or not the released files")
            raise DatasetUnavailableError(_message(source, root, reason))
    return ImageSplit(x_train, y_train, x_test, y_test, num_classes=source.num_classes)


# -- messages ---------------------------------------------------------------------------


def _diagnose(source: Source, root: Path, exc: BaseException) -> str:
    where = source.file_dir(root)
    missing = [n for n, _ in source.files if not (where / n).is_file()]
    if len(missing) == len(source.files):
        return "none of its files is there"
    if missing:
        return "missing " + ", ".join(missing)
    bad = [n for n, md5 in source.files if md5 is not None and not check_integrity(str(where / n), md5)]
    if bad:
        return ("present but failing torchvision's md5 check (truncated, corrupted or not the released files): "
                + ", ".join(bad))
    return f"its files are present but could not be read ({type(exc).__name__}: {exc})"


def _message(source: Source, root: Path, reason: str, tried_download: bool = False) -> str:
    where = source.file_dir(root)
    names = ", ".join(n for n, _ in source.files)
    download_fix = (
        "or run again with dataset.download: true on a machine with internet access"
        if tried_download
        else "or set dataset.download: true in the config on a machine with internet access"
    )
    return (
        f"dataset {source.name!r} ({source.title}) is not available in {where}: {reason}. "
        f"Expected files in {where}: {names}. "
        f"Fix: put those files there ({source.origin}), "
        f"{download_fix}."
    )
