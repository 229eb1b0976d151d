"""Seconds per generalization measure for one model, printed as a table.

Two models: one of the default study (NiN on digits, from
``results/digits-default`` when that model was trained already, else trained
here in a temporary directory), and a CIFAR-sized NiN (random 32×32×3 images,
labelled by the network's own predictions so that its training accuracy is 1
and the flatness searches have something to lose). Every registered measure
runs in one context, in registry order, so a measure's seconds include the
shared intermediates (σ', α', margins, folded weights) only where it is the
first to need them; ``cold`` reruns each measure in a fresh context.

    .venv/bin/python bench/measures_speed.py [--threads 2] [--cifar-samples 1500] [--cold]
                                             [--draws-per-pass 16] [--set pac_bayes_samples=64 ...]

``--draws-per-pass 1`` evaluates the weight-noise draws one forward pass at a
time (the unbatched reference); ``--set`` overrides measure settings.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from prunability.config import load  # noqa: E402
from prunability.layout import Layout  # noqa: E402
from prunability.measures import MEASURES, MeasureContext, compute_measures  # noqa: E402
from prunability.models import build_model  # noqa: E402
from prunability.stages import measure as measure_stage  # noqa: E402
from prunability.zoo import expand  # noqa: E402


def digits_context(config_path: Path, results: Path, index: int):
    """A default-study model's context, training it in a temp dir if it is not in ``results``."""
    config = load(config_path)
    spec = expand(config)[index]
    layout = Layout(config.study, results)
    if not layout.final_weights(spec.model_id).exists():
        from prunability.stages import prepare, train

        layout = Layout(config.study, Path(tempfile.mkdtemp(prefix="measures-bench-")))
        start = time.perf_counter()
        prepare.run(config, layout)
        train.run(config, layout, spec.model_id)
        print(f"(trained {spec.model_id} in {time.perf_counter() - start:.1f} s under {layout.base})")
    return (lambda: measure_stage.build_context(config, layout, spec.model_id)), spec.model_id, config


def cifar_context(config, samples: int, depth: int, width: float):
    """A NiN on random 32×32×3 uint8 images, labels = its own predictions."""
    hparams = {"architecture": "nin", "depth": depth, "width": width, "dropout": 0.0, "batchnorm": True}
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (samples, 3, 32, 32), dtype=torch.uint8, generator=g)
    mean, std = torch.full((3,), 0.5), torch.full((3,), 0.25)
    torch.manual_seed(1)
    init = build_model(hparams, (3, 32, 32), 10, mean, std).eval()
    torch.manual_seed(2)
    model = build_model(hparams, (3, 32, 32), 10, mean, std).eval()
    with torch.no_grad():
        y = model(x.float() / 255).argmax(dim=1)
    history = pd.DataFrame({"epoch": [1, 2], "step": [500, 1000], "train_loss": [0.1, 0.01]})

    def make():
        return MeasureContext(
            model=copy.deepcopy(model), init_model=copy.deepcopy(init), x_train=x, y_train=y, config=config.measures,
            pruning=config.pruning, history=history, milestones={0.1: 500, 0.01: 1000}, train_size=50_000,
            train_batch_size=64,
        )

    return make, sum(p.numel() for p in model.parameters())


def timings(make_context, names, cold: bool) -> pd.DataFrame:
    if cold:
        results = {n: compute_measures(make_context(), [n])[n] for n in names}
    else:
        results = compute_measures(make_context(), names)
    return pd.DataFrame({
        "seconds": {n: r.seconds for n, r in results.items()},
        "value": {n: r.value for n, r in results.items()},
        "reason": {n: r.reason or "" for n, r in results.items()},
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    parser.add_argument("--results", type=Path, default=ROOT / "results")
    parser.add_argument("--model-index", type=int, default=0, help="which model of the study's zoo (expand order)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--cifar-samples", type=int, default=1500)
    parser.add_argument("--cifar-depth", type=int, default=3)
    parser.add_argument("--cifar-width", type=float, default=2.0)
    parser.add_argument("--cold", action="store_true", help="a fresh context per measure (no shared cache)")
    parser.add_argument("--names", nargs="*", default=None, help="measures to time (default: all registered)")
    parser.add_argument("--skip-cifar", action="store_true")
    parser.add_argument("--draws-per-pass", type=int, default=None,
                        help="measures.noise_draws_per_pass (1: one forward pass per weight-noise draw)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="measure settings to override")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = args.names or MEASURES.names()

    make_digits, model_id, config = digits_context(args.config, args.results, args.model_index)
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    if args.draws_per_pass is not None:
        overrides["noise_draws_per_pass"] = args.draws_per_pass
    if overrides:
        config = dataclasses.replace(config, measures=dataclasses.replace(config.measures, **overrides))
        base = make_digits
        make_digits = lambda: dataclasses.replace(base(), config=config.measures)  # noqa: E731
    digits = timings(make_digits, names, args.cold)
    columns = {"digits s": digits["seconds"]}
    if not args.skip_cifar:
        make_cifar, n_params = cifar_context(config, args.cifar_samples, args.cifar_depth, args.cifar_width)
        cifar = timings(make_cifar, names, args.cold)
        columns["cifar-nin s"] = cifar["seconds"]
    table = pd.DataFrame(columns)
    table["digits value"] = digits["value"]
    table["digits missing because"] = digits["reason"]
    table.index.name = "measure"
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 70)
    pd.set_option("display.max_rows", 200)
    hp = expand(config)[args.model_index].hparams
    print(f"digits: {model_id} (default study; depth {hp['depth']}, width {hp['width']}, lr {hp['lr']}), {torch.get_num_threads()} threads, "
          f"{'cold: fresh context per measure' if args.cold else 'one shared context, registry order'}")
    if not args.skip_cifar:
        print(f"cifar-nin: depth {args.cifar_depth}, width {args.cifar_width}, {n_params} parameters, "
              f"{args.cifar_samples} random 32×32×3 images")
    print(table.to_string(float_format=lambda v: f"{v:.3g}"))
    print("total s: " + ", ".join(f"{k} {v.sum():.1f}" for k, v in columns.items()))
    default = list(config.measures.names)
    print(f"default list ({len(default)} measures): digits {digits.loc[[n for n in default if n in digits.index], 'seconds'].sum():.1f} s")


if __name__ == "__main__":
    main()
