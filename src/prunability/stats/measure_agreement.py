"""Mutual information between two measures' predictions (Kuhn et al. 2021, §5).

Kuhn et al. ask whether prunability carries information that other measures
do not: over ordered pairs of models, the sign of one measure's difference is
compared with the sign of another's, exactly as the conditional mutual
information compares a measure with the gap (Jiang et al. 2020). With no
conditioning set this is I(V_a; V_b) / H(V_a), in [0, 1]: 1 when measure b
orders every pair as measure a does, 0 when its order tells nothing about a's.
The pair and tie conventions are those of ``prunability.stats.cmi``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunability.stats.cmi import cmi_scores


def normalized_mutual_information(a, b) -> float:
    """I(V_a; V_b) / H(V_a) over ordered pairs of the finite observations of a and b."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    finite = np.isfinite(a) & np.isfinite(b)
    if finite.sum() < 2:
        return float("nan")
    frame = pd.DataFrame(index=range(int(finite.sum())))
    return cmi_scores(pd.Series(a[finite]), pd.Series(b[finite]), frame, [], [0])[0].value


def measure_mi_matrix(wide: pd.DataFrame) -> pd.DataFrame:
    """Long table (measure_a, measure_b, mi) for every ordered pair of columns of
    ``wide`` (one row per model, one column per measure)."""
    rows = [(a, b, normalized_mutual_information(wide[a], wide[b])) for a in wide.columns for b in wide.columns]
    return pd.DataFrame(rows, columns=["measure_a", "measure_b", "mi"])
