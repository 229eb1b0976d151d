import pytest
import torch

from builders import hparams
from prunability.models import ARCHITECTURES, build_model


@pytest.mark.parametrize("arch", ARCHITECTURES.names())
@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32)])
def test_every_architecture_maps_images_to_logits(arch, shape):
    hp = hparams(architecture=arch, depth=2, width=0.25, dropout=0.1, batchnorm=True)
    model = build_model(hp, shape, 7, torch.full((shape[0],), 0.5), torch.full((shape[0],), 0.25)).eval()
    assert model(torch.rand(3, *shape)).shape == (3, 7)


def test_normalization_is_inside_the_model():
    hp = hparams(architecture="mlp", depth=1, width=0.1, dropout=0.0, batchnorm=False)
    torch.manual_seed(0)
    model = build_model(hp, (1, 2, 2), 2, torch.tensor([0.5]), torch.tensor([0.25]))
    x = torch.rand(4, 1, 2, 2)
    assert torch.allclose(model(x), model.net((x - 0.5) / 0.25))


def test_nin_width_and_depth_set_the_layers():
    hp = hparams(architecture="nin", depth=3, width=2.0, dropout=0.0, batchnorm=False)
    net = build_model(hp, (1, 8, 8), 10, torch.zeros(1), torch.ones(1)).net
    convs = [m for m in net if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3 * 3 + 1
    assert convs[0].out_channels == 50 and convs[-1].out_channels == 10
