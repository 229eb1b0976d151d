"""The torchvision loaders, run on tiny datasets that these tests write in the
released on-disk formats: CIFAR pickles, MNIST idx files, SVHN .mat files.

Everything between the files and the ImageSplit is real: torchvision's folder
layout, existence checks, pickle / idx / .mat parsing, reshapes and label
mapping. The one thing a tiny file cannot pass is the md5 check torchvision
makes against the *released* CIFAR and SVHN files; the fixture ``skip_md5``
replaces only that comparison, with what torchvision's own ``check_integrity``
does when given no checksum (the file must exist). ``test_cifar_md5_is_checked``
runs without it and shows the check is live in the loader.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import struct
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import scipy.io
import torch
import torchvision.datasets.cifar
import torchvision.datasets.mnist
import torchvision.datasets.svhn

from prunability.config import DatasetConfig, dataset_config
from prunability.data import DATASETS, DatasetUnavailableError
from prunability.data.torchvision_sets import SOURCES

NAMES = ["cifar10", "cifar100", "mnist", "fashion_mnist", "svhn"]


def cfg(root, name, download=False) -> DatasetConfig:
    return dataset_config(name=name, root=str(root), download=download, test_fraction=0.3,
                          split_seed=0, train_eval_size=0)


def load(root, name, download=False):
    return DATASETS.get(name)(cfg(root, name, download))


@pytest.fixture
def skip_md5(monkeypatch):
    """Existence-only integrity check for CIFAR and SVHN (tiny files cannot match the
    md5 of the released files). Nothing else in torchvision is replaced."""

    def exists(fpath, md5=None):
        return os.path.isfile(fpath)

    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", exists)
    monkeypatch.setattr(torchvision.datasets.svhn, "check_integrity", exists)


# -- writers of the released formats ------------------------------------------------


class Py2Pickler(pickle._Pickler):
    """Writes str and bytes as Python 2 strings, as the released CIFAR pickles (made
    with Python 2) hold them; torchvision reads them with encoding="latin1"."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else bytes(obj)
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str


def write_py2_pickle(path: Path, obj) -> None:
    buf = io.BytesIO()
    Py2Pickler(buf, protocol=2).dump(obj)
    path.write_bytes(buf.getvalue())


def cifar_rows(rng, n):
    """n images as CIFAR stores them: uint8 rows of 3072 = 1024 R, 1024 G, 1024 B, row-major."""
    return rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)


def write_cifar10(root: Path, rng, sizes=(2, 1, 3, 1, 2), n_test=3):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for i, n in enumerate(sizes, start=1):
        batches[f"data_batch_{i}"] = (cifar_rows(rng, n), rng.integers(0, 10, n).tolist())
    batches["test_batch"] = (cifar_rows(rng, n_test), rng.integers(0, 10, n_test).tolist())
    for name, (rows, labels) in batches.items():
        write_py2_pickle(folder / name, {
            "batch_label": f"{name} of tiny", "labels": labels, "data": rows,
            "filenames": [f"img_{k}.png" for k in range(len(labels))],
        })
    label_names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    write_py2_pickle(folder / "batches.meta", {"num_cases_per_batch": 10000, "label_names": label_names,
                                              "num_vis": 3072})
    train = [batches[f"data_batch_{i}"] for i in range(1, len(sizes) + 1)]
    x_train = np.concatenate([r for r, _ in train])
    y_train = sum((l for _, l in train), [])
    return x_train, y_train, *batches["test_batch"]


def write_cifar100(root: Path, rng, n_train=5, n_test=4):
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    out = []
    for name, n in (("train", n_train), ("test", n_test)):
        rows = cifar_rows(rng, n)
        fine = [99, 0] + rng.integers(0, 100, n - 2).tolist()
        write_py2_pickle(folder / name, {
            "filenames": [f"img_{k}.png" for k in range(n)], "batch_label": f"{name} batch",
            "fine_labels": fine, "coarse_labels": [f // 5 for f in fine], "data": rows,
        })
        out += [rows, fine]
    write_py2_pickle(folder / "meta", {"fine_label_names": [f"fine_{k}" for k in range(100)],
                                       "coarse_label_names": [f"coarse_{k}" for k in range(20)]})
    return out


def idx_bytes(array: np.ndarray) -> bytes:
    """The idx format: magic 0x0000 0x08 (ubyte) ndim, big-endian int32 sizes, then the data."""
    assert array.dtype == np.uint8
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_mnist(root: Path, rng, class_folder: str, n_train=6, n_test=3):
    raw = root / class_folder / "raw"
    raw.mkdir(parents=True)
    out = []
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images))
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
        out += [images, labels]
    return out


def write_svhn(root: Path, rng, n_train=5, n_test=3):
    folder = root / "svhn"
    folder.mkdir(parents=True)
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        X = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)  # H×W×C×N, as released
        digits = np.array([10, 1] + rng.integers(1, 11, n - 2).tolist())  # 10 stands for digit 0
        scipy.io.savemat(folder / f"{split}_32x32.mat", {"X": X, "y": digits.reshape(n, 1).astype(np.float64)})
        out += [X, digits]
    return out


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# -- round trips ---------------------------------------------------------------------


