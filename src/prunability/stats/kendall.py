"""Kendall's rank correlation τ as Jiang et al. define it (tau-a).

Jiang, Neyshabur, Mobahi, Krishnan & Bengio 2020, *Fantastic Generalization
Measures and Where to Find Them* (arXiv:1912.02178), define τ over the set of
pairs T = {(μ(θ), g(θ))} of a measure μ and the generalization gap g:

    τ(T) = 1 / (|T| (|T| − 1)) · Σ_{i ≠ j} sign(μ_i − μ_j) · sign(g_i − g_j)

(the paper's definition of τ in its section on evaluation criteria; the
equation number is not verified here). This is Kendall's tau-a: a pair tied in
either variable contributes 0 to the numerator but still counts in the
denominator, so with ties |τ| < 1 and τ differs from scipy's tau-b. Without
ties the two coincide.
"""

from __future__ import annotations

import numpy as np

#: rows of the pair matrix processed at once; memory is O(chunk_rows · n) bytes
DEFAULT_CHUNK_ROWS = 1024


def _sign_of_differences(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """sign(rows[i] − cols[j]) as int8, written with comparisons so ±inf works."""
    r, c = rows[:, None], cols[None, :]
    return (r > c).astype(np.int8) - (r < c).astype(np.int8)


def concordance_sum(x: np.ndarray, y: np.ndarray, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> int:
    """Σ_{i ≠ j} sign(x_i − x_j)·sign(y_i − y_j), exactly (an integer).

    The summand is symmetric in (i, j), so only the upper triangle is visited:
    rows [s, e) are compared with columns [s, n); the square block on the
    diagonal holds both orders of each pair inside the chunk, the block to its
    right only one order, which is therefore counted twice.
    """
    n = x.size
    total = 0
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        prod = _sign_of_differences(x[start:stop], x[start:]) * _sign_of_differences(y[start:stop], y[start:])
        width = stop - start
        total += int(prod[:, :width].sum(dtype=np.int64)) + 2 * int(prod[:, width:].sum(dtype=np.int64))
    return total


def kendall_tau(x, y, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> float:
    """Kendall's tau-a of two paired samples (Jiang et al. 2020's τ).

    Observations where ``x`` or ``y`` is NaN are dropped first (±inf are kept
    and ordered). Returns NaN when fewer than two observations remain. Runs in
    O(n²) time and O(chunk_rows · n) memory, so n = 10,000 needs ~10 MB.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = x.size
    if n < 2:
        return float("nan")
    return concordance_sum(x, y, chunk_rows) / (n * (n - 1))
