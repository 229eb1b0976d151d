"""Datasets: a registry of loaders, each returning an ImageSplit of uint8 images."""

from prunability.data.split import ImageSplit, PreparedData, DatasetUnavailableError
from prunability.data.registry import DATASETS

# Importing the modules registers their loaders.
from prunability.data import digits as _digits  # noqa: F401,E402
from prunability.data import torchvision_sets as _torchvision_sets  # noqa: F401,E402

__all__ = ["DATASETS", "ImageSplit", "PreparedData", "DatasetUnavailableError"]
