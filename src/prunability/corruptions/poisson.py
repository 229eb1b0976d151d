"""Fast exact Poisson draws for ``shot_noise`` on 8-bit images, by table inversion.

make_cifar_c.py (Hendrycks & Dietterich 2019) draws shot noise as
``np.random.poisson(x * c) / c`` with x an 8-bit image divided by 255, so the
Poisson mean takes only 256 values per severity: ``(q / 255) * c`` for
q = 0..255. ``torch.poisson`` on the CPU samples one value at a time in a
serial loop (about 50 ns a value, the slowest step of the whole suite); here the
CDF of each of the 256 means is tabulated once per rate and every value is
drawn by inversion, X = #{k : F(k) < u} with one uniform u per value -- an
exact sampler up to the float64 rounding of the tabulated CDF.

The search uses a guide table (Chen & Asau 1974): for each mean and each of
``BUCKETS`` equal slices of [0, 1), the X of the slice's lower end. Where a
slice holds no CDF step (over 90% of draws) that is the answer; the rest
finish with a binary search between the slice's two ends. Images that are not
on the 8-bit grid, and rates above ``MAX_RATE``, fall back to ``torch.poisson``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

LEVELS = 256  # 8-bit pixel values
BUCKETS = 4096  # guide-table slices of [0, 1) per mean
MAX_RATE = 1000.0  # larger rates would need larger tables (CIFAR-10-C's largest is 500)
TAIL_SIGMAS = 12.0  # the CDF is tabulated to mean + 12 sd + 30: the rest has mass < 1e-30


@lru_cache(maxsize=16)
def poisson_tables(rate: float, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """CDF (LEVELS x K, float64) of Poisson((q / 255) * rate) for q = 0..255, and the guide
    table (LEVELS x (BUCKETS + 1), int32): #{k : F(k) < b / BUCKETS} for b = 0..BUCKETS."""
    lam = torch.arange(LEVELS, dtype=torch.float64) / 255 * rate  # as to_unit_float(q) * rate
    k = torch.arange(int(rate + TAIL_SIGMAS * math.sqrt(rate) + 30) + 1, dtype=torch.float64)
    log_pmf = torch.xlogy(k, lam[:, None]) - lam[:, None] - torch.lgamma(k + 1)  # xlogy: 0 log 0 = 0
    cdf = torch.exp(log_pmf).cumsum(1)
    cdf /= cdf[:, -1:].clone()  # the last entry is exactly 1 > any u, so every search ends
    edges = (torch.arange(BUCKETS + 1, dtype=torch.float64) / BUCKETS).expand(LEVELS, -1).contiguous()
    guide = torch.searchsorted(cdf, edges, out_int32=True)  # side 'left': the count of entries < edge
    return cdf.to(device), guide.to(device)


@lru_cache(maxsize=16)
def _packed_guide(rate: float, device: str) -> torch.Tensor:
    """The first look-up of every draw in one gather (LEVELS x BUCKETS, int16: 2 MiB, half
    the guide's bytes and one read instead of two): the guide's X where the slice holds no
    CDF step, else ``-1 - X`` (X < 2**11 for rates up to ``MAX_RATE``)."""
    guide = poisson_tables(rate, device)[1]
    closed = guide[:, 1:] == guide[:, :-1]
    return torch.where(closed, guide[:, :-1], -1 - guide[:, :-1]).to(torch.int16).contiguous()


def quantized_levels(x: torch.Tensor) -> torch.Tensor | None:
    """The integer levels q (int64) if every value of ``x`` is exactly q / 255, else None."""
    q = torch.round(x * 255)
    return q.long() if bool((q / 255 == x).all()) else None


def poisson_of_levels(levels: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """Poisson((levels / 255) * rate) draws (float64, the shape of ``levels``), one uniform each."""
    u = torch.rand(levels.shape, generator=generator, device=levels.device, dtype=torch.float64)
    return levels_from_uniforms(levels, rate, u)


def levels_from_uniforms(levels: torch.Tensor, rate: float, u: torch.Tensor) -> torch.Tensor:
    """``poisson_of_levels`` given its float64 uniforms ``u`` (the shape of ``levels``)."""
    cdf, guide = poisson_tables(float(rate), str(levels.device))
    packed = _packed_guide(float(rate), str(levels.device))
    flat_levels, flat_u = levels.reshape(-1), u.reshape(-1)
    bucket = (flat_u * BUCKETS).long()
    # torch.gather, not advanced indexing: several times faster on the CPU.
    first = packed.view(-1).gather(0, flat_levels * BUCKETS + bucket)
    k = first.to(torch.float64)
    open_ = (first < 0).nonzero().squeeze(1)  # slices holding a CDF step: X in [lo, hi]
    if open_.numel():
        rows, slot = flat_levels.gather(0, open_), bucket.gather(0, open_)
        lo = -1 - first.gather(0, open_).long()
        hi = guide.view(-1).gather(0, rows * (BUCKETS + 1) + slot + 1).long()
        found = _lower_bound(cdf, rows, flat_u.gather(0, open_), lo, hi)
        k.scatter_(0, open_, found.to(k.dtype))
    return k.view(levels.shape)


def _lower_bound(cdf: torch.Tensor, rows: torch.Tensor, u: torch.Tensor, lo: torch.Tensor,
                 hi: torch.Tensor) -> torch.Tensor:
    """The first k in [lo, hi] with cdf[row, k] >= u, by a vectorised binary search
    (the tails pile hundreds of tiny steps into the first and last slices)."""
    flat, base = cdf.view(-1), rows * cdf.shape[1]
    for _ in range(int((hi - lo).max()).bit_length()):
        mid = (lo + hi) // 2
        below = flat.gather(0, base + mid) < u
        lo = torch.where(below, mid + 1, lo)
        hi = torch.where(below, hi, mid)
    return lo


def poisson(x: torch.Tensor, rate: float, generator: torch.Generator) -> torch.Tensor:
    """Poisson(x * rate) for images x in [0, 1]: table inversion on the 8-bit grid, else ``torch.poisson``."""
    levels = quantized_levels(x) if 0 < rate <= MAX_RATE else None
    if levels is None:
        return torch.poisson(x * rate, generator=generator)
    return poisson_of_levels(levels, rate, generator).to(x.dtype)


__all__ = ["BUCKETS", "MAX_RATE", "levels_from_uniforms", "poisson", "poisson_of_levels", "quantized_levels"]
