"""Seconds per generalization measure, weight-noise draws batched vs one forward pass per draw.

Two models: the default study's largest (NiN on digits: deepest, widest, whole
training set; from ``results/digits-default`` when it was trained already,
else trained here in a temporary directory), and a CIFAR-sized NiN (random
32×32×3 images, labelled by the network's own predictions so that its
training accuracy is 1 and the flatness searches have something to lose).

For each model every chosen measure runs batched (``measures.noise_draws_per_pass``
draws per forward pass, the schema's default unless ``--draws-per-pass``) and
unbatched (one pass per draw), each in a fresh context, so a measure's seconds
include every intermediate it needs (σ', α', margins, folded weights); the
two modes alternate measure by measure, ``--repeats`` times, and the least
CPU and wall seconds count (the machine is shared: CPU seconds are what this
process computed, wall seconds also what it waited for).
``max rel diff`` is the largest relative difference between the two runs'
values: the batched computation must give the unbatched values.
Then the default study's measure list on the digits model (the measures
stage's work per model) is timed batched, which is what the stage runs.

    .venv/bin/python bench/measures_speed.py [--measures pac_bayes_flatness sharpness_flatness ...]
        [--draws 128] [--draws-per-pass 16] [--models digits cifar] [--no-unbatched] [--profile]
        [--cifar-samples 1500] [--threads 2] [--repeats 2] [--set KEY=VALUE ...]
    .venv/bin/python bench/measures_speed.py --catalogue [--models cifar]   # the whole list, one shared context

``--draws`` overrides the number of weight-noise draws (``pac_bayes_samples``
and ``perturbation_samples``) to fit a run in the time at hand; ``--set``
overrides any measure setting. ``--profile`` prints where the batched run of
each model spends its time (cProfile, top functions by own time).
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import dataclasses
import io
import math
import pstats
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
from prunability.measures.perturbed import STACKED_DRAWS  # noqa: E402
from prunability.models import build_model  # noqa: E402
from prunability.stages import measure as measure_stage  # noqa: E402
from prunability.hparams import Hyperparameters  # noqa: E402
from prunability.zoo import expand  # noqa: E402

# Measures whose computation evaluates weight-noise draws (the rest run the same code either way).
NOISE = ("pac_bayes", "random_perturbation_robustness")


def hparam(spec, key: str):
    """One hyperparameter of a zoo model (a mapping or typed hyperparameters)."""
    values = spec.hparams
    return values.get(key, 1.0) if isinstance(values, dict) else getattr(values, key, 1.0)


def largest_model(config) -> int:
    """Index (expand order) of the zoo's deepest, widest model, then with the largest training share."""
    specs = expand(config)
    return max(range(len(specs)), key=lambda i: tuple(hparam(specs[i], k) for k in ("depth", "width", "train_fraction")))


def digits_context(config, results: Path, index: int):
    """A default-study model's context builder, training the model in a temp dir if it is not in ``results``."""
    spec = expand(config)[index]
    layout = Layout(config.study, results)
    if not layout.final_weights(spec.model_id).exists():
        from prunability.stages import prepare, train

        layout = Layout(config.study, Path(tempfile.mkdtemp(prefix="measures-bench-")))
        start = time.perf_counter()
        prepare.run(config, layout)
        train.run(config, layout, spec.model_id)
        print(f"(trained {spec.model_id} in {time.perf_counter() - start:.1f} s under {layout.base})")
    return (lambda measures: dataclasses.replace(measure_stage.build_context(config, layout, spec.model_id),
                                                 config=measures)), spec


def cifar_context(config, samples: int, depth: int, width: float):
    """A NiN on random 32×32×3 uint8 images, labels = its own predictions."""
    hparams = Hyperparameters.of({"architecture": "nin", "depth": depth, "width": width, "dropout": 0.0, "batchnorm": True,
                                  "optimizer": "sgd_momentum", "lr": 0.05, "batch_size": 64, "weight_decay": 0.0,
                                  "train_fraction": 1.0})  # only the architecture's axes shape the network
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

    def make(measures):
        return MeasureContext(
            model=copy.deepcopy(model), init_model=copy.deepcopy(init), x_train=x, y_train=y, config=measures,
            pruning=config.pruning, seed=0, batch_size=config.evaluation.batch_size, history=history,
            milestones={0.1: 500, 0.01: 1000}, train_size=50_000, train_batch_size=64,
        )

    return make, sum(p.numel() for p in model.parameters())


