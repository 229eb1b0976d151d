"""Figures drawn from the study's tables (never from private state).

Uses matplotlib's object API with the Agg canvas, so nothing touches pyplot's
global state or needs a display. PNGs are written atomically: to a temporary
file beside the target, then renamed into place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from prunability.io import atomic_path
from prunability.stats.robustness import job_label

DIVERGING_CMAP = "RdBu_r"


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save_png(fig: Figure, path: str | Path) -> Path:
    """The figure as PNG at ``path`` and as SVG beside it (same name, .svg)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=150)
    with atomic_path(path.with_suffix(".svg")) as tmp:
        fig.savefig(tmp, format="svg")
    return path


def _annotated_grid(fig, ax, df: pd.DataFrame, value: str, cmap: str, limits: tuple[float, float], label: str):
    """``value`` per measure (rows) × target (columns) as an annotated colour grid."""
    grid = df.pivot_table(index="measure", columns="target", values=value, aggfunc="first", dropna=False, sort=False)
    grid = grid.reindex(index=pd.unique(df["measure"]), columns=pd.unique(df["target"]))
    values = grid.to_numpy(dtype=np.float64)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=limits[0], vmax=limits[1], aspect="auto")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in grid.columns], rotation=30, ha="right")
    ax.set_yticks(range(values.shape[0]), [str(i) for i in grid.index])
    for (row, col), v in np.ndenumerate(values):
        text = "n/a" if not np.isfinite(v) else f"{v:+.2f}"
        dark = abs(v) > 0.6 if cmap == DIVERGING_CMAP else v < 0.6  # viridis is dark at its low end
        ax.text(col, row, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    fig.colorbar(image, ax=ax, label=label)
    return values.shape


def correlation_heatmap(kendall_df: pd.DataFrame, path: str | Path, cmi_df: pd.DataFrame | None = None) -> Path:
    """Kendall τ per measure (rows) × target (columns), annotated, colours centred at τ = 0;
    with ``cmi_df`` (rows of ``schemas.CMI``), a second panel shows the CMI at the
    largest conditioning-set size. NaN cells are blank and labelled "n/a"."""
    rows, cols = kendall_df["measure"].nunique(), kendall_df["target"].nunique()
    panels = 1 if cmi_df is None or cmi_df.empty else 2
    fig = _new_figure(panels * (2.0 + 1.6 * max(1, cols)), 1.2 + 0.35 * max(1, rows))
    axes = np.atleast_1d(fig.subplots(1, panels))
    _annotated_grid(fig, axes[0], kendall_df, "tau", DIVERGING_CMAP, (-1.0, 1.0), "Kendall τ")
    axes[0].set_title("Rank correlation of measures with targets")
    if panels == 2:
        k = cmi_df["subset_size"].max()
        _annotated_grid(fig, axes[1], cmi_df[cmi_df["subset_size"] == k], "cmi", "viridis", (0.0, 1.0), f"CMI K_{k}")
        axes[1].set_title(f"Conditional mutual information, |S| = {k}")
    return _save_png(fig, path)


def _method_band(ax, rows: pd.DataFrame, value: str, ylabel: str, title: str) -> None:
    """One line per method and schedule: mean over models vs sparsity, with the min–max band shaded."""
    if rows.empty:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    for method, group in rows.assign(job=job_label(rows)).groupby("job", sort=True):
        stats = group.groupby("sparsity", sort=True)[value].agg(["mean", "min", "max"])
        (line,) = ax.plot(stats.index, stats["mean"], marker="o", markersize=3, label=str(method))
        ax.fill_between(stats.index, stats["min"], stats["max"], color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xlabel("sparsity (fraction of weights removed)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if not rows.empty:
        ax.legend(fontsize=8)


def pruning_curves(pruning_df: pd.DataFrame, path: str | Path) -> Path:
    """Test accuracy and train loss vs sparsity, one line per pruning method and
    schedule (one-shot lines are labelled by the method alone).

    ``pruning_df`` has the columns model_id, method, sparsity, split
    ("train" | "test"), accuracy, loss. Lines are means over models, bands
    span their minimum and maximum.
    """
    fig = _new_figure(11.0, 4.2)
    acc_ax, loss_ax = fig.subplots(1, 2)
    _method_band(acc_ax, pruning_df[pruning_df["split"] == "test"], "accuracy", "test accuracy", "Test accuracy after pruning")
    _method_band(loss_ax, pruning_df[pruning_df["split"] == "train"], "loss", "train loss (log scale)", "Train loss after pruning")
    # Losses of dense and heavily pruned models differ by orders of magnitude.
    if (pruning_df["loss"] > 0).any():
        loss_ax.set_yscale("log")
    return _save_png(fig, path)


def measure_mi_heatmap(mi_df: pd.DataFrame, path: str | Path) -> Path:
    """Mutual information between measures' pairwise orderings (rows: a, columns: b), in [0, 1]."""
    order = list(pd.unique(mi_df["measure_a"]))
    matrix = mi_df.pivot(index="measure_a", columns="measure_b", values="mi").reindex(index=order, columns=order)
    fig = _new_figure(1.5 + 0.55 * len(order), 1.2 + 0.5 * len(order))
    ax = fig.subplots()
    image = ax.imshow(matrix.to_numpy(dtype=float), cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(order)), order, rotation=45, ha="right")
    ax.set_yticks(range(len(order)), order)
    fig.colorbar(image, ax=ax, label="I(V_a; V_b) / H(V_a)")
    ax.set_title("Information shared by measures' orderings")
    return _save_png(fig, path)


def measure_vs_target(zoo: pd.DataFrame, measures: pd.DataFrame, target: str, colour_by: str | None,
                      path: str | Path) -> Path:
    """One scatter panel per measure: its value (x) against ``target`` (y) over
    the zoo, coloured by one hyperparameter."""
    names = list(pd.unique(measures["measure"]))
    cols = min(4, max(1, len(names)))
    rows = max(1, -(-len(names) // cols))
    fig = _new_figure(3.0 * cols, 2.6 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, name in zip(axes, names):
        data = measures.loc[measures["measure"] == name, ["model_id", "value"]].merge(zoo, on="model_id")
        groups = data.groupby(colour_by, sort=True) if colour_by else [("all", data)]
        for value, group in groups:
            ax.scatter(group["value"], group[target], s=12, label=f"{colour_by} = {value}")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("measure value", fontsize=8)
        ax.set_ylabel(target, fontsize=8)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if colour_by and names:
        axes[0].legend(fontsize=7)
    return _save_png(fig, path)
