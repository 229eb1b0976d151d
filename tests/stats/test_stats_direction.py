import numpy as np
import pandas as pd

from prunability.stats.direction import rates, right_direction


def test_right_direction_accounts_for_measure_and_target_signs():
    kendall = pd.DataFrame({
        "measure": ["complexity", "complexity", "coherence", "flat"],
        "target": ["generalization_gap", "mean_corruption_accuracy", "generalization_gap", "test_loss"],
        "tau": [0.4, 0.3, -0.2, np.nan],
    })
    signs = {"complexity": 1, "coherence": -1, "flat": 1}
    out = right_direction(kendall, signs.get)
    assert out["expected_tau_sign"].tolist() == [1, -1, -1, 1]
    assert out["right_direction"].tolist()[:3] == [True, False, True]
    assert pd.isna(out["right_direction"].iloc[3])
    assert rates(out) == {"generalization_gap": 1.0, "mean_corruption_accuracy": 0.0}