def test_all_names_registered():
    assert set(NAMES) <= set(DATASETS.names())
    assert set(SOURCES) == set(NAMES)


def test_cifar10_round_trip(tmp_path, skip_md5):
    x_tr, y_tr, x_te, y_te = write_cifar10(tmp_path, np.random.default_rng(0))
    s = load(tmp_path, "cifar10")
    assert s.num_classes == 10
    assert s.x_train.shape == (9, 3, 32, 32) and s.x_test.shape == (3, 3, 32, 32)
    assert s.x_train.dtype == torch.uint8 and s.y_train.dtype == torch.int64
    assert s.x_train.is_contiguous()
    # Row k of a batch is channel-major: pixel (c, h, w) at c*1024 + h*32 + w.
    assert s.x_train[0, 1, 0, 5] == x_tr[0, 1024 + 5]
    assert s.x_train[8, 2, 31, 31] == x_tr[8, 3071]
    assert torch.equal(s.x_train, torch.from_numpy(x_tr.reshape(-1, 3, 32, 32)))
    assert torch.equal(s.x_test, torch.from_numpy(x_te.reshape(-1, 3, 32, 32)))
    assert s.y_train.tolist() == y_tr and s.y_test.tolist() == y_te


def test_cifar100_round_trip_uses_fine_labels(tmp_path, skip_md5):
    x_tr, y_tr, x_te, y_te = write_cifar100(tmp_path, np.random.default_rng(1))
    s = load(tmp_path, "cifar100")
    assert s.num_classes == 100
    assert s.x_train.shape == (5, 3, 32, 32) and s.x_train.dtype == torch.uint8
    assert torch.equal(s.x_train, torch.from_numpy(x_tr.reshape(-1, 3, 32, 32)))
    assert torch.equal(s.x_test, torch.from_numpy(x_te.reshape(-1, 3, 32, 32)))
    assert s.y_train.tolist() == y_tr and s.y_test.tolist() == y_te
    assert s.y_train.max() == 99


@pytest.mark.parametrize("name, class_folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_family_round_trip(tmp_path, name, class_folder):
    # No md5 patch needed: torchvision only checks that the raw files exist.
    x_tr, y_tr, x_te, y_te = write_mnist(tmp_path, np.random.default_rng(2), class_folder)
    s = load(tmp_path, name)
    assert s.num_classes == 10
    assert s.x_train.shape == (6, 1, 28, 28) and s.x_test.shape == (3, 1, 28, 28)
    assert s.x_train.dtype == torch.uint8 and s.y_train.dtype == torch.int64
    assert torch.equal(s.x_train[:, 0], torch.from_numpy(x_tr))
    assert torch.equal(s.x_test[:, 0], torch.from_numpy(x_te))
    assert s.y_train.tolist() == y_tr.tolist() and s.y_test.tolist() == y_te.tolist()


def test_svhn_round_trip_maps_10_to_0(tmp_path, skip_md5):
    X_tr, d_tr, X_te, d_te = write_svhn(tmp_path, np.random.default_rng(3))
    s = load(tmp_path, "svhn")
    assert s.num_classes == 10
    assert s.x_train.shape == (5, 3, 32, 32) and s.x_test.shape == (3, 3, 32, 32)
    assert s.x_train.dtype == torch.uint8 and s.x_train.is_contiguous()
    # x[n, c, h, w] == X[h, w, c, n]
    assert s.x_train[4, 2, 7, 3] == X_tr[7, 3, 2, 4]
    assert torch.equal(s.x_train, torch.from_numpy(X_tr.transpose(3, 2, 0, 1).copy()))
    assert torch.equal(s.x_test, torch.from_numpy(X_te.transpose(3, 2, 0, 1).copy()))
    assert s.y_train.tolist() == [d % 10 for d in d_tr] and s.y_train[0] == 0
    assert s.y_test.tolist() == [d % 10 for d in d_te]


# -- missing, partial, corrupted -------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_missing_dataset_names_directory_files_and_fixes(tmp_path, name):
    root = tmp_path / "data"
    with pytest.raises(DatasetUnavailableError) as err:
        load(root, name)
    msg = str(err.value)
    source = SOURCES[name]
    assert str(source.file_dir(root)) in msg
    assert name in msg
    for file_name, _ in source.files:
        assert file_name in msg
    assert "dataset.download: true" in msg and "put those files there" in msg
    assert isinstance(err.value, FileNotFoundError)
    assert not root.exists()  # looking for a dataset writes nothing


def test_partial_cifar10_names_the_missing_file(tmp_path, skip_md5):
    write_cifar10(tmp_path, np.random.default_rng(0))
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(DatasetUnavailableError, match=r"missing data_batch_3\."):
        load(tmp_path, "cifar10")


def test_cifar_md5_is_checked(tmp_path):
    """Without skip_md5: the tiny files are not the released ones and are refused."""
    write_cifar10(tmp_path, np.random.default_rng(0))
    with pytest.raises(DatasetUnavailableError) as err:
        load(tmp_path, "cifar10")
    msg = str(err.value)
    assert "md5" in msg and "data_batch_1" in msg and "test_batch" in msg
    assert str(tmp_path / "cifar-10-batches-py") in msg


def test_truncated_mnist_file_is_unavailable(tmp_path):
    write_mnist(tmp_path, np.random.default_rng(2), "MNIST")
    images = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:6])  # cut inside the header
    with pytest.raises(DatasetUnavailableError, match="could not be read"):
        load(tmp_path, "mnist")