def profiled(fn):
    """fn()'s result and the top of its profile (own time), as text."""
    profiler = cProfile.Profile()
    profiler.enable()
    result = fn()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    return result, out.getvalue()


def rel_diff(a: float, b: float) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def compare(label: str, make_context, measures, names, unbatched: bool, profile: bool, repeats: int) -> pd.DataFrame:
    """Per measure and mode (batched, unbatched): the least CPU and wall seconds over ``repeats``
    runs, each in a fresh context (the measure pays for every intermediate it needs), the modes
    interleaved measure by measure, so that a change of the machine's load hits both."""
    if measures.noise_draws_per_pass == "auto":  # the stage's default takes the loop on the CPU: stack explicitly
        measures = dataclasses.replace(measures, noise_draws_per_pass=STACKED_DRAWS)
    configs = {"batched": measures}
    if unbatched:
        configs["unbatched"] = dataclasses.replace(measures, noise_draws_per_pass=1)
    cpu = {mode: {} for mode in configs}
    wall = {mode: {} for mode in configs}
    values, reasons, profiles = {mode: {} for mode in configs}, {}, []
    for repeat in range(repeats):
        for name in names:
            for mode, config in configs.items():
                ctx = make_context(config)
                start_cpu, start_wall = time.process_time(), time.perf_counter()
                if profile and mode == "batched" and repeat == 0:
                    (result,), text = profiled(lambda: list(compute_measures(ctx, [name]).values()))
                    profiles.append(text)
                else:
                    (result,) = compute_measures(ctx, [name]).values()
                cpu[mode][name] = min(cpu[mode].get(name, math.inf), time.process_time() - start_cpu)
                wall[mode][name] = min(wall[mode].get(name, math.inf), time.perf_counter() - start_wall)
                values[mode][name] = result.value
                if result.reason:
                    reasons[name] = result.reason[:60]
    rows = {n: {f"{label} batched cpu s": cpu["batched"][n], f"{label} batched wall s": wall["batched"][n]} for n in names}
    if unbatched:
        for n in names:
            rows[n][f"{label} unbatched cpu s"] = cpu["unbatched"][n]
            rows[n][f"{label} unbatched wall s"] = wall["unbatched"][n]
            rows[n][f"{label} ratio cpu"] = cpu["unbatched"][n] / max(cpu["batched"][n], 1e-9)
            rows[n][f"{label} ratio wall"] = wall["unbatched"][n] / max(wall["batched"][n], 1e-9)
            rows[n][f"{label} max rel diff"] = rel_diff(values["batched"][n], values["unbatched"][n])
    for n in names:
        rows[n][f"{label} value"] = values["batched"][n]
        if n in reasons:
            rows[n][f"{label} missing because"] = reasons[n]
    for name, text in zip(names, profiles):
        print(f"--- {label} {name}: where the batched computation spends its time (cProfile, own time) ---")
        print("\n".join(line for line in text.splitlines()[:22] if line.strip()))
    return pd.DataFrame(rows).T


