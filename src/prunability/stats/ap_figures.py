"""The AP / dead-neuron-rate figure, drawn from the stats tables (stats/ap_effect.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from prunability.pruning_jobs import base_schedule
from prunability.stats.figures import _new_figure, _save_png

COLOURS = [f"C{i}" for i in range(10)]


def ap_dnr(pairs: pd.DataFrame, dnr: pd.DataFrame, path: str | Path) -> Path:
    """Left: test accuracy with AP minus without (paired over models), with its 95 %
    bootstrap interval, against sparsity, one line per base job. Right: mean DNR on the
    train-eval subset against sparsity, one line per job (AP jobs dashed)."""
    fig = _new_figure(11.0, 4.0)
    left, right = fig.subplots(1, 2)
    test = pairs[pairs["split"] == "test"]
    twins = sorted({(m, base_schedule(s)) for m, s in zip(dnr["method"], dnr["schedule"])}
                   | set(zip(test["method"], test["twin_schedule"])))  # one colour per job and its AP twin
    if test.empty:
        left.text(0.5, 0.5, "no AP jobs in this study", ha="center", va="center", transform=left.transAxes)
    for (method, schedule), g in test.groupby(["method", "twin_schedule"], sort=True):
        g = g.sort_values("sparsity")
        (line,) = left.plot(g["sparsity"], 100 * g["accuracy_diff"], marker="o", markersize=3,
                            label=f"{method} ({schedule})", color=COLOURS[twins.index((method, schedule)) % 10])
        left.fill_between(g["sparsity"], 100 * g["ci_low"], 100 * g["ci_high"], color=line.get_color(), alpha=0.2,
                          linewidth=0)
    left.axhline(0.0, color="grey", linewidth=0.8)
    left.set(xlabel="sparsity", ylabel="test accuracy, AP − without AP (points)",
             title="Activate-while-Pruning, paired over models")
    if not test.empty:
        left.legend(fontsize=7)
    if dnr.empty:
        right.text(0.5, 0.5, "no pruned networks", ha="center", va="center", transform=right.transAxes)
    for (method, schedule), g in dnr.groupby(["method", "schedule"], sort=True):
        g = g.sort_values("sparsity")
        label = method if schedule == "one_shot" else f"{method} ({schedule})"
        colour = COLOURS[twins.index((method, base_schedule(schedule))) % len(COLOURS)]  # a job and its AP twin alike
        right.plot(g["sparsity"], g["mean_dnr"], marker="o", markersize=3, label=label, color=colour,
                   linestyle="--" if bool(g["ap"].iloc[0]) else "-")
    right.set(xlabel="sparsity", ylabel="dead-neuron rate (train subset, eval mode)",
              title="Dynamic dead-neuron rate against sparsity")
    if not dnr.empty:
        right.legend(fontsize=7)
    return _save_png(fig, path)