def test_labels_out_of_range_are_refused(tmp_path, skip_md5):
    folder = tmp_path / "cifar-100-python"
    write_cifar100(tmp_path, np.random.default_rng(1))
    write_py2_pickle(folder / "test", {"data": cifar_rows(np.random.default_rng(0), 1), "fine_labels": [100]})
    with pytest.raises(DatasetUnavailableError, match=r"labels outside 0\.\.99"):
        load(tmp_path, "cifar100")


# -- download: no network, half-written, success, not needed -----------------------------

# The functions through which each torchvision class fetches its files.
FETCHERS = {
    "cifar10": (torchvision.datasets.cifar, "download_and_extract_archive"),
    "cifar100": (torchvision.datasets.cifar, "download_and_extract_archive"),
    "mnist": (torchvision.datasets.mnist, "download_and_extract_archive"),
    "fashion_mnist": (torchvision.datasets.mnist, "download_and_extract_archive"),
    "svhn": (torchvision.datasets.svhn, "download_url"),
}


@pytest.mark.parametrize("name", NAMES)
def test_download_without_network_is_unavailable_and_leaves_nothing(tmp_path, monkeypatch, name):
    def no_network(url, *args, **kwargs):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    module, attr = FETCHERS[name]
    monkeypatch.setattr(module, attr, no_network)
    root = tmp_path / "data"
    with pytest.raises(DatasetUnavailableError) as err:
        load(root, name, download=True)
    msg = str(err.value)
    assert "downloading it failed" in msg and "name resolution" in msg
    assert str(SOURCES[name].file_dir(root)) in msg
    assert not root.exists()  # staging folder and the folders made for it are gone


def test_interrupted_download_leaves_no_half_written_file(tmp_path, monkeypatch):
    def half_then_fail(url, download_root, *args, **kwargs):
        folder = Path(download_root) / "cifar-10-batches-py"
        folder.mkdir(parents=True)
        (folder / "data_batch_1").write_bytes(b"\x80\x02}q\x00(U\x04da")  # cut mid-pickle
        raise OSError("Connection reset by peer")

    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", half_then_fail)
    (tmp_path / "keep.txt").write_text("unrelated")
    with pytest.raises(DatasetUnavailableError, match="Connection reset"):
        load(tmp_path, "cifar10", download=True)
    assert tree(tmp_path) == ["keep.txt"]


def test_download_installs_files_and_removes_staging(tmp_path, monkeypatch, skip_md5):
    written = {}

    def fake_fetch(url, download_root, *args, **kwargs):  # what a download + extraction leaves
        (Path(download_root) / "cifar-10-python.tar.gz").write_bytes(b"archive")
        written["arrays"] = write_cifar10(Path(download_root), np.random.default_rng(5))

    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", fake_fetch)
    s = load(tmp_path, "cifar10", download=True)
    x_tr, y_tr, x_te, y_te = written["arrays"]
    assert torch.equal(s.x_train, torch.from_numpy(x_tr.reshape(-1, 3, 32, 32)))
    assert s.y_test.tolist() == y_te
    expected = ["cifar-10-batches-py"] + [f"cifar-10-batches-py/{n}" for n, _ in SOURCES["cifar10"].files]
    assert tree(tmp_path) == sorted(expected)  # no staging folder, no archive

    # The installed files now load without any download.
    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", pytest.fail)
    assert torch.equal(load(tmp_path, "cifar10", download=True).x_train, s.x_train)


def test_mnist_download_installs_raw_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(6)
    arrays = {"train": (rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), rng.integers(0, 10, 4).astype(np.uint8)),
              "t10k": (rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), rng.integers(0, 10, 2).astype(np.uint8))}

    def fake_fetch(url, download_root, filename=None, md5=None, **kwargs):  # one .gz, extracted
        name = os.path.basename(url)[: -len(".gz")]
        prefix, kind = name.split("-")[:2]
        array = arrays[prefix][0 if kind == "images" else 1]
        (Path(download_root) / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
        (Path(download_root) / name).write_bytes(idx_bytes(array))

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", fake_fetch)
    s = load(tmp_path, "mnist", download=True)
    assert torch.equal(s.x_train[:, 0], torch.from_numpy(arrays["train"][0]))
    assert s.y_test.tolist() == arrays["t10k"][1].tolist()
    raw = [f"MNIST/raw/{n}" for n, _ in SOURCES["mnist"].files]
    assert tree(tmp_path) == sorted(["MNIST", "MNIST/raw", *raw])
