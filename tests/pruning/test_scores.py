"""Scores against values computed by hand (closed forms in numpy, independent of autograd)
on a two-layer network: gradient magnitude (MagGrad), SNIP, GraSP, SynFlow, LAMP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from prunability import config as study_config
from prunability.models import Classifier
from prunability.pruning import METHODS, ScoringContext, masks_from_scores
from prunability.pruning.saliency import synflow_densities
from builders import prunable

W1 = np.array([[1.0, -0.5], [0.5, 2.0]])
W2 = np.array([[1.0, -1.0], [0.5, 1.5]])
X = np.array([[1.0, 2.0], [2.0, -1.0], [-1.0, 1.5]])  # every hidden pre-activation is ≥ 0.5 away from 0
Y = np.array([0, 1, 1])


def two_layer(w1=W1, w2=W2) -> Classifier:
    net = nn.Sequential(nn.Flatten(), nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor(w1))
        net[3].weight.copy_(torch.tensor(w2))
    return Classifier(net, torch.zeros(1), torch.ones(1))  # identity normalization


def context(model, batches=None, **kw) -> ScoringContext:
    if batches is None:  # X as images of shape 1×1×2, one batch of 2 and one of 1
        x = torch.tensor(X, dtype=torch.float32).reshape(-1, 1, 1, 2)
        y = torch.tensor(Y)
        batches = ((x[:2], y[:2]), (x[2:], y[2:]))
    return ScoringContext(params=prunable(model.net), model=model, batches=batches,
                          generator=torch.Generator().manual_seed(0), **kw)


def hand_gradient(w1, w2, temperature=1.0):
    """∂L/∂W1, ∂L/∂W2 of the mean cross-entropy of softmax(W2 relu(W1 x) / T) over X, by the chain rule."""
    g1, g2 = np.zeros_like(w1), np.zeros_like(w2)
    for x, y in zip(X, Y):
        h = w1 @ x
        a = np.maximum(h, 0)
        z = w2 @ a / temperature
        p = np.exp(z - z.max())
        p /= p.sum()
        dz = (p - np.eye(2)[y]) / temperature / len(X)
        g2 += np.outer(dz, a)
        dh = (w2.T @ dz) * (h > 0)
        g1 += np.outer(dh, x)
    return g1, g2


def close(scores, expected, rtol=1e-5, atol=1e-7):
    for name, value in expected.items():
        np.testing.assert_allclose(scores[name].double().numpy(), value, rtol=rtol, atol=atol, err_msg=name)


def test_gradient_magnitude_is_abs_weight_times_gradient():
    g1, g2 = hand_gradient(W1, W2)
    expected = {"1.weight": np.abs(W1 * g1), "3.weight": np.abs(W2 * g2)}
    for name in ("global_gradient_magnitude", "layerwise_gradient_magnitude"):
        close(METHODS.get(name).score(context(two_layer())), expected)
    assert METHODS.get("layerwise_gradient_magnitude").scope == "layerwise"


def test_snip_is_normalized_connection_sensitivity():
    g1, g2 = hand_gradient(W1, W2)
    s1, s2 = np.abs(W1 * g1), np.abs(W2 * g2)
    total = s1.sum() + s2.sum()
    scores = METHODS.get("snip").score(context(two_layer()))
    close(scores, {"1.weight": s1 / total, "3.weight": s2 / total})
    assert sum(float(s.sum()) for s in scores.values()) == pytest.approx(1.0)


def test_grasp_keeps_top_w_times_hg_with_temperature_200():
    # Hg by a central difference of the hand-written gradient along g (exact up to O(ε²):
    # the ReLU pattern does not change), T = 200 as in the reference code.
    t = 200.0
    g1, g2 = hand_gradient(W1, W2, t)
    eps = 1e-3 / np.sqrt((g1**2).sum() + (g2**2).sum())
    p1, p2 = hand_gradient(W1 + eps * g1, W2 + eps * g2, t)
    m1, m2 = hand_gradient(W1 - eps * g1, W2 - eps * g2, t)
    hg1, hg2 = (p1 - m1) / (2 * eps), (p2 - m2) / (2 * eps)
    keep1, keep2 = W1 * hg1, W2 * hg2  # = −S(−w): GraSP removes the largest S(−w) = −w ⊙ Hg
    norm = abs(keep1.sum() + keep2.sum())
    scores = METHODS.get("grasp").score(context(two_layer()))
    close(scores, {"1.weight": keep1 / norm, "3.weight": keep2 / norm}, rtol=2e-3, atol=1e-5)
    # the sign convention: the kept weights are those with the smallest −w ⊙ Hg
    s_paper = np.concatenate([(-W1 * hg1).ravel(), (-W2 * hg2).ravel()])
    mask = masks_from_scores(scores, 0.5, "global")
    kept = torch.cat([mask["1.weight"].reshape(-1), mask["3.weight"].reshape(-1)]).numpy()
    assert set(np.flatnonzero(kept)) == set(np.argsort(s_paper)[:4])


def test_data_methods_leave_the_model_as_they_found_it():
    model = two_layer().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for name in ("global_gradient_magnitude", "snip", "grasp", "synflow"):
        METHODS.get(name).score(context(model, input_shape=(1, 1, 2), settings=pruning_settings()).at(0.5))
    assert model.training and all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_data_methods_without_batches_say_what_they_need():
    model = two_layer()
    with pytest.raises(ValueError, match="needs the model and training batches"):
        METHODS.get("snip").score(ScoringContext(params=prunable(model.net)))


# SynFlow on a linear chain: W1 (2×2), W2 (1×2), no biases.
S1 = np.array([[1.0, -2.0], [3.0, 0.5]])
S2 = np.array([[-1.0, 2.0]])


def chain(w1=S1, w2=S2) -> Classifier:
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(w1))
        net[2].weight.copy_(torch.tensor(w2))
    return Classifier(net, torch.zeros(1), torch.ones(1))


def pruning_settings(**keys):
    """A study's pruning settings, parsed (the schema's defaults for every key not given)."""
    raw = {"study": "s", "dataset": {"name": "digits"}, "zoo": {"grid": {}}, "pruning": keys}
    return study_config.parse(raw).pruning


def synflow(model, sparsity=0.0, rounds=1, input_shape=(2,)):
    ctx = ScoringContext(params=prunable(model.net), model=model,
                         settings=pruning_settings(synflow_rounds=rounds), input_shape=input_shape)
    return METHODS.get("synflow").score(ctx.at(sparsity))


def test_synflow_scores_by_hand():
    # R = 1ᵀ|W2||W1|1: |W1|1 = [3, 3.5], 1ᵀ|W2| = [1, 2], R = 1·3 + 2·3.5 = 10
    # ∂R/∂W2_j = (|W1|1)_j -> scores |W2| ⊙ [3, 3.5] = [3, 7]
    # ∂R/∂W1_jk = (1ᵀ|W2|)_j -> scores [[1·1, 1·2], [2·3, 2·0.5]] = [[1, 2], [6, 1]]
    model = chain()
    scores = synflow(model)
    close(scores, {"0.weight": np.array([[1.0, 2.0], [6.0, 1.0]]), "2.weight": np.array([[3.0, 7.0]])})
    # signs and values of the model are untouched
    assert torch.equal(model.net[0].weight, torch.tensor(S1, dtype=torch.float32))
    assert torch.equal(model.net[2].weight, torch.tensor(S2, dtype=torch.float32))


def test_synflow_conservation_each_layer_sums_to_r():
    """Tanaka et al. 2020, Theorem 2 (neuron-wise conservation) and its corollary: the
    synaptic-flow scores of any layer of a network with homogeneous (ReLU) activations
    sum to R, because R is linear in each layer's |W| (Euler: Σ w ∂R/∂w = R). Tested on a
    conv → conv → linear chain with padding and stride, at sparsity 0 (no pruning)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.ReLU(), nn.Conv2d(3, 4, 3, stride=2, bias=False),
                        nn.ReLU(), nn.Flatten(), nn.Linear(4 * 2 * 2, 5, bias=False))
    model = Classifier(net, torch.zeros(2), torch.ones(2))
    scores = synflow(model, input_shape=(2, 6, 6))
    with torch.no_grad():  # R by hand: the all-ones image through |W|, no activation needed (all ≥ 0)
        x = torch.ones(1, 2, 6, 6, dtype=torch.float64)
        x = nn.functional.conv2d(x, net[0].weight.double().abs(), padding=1)
        x = nn.functional.conv2d(x, net[2].weight.double().abs(), stride=2)
        r = float((x.flatten(1) @ net[5].weight.double().abs().T).sum())
    for name, s in scores.items():
        assert float(s.sum()) == pytest.approx(r, rel=1e-10), name


