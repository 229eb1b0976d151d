"""Datasets: a registry of loaders, each returning an ImageSplit of uint8 images."""

from prunability.data.split import ImageSplit, PreparedData, DatasetUnavailableError
from prunability.data.registry import DATASETS

# Importing the module registers its loader.
from prunability.data import digits as _digits  # noqa: F401,E402

TORCHVISION_DATASETS = ("cifar10", "cifar100", "mnist", "fashion_mnist", "svhn")


def _torchvision_loader(name: str):
    """Registered by name now, imported on first use: torchvision costs ~2 s to
    import, and every job of the default study would pay it otherwise."""

    def load(cfg):
        from prunability.data import torchvision_sets

        return torchvision_sets.load(torchvision_sets.SOURCES[name], cfg)

    load.__name__ = f"load_{name}"
    load.__doc__ = f"{name} through torchvision (see prunability.data.torchvision_sets)."
    return load


for _name in TORCHVISION_DATASETS:
    DATASETS.register(_name)(_torchvision_loader(_name))

__all__ = ["DATASETS", "ImageSplit", "PreparedData", "DatasetUnavailableError"]

from prunability.data import manifold as _manifold  # noqa: F401,E402  (registered last, as in the schema)
