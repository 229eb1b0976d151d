"""Conditional mutual information with the PGDL scorer's conventions.

``slow_cmi`` restates the conventions of ``prunability.stats.cmi`` as a plain
loop over ordered pairs (self-pairs included, strict ">" with ties negative),
cells keyed by the pair's S-values, per-cell log2 MI and gap entropy averaged
uniformly over non-empty cells, their ratio, minimum over subsets.
"""

import itertools
import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from prunability.stats.cmi import cmi_scores, conditional_mutual_information


def _entropy(counts):
    total = sum(counts)
    return -sum(c / total * math.log2(c / total) for c in counts if c)


def _mi(table):  # table[(vg, vm)] -> count
    total = sum(table.values())
    pg = {v: sum(c for (g, _), c in table.items() if g == v) / total for v in (0, 1)}
    pm = {v: sum(c for (_, m), c in table.items() if m == v) / total for v in (0, 1)}
    return sum(c / total * math.log2((c / total) / (pg[g] * pm[m])) for (g, m), c in table.items() if c)


def slow_normalized(gap, mu, hp, subset):
    cells = defaultdict(lambda: defaultdict(int))
    n = len(gap)
    for i in range(n):
        for j in range(n):
            key = tuple((hp[a][i], hp[a][j]) for a in subset)
            cells[key][(int(gap[i] > gap[j]), int(mu[i] > mu[j]))] += 1
    mis = [_mi(t) for t in cells.values()]
    hs = [_entropy([sum(c for (g, _), c in t.items() if g == v) for v in (0, 1)]) for t in cells.values()]
    mean_h = sum(hs) / len(hs)
    return sum(mis) / len(mis) / mean_h if mean_h > 0 else 0.0


def slow_cmi(gap, mu, hp, axes, k):
    values = {s: slow_normalized(gap, mu, hp, s) for s in itertools.combinations(axes, k)}
    best = min(values.values())
    return best, next(s for s, v in values.items() if v <= best + 1e-12)  # float ties: first subset


def grid(values=(3, 2, 2), seeds=(0,)):
    names = ["a", "b", "c"][: len(values)]
    rows = [dict(zip(names, combo), seed=s) for combo in itertools.product(*(range(v) for v in values)) for s in seeds]
    return pd.DataFrame(rows)


def test_hand_computed_three_models():
    # 9 ordered pairs; V_g=1 on (2,1),(3,1),(3,2); V_μ=1 on (2,1),(2,3),(3,1)
    # table (V_g,V_μ): (1,1)=2 (1,0)=1 (0,1)=1 (0,0)=5; H(V_g)=H(1/3)
    expected = (5 / 9 * math.log2(5 / 4)) / (math.log2(3) - 2 / 3)
    res = conditional_mutual_information([0.1, 0.2, 0.3], [1.0, 3.0, 2.0], pd.DataFrame({"a": [0, 0, 1]}), ["a"], 0)
    assert res.value == pytest.approx(expected, abs=1e-12)
    assert res.subset == ()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("fine_path", [True, False])
def test_matches_slow_reference_on_random_incomplete_grids(seed, fine_path):
    rng = np.random.default_rng(seed)
    hp = grid(seeds=(0, 1)).sample(frac=0.8, random_state=seed).reset_index(drop=True)
    n = len(hp)
    gap = np.round(hp["a"] * 0.3 + rng.normal(size=n), 1)  # rounding makes ties
    mu = np.round(gap + rng.normal(size=n), 1)
    axes = ["a", "b", "c"]
    kwargs = {} if fine_path else {"max_fine_cell_pairs": 0, "chunk_rows": 5}
    scores = cmi_scores(gap, mu, hp, axes, [0, 1, 2, 3], **kwargs)
    cols = {a: hp[a].tolist() for a in axes}
    for score in scores:
        value, subset = slow_cmi(gap.tolist(), mu.tolist(), cols, axes, score.subset_size)
        assert score.value == pytest.approx(value, abs=1e-12)
        assert score.subset == subset


