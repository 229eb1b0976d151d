"""Margins on hand-set logits, and the inverse-margin measure on a linear model."""

import math

import pytest
import torch
from torch import nn

from prunability.measures import MEASURES
from prunability.measures.margin import margin_gamma, margins, percentile


def test_margins_on_hand_set_logits():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0], [2.0, 2.0, 2.0], [-1.0, -4.0, -2.0]])
    y = torch.tensor([0, 0, 2, 1])
    torch.testing.assert_close(margins(logits, y), torch.tensor([1.0, -5.0, 0.0, -3.0]))


def test_percentile_interpolates_like_numpy():
    values = torch.tensor([8.0, 2.0, 10.0, 4.0, 6.0])
    assert percentile(values, 10) == pytest.approx(2.8)  # position 0.1·4 = 0.4 between 2 and 4
    assert percentile(values, 50) == pytest.approx(6.0)


def linear_model(make_plain):
    """logits = [5x, −5x] for a single-pixel image x ∈ [0, 1]: margin of class 0 is 10x."""
    lin = nn.Linear(1, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[5.0], [-5.0]]))
        lin.bias.zero_()
    return make_plain(nn.Sequential(nn.Flatten(), lin))


def pixels(*values):
    return torch.tensor(values, dtype=torch.uint8).reshape(-1, 1, 1, 1)


def test_inverse_margin_of_a_linear_model(make_context, make_plain):
    x = pixels(153, 51, 255, 102, 204)  # x = 0.6, 0.2, 1.0, 0.4, 0.8: margins 6, 2, 10, 4, 8
    y = torch.zeros(5, dtype=torch.int64)
    ctx = make_context(linear_model(make_plain), None, x, y)
    assert MEASURES.get("inverse_margin")(ctx) == pytest.approx(1 / 2.8**2, rel=1e-5)
    # Cached for the measures that divide by γ², and the margins too.
    assert ctx.cache["margin_gamma"] == pytest.approx(2.8, rel=1e-5)
    torch.testing.assert_close(ctx.cache["margins"], torch.tensor([6.0, 2.0, 10.0, 4.0, 8.0]))


def test_margin_percentile_setting_is_used(make_context, make_plain):
    x, y = pixels(153, 51, 255, 102, 204), torch.zeros(5, dtype=torch.int64)
    ctx = make_context(linear_model(make_plain), None, x, y, margin_percentile=50)
    assert MEASURES.get("inverse_margin")(ctx) == pytest.approx(1 / 36, rel=1e-5)


def test_inverse_margin_is_infinite_when_gamma_is_not_positive(make_context, make_plain):
    x = pixels(51, 102, 153, 204, 255)
    y = torch.tensor([1, 1, 0, 0, 0])  # two of five misclassified: the 10th percentile is negative
    ctx = make_context(linear_model(make_plain), None, x, y)
    assert margin_gamma(ctx) < 0
    assert MEASURES.get("inverse_margin")(ctx) == math.inf


def test_trained_model_has_a_positive_margin(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    value = MEASURES.get("inverse_margin")(make_context(model, init, x, y))
    assert 0 < value < math.inf
