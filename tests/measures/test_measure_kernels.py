"""The one helper of each kernel the measures share: bisection, perturb–evaluate–restore,
the folded copy, and loss-gradient accumulation."""

import pytest
import torch
import torch.nn.functional as F

from prunability.data.split import as_float
from prunability.measures.bisection import OCTAVES, bisect, log_bisect
from prunability.measures.folding import folded_classifier, folded_net
from prunability.measures.gradients import flat_loss_gradient, loss_gradients
from prunability.measures.perturbed import perturbed, restored


def test_bisect_halves_the_bracket_towards_the_crossing():
    found = bisect(lambda t: (t >= 0.3, t), 0.0, 1.0, 10)
    assert found.low < 0.3 <= found.high and found.high - found.low == pytest.approx(2.0**-10)
    assert found.trace[:3] == (0.5, 0.25, 0.375)  # every midpoint probed once, in order


def test_log_bisect_is_bisect_on_the_exponent():
    found = log_bisect(lambda s: s, target=0.01, steps=30, upper=2.0)
    assert found.scale == pytest.approx(0.01, rel=1e-6) and found.bracketed
    assert [s for s, _ in found.trace[:2]] == [2.0 * 2.0**-(OCTAVES / 2), 2.0 * 2.0**-(OCTAVES / 4)]  # 0.002 < 0.01: up
    assert log_bisect(lambda s: 0.0, 0.1, 5, 2.0).too_flat and log_bisect(lambda s: 1.0, 0.1, 5, 2.0).too_sharp


def test_perturbed_moves_the_weights_and_restores_them_bit_for_bit(trained_mlp):
    model = trained_mlp[0]
    before = [p.detach().clone() for p in model.parameters()]
    u = [torch.full_like(p, 0.1) for p in before]
    with perturbed(model, u):
        assert all(torch.equal(p, b + d) for p, b, d in zip(model.parameters(), before, u))
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before))
    with pytest.raises(RuntimeError), restored(model):  # restored on error too
        with torch.no_grad():
            next(model.parameters()).zero_()
        raise RuntimeError
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before))


def test_folded_classifier_is_a_fresh_copy_with_the_models_function(trained_nin_bn, make_context):
    model, _, x, y = trained_nin_bn
    ctx = make_context(model, x=x, y=y)
    a, b = folded_classifier(ctx), folded_classifier(ctx)
    with torch.no_grad():
        next(a.parameters()).zero_()
    assert not torch.equal(next(b.parameters()), next(a.parameters()))
    assert next(folded_net(ctx).parameters()).abs().sum() > 0
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in b.modules())
    with torch.no_grad():
        torch.testing.assert_close(b(as_float(x[:50])), model(as_float(x[:50])), rtol=1e-4, atol=1e-5)


def test_loss_gradients_are_the_gradient_of_the_mean_loss_whatever_the_chunks(trained_mlp):
    model, _, x, y = trained_mlp
    x, y = x[:100], y[:100]
    model.zero_grad()
    F.cross_entropy(model(as_float(x)), y).backward()
    full = torch.cat([p.grad.reshape(-1) for p in model.parameters()])
    model.zero_grad()
    for chunk in (100, 33):
        torch.testing.assert_close(flat_loss_gradient(model, x, y, chunk), full, rtol=1e-5, atol=1e-7)
    assert [g.shape for g in loss_gradients(model, x, y, 7)] == [p.shape for p in model.parameters()]
    assert full.abs().sum() > 0


def test_the_measures_generator_does_not_replay_the_models_initialization(make_context):
    """A model of seed s was initialized from torch.manual_seed(s); the measures' generator
    (seed s) is derived from s, so its draws are not the initial weights' uniforms."""
    torch.manual_seed(0)  # the context's seed
    model = torch.nn.Sequential(torch.nn.Linear(64, 64))
    ctx = make_context(model)
    u = torch.rand(model[0].weight.shape, generator=ctx.generator())
    w = model[0].weight.detach()
    assert ctx.seed == 0
    assert abs(torch.corrcoef(torch.stack([u.flatten(), w.flatten()]))[0, 1].item()) < 0.1
    assert torch.equal(u, torch.rand(w.shape, generator=ctx.generator()))  # still one fixed stream
