"""Spectral and Frobenius forms of Jiang et al. 2020 on matrices with known
norms, and a cross-check of a trained BN model's norms against torch.linalg
on weights folded by hand."""

import copy
import math

import pytest
import torch
from torch import nn

from prunability.measures import MEASURES


def measure(name, ctx):
    return MEASURES.get(name)(ctx)


def set_(module, weight):
    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
        if module.bias is not None:
            module.bias.zero_()
    return module


def known_net():
    """W1 = diag(3, 1): ‖·‖₂² = 9, ‖·‖_F² = 10. W2 = all-ones 2×2: ‖·‖₂² = 4, ‖·‖_F² = 4."""
    return nn.Sequential(nn.Flatten(), set_(nn.Linear(2, 2), [[3.0, 0.0], [0.0, 1.0]]), nn.ReLU(),
                         set_(nn.Linear(2, 2), [[1.0, 1.0], [1.0, 1.0]]))


@pytest.fixture
def ctx(make_context, make_plain):
    model = make_plain(known_net())
    init = copy.deepcopy(model)
    with torch.no_grad():
        init.net[1].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))  # W1 − W1⁰ = diag(2, 0)
    x, y = torch.zeros(1, 1, 1, 2, dtype=torch.uint8), torch.zeros(1, dtype=torch.int64)
    c = make_context(model, init, x, y)
    c.cache["margin_gamma"] = 2.0  # γ itself is tested in test_margin.py; here only the formulas
    return c


S, F, LOG_G2 = math.log(9) + math.log(4), math.log(10) + math.log(4), 2 * math.log(2.0)


@pytest.mark.parametrize("name, expected", [
    ("log_spectral_norm_sum", S),
    ("log_spec_over_margin", S - LOG_G2),
    ("fro_over_spec", 10 / 9 + 4 / 4),
    ("spec_orig", S - LOG_G2 + math.log(10 / 9 + 1)),
    ("spec_init", S - LOG_G2 + math.log(4 / 9 + 0 / 4)),
    ("log_sum_spec", math.log(2) + S / 2),
    ("log_sum_spec_over_margin", math.log(2) + (S - LOG_G2) / 2),
    ("log_prod_fro", F),
    ("log_prod_fro_over_margin", F - LOG_G2),
    ("log_sum_fro", math.log(2) + F / 2),
    ("log_sum_fro_over_margin", math.log(2) + (F - LOG_G2) / 2),
    ("param_norm", 14.0),
    ("frobenius_distance", 4.0),
    ("spectral_distance", 4.0),
])
def test_forms_of_known_matrices(ctx, name, expected):
    assert measure(name, ctx) == pytest.approx(expected, rel=1e-6)


def test_path_norm_over_margin(ctx):
    assert measure("path_norm_over_margin", ctx) == pytest.approx(measure("path_norm", ctx) / 4.0)


def test_margin_forms_fail_with_a_reason_when_gamma_is_not_positive(ctx):
    from prunability.measures import compute_measures

    ctx.cache["margin_gamma"] = -0.5
    r = compute_measures(ctx, ["log_spec_over_margin", "log_sum_fro_over_margin", "log_prod_fro"])
    assert "≤ 0" in r["log_spec_over_margin"].reason and "≤ 0" in r["log_sum_fro_over_margin"].reason
    assert r["log_prod_fro"].ok


def folded_by_hand(net):
    """NiN's (conv, BN) pairs folded independently of folding.py: W·γ/√(var + ε)."""
    mats, layers = [], list(net)
    for i, m in enumerate(layers):
        if isinstance(m, nn.Conv2d):
            w = m.weight.detach().double()
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(nxt, nn.BatchNorm2d):
                scale = nxt.weight.detach().double() / torch.sqrt(nxt.running_var.double() + nxt.eps)
                w = w * scale[:, None, None, None]
            mats.append(w.reshape(w.shape[0], -1))
    return mats


def test_trained_model_norms_match_torch_linalg(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    ctx = make_context(model, init, x, y)
    w, w0 = folded_by_hand(model.net), folded_by_hand(init.net)
    spec = [torch.linalg.svdvals(m)[0].item() ** 2 for m in w]
    fro = [torch.linalg.norm(m).item() ** 2 for m in w]
    assert measure("log_spectral_norm_sum", ctx) == pytest.approx(sum(math.log(s) for s in spec), rel=1e-6)
    assert measure("log_prod_fro", ctx) == pytest.approx(sum(math.log(f) for f in fro), rel=1e-6)
    assert measure("fro_over_spec", ctx) == pytest.approx(sum(f / s for f, s in zip(fro, spec)), rel=1e-6)
    assert measure("param_norm", ctx) == pytest.approx(sum(fro), rel=1e-6)
    assert measure("spectral_distance", ctx) == pytest.approx(
        sum(torch.linalg.svdvals(a - b)[0].item() ** 2 for a, b in zip(w, w0)), rel=1e-6)
    assert measure("frobenius_distance", ctx) == pytest.approx(
        sum(torch.linalg.norm(a - b).item() ** 2 for a, b in zip(w, w0)), rel=1e-6)
