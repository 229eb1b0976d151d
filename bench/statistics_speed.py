"""Time the statistics stage on a synthetic zoo of ~2,000 models × 50 measures.

The zoo is a full grid over six hyperparameters (3·3·3·2·3·2 = 324
configurations) × 6 seeds = 1,944 models; each measure is a noisy function of
the gap. Prints the wall time of ``statistics_tables`` and of its parts.

    .venv/bin/python bench/statistics_speed.py [--models-per-config 6] [--measures 50]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from prunability.stats import study
from prunability.stats.cmi import cmi_scores
from prunability.stats.kendall import kendall_tau

AXES = {"depth": [2, 3, 4], "width": [1.0, 1.5, 2.0], "lr": [0.01, 0.03, 0.1], "batch_size": [64, 128],
        "weight_decay": [0.0, 1e-4, 5e-4], "dropout": [0.0, 0.25]}


def synthetic_zoo(seeds: int, measures: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [dict(zip(AXES, values), seed=s) for values in itertools.product(*AXES.values()) for s in range(seeds)]
    zoo = pd.DataFrame(rows)
    zoo.insert(0, "model_id", [f"m{i}" for i in range(len(zoo))])
    zoo["status"] = "converged"
    zoo["generalization_gap"] = 0.05 * zoo["depth"] - 0.2 * zoo["dropout"] + rng.normal(0, 0.05, len(zoo))
    zoo["test_loss"] = zoo["generalization_gap"] + rng.normal(0, 0.05, len(zoo))
    long = [pd.DataFrame({"model_id": zoo["model_id"], "measure": f"m{k:02d}",
                          "value": zoo["generalization_gap"] * rng.normal() + rng.normal(0, 0.1, len(zoo))})
            for k in range(measures)]
    return zoo, pd.concat(long, ignore_index=True)


def timed(label: str, fn) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:<52}{seconds:>8.2f} s")
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models-per-config", type=int, default=6)
    p.add_argument("--measures", type=int, default=50)
    args = p.parse_args()
    zoo, measures = synthetic_zoo(args.models_per_config, args.measures, np.random.default_rng(0))
    gap, x = zoo["generalization_gap"], measures[measures["measure"] == "m00"]["value"].to_numpy()
    print(f"{len(zoo)} models × {args.measures} measures × 2 targets, {len(AXES)} varied hyperparameters")
    timed("one Kendall τ", lambda: kendall_tau(x, gap))
    timed("one measure's CMI, |S| = 0, 1, 2", lambda: cmi_scores(gap, pd.Series(x), zoo, list(AXES), [0, 1, 2]))
    total = timed("statistics_tables (everything)", lambda: study.statistics_tables(
        zoo, measures, ["generalization_gap", "test_loss"], list(AXES), False, 2, n_test=10_000, min_ess=12))
    print(f"target: under 60 s -> {'met' if total < 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
