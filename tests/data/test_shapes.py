"""The static shapes the preflight check builds networks with match the data."""

from prunability.config import dataset_config
from prunability.data import DATASETS
from prunability.data.shapes import SHAPES


def test_every_dataset_has_a_shape():
    assert set(SHAPES) == set(DATASETS.names())


def test_shapes_match_the_offline_loaders():
    for name, extra in {"digits": {}, "manifold": {"num_samples": 200}}.items():
        split = DATASETS.get(name)(dataset_config(name=name, **extra))
        (shape, classes) = SHAPES[name]
        assert tuple(split.x_train.shape[1:]) == shape and split.num_classes == classes


def test_torchvision_class_counts_match():
    from prunability.data.torchvision_sets import SOURCES

    for name, source in SOURCES.items():
        assert SHAPES[name][1] == source.num_classes
