"""Granulated Kendall Ψ on constructed grids where every ψ_i is known."""

import itertools

import numpy as np
import pandas as pd
import pytest

from prunability.stats.granulated import granulated_kendall


def grid(seeds=(0, 1)):
    rows = [dict(a=a, b=b, seed=s) for a, b, s in itertools.product([0, 1, 2], [10, 20, 30], seeds)]
    return pd.DataFrame(rows)


def by_axis(result):
    return result.set_index("axis")


def test_measure_tracks_gap_along_one_axis_only():
    models = grid()
    models["gap"] = models["a"] + 0.01 * models["b"]  # the gap grows along both axes
    models["mu"] = models["a"].astype(float)  # the measure sees axis a only
    res = by_axis(granulated_kendall(models, "mu", "gap", ["a", "b"]))
    assert res.loc["a", "psi"] == 1.0
    assert res.loc["b", "psi"] == 0.0  # μ is constant across b: all pairs tied
    assert res.loc["all", "psi"] == 0.5
    assert res.loc["a", "n_groups"] == 3 * 2  # b values × seeds
    assert res.loc["all", "n_groups"] == 12
    assert list(res.index) == ["a", "b", "all"]


def test_measure_anti_correlated_along_the_other_axis():
    models = grid()
    models["gap"] = models["a"] + 0.01 * models["b"]
    models["mu"] = models["a"] - 0.01 * models["b"]
    res = by_axis(granulated_kendall(models, "mu", "gap", ["a", "b"]))
    assert res.loc["a", "psi"] == 1.0
    assert res.loc["b", "psi"] == -1.0
    assert res.loc["all", "psi"] == 0.0


def test_groups_fix_the_seed():
    models = grid()
    models["gap"] = models["a"] - 100.0 * models["seed"]
    models["mu"] = models["a"] + 100.0 * models["seed"]  # pooled over seeds τ would be < 1
    res = by_axis(granulated_kendall(models, "mu", "gap", ["a", "b"]))
    assert res.loc["a", "psi"] == 1.0


def test_groups_without_two_axis_values_are_skipped():
    models = grid(seeds=(0,))
    models = models[~((models["b"] == 30) & (models["a"] > 0))]  # b=30 keeps only a=0
    models = models.assign(gap=models["a"] * 1.0, mu=models["a"] * 2.0)
    res = by_axis(granulated_kendall(models, "mu", "gap", ["a", "b"]))
    assert res.loc["a", "n_groups"] == 2
    assert res.loc["a", "psi"] == 1.0


def test_single_valued_axis_excluded_and_nan_rows_dropped():
    models = grid().assign(c=7)
    models["gap"] = models["a"] * 1.0
    models["mu"] = models["a"] * 1.0
    models.loc[0, "mu"] = np.nan
    res = by_axis(granulated_kendall(models, "mu", "gap", ["a", "b", "c"]))
    assert "c" not in res.index
    assert res.loc["a", "psi"] == 1.0


def test_nothing_to_compare_gives_nan_not_error():
    empty = pd.DataFrame({"a": [1], "seed": [0], "gap": [0.1], "mu": [0.2]})
    res = granulated_kendall(empty, "mu", "gap", ["a"])
    assert list(res["axis"]) == ["all"]
    assert np.isnan(res["psi"].iloc[0]) and res["n_groups"].iloc[0] == 0


def test_psi_averages_only_axes_with_groups():
    models = grid(seeds=(0,))
    models["gap"] = models["a"] * 1.0
    models["mu"] = models["a"] * 1.0
    res = by_axis(granulated_kendall(models, "mu", "gap", ["a", "b"]))
    # along b the gap is constant, so τ = 0 there (tau-a with ties), not NaN
    assert res.loc["b", "psi"] == 0.0
    assert res.loc["all", "psi"] == pytest.approx(0.5)
