"""Seed-to-seed agreement of the Monte-Carlo and search-based measures.

The PAC-Bayes σ' and sharpness α' searches, and random-perturbation
robustness, draw random weight perturbations from the measure seed. A measure
ranks models by their flatness only if two seeds rank them alike: this script
trains a handful of NiNs on digits with the package's own stages (the default
study's settings with the grid pinned below, one training seed: training-set
share × depth × width = 12 models; trained once and reused from ``--workdir``), computes every such measure with
each measure seed, and prints Kendall τ between the seeds' values over the
models, the median relative seed-to-seed difference, the relative spread
across models (what τ has to resolve), the seconds per model and whether a
rerun with the same seed is bit-identical.

    .venv/bin/python bench/measure_seed_agreement.py [--seeds 0 1] [--threads 1] [--names ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from prunability.config import parse  # noqa: E402
from prunability.layout import Layout  # noqa: E402
from prunability.measures import compute_measures  # noqa: E402
from prunability.stages import measure as measure_stage  # noqa: E402
from prunability.stats.kendall import kendall_tau  # noqa: E402
from prunability.zoo import expand  # noqa: E402

SEARCHED = [
    "pac_bayes_flatness", "pac_bayes_init", "pac_bayes_orig",
    "pac_bayes_mag_flatness", "pac_bayes_mag_init", "pac_bayes_mag_orig",
    "sharpness_flatness", "sharpness_init", "sharpness_orig",
    "sharpness_mag_flatness", "sharpness_mag_init", "sharpness_mag_orig",
    "random_perturbation_robustness",
]


# The zoo, pinned so that the figures do not move when the default study does.
GRID = {"architecture": ["nin"], "train_fraction": [0.1, 0.3, 1.0], "depth": [2, 3], "width": [1.0, 2.0],
        "lr": [0.05], "batch_size": [64], "weight_decay": [0.0], "dropout": [0.0], "batchnorm": [True],
        "optimizer": ["sgd_momentum"]}


def study(config_path: Path, training_seeds: list[int], measure_overrides: dict):
    raw = yaml.safe_load(config_path.read_text())
    raw["zoo"] = {"seeds": training_seeds, "grid": GRID}
    raw.setdefault("measures", {}).update(measure_overrides)
    return parse(raw)


def trained_zoo(config, workdir: Path) -> tuple[Layout, list[str]]:
    """Train every model of ``config``'s zoo under ``workdir`` unless already there."""
    from prunability.stages import prepare, train

    layout = Layout(config.study, workdir)
    specs = expand(config)
    if not layout.prepared.exists():
        prepare.run(config, layout)
    for spec in specs:
        if not layout.final_weights(spec.model_id).exists():
            start = time.perf_counter()
            train.run(config, layout, spec.model_id)
            print(f"  (trained in {time.perf_counter() - start:.1f} s)")
    return layout, [s.model_id for s in specs]


def measure_all(config, layout: Layout, model_ids: list[str], names: list[str], seed: int):
    """(values, seconds): model × measure tables for measure seed ``seed``."""
    values, seconds = {}, {}
    for model_id in model_ids:
        ctx = dataclasses.replace(measure_stage.build_context(config, layout, model_id), seed=seed, cache={})
        results = compute_measures(ctx, names)
        values[model_id] = {n: r.value for n, r in results.items()}
        seconds[model_id] = sum(r.seconds for r in results.values())
    return pd.DataFrame(values).T[names], pd.Series(seconds)


def agreement(per_seed: dict[int, pd.DataFrame]) -> pd.DataFrame:
    rows = {}
    for name in next(iter(per_seed.values())).columns:
        taus, diffs = [], []
        for a, b in itertools.combinations(per_seed, 2):
            va, vb = per_seed[a][name].to_numpy(float), per_seed[b][name].to_numpy(float)
            taus.append(kendall_tau(va, vb))
            diffs.append(np.nanmedian(np.abs(va - vb) / np.abs((va + vb) / 2)))
        first = next(iter(per_seed.values()))[name].to_numpy(float)
        spread = (np.nanmax(first) - np.nanmin(first)) / np.abs(np.nanmedian(first))
        rows[name] = {"tau": min(taus), "median rel. seed diff": float(np.median(diffs)),
                      "rel. spread over models": spread, "missing": int(np.isnan(first).sum())}
    return pd.DataFrame(rows).T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/prunability-seed-agreement"))
    parser.add_argument("--training-seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1], help="measure seeds to compare")
    parser.add_argument("--names", nargs="+", default=SEARCHED)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="measure settings to override, e.g. pac_bayes_samples=10")
    parser.add_argument("--no-rerun-check", action="store_true", help="skip the same-seed rerun of the first seed")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    config = study(args.config, args.training_seeds, overrides)
    layout, model_ids = trained_zoo(config, args.workdir)

    per_seed, cost = {}, {}
    for seed in args.seeds:
        start = time.perf_counter()
        per_seed[seed], cost[seed] = measure_all(config, layout, model_ids, args.names, seed)
        print(f"measure seed {seed}: {time.perf_counter() - start:.1f} s for {len(model_ids)} models")
    table = agreement(per_seed)
    pd.set_option("display.width", 200)
    m = config.measures
    print(f"{len(model_ids)} NiNs on digits, {torch.get_num_threads()} thread(s); pac_bayes_samples {m.pac_bayes_samples}, "
          f"pac_bayes_steps {m.pac_bayes_steps}, sharpness_steps {m.sharpness_steps}, "
          f"sharpness_ascent_steps {m.sharpness_ascent_steps}, perturbation_samples {m.perturbation_samples}")
    print(table.to_string(float_format=lambda v: f"{v:.3g}"))
    print(f"seconds per model (all {len(args.names)} measures, one context): "
          f"mean {np.mean([c.mean() for c in cost.values()]):.2f}")
    if not args.no_rerun_check:
        seed = args.seeds[0]
        again, _ = measure_all(config, layout, model_ids, args.names, seed)
        same = (again.to_numpy() == per_seed[seed].to_numpy()) | (again.isna().to_numpy() & per_seed[seed].isna().to_numpy())
        print(f"same-seed rerun bit-identical: {bool(same.all())} ({int((~same).sum())} of {same.size} values differ)")
    print("values (first seed):")
    print(per_seed[args.seeds[0]].to_string(float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
