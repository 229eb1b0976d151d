"""The explorer's AP view data (explorer/ap.py), from a hand-made pruning table."""

import pandas as pd
import pytest

from prunability.config import statistics_config
from prunability.explorer import ap


def _pruning(with_dnr=True):
    rows = []
    for i, model in enumerate(["a", "b"]):
        for schedule, bonus in [("iterative_lr_rewind", 0.0), ("iterative_lr_rewind+ap", 0.02 * (i + 1))]:
            for sparsity, dnr in [(0.0, 0.5), (0.8, 0.4)]:
                for split in ("train", "test"):
                    rows.append({"model_id": model, "method": "snip", "schedule": schedule, "sparsity": sparsity,
                                 "split": split, "accuracy": 0.9 + (bonus if sparsity else 0), "loss": 0.1,
                                 "ap": schedule.endswith("+ap"), "dnr": dnr if with_dnr else float("nan")})
    return pd.DataFrame(rows)


def test_ap_view_pairs_twins_and_draws_dnr_per_job():
    data = ap.payload(_pruning(), statistics_config())
    pairs = pd.DataFrame(data["pairs"])
    assert set(pairs["job"]) == {"snip (iterative_lr_rewind)"}
    at = pairs[pairs["sparsity"] == 0.8].iloc[0]
    assert at["accuracy_diff"] == pytest.approx(0.03) and at["n_models"] == 2
    dnr = pd.DataFrame(data["dnr"])
    assert set(dnr["job"]) == {"snip (iterative_lr_rewind)", "snip (iterative_lr_rewind+ap)"}
    assert dnr.loc[dnr["ap"], "mean_dnr"].tolist() == pytest.approx([0.5, 0.4])


def test_no_dnr_means_no_view():
    assert ap.payload(_pruning(with_dnr=False), statistics_config()) is None
    assert ap.payload(None, statistics_config()) is None
