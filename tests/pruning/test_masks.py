import pytest
import torch
import torch.nn.utils.prune
from torch import nn

from prunability.pruning import (
    METHODS, ScoringContext, apply_masks, kept_count, masks_from_scores, pack_masks, prunable_parameters, unpack_masks,
)
from prunability.pruning.masks import keep_count
from builders import prunable


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))


def test_prunable_parameters_are_conv_and_linear_weights_by_default():
    assert list(prunable_parameters(net(), include_biases=False, include_norm=False)) == ["0.weight", "4.weight"]
    assert list(prunable(net())) == ["0.weight", "4.weight"]  # the schema's defaults: neither biases nor norms
    assert list(prunable_parameters(net(), include_biases=True, include_norm=False)) == [
        "0.weight", "0.bias", "4.weight", "4.bias"]
    assert list(prunable_parameters(net(), include_biases=True, include_norm=True)) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.77, 0.9, 0.99])
@pytest.mark.parametrize("method", ["global_magnitude", "layerwise_magnitude", "random"])
def test_kept_count_is_exact(method, sparsity):
    params = prunable(net())
    m = METHODS.get(method)
    ctx = ScoringContext(params=params, generator=torch.Generator().manual_seed(0))
    masks = masks_from_scores(m.score(ctx), sparsity, m.scope)
    total = 36 + 1440
    kept, n = kept_count(masks)
    assert n == total
    if m.scope == "global":
        assert kept == round((1 - sparsity) * total)
    else:
        assert [int(masks[k].sum()) for k in masks] == [round((1 - sparsity) * 36), round((1 - sparsity) * 1440)]


def test_ties_keep_exactly_k_by_position():
    # every score ties: thresholding at the k-th value would keep all or none
    scores = {"a": torch.ones(10), "b": torch.ones(6)}
    masks = masks_from_scores(scores, 0.5, "global")
    assert kept_count(masks) == (8, 16)
    assert masks["a"].tolist() == [True] * 8 + [False] * 2 and not masks["b"].any()


def test_global_magnitude_keeps_the_largest_weights():
    scores = {"a": torch.tensor([0.1, -5.0, 0.3, 0.0]).abs(), "b": torch.tensor([[2.0, -0.2], [0.05, 1.0]]).abs()}
    masks = masks_from_scores(scores, 0.5, "global")  # keep 4 of 8: 5, 2, 1, 0.3
    assert masks["a"].tolist() == [False, True, True, False]
    assert masks["b"].tolist() == [[True, False], [False, True]]
    # layerwise keeps half of each tensor instead
    layer = masks_from_scores(scores, 0.5, "layerwise")
    assert layer["a"].tolist() == [False, True, True, False]
    assert layer["b"].tolist() == [[True, False], [False, True]]
    # 7 weights at 50 %: round(3.5) = 4 (Python rounds half to even)
    del scores["a"]
    assert kept_count(masks_from_scores({**scores, "c": torch.rand(3)}, 0.5, "global"))[0] == 4


def test_random_masks_are_seeded_and_nested():
    params = prunable(net())
    def score(seed):
        return METHODS.get("random").score(ScoringContext(params=params, generator=torch.Generator().manual_seed(seed)))

    s1, s2 = score(3), score(3)
    assert all(torch.equal(s1[k], s2[k]) for k in s1)
    light, heavy = masks_from_scores(s1, 0.5, "global"), masks_from_scores(s1, 0.9, "global")
    assert all(not (heavy[k] & ~light[k]).any() for k in light)  # heavier pruning removes a superset


def test_apply_masks_zeroes_exactly_the_pruned_weights():
    model = net()
    params = prunable(model)
    masks = masks_from_scores(METHODS.get("global_magnitude").score(ScoringContext(params=params)), 0.75, "global")
    apply_masks(model, masks)
    for name, mask in masks.items():
        w = dict(model.named_parameters())[name]
        assert (w[~mask] == 0).all() and (w[mask] != 0).all()


def test_packed_masks_round_trip_and_load_into_torch_prune():
    model = net()
    params = prunable(model)
    ctx = ScoringContext(params=params, generator=torch.Generator().manual_seed(0))
    masks = masks_from_scores(METHODS.get("random").score(ctx), 0.6, "global")
    packed = pack_masks(masks)
    assert packed["4.weight:bits"].numel() == 1440 // 8
    restored = unpack_masks(packed)
    assert all(torch.equal(restored[k], masks[k]) for k in masks)
    torch.nn.utils.prune.custom_from_mask(model[4], "weight", restored["4.weight"])
    assert int((model[4].weight == 0).sum()) == int((~restored["4.weight"]).sum())


def test_sparsity_outside_range_is_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        keep_count(10, 1.0)
