"""Every registered method: exact kept counts at every sparsity (with ties), structured
filter pruning, masks under a study's settings (pruning.study), and unreachable sparsities."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from prunability import config as study_config
from prunability.config import ConfigError
from prunability.data.split import ImageSplit, PreparedData
from prunability.models import Classifier
from prunability.pruning import (
    METHODS, ScoringContext, kept_count, masks_for_sparsities, masks_from_scores, prunable_parameters, scoring_batches,
)
from prunability.pruning.masks import keep_count
from prunability.pruning.preflight import check_study
from prunability.pruning.study import compute_masks, scoring_context
from prunability.pruning.validation import check_reachable
from builders import prunable

SPARSITIES = [0.0, 0.1, 0.5, 0.77, 0.9]


def tied_model() -> Classifier:
    """A small conv net (BN, two convs, a conv head) whose weights take only a few values,
    a third of them 0, so that scores tie everywhere."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(6, 3, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )
    with torch.no_grad():
        for p in net.parameters():
            p.copy_((torch.randint(-1, 2, p.shape) * 0.5).float())
        net[1].weight.fill_(1.0)
    return Classifier(net, torch.zeros(1), torch.ones(1)).eval()


def tied_context(model) -> ScoringContext:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (20, 1, 6, 6), dtype=torch.uint8, generator=g)
    y = torch.randint(0, 3, (20,), generator=g)
    return ScoringContext(params=prunable(model.net), model=model,
                          batches=scoring_batches(x, y, 2, 8, torch.Generator().manual_seed(1)),
                          generator=torch.Generator().manual_seed(2), settings=study(synflow_rounds=5).pruning,
                          input_shape=(1, 6, 6))


@pytest.mark.parametrize("name", METHODS.names())
def test_every_method_keeps_exactly_the_requested_count(name):
    model = tied_model()
    method = METHODS.get(name)
    ctx = tied_context(model)
    all_masks = method.masks(ctx, SPARSITIES)
    sizes = {n: p.numel() for n, p in ctx.params.items()}
    for s, masks in all_masks.items():
        assert list(masks) == list(sizes) and all(masks[n].shape == ctx.params[n].shape for n in masks)
        counts = {n: int(m.sum()) for n, m in masks.items()}
        if method.scope == "global":
            assert sum(counts.values()) == keep_count(sum(sizes.values()), s), (name, s)
        elif method.scope == "layerwise":
            assert counts == {n: keep_count(k, s) for n, k in sizes.items()}, (name, s)
        else:  # filter: the two hidden convs lose filters, the head conv stays dense
            filters = {"0.weight": 4, "3.weight": 6}
            for n, m in masks.items():
                if n in filters:
                    assert counts[n] == keep_count(filters[n], s) * (sizes[n] // filters[n]), (n, s)
                else:
                    assert m.all(), n


def test_filter_pruning_removes_whole_filters_with_the_smallest_l1_norm():
    net = nn.Sequential(nn.Conv2d(1, 4, 2, bias=True), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.Flatten(), nn.Linear(2 * 9, 3))
    with torch.no_grad():
        # filter L1 norms 4, 0.4, 2, 1.2 (signs do not matter)
        net[0].weight.copy_(torch.tensor([1.0, -1.0, 1.0, -1.0, 0.1, 0.1, -0.1, 0.1, 0.5, 0.5, 0.5, -0.5,
                                          0.3, 0.3, 0.3, 0.3]).reshape(4, 1, 2, 2))
    ctx = ScoringContext(params=prunable_parameters(net, include_biases=True, include_norm=False))
    masks = METHODS.get("l1_filter").masks(ctx, [0.5])[0.5]
    assert masks["0.weight"][:, 0, 0, 0].tolist() == [True, False, True, False]
    assert all(bool(masks["0.weight"][j].all()) == bool(masks["0.weight"][j].any()) for j in range(4))
    assert masks["0.bias"].tolist() == [True, False, True, False]  # the bias follows its filter
    # the last conv is not the classifier here (the linear is): it loses 1 of 2 filters; linear stays dense
    assert int(masks["2.weight"].sum()) == 4 and masks["4.weight"].all() and masks["4.bias"].all()


def test_filter_pruning_needs_a_conv_layer():
    mlp = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="no conv layer"):
        METHODS.get("l1_filter").score(ScoringContext(params=prunable(mlp)))


