import torch

from prunability.config import dataset_config
from prunability.data import DATASETS
from prunability.data.label_noise import with_label_noise
from prunability.data.manifold import ManifoldEmbedding


def cfg(**changes):
    base = dict(name="manifold", root="data", download=False, test_fraction=0.25, split_seed=0,
                train_eval_size=0, label_noise=0.0, intrinsic_dim=2, num_samples=400)
    return dataset_config(**{**base, **changes})


def test_manifold_images_are_seeded_uint8_with_a_split():
    a, b = DATASETS.get("manifold")(cfg()), DATASETS.get("manifold")(cfg())
    assert a.x_train.dtype == torch.uint8 and a.x_train.shape == (300, 1, 16, 16) and len(a.x_test) == 100
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_train, b.y_train)
    assert torch.bincount(torch.cat([a.y_train, a.y_test])).tolist() == [40] * 10  # ten equal classes


def test_manifold_has_the_requested_intrinsic_dimension():
    """Local PCA of the (unquantized) images: near a point they vary along about k directions."""
    for k in (1, 3):
        embedding = ManifoldEmbedding(k, torch.Generator().manual_seed(0))
        z0 = torch.full((1, k), 0.5)
        z = z0 + 0.01 * (torch.rand(200, k, generator=torch.Generator().manual_seed(1)) - 0.5)
        x = embedding.pixels(z)
        s = torch.linalg.svdvals(x - x.mean(0))
        explained = (s**2).cumsum(0) / (s**2).sum()
        assert int((explained < 0.99).sum()) + 1 == k


def test_label_noise_flips_exactly_the_fraction_to_other_classes():
    clean = DATASETS.get("manifold")(cfg())
    noisy = with_label_noise(clean, 0.2, seed=1)
    changed = noisy.y_train != clean.y_train
    assert int(changed.sum()) == round(0.2 * len(clean.y_train))  # a flip never lands on the same class
    assert torch.equal(noisy.y_test, clean.y_test)
    assert with_label_noise(clean, 0.0, seed=1) is clean
