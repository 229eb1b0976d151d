"""The prepared form of every dataset: uint8 N×C×H×W images and int64 labels.

Images stay uint8 on disk and in memory (a quarter of float32, and exactly what
the corruption stage consumes); ``as_float`` turns a batch into [0, 1] floats
on the device where it is used. Normalization lives inside the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from prunability import io


class DatasetUnavailableError(FileNotFoundError):
    """A dataset's files are missing and cannot be downloaded; says where to put them."""


@dataclass
class ImageSplit:
    x_train: torch.Tensor  # uint8, N×C×H×W
    y_train: torch.Tensor  # int64, N
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int

    def __post_init__(self):
        for name in ("x_train", "x_test"):
            x = getattr(self, name)
            if x.dtype != torch.uint8 or x.dim() != 4:
                raise ValueError(f"{name} must be uint8 N×C×H×W, got {x.dtype} {tuple(x.shape)}")
        for name in ("y_train", "y_test"):
            setattr(self, name, getattr(self, name).to(torch.int64))
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise ValueError("images and labels differ in length")


def as_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images in [0, 255] -> float32 in [0, 1]; float input passes through."""
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()


def channel_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation of uint8 images, on the [0, 1] scale."""
    flat = as_float(x).transpose(0, 1).reshape(x.shape[1], -1)
    return flat.mean(dim=1), flat.std(dim=1).clamp_min(1e-6)


@dataclass
class PreparedData:
    split: ImageSplit
    mean: torch.Tensor  # per channel, [0, 1] scale, of the training set
    std: torch.Tensor
    train_eval_index: torch.Tensor  # fixed subset of training indices for curves and measures

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.split.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return self.split.num_classes

    def train_eval(self) -> tuple[torch.Tensor, torch.Tensor]:
        i = self.train_eval_index
        return self.split.x_train[i], self.split.y_train[i]

    def save(self, path: str | Path) -> None:
        s = self.split
        io.save_torch(
            {
                "x_train": s.x_train, "y_train": s.y_train, "x_test": s.x_test, "y_test": s.y_test,
                "num_classes": s.num_classes, "mean": self.mean, "std": self.std,
                "train_eval_index": self.train_eval_index,
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> "PreparedData":
        d = io.load_torch(path, device)
        split = ImageSplit(d["x_train"], d["y_train"], d["x_test"], d["y_test"], int(d["num_classes"]))
        return cls(split, d["mean"], d["std"], d["train_eval_index"])

    @classmethod
    def from_split(cls, split: ImageSplit, train_eval_size: int, seed: int) -> "PreparedData":
        mean, std = channel_stats(split.x_train)
        n = len(split.x_train)
        size = n if train_eval_size == 0 else min(train_eval_size, n)
        g = torch.Generator().manual_seed(seed)
        index = torch.randperm(n, generator=g)[:size].sort().values
        return cls(split, mean, std, index)