@pytest.mark.parametrize("scope", ["global", "layerwise", "filter"])
def test_sorting_once_gives_the_same_masks_as_per_sparsity(scope):
    g = torch.Generator().manual_seed(0)
    scores = {"a": torch.randint(0, 4, (5, 3, 2), generator=g).float(), "b": torch.randint(0, 4, (7, 2), generator=g).float()}
    once = masks_for_sparsities(scores, SPARSITIES, scope)
    for s in SPARSITIES:
        each = masks_from_scores(scores, s, scope)
        assert all(torch.equal(once[s][n], each[n]) for n in scores)


def test_layerwise_sparsity_that_empties_a_tensor_is_named():
    params = {"0.weight": torch.zeros(10), "1.weight": torch.zeros(1000)}
    with pytest.raises(ConfigError) as error:
        check_reachable(METHODS.get("layerwise_magnitude"), [0.5, 0.96], params)
    message = str(error.value)
    assert "'layerwise_magnitude' at sparsity 0.96" in message and "'0.weight'" in message
    assert "round(0.04 × 10) = 0" in message and "below 0.95" in message and "'global_magnitude'" in message
    check_reachable(METHODS.get("global_magnitude"), [0.96], params)  # a global method can reach it
    check_reachable(METHODS.get("layerwise_magnitude"), [0.94], params)
    with pytest.raises(ConfigError, match="every filter of conv '0.weight'"):
        check_reachable(METHODS.get("l1_filter"), [0.9],
                        {"0.weight": torch.zeros(4, 1, 3, 3), "3.weight": torch.zeros(2, 4, 1, 1)})
    with pytest.raises(ConfigError, match="fewer than the 2 prunable tensors"):
        check_reachable(METHODS.get("lamp"), [0.9995], params)


def mlp_study(method: str, sparsity: float):
    """A study of one MLP on digits (one hidden layer of 64 units: 64·64 + 64·10 = 4736 weights in 2 tensors)."""
    return study_config.parse({"study": "s", "dataset": {"name": "digits"},
                               "zoo": {"grid": {"architecture": ["mlp"], "depth": [1], "width": [0.25]}},
                               "pruning": {"methods": [method], "sparsities": [0.0, sparsity]}})


def test_the_study_check_names_the_job_network_and_fix():
    # round(0.0002 × 4736) = 1 kept weight for 2 tensors: LAMP would empty one
    with pytest.raises(ConfigError, match="pruning job 'lamp' on the network with architecture=mlp.*"
                                          "keeps 1 weights, fewer than the 2 prunable tensors"):
        check_study(mlp_study("lamp", 0.9998))
    check_study(mlp_study("lamp", 0.9996))  # round(0.0004 × 4736) = 2 kept: one per tensor
    with pytest.raises(ConfigError, match="pruning job 'l1_filter'.*no convolution"):
        check_study(mlp_study("l1_filter", 0.5))
    check_study(mlp_study("global_magnitude", 0.9998))  # a global method reaches it


def prepared(n=40) -> PreparedData:
    g = torch.Generator().manual_seed(0)
    split = ImageSplit(torch.randint(0, 256, (n, 1, 6, 6), dtype=torch.uint8, generator=g),
                       torch.randint(0, 3, (n,), generator=g), torch.zeros(4, 1, 6, 6, dtype=torch.uint8),
                       torch.zeros(4, dtype=torch.int64), 3)
    return PreparedData.from_split(split, train_eval_size=30, seed=0)


def study(**pruning):
    return study_config.parse({"study": "s", "dataset": {"name": "digits"}, "zoo": {"grid": {}}, "pruning": pruning})