def test_synflow_schedule_is_exponential_and_ends_at_the_target():
    d = synflow_densities(0.99, 100)
    assert len(d) == 100 and d[-1] == pytest.approx(0.01) and d[49] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(d, d[1:]))


def test_synflow_iterative_masks_are_exact_and_never_revive():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(6, 8, bias=False), nn.ReLU(), nn.Linear(8, 8, bias=False), nn.ReLU(),
                        nn.Linear(8, 3, bias=False))
    model = Classifier(net, torch.zeros(1), torch.ones(1))
    for rounds in (1, 10):
        scores = synflow(model, sparsity=0.8, rounds=rounds, input_shape=(6,))
        masks = masks_from_scores(scores, 0.8, "global")
        assert sum(int(m.sum()) for m in masks.values()) == round(0.2 * (48 + 64 + 24))
        # weights pruned in earlier rounds carry −inf and are never kept
        assert all(not (m & torch.isinf(scores[n])).any() for n, m in masks.items())
    assert torch.isinf(synflow(model, 0.8, 10, (6,))["2.weight"]).any()
    assert not torch.isinf(synflow(model, 0.8, 1, (6,))["2.weight"]).any()  # one round prunes nothing before the end


def test_synflow_method_masks_score_per_sparsity_with_default_rounds():
    model = chain()
    method = METHODS.get("synflow")
    assert method.per_sparsity
    ctx = ScoringContext(params=prunable(model.net), model=model, input_shape=(2,))
    with pytest.raises(ValueError, match="'synflow' reads the study's pruning settings"):
        method.masks(ctx, [0.5])
    assert pruning_settings().synflow_rounds == 100  # the schema's default
    masks = method.masks(dataclasses.replace(ctx, settings=pruning_settings()), [0.0, 0.5])
    assert [sum(int(m.sum()) for m in masks[s].values()) for s in (0.0, 0.5)] == [6, 3]
    # 100 rounds towards keeping 3 of 6 (flat order W1[0,0], W1[0,1], W1[1,0], W1[1,1], W2[0], W2[1]):
    # scores [1, 2, 6, 1 | 3, 7]; at 5 kept the tie 1 = 1 drops the later W1[1,1]; rescored [1, 2, 6, 0 | 3, 6];
    # at 4 kept W1[0,0] goes; rescored [0, 2, 6, 0 | 2, 6]; at 3 kept the tie 2 = 2 drops the later W2[0].
    assert masks[0.5]["0.weight"].tolist() == [[False, True], [True, False]]
    assert masks[0.5]["2.weight"].tolist() == [[False, True]]


def test_lamp_scores_by_hand():
    # a = [3, −1, 2]: ascending w² = 1, 4, 9; tails 14, 13, 9 -> 1/14, 4/13, 1
    # b = [[.5, −.5], [2, 0]]: ascending (ties by position) 0, .25, .25, 4; tails 4.5, 4.5, 4.25, 4
    #   -> 0, .25/4.5, .25/4.25, 1
    params = {"a": torch.tensor([3.0, -1.0, 2.0]), "b": torch.tensor([[0.5, -0.5], [2.0, 0.0]])}
    scores = METHODS.get("lamp").score(ScoringContext(params=params))
    close(scores, {"a": np.array([1.0, 1 / 14, 4 / 13]), "b": np.array([[0.25 / 4.5, 0.25 / 4.25], [1.0, 0.0]])},
          rtol=1e-12)
    # every tensor's largest weight scores 1: keeping 2 keeps one weight of each tensor
    masks = masks_from_scores(scores, 1 - 2 / 7, "global")
    assert masks["a"].tolist() == [True, False, False] and masks["b"].tolist() == [[False, False], [True, False]]