def test_measure_equal_to_gap_scores_one_at_every_size():
    hp = grid()
    rng = np.random.default_rng(0)
    gap = rng.normal(size=len(hp))
    for score in cmi_scores(gap, gap, hp, ["a", "b", "c"], [0, 1, 2]):
        assert score.value == pytest.approx(1.0, abs=1e-12)
    assert cmi_scores(gap, np.exp(3 * gap), hp, ["a", "b"], [2])[0].value == pytest.approx(1.0, abs=1e-12)


def test_negated_gap_scores_below_one_because_self_pairs_are_negative():
    gap = np.arange(10.0)
    res = conditional_mutual_information(gap, -gap, pd.DataFrame(index=range(10)), [], 0)
    assert res.value == pytest.approx(slow_normalized(gap, -gap, {}, ()), abs=1e-12)
    assert 0.6 < res.value < 0.65


def test_independent_measure_scores_near_zero():
    rng = np.random.default_rng(3)
    hp = grid(seeds=range(12))  # 144 models
    gap, mu = rng.normal(size=len(hp)), rng.normal(size=len(hp))
    scores = cmi_scores(gap, mu, hp, ["a", "b", "c"], [0, 1])
    assert all(0 <= s.value < 0.02 for s in scores)


def test_hyperparameter_that_determines_the_gap_explains_the_measure_away():
    hp = grid(seeds=(0, 1))
    gap = hp["a"] * 1.0  # a fully determines the gap ...
    mu = hp["a"] * 2.0 + 5.0  # ... and the measure only reads a
    k0, k1 = cmi_scores(gap, mu, hp, ["a", "b", "c"], [0, 1])
    assert k0.value == pytest.approx(1.0)
    assert k1.value == 0.0 and k1.subset == ("a",)


def test_hyperparameter_explains_the_measure_even_when_the_gap_varies_within_cells():
    hp = grid(seeds=(0, 1))
    gap = hp["a"] * 1.0 + 0.1 * hp["b"] + 0.01 * hp["seed"]  # within a cell of a, the gap still varies
    mu = hp["a"] * 1.0
    res = {s: cmi_scores(gap, mu, hp, [s], [1])[0].value for s in ["a", "b", "c"]}
    assert res["a"] == 0.0
    assert res["b"] > 0.3 and res["c"] > 0.3
    best = conditional_mutual_information(gap, mu, hp, ["b", "c", "a"], 1)
    assert best.value == 0.0 and best.subset == ("a",)


def test_nan_models_dropped_and_tiny_inputs_are_nan():
    hp = pd.DataFrame({"a": [0, 1, 0, 1]})
    full = conditional_mutual_information([1.0, 2.0, 3.0, np.nan], [1.0, np.nan, 3.0, 4.0], hp, ["a"], 1)
    reduced = conditional_mutual_information([1.0, 3.0], [1.0, 3.0], hp.iloc[[0, 2]], ["a"], 1)
    assert full.value == reduced.value == 1.0
    single = cmi_scores([1.0], [2.0], pd.DataFrame({"a": [0]}), ["a"], [0, 1])
    assert all(np.isnan(s.value) and s.subset == () for s in single)


def test_subset_size_larger_than_axes_raises():
    with pytest.raises(ValueError):
        cmi_scores([1.0, 2.0], [1.0, 2.0], pd.DataFrame({"a": [0, 1]}), ["a"], [2])


def test_string_and_bool_axes_and_any_index():
    rng = np.random.default_rng(5)
    hp = pd.DataFrame({"opt": ["sgd", "adam", "sgd", "adam"] * 6, "bn": [True, False] * 12})
    gap, mu = np.round(rng.normal(size=24), 1), np.round(rng.normal(size=24), 1)
    shuffled = hp.set_index(pd.Index(rng.permutation(100)[:24]))
    scores = cmi_scores(gap, mu, shuffled, ["opt", "bn"], [0, 1, 2])
    cols = {a: hp[a].tolist() for a in ["opt", "bn"]}
    for score in scores:
        value, subset = slow_cmi(gap.tolist(), mu.tolist(), cols, ["opt", "bn"], score.subset_size)
        assert score.value == pytest.approx(value, abs=1e-12) and score.subset == subset
