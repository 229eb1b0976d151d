"""The released CIFAR-10-C / CIFAR-100-C files: tiny files written in the exact format
(<corruption>.npy uint8 5B x 32 x 32 x 3, severity blocks of B in test-set order,
labels.npy), read by the loader and by the corrupt_data stage."""

import numpy as np
import pytest
import torch

from prunability import config as study_config
from prunability import io
from prunability.corruptions.released import (
    ReleasedFilesError,
    check_released,
    load_released,
    load_released_for,
)
from prunability.data.split import ImageSplit, PreparedData
from prunability.layout import Layout
from prunability.stages import corrupt as corrupt_stage

BLOCK = 3  # test images per severity block (10,000 in the real files)


def write_released(directory, names, labels, seed=0):
    """Files as Zenodo ships them; image (s, i) is filled with 10 * s + i in every pixel."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        blocks = [np.full((len(labels), 32, 32, 3), 10 * s, np.uint8) + np.arange(len(labels), dtype=np.uint8)[:, None, None, None]
                  for s in range(1, 6)]
        np.save(directory / f"{name}.npy", np.concatenate(blocks))
    np.save(directory / "labels.npy", np.tile(np.asarray(labels, np.uint8), 5))


def test_loader_returns_severity_blocks_in_nchw(tmp_path):
    write_released(tmp_path, ["fog"], [4, 0, 9])
    images, labels = load_released(tmp_path, "fog", [2, 5])
    assert list(images) == [2, 5]
    assert images[2].shape == (BLOCK, 3, 32, 32) and images[2].dtype == torch.uint8
    assert images[2][:, 0, 0, 0].tolist() == [20, 21, 22] and images[5][:, 2, 31, 31].tolist() == [50, 51, 52]
    assert labels[5].tolist() == [4, 0, 9] and labels[5].dtype == torch.int64


def test_missing_files_are_named_with_the_directory(tmp_path):
    write_released(tmp_path, ["fog"], [1, 2, 3])
    (tmp_path / "labels.npy").unlink()
    with pytest.raises(ReleasedFilesError) as info:
        check_released(tmp_path, ["fog", "snow", "frost"])
    message = str(info.value)
    assert str(tmp_path) in message and "snow.npy" in message and "frost.npy" in message and "labels.npy" in message
    assert "fog.npy" not in message
    with pytest.raises(FileNotFoundError, match="snow.npy"):
        load_released(tmp_path, "snow")


def test_malformed_files_are_rejected(tmp_path):
    write_released(tmp_path, ["fog"], [1, 2, 3])
    np.save(tmp_path / "snow.npy", np.zeros((14, 32, 32, 3), np.uint8))  # not 5 equal blocks
    with pytest.raises(ReleasedFilesError, match="severity blocks"):
        load_released(tmp_path, "snow")
    np.save(tmp_path / "snow.npy", np.zeros((15, 32, 32, 3), np.float32))
    with pytest.raises(ReleasedFilesError, match="uint8"):
        load_released(tmp_path, "snow")


def test_labels_and_sizes_must_match_the_prepared_test_set(tmp_path):
    write_released(tmp_path, ["fog"], [4, 0, 9])
    x_test = torch.zeros(3, 3, 32, 32, dtype=torch.uint8)
    images = load_released_for(tmp_path, "fog", [1, 3], x_test, torch.tensor([4, 0, 9]))
    assert images[3][:, 0, 0, 0].tolist() == [30, 31, 32]
    with pytest.raises(ReleasedFilesError, match="1 of 3 labels of severity 1 differ"):
        load_released_for(tmp_path, "fog", [1], x_test, torch.tensor([4, 1, 9]))
    with pytest.raises(ReleasedFilesError, match="prepared test set has 4"):
        load_released_for(tmp_path, "fog", [1], torch.zeros(4, 3, 32, 32, dtype=torch.uint8), torch.tensor([4, 0, 9, 1]))
    with pytest.raises(ReleasedFilesError, match="shape"):
        load_released_for(tmp_path, "fog", [1], torch.zeros(3, 1, 8, 8, dtype=torch.uint8), torch.tensor([4, 0, 9]))


def stage_config(tmp_path, **corruptions):
    raw = {"study": "rel", "device": "cpu", "dataset": {"name": "cifar10"},
           "zoo": {"seeds": [0], "grid": {"architecture": ["nin"]}},
           "corruptions": {"names": ["fog"], "severities": [1, 5], **corruptions}}
    return study_config.parse(raw)


def prepare(tmp_path, labels):
    layout = Layout("rel", tmp_path / "results")
    x = torch.arange(len(labels) * 3 * 32 * 32, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(-1, 3, 32, 32)
    split = ImageSplit(x, torch.tensor(labels), x.clone(), torch.tensor(labels), 10)
    PreparedData.from_split(split, 0, 0).save(layout.prepared)
    return layout


def test_stage_writes_released_blocks_like_generated_ones(tmp_path):
    write_released(tmp_path / "cifar10c", ["fog"], [4, 0, 9])
    layout = prepare(tmp_path, [4, 0, 9])
    config = stage_config(tmp_path, source="released", released_dir=str(tmp_path / "cifar10c"))
    corrupt_stage.run(config, layout, "fog")
    stored = io.load_torch(layout.corrupted("fog"))
    assert sorted(stored) == ["1", "5"]
    assert stored["5"].shape == (3, 3, 32, 32) and stored["5"][:, 1, 5, 5].tolist() == [50, 51, 52]
    # the default source generates instead, in the same format
    corrupt_stage.run(stage_config(tmp_path), layout, "fog")
    generated = io.load_torch(layout.corrupted("fog"))
    assert sorted(generated) == ["1", "5"] and generated["1"].dtype == torch.uint8 and generated["1"].shape == (3, 3, 32, 32)


def test_stage_with_missing_directory_names_it(tmp_path):
    layout = prepare(tmp_path, [4, 0, 9])
    config = stage_config(tmp_path, source="released", released_dir=str(tmp_path / "nowhere"))
    with pytest.raises(ReleasedFilesError, match="nowhere.*fog.npy, labels.npy|fog.npy, labels.npy.*"):
        corrupt_stage.run(config, layout, "fog")


def test_schema_rejects_an_unknown_source(tmp_path):
    with pytest.raises(study_config.ConfigError, match="generated, released"):
        stage_config(tmp_path, source="zenodo")
    assert stage_config(tmp_path).corruptions.source == "generated"
