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
