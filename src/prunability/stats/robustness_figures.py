"""Figures of robustness to common corruptions (CIFAR-10-C, Hendrycks & Dietterich 2019).

* ``corruption_grid``: one example image under every corruption x severity;
* ``robustness_curves``: accuracy vs severity, one panel per pruning method,
  one line per sparsity, drawn from the robustness table.

matplotlib's object API with the Agg canvas (no pyplot state, no display);
PNGs are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch

from prunability.corruptions import CORRUPTIONS, SEVERITIES, corrupt_all_severities
from prunability.stats.figures import _new_figure, _save_png
from prunability.stats.robustness import job_label



def _show(ax, image: torch.Tensor) -> None:
    """Draw one uint8 C x H x W image without ticks (gray colormap for C = 1)."""
    pixels = image.permute(1, 2, 0).cpu().numpy()
    if pixels.shape[-1] == 1:
        ax.imshow(pixels[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    else:
        ax.imshow(pixels, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def corruption_grid(image: torch.Tensor, path: str | Path, names: Sequence[str] | None = None,
                    severities: Sequence[int] = SEVERITIES, *, seed: int, frost_dir: str | None = None) -> Path:
    """Rows: corruptions (default: all registered); columns: clean, then each severity.

    ``image`` is one uint8 image C x H x W (C = 1 or 3), e.g. the first test image;
    ``frost_dir`` the folder of the frost photographs (``corruptions.frost_dir``).
    """
    names = list(names) if names is not None else CORRUPTIONS.names()
    if not names:  # a study without corruptions (corruptions.names: []): the clean image, saying so
        fig = _new_figure(2.6, 1.8)
        ax = fig.subplots()
        _show(ax, image)
        ax.set_title("clean (no corruptions in this study)", fontsize=8)
        return _save_png(fig, path)
    fig = _new_figure(1.1 * (len(severities) + 1) + 1.2, 1.1 * len(names) + 0.4)
    axes = np.atleast_2d(fig.subplots(len(names), len(severities) + 1, squeeze=False))
    for row, name in zip(axes, names):
        outs = corrupt_all_severities(image.unsqueeze(0), name, severities, seed, frost_dir=frost_dir)
        _show(row[0], image)
        row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        for ax, s in zip(row[1:], severities):
            _show(ax, outs[s][0])
    axes[0][0].set_title("clean", fontsize=8)
    for ax, s in zip(axes[0][1:], severities):
        ax.set_title(f"severity {s}", fontsize=8)
    return _save_png(fig, path)


def robustness_curves(robustness: pd.DataFrame, path: str | Path) -> Path:
    """Accuracy vs severity (0 = clean), one panel per method, one line per sparsity.

    ``robustness`` has the columns of the robustness table (model_id, method,
    sparsity, corruption -- "none" for the clean set at severity 0 --,
    severity, accuracy). Each point is the mean over models and corruptions.
    """
    robustness = robustness.assign(job=job_label(robustness))
    methods = sorted(robustness["job"].unique()) or ["(none)"]
    fig = _new_figure(3.6 * len(methods), 3.2)
    axes = np.atleast_1d(fig.subplots(1, len(methods), sharey=True, squeeze=False)).ravel()
    sparsities = sorted(robustness["sparsity"].unique())
    colours = [f"C{i % 10}" for i in range(len(sparsities))]
    for ax, method in zip(axes, methods):
        rows = robustness[robustness["job"] == method]
        for colour, sparsity in zip(colours, sparsities):
            curve = rows[rows["sparsity"] == sparsity].groupby("severity")["accuracy"].mean()
            if not curve.empty:
                ax.plot(curve.index, curve.to_numpy(), marker="o", markersize=3, color=colour,
                        label=f"sparsity {sparsity:g}")
        ax.set_title(str(method), fontsize=9)
        ax.set_xlabel("severity (0 = clean)")
        ax.set_xticks(sorted(robustness["severity"].unique()))
    axes[0].set_ylabel("accuracy (mean over models, corruptions)")
    if len(robustness):
        axes[-1].legend(fontsize=7)
    else:
        axes[0].text(0.5, 0.5, "no data", ha="center", va="center", transform=axes[0].transAxes)
    return _save_png(fig, path)


def fragile_samples(fragility: pd.DataFrame, images: torch.Tensor, path: str | Path, per_row: int = 8) -> Path:
    """The test images pruning forgets first (top row) and last (bottom row).

    A sample's score is the mean over models (of the first method in the
    table) of the sparsity at which it is first misclassified, counting
    "never" as 1; samples the dense models get wrong are left out.
    """
    if "schedule" in fragility.columns:  # one-shot pruning of the trained networks
        fragility = fragility[fragility["schedule"] == "one_shot"]
    method = fragility["method"].iloc[0] if len(fragility) else None
    rows = fragility[(fragility["method"] == method) & fragility["dense_correct"]]
    score = rows.assign(s=rows["first_failure_sparsity"].fillna(1.0)).groupby("sample").agg(
        s=("s", "mean"), label=("label", "first")).sort_values("s", kind="stable")
    picks = {"most fragile": score.head(per_row), "most robust": score.tail(per_row)[::-1]}
    fig = _new_figure(1.2 * per_row, 3.0)
    axes = np.atleast_2d(fig.subplots(2, per_row, squeeze=False))
    for row, (title, chosen) in zip(axes, picks.items()):
        for ax in row:
            ax.set_axis_off()
        for ax, (sample, r) in zip(row, chosen.iterrows()):
            _show(ax, images[int(sample)])
            ax.set_title(f"#{sample} y={int(r['label'])}\nfails at {r['s']:.2f}", fontsize=7)
        row[0].text(-0.2, 0.5, title, transform=row[0].transAxes, rotation=90, ha="right", va="center", fontsize=8)
    fig.suptitle(f"Samples {method} pruning forgets first and last (mean first-failure sparsity)", fontsize=9)
    return _save_png(fig, path)
