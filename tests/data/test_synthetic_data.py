import torch

from prunability.config import dataset_config
from prunability.data import DATASETS
from prunability.data.label_noise import with_label_noise
from prunability.data.manifold import ManifoldEmbedding
from prunability.data.split import ImageSplit, PreparedData
from prunability.data.train_subset import subset_indices


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


def _random_split(n: int) -> ImageSplit:
    g = torch.Generator().manual_seed(7)
    x = torch.randint(0, 256, (n, 1, 2, 2), dtype=torch.uint8, generator=g)
    return ImageSplit(x, torch.randint(0, 10, (n,), generator=g), x[:5], torch.zeros(5, dtype=torch.long), 10)


def test_label_noise_is_independent_of_the_subsets_drawn_with_the_same_seed():
    """Training subsets and the train-eval subset are permutations of the same length seeded
    with the same split_seed; noise drawn that way fell wholly inside them (67 % noisy labels
    at train_fraction 0.3 for 20 % noise). Each now holds about the configured share."""
    n = 1257  # the digits' training split at test_fraction 0.3
    clean = _random_split(n)
    for seed in range(3):
        noisy_label = with_label_noise(clean, 0.2, seed).y_train != clean.y_train
        subset = subset_indices(n, 0.3, seed)  # 377 examples: binomial sd of the share 0.021
        assert 0.14 < noisy_label[subset].float().mean().item() < 0.26, seed
        train_eval = PreparedData.from_split(clean, 512, seed).train_eval_index
        assert 0.14 < noisy_label[train_eval].float().mean().item() < 0.26, seed
