"""The samples view shows each listed test sample's zoo-mean difficulty (issue 16)."""

from __future__ import annotations

import pandas as pd
import pytest

from prunability.config import statistics_config
from prunability.explorer.samples import difficulty_of


def test_difficulty_of_the_listed_test_samples():
    table = pd.DataFrame({"split": ["test", "test", "train", "test"], "sample": [3, 5, 3, 9],
                          "consistency": [0.5, 1.0, 0.0, 0.25], "el2n": [0.12345, 0.01, 1.0, float("nan")],
                          "forgetting_events": [1.0, 0.0, 2.0, 3.0], "margin": [-0.5, 4.0, -1.0, 2.0]})
    out = difficulty_of(table, [3, 9, 11])
    assert out == {"3": {"consistency": 0.5, "el2n": 0.123, "forgetting": 1.0, "margin": -0.5},
                   "9": {"consistency": 0.25, "el2n": None, "forgetting": 3.0, "margin": 2.0}}
    assert difficulty_of(None, [3]) is None


@pytest.mark.slow
def test_the_tiny_study_page_data_carries_difficulty(tiny_run):
    from prunability.explorer.build import collect
    from prunability.explorer.inputs import load
    from prunability.layout import Layout

    data = collect(load(Layout("tiny", tiny_run.parent)), statistics_config())
    shown = data["samples"]["difficulty"]
    assert set(shown) == {str(s) for s in data["samples"]["listed"]} and len(shown) > 0
    table = pd.read_parquet(tiny_run / "stats" / "sample_difficulty.parquet").query("split == 'test'").set_index("sample")
    sample = int(next(iter(shown)))
    assert shown[str(sample)]["consistency"] == round(float(table.loc[sample, "consistency"]), 3)
