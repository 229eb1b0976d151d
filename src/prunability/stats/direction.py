"""Does each measure correlate with each target in the direction its theory
predicts? A complexity measure (expected sign +1) should rise with the gap, the
test loss and the loss of accuracy under corruption, and fall with the mean
corruption accuracy; a measure with expected sign −1 (e.g. m-coherence) the
reverse. Jiang et al. 2020 read τ this way: a large |τ| of the wrong sign is
no support for the theory behind a measure."""

from __future__ import annotations

import numpy as np
import pandas as pd

# +1: a larger target means worse generalization or robustness
TARGET_DIRECTION = {"generalization_gap": 1, "test_loss": 1, "mean_corruption_accuracy": -1,
                    "corruption_accuracy_drop": 1}


def right_direction(kendall: pd.DataFrame, expected_sign) -> pd.DataFrame:
    """Rows (measure, target, tau, expected_tau_sign, right_direction); right_direction
    is null where τ is NaN or 0. ``expected_sign(measure) -> ±1``."""
    out = kendall[["measure", "target", "tau"]].copy()
    signs = out["measure"].map(expected_sign) * out["target"].map(TARGET_DIRECTION)
    out["expected_tau_sign"] = signs.astype("int8")
    decided = np.isfinite(out["tau"]) & (out["tau"] != 0)
    out["right_direction"] = pd.array(np.where(decided, np.sign(out["tau"]) == signs, pd.NA), dtype="boolean")
    return out


def rates(direction: pd.DataFrame) -> dict[str, float | None]:
    """Per target, the share of measures (with a decided τ) that point the right way."""
    share = direction.dropna(subset=["right_direction"]).groupby("target")["right_direction"].mean()
    return {t: round(float(v), 4) for t, v in share.items()}
