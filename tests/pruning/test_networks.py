"""pruning.networks: the pruned networks of a job, set into the model one after another."""

from __future__ import annotations

import torch
from torch import nn

from prunability.models import Classifier
from prunability.pruning import pack_masks
from prunability.pruning_jobs import AT_INIT, FINE_TUNED, ONE_SHOT, parse_key
from prunability.pruning.networks import pruned_networks


def model() -> Classifier:
    net = nn.Sequential(nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    return Classifier(net, torch.zeros(1), torch.ones(1))


def masks(*kept) -> dict:
    return pack_masks({"0.weight": torch.tensor(kept, dtype=torch.bool).reshape(2, 2)})


def weights_of(m: Classifier) -> list[float]:
    return m.net[0].weight.detach().reshape(-1).tolist()


def state(values) -> dict:
    m = model()
    with torch.no_grad():
        m.net[0].weight.copy_(torch.tensor(values).reshape(2, 2))
    return {k: v.clone() for k, v in m.state_dict().items()}


def test_one_shot_networks_are_the_dense_weights_masked_then_the_stored_ones():
    m = model()
    stored = {FINE_TUNED: {"0.5": state([0.0, 2.5, 3.5, 0.0])}}
    job_masks = {"0": masks(1, 1, 1, 1), "0.5": masks(0, 1, 1, 0)}
    seen = [(s, p, weights_of(m)) for s, p in pruned_networks(m, parse_key("random"), job_masks, stored)]
    assert seen == [(ONE_SHOT, 0.0, [1.0, 2.0, 3.0, 4.0]), (ONE_SHOT, 0.5, [0.0, 2.0, 3.0, 0.0]),
                    (FINE_TUNED, 0.5, [0.0, 2.5, 3.5, 0.0])]
    assert weights_of(m) == [1.0, 2.0, 3.0, 4.0]  # dense again at the end


def test_trained_schedules_give_the_dense_point_then_their_stored_networks():
    m = model()
    stored = {AT_INIT: {"0.75": state([0.0, 0.0, 0.0, 9.0]), "0.5": state([0.0, 0.0, 7.0, 8.0])}}
    seen = [(s, p, weights_of(m)) for s, p in pruned_networks(
        m, parse_key("snip.at_init"), {"0": masks(1, 1, 1, 1), "0.5": masks(0, 0, 1, 1), "0.75": masks(0, 0, 0, 1)},
        stored)]
    # the masks of sparsities > 0 are not applied to the dense weights: those networks were trained
    assert seen == [(AT_INIT, 0.0, [1.0, 2.0, 3.0, 4.0]), (AT_INIT, 0.5, [0.0, 0.0, 7.0, 8.0]),
                    (AT_INIT, 0.75, [0.0, 0.0, 0.0, 9.0])]
    assert weights_of(m) == [1.0, 2.0, 3.0, 4.0]
