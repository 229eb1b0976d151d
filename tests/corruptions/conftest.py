"""Fixtures of the corruption tests."""

import numpy as np
import pytest
import torch


@pytest.fixture
def photo():
    """A real 32 x 32 RGB photograph (matplotlib's bundled sample), uint8 1 x 3 x 32 x 32."""
    import matplotlib
    from PIL import Image

    im = Image.open(matplotlib.get_data_path() + "/sample_data/grace_hopper.jpg").convert("RGB")
    im = im.resize((32, 32), Image.BOX)
    return torch.from_numpy(np.array(im)).permute(2, 0, 1).contiguous().unsqueeze(0)


@pytest.fixture(scope="session")
def frost_folder(tmp_path_factory):
    """A folder of synthetic frost photographs in the reference's formats (see frost_files)."""
    from frost_files import write_frost_photos

    folder = tmp_path_factory.mktemp("frost")
    write_frost_photos(folder)
    return folder


@pytest.fixture(autouse=True)
def _frost_photos_here(frost_folder, monkeypatch):
    """Every corruption test finds frost photographs: the synthetic ones, as the default folder."""
    from prunability.corruptions import frost_photos

    monkeypatch.setattr(frost_photos, "DEFAULT_DIR", str(frost_folder))
