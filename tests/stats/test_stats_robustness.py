"""Robustness summaries: clean accuracy, mean corruption accuracy, CE and relative CE
normalised to the dense model, checked on hand-computed tables; and the figures."""

import itertools

import pandas as pd
import pytest
import torch

from prunability.stats.robustness import corruption_errors, robustness_summary
from prunability.stats.robustness_figures import corruption_grid, robustness_curves

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def table(acc, models=("m1",), methods=("global_magnitude",), sparsities=(0.0, 0.5),
          corruptions=("fog", "speckle_noise"), severities=(1, 2)):
    """A robustness table whose accuracy is ``acc(model, method, sparsity, corruption, severity)``."""
    rows = []
    for m, meth, sp in itertools.product(models, methods, sparsities):
        rows.append(dict(model_id=m, depth=2, method=meth, sparsity=sp, corruption="none", severity=0,
                         loss=0.1, accuracy=acc(m, meth, sp, "none", 0)))
        for c, s in itertools.product(corruptions, severities):
            rows.append(dict(model_id=m, depth=2, method=meth, sparsity=sp, corruption=c, severity=s,
                             loss=0.2, accuracy=acc(m, meth, sp, c, s)))
    return pd.DataFrame(rows)


def test_errors_hand_computed():
    # dense: clean 0.9, fog severities 0.8, 0.6; pruned (0.5): clean 0.8, fog 0.6, 0.2
    acc = {(0.0, "none", 0): 0.9, (0.0, "fog", 1): 0.8, (0.0, "fog", 2): 0.6,
           (0.5, "none", 0): 0.8, (0.5, "fog", 1): 0.6, (0.5, "fog", 2): 0.2}
    t = table(lambda m, meth, sp, c, s: acc[(sp, c, s)], corruptions=("fog",))
    e = corruption_errors(t).set_index("sparsity")
    assert e.loc[0.5, "error"] == pytest.approx(0.6)  # mean of 0.4, 0.8
    assert e.loc[0.5, "ce"] == pytest.approx((0.4 + 0.8) / (0.2 + 0.4))
    assert e.loc[0.5, "relative_ce"] == pytest.approx(((0.4 - 0.2) + (0.8 - 0.2)) / ((0.2 - 0.1) + (0.4 - 0.1)))
    assert e.loc[0.0, "ce"] == pytest.approx(1.0) and e.loc[0.0, "relative_ce"] == pytest.approx(1.0)
    assert e.loc[0.0, "depth"] == 2 and e.loc[0.0, "n_severities"] == 2


def test_summary_means_over_the_15_and_over_all():
    # fog is one of the 15, speckle_noise one of the 4 extras
    t = table(lambda m, meth, sp, c, s: {"none": 0.9, "fog": 0.7, "speckle_noise": 0.5}[c] - sp / 10)
    s = robustness_summary(t).set_index("sparsity")
    assert s.loc[0.0, "clean_accuracy"] == pytest.approx(0.9)
    assert s.loc[0.0, "mean_corruption_accuracy_15"] == pytest.approx(0.7)
    assert s.loc[0.0, "mean_corruption_accuracy_all"] == pytest.approx(0.6)
    assert s.loc[0.0, "n_corruptions_15"] == 1 and s.loc[0.0, "n_corruptions_all"] == 2
    assert s.loc[0.0, "mce_15"] == pytest.approx(1.0) and s.loc[0.0, "relative_mce_all"] == pytest.approx(1.0)
    assert s.loc[0.5, "mce_15"] == pytest.approx(0.35 / 0.3)
    assert s.loc[0.5, "mce_all"] == pytest.approx((0.35 / 0.3 + 0.55 / 0.5) / 2)


def test_normalisation_is_per_model_and_shared_by_methods():
    t = table(lambda m, meth, sp, c, s: (0.9 if c == "none" else 0.5 if m == "m1" else 0.7) - sp / 5,
              models=("m1", "m2"), methods=("global_magnitude", "random"))
    e = corruption_errors(t)
    pruned = e[e["sparsity"] == 0.5].set_index(["model_id", "method", "corruption"])["ce"]
    assert pruned[("m1", "random", "fog")] == pytest.approx(0.6 / 0.5)
    assert pruned[("m2", "global_magnitude", "fog")] == pytest.approx(0.4 / 0.3)


def test_zero_dense_error_gives_nan_not_inf():
    t = table(lambda m, meth, sp, c, s: 1.0 if sp == 0 else 0.9, corruptions=("fog",))
    e = corruption_errors(t)
    assert e["ce"].isna().all() and e["relative_ce"].isna().all()


def test_models_without_corruptions_have_clean_accuracy_only():
    t = table(lambda *a: 0.9, corruptions=())
    s = robustness_summary(t)
    assert (s["clean_accuracy"] == 0.9).all() and s["mce_15"].isna().all() and (s["n_corruptions_all"] == 0).all()


def test_figures_are_pngs(tmp_path):
    t = table(lambda m, meth, sp, c, s: 0.9 - 0.1 * s - sp / 4, methods=("global_magnitude", "random"))
    out = robustness_curves(t, tmp_path / "curves.png")
    assert out.read_bytes()[:8] == PNG_MAGIC
    empty = robustness_curves(t.iloc[:0], tmp_path / "empty.png")
    assert empty.read_bytes()[:8] == PNG_MAGIC
    image = torch.randint(0, 256, (1, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    grid = corruption_grid(image, tmp_path / "grid.png", names=["fog", "pixelate"], severities=[1, 5], seed=0)
    assert grid.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.{e}" for n in ("curves", "empty", "grid") for e in ("png", "svg"))


def test_corruption_grid_of_a_study_without_corruptions_is_the_clean_image(tmp_path):
    image = torch.arange(64, dtype=torch.uint8).reshape(1, 8, 8)
    grid = corruption_grid(image, tmp_path / "grid.png", names=[], severities=[1, 5], seed=0)
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "grid.svg").is_file()
