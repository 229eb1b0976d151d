import numpy as np
import pandas as pd
import pytest
from scipy import stats

from prunability.stats.kendall import kendall_tau
from prunability.stats.measure_agreement import measure_mi_matrix, normalized_mutual_information
from prunability.stats.sign_error import environment_loss, noise_weight, sign_error_summary
from prunability.stats.significance import bootstrap_interval, corrected, fieller_interval, independence_p_value, tau_interval


def test_bootstrap_interval_brackets_tau_and_is_seeded():
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    y = x + rng.normal(size=40)
    low, high = bootstrap_interval(x, y, resamples=300, seed=3)
    assert low < kendall_tau(x, y) < high
    assert (low, high) == bootstrap_interval(x, y, resamples=300, seed=3)
    assert np.isnan(bootstrap_interval([1, 2], [1, 2], resamples=300, seed=3)[0])


def test_p_values_and_corrections():
    x = np.arange(10.0)
    assert independence_p_value(x, x) == pytest.approx(stats.kendalltau(x, x).pvalue)
    assert np.isnan(independence_p_value(x, np.ones(10)))
    p = np.array([0.01, 0.04, np.nan, 0.03])
    holm = corrected(p, "holm")
    # Holm: sorted 0.01, 0.03, 0.04 times 3, 2, 1, made monotone
    assert holm[0] == pytest.approx(0.03) and holm[3] == pytest.approx(0.06) and holm[1] == pytest.approx(0.06)
    assert np.isnan(holm[2])
    bh = corrected(p, "fdr_bh")
    assert bh[0] == pytest.approx(0.03) and bh[1] == pytest.approx(0.04)


def test_measure_mi_is_one_for_agreeing_measures_and_small_for_unrelated():
    rng = np.random.default_rng(0)
    a = rng.normal(size=60)
    wide = pd.DataFrame({"a": a, "twice_a": 2 * a + 1, "noise": rng.normal(size=60)})
    mi = measure_mi_matrix(wide).set_index(["measure_a", "measure_b"])["mi"]
    assert mi[("a", "twice_a")] == pytest.approx(1.0)
    assert mi[("a", "a")] == pytest.approx(1.0)
    assert mi[("a", "noise")] < 0.05
    assert np.isnan(normalized_mutual_information([1.0, np.nan], [2.0, 3.0]))


def test_noise_weight_matches_the_formula():
    n, dg = 1000, 0.05
    expected = max(0.0, max(0.0, 1 - 2 * np.exp(-2 * n * (dg / 2) ** 2)) ** 2 - 0.5)
    assert noise_weight(np.array([dg]), n)[0] == pytest.approx(expected)
    assert noise_weight(np.array([0.0]), n)[0] == 0.0


def test_environment_loss_counts_wrong_signs():
    # configuration b has the larger gap; the measure agrees on 3 of 4 seed pairs
    gap_a, gap_b = [0.1, 0.1], [0.3, 0.3]
    mu_a, mu_b = [1.0, 5.0], [2.0, 3.0]
    # pairs (a_i - b_j): mu 1-2<0 ok, 1-3<0 ok, 5-2>0 wrong, 5-3>0 wrong  -> 2 of 4 wrong
    assert environment_loss(mu_a, gap_a, mu_b, gap_b, n_test=10_000, min_ess=1) == pytest.approx(0.5)
    assert environment_loss([1.0], [0.1], [2.0], [0.3], n_test=10_000, min_ess=1) == 0.0
    assert environment_loss([1.0], [0.1], [2.0], [0.3], n_test=10_000, min_ess=12) is None  # one pair: ESS 1


def test_sign_error_summary_per_axis():
    rows = []
    for depth in (1, 2):
        for lr in (0.1, 0.2):
            for seed in (0, 1):
                gap = 0.1 * depth + 0.01 * seed
                mu = depth if lr == 0.1 else -depth  # right along depth when lr = 0.1 only
                rows.append({"depth": depth, "lr": lr, "seed": seed, "gap": gap, "mu": mu})
    table = pd.DataFrame(rows)
    out = {r[0]: r[1:] for r in sign_error_summary(table, "mu", "gap", ["depth", "lr"], n_test=10_000, min_ess=1)}
    assert out["depth"][0] == 2  # one environment per lr value
    assert out["depth"][1] == pytest.approx(0.5)  # right at lr 0.1, wrong at lr 0.2
    assert out["depth"][3] == pytest.approx(1.0)  # the robust (worst-case) sign-error
    assert out["all"][0] == out["depth"][0] + out["lr"][0]


def test_fieller_interval_for_large_zoos():
    rng = np.random.default_rng(2)
    x = rng.normal(size=400)
    y = x + 2 * rng.normal(size=400)
    tau = kendall_tau(x, y)
    low, high = tau_interval(x, y, resamples=200, seed=0)  # 400 models: Fieller's closed form
    half = stats.norm.ppf(0.975) * np.sqrt(0.437 / 396)
    assert (low, high) == pytest.approx((np.tanh(np.arctanh(tau) - half), np.tanh(np.arctanh(tau) + half)))
    boot = bootstrap_interval(x, y, resamples=200, seed=0)
    assert abs(boot[0] - low) < 0.03 and abs(boot[1] - high) < 0.03  # the two agree at this size
    assert np.isnan(fieller_interval(0.5, 4)[0])


def test_measure_mi_equals_the_cmi_module_at_k0():
    from prunability.stats.cmi import cmi_scores

    rng = np.random.default_rng(5)
    a = np.round(rng.normal(size=25), 1)  # ties on purpose
    b = a + np.round(rng.normal(size=25), 1)
    b[3] = np.nan
    keep = np.isfinite(b)
    expected = cmi_scores(pd.Series(a[keep]), pd.Series(b[keep]), pd.DataFrame(index=range(keep.sum())), [], [0])
    assert normalized_mutual_information(a, b) == pytest.approx(expected[0].value, abs=1e-12)
