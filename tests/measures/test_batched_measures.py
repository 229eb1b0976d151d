"""Weight-noise draws evaluated K per forward pass give the values (and so the
ranking of models) of one pass per draw, for every measure that draws noise and
every architecture; a model not in eval mode takes the loop."""

import copy

import pytest
import torch

from builders import hparams as typed_hparams
from prunability.measures import compute_measures
from prunability.measures.flatness import NoiseDirections, gaussian_noise, noise_for_accuracy_drop
from prunability.measures.folding import fold_batchnorm, folded_classifier
from prunability.measures.perturbed import STACKED_DRAWS, draws_per_pass_on, evaluate_perturbed, vmappable
from prunability.models import build_model
from prunability.stats import kendall_tau

NOISY = ["pac_bayes_flatness", "pac_bayes_init", "pac_bayes_orig", "pac_bayes_mag_flatness", "pac_bayes_mag_init",
         "pac_bayes_mag_orig", "random_perturbation_robustness"]
FAST = {"pac_bayes_samples": 24, "pac_bayes_steps": 10, "pac_bayes_images_per_draw": 40, "perturbation_samples": 20}


def _jittered(model, scale, seed):
    """The trained model with its weights moved a little: another model to rank."""
    other = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(scale * p.abs().mean() * torch.randn(p.shape, generator=g))
    return other


def test_batched_measures_equal_unbatched_and_rank_models_alike(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    models = [model, _jittered(model, 0.05, 1), _jittered(model, 0.15, 2)]
    values = {}
    for per_pass in (1, 7):  # 7 does not divide the draws: a short last group
        for i, m in enumerate(models):
            ctx = make_context(m, init, x, y, noise_draws_per_pass=per_pass, **FAST)
            assert vmappable(folded_classifier(ctx))  # the measures' network takes the batched path
            results = compute_measures(ctx, NOISY)
            assert all(r.ok for r in results.values()), results
            values[per_pass, i] = {n: r.value for n, r in results.items()}
    for name in NOISY:
        one, many = ([values[k, i][name] for i in range(len(models))] for k in (1, 7))
        assert many == pytest.approx(one, rel=1e-5), name
        assert len(set(one)) == len(one), name  # the models differ, so the ranking is a real check
        assert kendall_tau(many, one) == 1.0, name


ARCHITECTURES = [
    ({"architecture": "mlp", "depth": 2, "width": 0.25, "dropout": 0.2, "batchnorm": True}, (1, 8, 8)),
    ({"architecture": "nin", "depth": 2, "width": 0.5, "dropout": 0.2, "batchnorm": True}, (3, 16, 16)),
    ({"architecture": "vgg11", "depth": 1, "width": 0.125, "dropout": 0.0, "batchnorm": True}, (3, 32, 32)),
    ({"architecture": "resnet20", "depth": 1, "width": 0.5, "dropout": 0.0, "batchnorm": True}, (3, 16, 16)),
    ({"architecture": "resnet18", "depth": 1, "width": 0.125, "dropout": 0.0, "batchnorm": True}, (3, 16, 16)),
]


@pytest.mark.parametrize("hparams,shape", ARCHITECTURES, ids=[a[0]["architecture"] for a in ARCHITECTURES])
def test_every_architecture_batches_its_folded_net(hparams, shape):
    torch.manual_seed(0)
    model = build_model(typed_hparams(**hparams), shape, 10, torch.zeros(shape[0]), torch.ones(shape[0])).eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics, so folding matters
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    model.net = fold_batchnorm(model.net)
    x = torch.randint(0, 256, (40, *shape), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 10, (40,), generator=torch.Generator().manual_seed(2))
    params = [p.detach() for p in model.parameters()]
    g = torch.Generator().manual_seed(3)
    draws = [gaussian_noise(params, 0.05, g) for _ in range(5)]
    assert vmappable(model)
    one = evaluate_perturbed(model, x, y, draws, draws_per_pass=1, batch_size=1024)
    many = evaluate_perturbed(model, x, y, draws, draws_per_pass=2, batch_size=30)
    assert many.accuracies == one.accuracies
    assert many.losses == pytest.approx(one.losses, rel=1e-5)
    assert len(set(one.losses)) == len(draws)


def test_a_model_in_training_mode_takes_the_loop(trained_nin_bn):
    model, _, x, y = trained_nin_bn  # BatchNorm: in train mode it updates its statistics per pass
    params = [p.detach() for p in model.parameters()]
    draws = [gaussian_noise(params, 0.02, torch.Generator().manual_seed(k)) for k in range(3)]
    a, b = copy.deepcopy(model).train(), copy.deepcopy(model).train()
    assert not vmappable(a) and vmappable(model)
    batched = evaluate_perturbed(a, x, y, draws, draws_per_pass=3, batch_size=1024)
    loop = evaluate_perturbed(b, x, y, draws, draws_per_pass=1, batch_size=1024)
    assert batched == loop
    assert not torch.equal(a.net[1].running_mean, model.net[1].running_mean)  # the loop ran, statistics moved


def test_kept_directions_are_the_redrawn_ones_and_the_search_is_unchanged(trained_nin_bn):
    model, _, x, y = trained_nin_bn
    params = [p.detach() for p in model.parameters()]
    kept = NoiseDirections.draw(params, 10, torch.Generator().manual_seed(0), keep_bytes=2**30)
    redrawn = NoiseDirections.draw(params, 10, torch.Generator().manual_seed(0))
    assert kept.nbytes == 10 * sum(p.numel() for p in params) * 4
    for _ in range(2):  # the second pass over ``kept`` reuses the first's numbers
        for (s1, a), (s2, b) in zip(kept.chunks(4), redrawn.chunks(4)):
            assert s1 == s2 and all(torch.equal(u, v) for da, db in zip(a, b) for u, v in zip(da, db))
    assert 4 in kept._kept and not redrawn._kept

    def search(keep_bytes):
        return noise_for_accuracy_drop(model, x, y, target_drop=0.1, samples=12, steps=8, sigma_max=2.0,
                                       generator=torch.Generator().manual_seed(0), batch_size=256, draws_per_pass=5,
                                       images_per_draw=60, keep_bytes=keep_bytes)

    assert search(2**30).trace == search(0).trace


def test_auto_draws_per_pass_is_one_on_the_cpu_and_stacked_elsewhere():
    assert draws_per_pass_on("auto", torch.device("cpu")) == 1
    assert draws_per_pass_on("auto", torch.device("cuda", 0)) == STACKED_DRAWS > 1
    assert draws_per_pass_on(7, torch.device("cpu")) == 7
