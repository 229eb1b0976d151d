"""The table-inversion Poisson sampler behind shot_noise: exact inversion, right moments, fallbacks."""

import numpy as np
import pytest
import torch
from scipy import stats

from prunability.corruptions.poisson import MAX_RATE, poisson_tables, poisson, quantized_levels

from corruption_images import gen, rand_uint8


@pytest.mark.parametrize("rate", [500, 75, 50, 3.5])
def test_draws_equal_brute_force_inversion_of_the_cdf(rate):
    x = rand_uint8((6, 3, 16, 16)).double() / 255
    u = torch.rand(x.shape, generator=gen(3), dtype=torch.float64)  # the sampler's only draw
    cdf, _ = poisson_tables(float(rate), "cpu")
    expected = (cdf[quantized_levels(x)] < u[..., None]).sum(-1).double()  # X = #{k : F(k) < u}
    assert torch.equal(poisson(x, rate, gen(3)), expected)


@pytest.mark.parametrize("rate, level", [(500, 255), (500, 20), (50, 128), (50, 1), (50, 0)])
def test_histogram_matches_the_poisson_pmf(rate, level):
    x = torch.full((200_000,), level / 255, dtype=torch.float64)
    draws = poisson(x, rate, gen(1)).numpy().astype(int)
    lam = level / 255 * rate
    if lam == 0:
        assert (draws == 0).all()
        return
    expected = stats.poisson(lam).pmf(np.arange(draws.max() + 1)) * draws.size
    keep = expected > 5
    chi2 = (((np.bincount(draws)[keep] - expected[keep]) ** 2) / expected[keep]).sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_off_grid_values_and_huge_rates_fall_back_to_torch_poisson():
    x = torch.full((2, 3, 8, 8), 0.5004, dtype=torch.float64)  # not q / 255
    assert quantized_levels(x) is None
    assert torch.equal(poisson(x, 100, gen(0)), torch.poisson(x * 100, generator=gen(0)))
    y = rand_uint8((1, 3, 8, 8)).double() / 255
    assert torch.equal(poisson(y, 2 * MAX_RATE, gen(0)), torch.poisson(y * 2 * MAX_RATE, generator=gen(0)))
