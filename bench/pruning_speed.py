"""How fast is a one-shot pruning sweep, and what does each method's scoring cost?

1. A 30-point sparsity sweep of one-shot global magnitude pruning (conv and
   linear weights), two ways, on the same model:
   - ours: score |w| once, sort once (``masks_for_sparsities``), then per
     sparsity write dense ⊙ mask into the prunable weights (``apply_masks_from``,
     what the prune stage does);
   - baseline: per sparsity, a fresh ``copy.deepcopy`` of the dense model and
     ``torch.nn.utils.prune.global_unstructured(…, L1Unstructured, amount=s)``
     from scratch (what a script without a mask cache does).
   Both end each point with a pruned model ready to evaluate. Evaluation is in
   *neither* by default (it costs the same in both and would hide the pruning
   cost); ``--evaluate`` adds one forward pass of a batch to both.
2. Per-method cost of computing the masks at the default study's sparsities
   (scoring + masks, SynFlow once per sparsity) on the default study's largest
   NiN, with the study's scoring batches drawn from the real digits data.

    .venv/bin/python bench/pruning_speed.py [--model nin|resnet18|both] [--evaluate] [--repeats 3] [--method-repeats 1]

Numbers depend on the machine and its load; compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from pathlib import Path

import torch
import torch.nn.utils.prune as torch_prune
from torch import nn

from prunability import config as study_config
from prunability.data import DATASETS
from prunability.data.split import PreparedData
from prunability.hparams import Hyperparameters
from prunability.models import build_model
from prunability.pruning import METHODS, ScoringContext, apply_masks_from, prunable_parameters, scoring_batches
from prunability.pruning.masks import masks_for_sparsities
from prunability.pruning.weight_scores import magnitude_scores
from prunability.zoo import expand

ROOT = Path(__file__).resolve().parents[1]
SWEEP = [round(0.97 * i / 29, 6) for i in range(30)]  # 30 points, 0 … 0.97


def cifar_resnet18(width: float) -> nn.Module:
    hp = Hyperparameters.of({"architecture": "resnet18", "depth": 18, "width": width, "dropout": 0.0, "batchnorm": True,
                             "optimizer": "sgd_momentum", "lr": 0.05, "batch_size": 64, "weight_decay": 0.0,
                             "train_fraction": 1.0})  # only the architecture's axes shape the network
    return build_model(hp, (3, 32, 32), 10, torch.zeros(3), torch.ones(3)).eval()


# the weights torch's global_unstructured prunes in the comparison: conv and linear weights, no biases or norms
WEIGHTS_ONLY = {"include_biases": False, "include_norm": False}


def default_nin() -> tuple[nn.Module, PreparedData, study_config.StudyConfig]:
    """The default study's largest NiN (by parameter count) at initialization, and the digits data."""
    config = study_config.load(ROOT / "config" / "config.yaml")
    split = DATASETS.get(config.dataset.name)(config.dataset)
    data = PreparedData.from_split(split, config.dataset.train_eval_size, config.dataset.split_seed)
    best = None
    for spec in expand(config):
        torch.manual_seed(spec.seed)
        model = build_model(spec.hparams, data.image_shape, data.num_classes, data.mean, data.std).eval()
        size = sum(p.numel() for p in prunable_parameters(model.net, **WEIGHTS_ONLY).values())
        if best is None or size > best[0]:
            best = (size, model, spec)
    print(f"default-study NiN: {best[2].model_id} {best[2].hparams}, {best[0]} prunable weights")
    return best[1], data, config


def _evaluate(model: nn.Module, x: torch.Tensor | None) -> None:
    if x is not None:
        with torch.no_grad():
            model(x)


def ours(model: nn.Module, x: torch.Tensor | None) -> None:
    params = prunable_parameters(model.net, **WEIGHTS_ONLY)
    dense = {n: p.detach().clone() for n, p in params.items()}
    all_masks = masks_for_sparsities(magnitude_scores(ScoringContext(params=params)), SWEEP, "global")
    for s in SWEEP:
        apply_masks_from(model.net, dense, all_masks[s])
        _evaluate(model, x)
    with torch.no_grad():  # leave the model dense for the next timing
        for n, p in params.items():
            p.copy_(dense[n])


def baseline(model: nn.Module, x: torch.Tensor | None) -> None:
    for s in SWEEP:
        fresh = copy.deepcopy(model)
        targets = [(m, "weight") for m in fresh.net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        torch_prune.global_unstructured(targets, pruning_method=torch_prune.L1Unstructured, amount=s)
        _evaluate(fresh, x)


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sweep(name: str, model: nn.Module, image_shape, evaluate: bool, repeats: int) -> None:
    x = torch.rand(256, *image_shape) if evaluate else None
    n = sum(p.numel() for p in prunable_parameters(model.net, **WEIGHTS_ONLY).values())
    t_ours, t_base = timed(lambda: ours(model, x), repeats), timed(lambda: baseline(model, x), repeats)
    what = "with one forward pass of 256 images per point" if evaluate else "without evaluation"
    print(f"{name}: {n} prunable weights, 30-point sweep {what} (median of {repeats}): "
          f"ours {t_ours * 1e3:.1f} ms, torch global_unstructured from scratch {t_base * 1e3:.1f} ms, "
          f"ratio {t_base / t_ours:.1f}x")


def method_costs(repeats: int) -> None:
    model, data, config = default_nin()
    settings = config.pruning
    x, y = data.train_eval()
    batches = scoring_batches(x, y, settings.score_batches, settings.score_batch_size, torch.Generator().manual_seed(0))
    sparsities = settings.sparsities
    print(f"per-method cost of the masks at {len(sparsities)} sparsities {list(sparsities)} "
          f"({settings.score_batches}×{settings.score_batch_size} scoring images, "
          f"SynFlow {settings.synflow_rounds} rounds per sparsity; median of {repeats}):")
    for name in METHODS.names():
        method = METHODS.get(name)
        params = prunable_parameters(model.net, settings.include_biases, settings.include_norm)
        ctx = ScoringContext(params=params, model=model, batches=batches,
                             generator=torch.Generator().manual_seed(0), settings=settings, input_shape=data.image_shape)
        if not method.per_sparsity:  # warm-up (first-call allocations, kernel selection); SynFlow amortizes it
            method.masks(ctx, sparsities)
        t = timed(lambda: method.masks(ctx, sparsities), repeats)
        note = "per sparsity" if method.per_sparsity else "one pass"
        print(f"  {name:30s} {t * 1e3:9.1f} ms  ({note}{', data' if method.needs_data else ''})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["nin", "resnet18", "both"], default="both")
    p.add_argument("--evaluate", action="store_true", help="include one forward pass per sparsity in both paths")
    p.add_argument("--repeats", type=int, default=3, help="timings of each sweep (the median is printed)")
    p.add_argument("--method-repeats", type=int, default=1, help="timings of each method's masks")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.model in ("nin", "both"):
        model, data, _ = default_nin()
        sweep("NiN (default study)", model, data.image_shape, args.evaluate, args.repeats)
    if args.model in ("resnet18", "both"):
        sweep("ResNet-18 width 0.5 (CIFAR-sized, random init)", cifar_resnet18(0.5), (3, 32, 32), args.evaluate,
              args.repeats)
    method_costs(args.method_repeats)


if __name__ == "__main__":
    main()
