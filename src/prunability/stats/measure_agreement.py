"""Mutual information between two measures' predictions (Kuhn et al. 2021, §5).

Kuhn et al. ask whether prunability carries information that other measures
do not: over ordered pairs of models, the sign of one measure's difference is
compared with the sign of another's, exactly as the conditional mutual
information compares a measure with the gap (Jiang et al. 2020). With no
conditioning set this is I(V_a; V_b) / H(V_a), in [0, 1]: 1 when measure b
orders every pair as measure a does, 0 when its order tells nothing about a's.
Pairs are ordered, self-pairs included, and ties count as "not greater" — the
conventions of ``prunability.stats.cmi`` (PGDL's scorer); pairs are restricted
to models where both measures are finite.

For a measure × measure matrix over thousands of models, each measure's
pairwise order is computed once as a bit matrix ("a_i > a_j", and "both
finite"), and each 2×2 table is four population counts of ANDed bit rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _bits(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Packed bits of (x_i > x_j) and (x_i, x_j both finite) over all ordered pairs."""
    finite = np.isfinite(x)
    greater = (x[:, None] > x[None, :]) & finite[:, None] & finite[None, :]
    return np.packbits(greater.ravel()), np.packbits((finite[:, None] & finite[None, :]).ravel())


def _count(*bit_rows: np.ndarray) -> int:
    joint = bit_rows[0]
    for row in bit_rows[1:]:
        joint = joint & row
    return int(np.bitwise_count(joint).sum())


def _normalized_mi(n11: int, n1_: int, n_1: int, n: int) -> float:
    """I(A; B) / H(A) in bits from a 2×2 table given by its (1,1) cell, margins and total."""
    if n < 4:  # fewer than two models where both measures are finite
        return float("nan")
    table = np.array([[n - n1_ - n_1 + n11, n_1 - n11], [n1_ - n11, n11]], dtype=float) / n
    pa, pb = table.sum(axis=1), table.sum(axis=0)
    h_a = -sum(p * np.log2(p) for p in pa if p > 0)
    if h_a == 0:
        return 0.0  # A is constant: B has nothing to explain (cmi.py's convention)
    nz = table > 0
    mi = float((table[nz] * np.log2(table[nz] / np.outer(pa, pb)[nz])).sum())
    return mi / h_a


def normalized_mutual_information(a, b) -> float:
    """I(V_a; V_b) / H(V_a) over ordered pairs of models where a and b are both finite."""
    (ga, fa), (gb, fb) = _bits(np.asarray(a, float)), _bits(np.asarray(b, float))
    valid = fa & fb
    return _normalized_mi(_count(ga, gb, valid), _count(ga, valid), _count(gb, valid), _count(valid))


def measure_mi_matrix(wide: pd.DataFrame) -> pd.DataFrame:
    """Long table (measure_a, measure_b, mi) for every ordered pair of columns of
    ``wide`` (one row per model, one column per measure)."""
    bits = {name: _bits(wide[name].to_numpy(float)) for name in wide.columns}
    rows = []
    for a, (ga, fa) in bits.items():
        for b, (gb, fb) in bits.items():
            valid = fa & fb
            mi = _normalized_mi(_count(ga, gb, valid), _count(ga, valid), _count(gb, valid), _count(valid))
            rows.append((a, b, mi))
    return pd.DataFrame(rows, columns=["measure_a", "measure_b", "mi"])
