"""Figures: PNGs written atomically from the tables."""

import itertools

import numpy as np
import pandas as pd

from prunability.stats.figures import correlation_heatmap, pruning_curves

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png_alone(path):
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([path.name, path.with_suffix(".svg").name])  # PNG + SVG, no temporary file


def test_correlation_heatmap(tmp_path):
    kendall = pd.DataFrame({
        "measure": ["prunability", "prunability", "margin", "margin"],
        "target": ["generalization_gap", "test_loss"] * 2,
        "tau": [0.5, -0.3, np.nan, 1.0],
        "n_models": [10, 10, 0, 10],
    })
    out = correlation_heatmap(kendall, tmp_path / "figs" / "kendall.png")
    assert_png_alone(out)


def test_pruning_curves(tmp_path):
    rows = []
    for model, method, sparsity, split in itertools.product(["m1", "m2"], ["magnitude", "random"], [0.0, 0.5, 0.9], ["train", "test"]):
        rows.append(dict(model_id=model, method=method, sparsity=sparsity, split=split,
                         accuracy=1 - sparsity * (0.5 if method == "random" else 0.1), loss=sparsity + (model == "m2")))
    out = pruning_curves(pd.DataFrame(rows), tmp_path / "curves.png")
    assert_png_alone(out)


def test_pruning_curves_with_a_missing_split(tmp_path):
    frame = pd.DataFrame({"model_id": ["m"], "method": ["magnitude"], "sparsity": [0.5], "split": ["test"], "accuracy": [0.8], "loss": [0.3]})
    assert_png_alone(pruning_curves(frame, tmp_path / "c.png"))