def test_compute_masks_scores_on_the_configured_batches():
    pruning = study(methods=["snip"], sparsities=[0.0, 0.5, 0.9], score_batches=2, score_batch_size=8).pruning
    ctx = scoring_context(tied_model(), pruning, "snip", prepared())
    assert [tuple(x.shape) for x, _ in ctx.batches] == [(8, 1, 6, 6), (8, 1, 6, 6)]
    assert all(x.dtype == torch.float32 and float(x.max()) <= 1.0 for x, _ in ctx.batches)
    assert ctx.settings is pruning and ctx.input_shape == (1, 6, 6)
    masks = compute_masks(tied_model(), pruning, "snip", prepared())
    assert [kept_count(masks[s])[0] for s in (0.0, 0.5, 0.9)] == [keep_count(36 + 216 + 18, s) for s in (0.0, 0.5, 0.9)]
    # the draw comes from the fixed training subset (30 images): 4 batches of 8 use all 30
    ctx = scoring_context(tied_model(), study(score_batches=4, score_batch_size=8).pruning, "snip", prepared())
    assert [len(y) for _, y in ctx.batches] == [8, 8, 8, 6]
    # weight-only methods draw no batches
    assert scoring_context(tied_model(), pruning, "global_magnitude", prepared()).batches == ()


def test_compute_masks_rejects_an_unreachable_sparsity_before_scoring():
    pruning = study(methods=["layerwise_magnitude"], sparsities=[0.5, 0.99]).pruning
    with pytest.raises(ConfigError, match="'3.weight'|'5.weight'|'0.weight'"):
        compute_masks(tied_model(), pruning, "layerwise_magnitude", prepared())


def test_settings_have_schema_defaults():
    settings = study().pruning
    assert (settings.score_batches, settings.score_batch_size, settings.synflow_rounds) == (1, 256, 100)


def test_linear_time_top_k_equals_the_stable_sort():
    """A single tensor's global mask (a linear-time selection for fewer than SORT_ONCE_FROM
    sparsities) keeps exactly the first k of a stable descending sort, ties by position."""
    g = torch.Generator().manual_seed(5)
    for _ in range(20):
        x = torch.randint(-2, 3, (200,), generator=g).float()
        x[torch.rand(200, generator=g) < 0.1] = float("-inf")
        for k in (1, 37, 100, 199, 200):
            sparsity = 1 - k / 200
            assert keep_count(200, sparsity) == k
            order = torch.argsort(x, descending=True, stable=True)
            expected = torch.zeros(200, dtype=torch.bool)
            expected[order[:k]] = True
            got = masks_from_scores({"x": x}, sparsity, "global")["x"]
            assert torch.equal(got, expected), k


def test_pruning_config_fields_follow_the_schema():
    """PruningConfig has one field per schema key, in the schema's order (its defaults live
    only in the schema: the parser fills every field)."""
    import dataclasses

    from prunability.config import PruningConfig

    schema = study_config.schema()["properties"]["pruning"]["properties"]
    assert [f.name for f in dataclasses.fields(PruningConfig)] == list(schema)


def test_apply_masks_from_restores_then_prunes_in_one_pass():
    from prunability.pruning import apply_masks, apply_masks_from

    model = tied_model()
    params = prunable(model.net)
    dense = {n: p.detach().clone() for n, p in params.items()}
    all_masks = METHODS.get("random").masks(ScoringContext(params=params, generator=torch.Generator().manual_seed(0)),
                                            [0.9, 0.3])
    apply_masks_from(model.net, dense, all_masks[0.9])
    apply_masks_from(model.net, dense, all_masks[0.3])  # a lighter mask after a heavier one: weights come back
    reference = tied_model()
    apply_masks(reference.net, all_masks[0.3])
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values()))


def _init_correlation(scores: dict, params: dict) -> float:
    s = torch.cat([scores[n].flatten() for n in params]).double()
    w = torch.cat([p.detach().flatten() for p in params.values()]).double()
    return torch.corrcoef(torch.stack([s, w]))[0, 1].item()


def test_random_scores_do_not_replay_the_initial_weights_of_a_model_with_the_pruning_seed():
    """The random method's generator is derived from pruning.seed: seeded with it, the scores
    of a model initialized with torch.manual_seed(pruning.seed) were its initial uniforms,
    correlation 1.0 with its weights (random pruning = keep the largest signed weights)."""
    pruning = study(methods=["random"], seed=0).pruning
    torch.manual_seed(0)  # the zoo's seed-0 model is initialized so (train.new_model)
    model = Classifier(nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Conv2d(16, 16, 3), nn.Flatten()),
                       torch.zeros(1), torch.ones(1)).eval()
    ctx = scoring_context(model, pruning, "random", None)
    assert abs(_init_correlation(METHODS.get("random").score(ctx), ctx.params)) < 0.1