def catalogue(args, config, measures, names) -> None:
    """The chosen measures in one shared context per model (intermediates computed once), batched."""
    makers = {}
    if "digits" in args.models:
        index = largest_model(config) if args.model_index is None else args.model_index
        makers["digits"] = digits_context(config, args.results, index)[0]
    if "cifar" in args.models:
        makers["cifar"] = cifar_context(config, args.cifar_samples, args.cifar_depth, args.cifar_width)[0]
    for label, make in makers.items():
        ctx = make(measures)
        start, start_cpu = time.perf_counter(), time.process_time()
        results = compute_measures(ctx, names)
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        top = sorted(results.items(), key=lambda kv: -kv[1].seconds)[:8]
        print(f"{label}: {len(names)} measures in one context: {cpu:.1f} CPU-s ({wall:.1f} s wall); slowest: "
              + ", ".join(f"{n} {r.seconds:.1f}" for n, r in top))
        if args.save is not None:  # the values, to compare two versions of the code
            rows = [{"model": label, "measure": n, "value": r.value, "seconds": r.seconds} for n, r in results.items()]
            pd.DataFrame(rows).to_csv(args.save.with_name(f"{args.save.stem}-{label}.csv"), index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    parser.add_argument("--results", type=Path, default=ROOT / "results")
    parser.add_argument("--model-index", type=int, default=None, help="digits model (expand order; default: the largest)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--models", nargs="+", default=["digits", "cifar"], choices=["digits", "cifar"])
    parser.add_argument("--cifar-samples", type=int, default=1500)
    parser.add_argument("--cifar-depth", type=int, default=3)
    parser.add_argument("--cifar-width", type=float, default=2.0)
    parser.add_argument("--measures", nargs="*", default=None, help="measures to time (default: all registered)")
    parser.add_argument("--draws", type=int, default=None, help="pac_bayes_samples and perturbation_samples")
    parser.add_argument("--draws-per-pass", type=int, default=None, help="measures.noise_draws_per_pass when batched")
    parser.add_argument("--no-unbatched", action="store_true", help="time the batched computation only")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeats", type=int, default=1, help="runs per measure and mode; the least time counts")
    parser.add_argument("--save", type=Path, default=None, help="with --catalogue: write each model's values to SAVE-<model>.csv")
    parser.add_argument("--catalogue", action="store_true",
                        help="only the chosen measures' total, batched, in one shared context per model (as the stage runs)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="measure settings to override")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = args.measures or MEASURES.names()

    config = load(args.config)
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    if args.draws is not None:
        overrides.update(pac_bayes_samples=args.draws, perturbation_samples=args.draws)
    if args.draws_per_pass is not None:
        overrides["noise_draws_per_pass"] = args.draws_per_pass
    measures = dataclasses.replace(config.measures, **overrides)
    unbatched = not args.no_unbatched
    print(f"{torch.get_num_threads()} threads; noise_draws_per_pass {measures.noise_draws_per_pass} "
          f"(compared per measure: {STACKED_DRAWS} when auto, vs 1); "
          f"{measures.pac_bayes_samples} PAC-Bayes draws × {measures.pac_bayes_steps} steps, "
          f"{measures.perturbation_samples} perturbation draws; overrides {overrides or 'none'}")

    if args.catalogue:
        catalogue(args, config, measures, names)
        return
    tables, totals = [], []
    if "digits" in args.models:
        index = largest_model(config) if args.model_index is None else args.model_index
        make_digits, spec = digits_context(config, args.results, index)
        print(f"digits: {spec.model_id} (default study; depth {hparam(spec, 'depth')}, width {hparam(spec, 'width')}, "
              f"train_fraction {hparam(spec, 'train_fraction')})")
        tables.append(compare("digits", make_digits, measures, names, unbatched, args.profile, args.repeats))
        default = list(config.measures.names)
        start, start_cpu = time.perf_counter(), time.process_time()
        compute_measures(make_digits(dataclasses.replace(config.measures, noise_draws_per_pass=measures.noise_draws_per_pass)), default)
        stage, stage_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        totals.append(f"default study's measure list ({len(default)} measures, its settings) on the digits model: "
                      f"{stage_cpu:.1f} CPU-s ({stage:.1f} s wall), batched")
    if "cifar" in args.models:
        make_cifar, n_params = cifar_context(config, args.cifar_samples, args.cifar_depth, args.cifar_width)
        print(f"cifar: NiN depth {args.cifar_depth}, width {args.cifar_width}, {n_params} parameters, "
              f"{args.cifar_samples} random 32×32×3 images")
        tables.append(compare("cifar", make_cifar, measures, names, unbatched, args.profile, args.repeats))

    table = pd.concat(tables, axis=1)
    table.index.name = "measure"
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_rows", 200)
    print(table.to_string(float_format=lambda v: f"{v:.4g}"))
    for label in args.models:
        line = f"total {label}: batched cpu {table[f'{label} batched cpu s'].sum():.1f} s"
        if unbatched:
            noisy = [n for n in table.index if n.startswith(NOISE)]
            b, u = (table.loc[noisy, f"{label} {mode} cpu s"].sum() for mode in ("batched", "unbatched"))
            line += (f", unbatched cpu {table[f'{label} unbatched cpu s'].sum():.1f} s; noise measures only: "
                     f"batched {b:.1f} s, unbatched {u:.1f} s (ratio {u / max(b, 1e-9):.2f})")
        print(line)
    for line in totals:
        print(line)


if __name__ == "__main__":
    main()
