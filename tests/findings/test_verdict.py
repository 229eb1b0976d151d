"""Verdict logic: an interval and a criterion fixed before the run decide the verdict."""

import math

import pytest

from prunability.findings.claims import Criterion
from prunability.findings.verdict import decide


def crit(direction, threshold=0.0, max_width=1.0):
    return Criterion(direction, threshold, max_width, "text")


@pytest.mark.parametrize("est, low, high, direction, threshold, expected", [
    (0.3, 0.1, 0.5, "above", 0, "reproduced"),       # interval above 0
    (-0.3, -0.5, -0.1, "above", 0, "contradicted"),  # interval below 0
    (0.1, -0.1, 0.3, "above", 0, "inconclusive"),    # straddles 0
    (0.1, 0.0, 0.3, "above", 0, "inconclusive"),     # touches 0: not strictly above
    (-0.3, -0.5, -0.1, "below", 0, "reproduced"),
    (0.3, 0.1, 0.5, "below", 0, "contradicted"),
    (0.05, -0.1, 0.15, "below", 0.2, "reproduced"),  # "does not grow": below +0.2
    (0.4, 0.25, 0.5, "below", 0.2, "contradicted"),
    (0.05, 0.02, 0.08, "outside", 0.01, "reproduced"),    # differ, positive
    (-0.05, -0.08, -0.02, "outside", 0.01, "reproduced"),  # differ, negative
    (0.0, -0.005, 0.008, "outside", 0.01, "contradicted"),  # within the equivalence band
    (0.01, -0.005, 0.03, "outside", 0.01, "inconclusive"),
])
def test_interval_position_decides(est, low, high, direction, threshold, expected):
    assert decide(est, low, high, crit(direction, threshold)).verdict == expected


def test_an_interval_wider_than_max_width_is_inconclusive_even_above_the_threshold():
    v = decide(0.6, 0.05, 0.95, crit("above", 0, max_width=0.5))
    assert v.verdict == "inconclusive" and "too wide" in v.reason
    assert decide(0.6, 0.05, 0.95, crit("above", 0, max_width=1.0)).verdict == "reproduced"


@pytest.mark.parametrize("values", [(math.nan, math.nan, math.nan), (0.5, math.nan, math.nan), (0.5, 0.1, math.inf)])
def test_missing_interval_is_inconclusive(values):
    v = decide(*values, crit("above"))
    assert v.verdict == "inconclusive" and "no finite" in v.reason


def test_an_estimate_outside_its_interval_is_a_bug():
    with pytest.raises(ValueError, match="outside its interval"):
        decide(0.9, 0.1, 0.5, crit("above"))


def test_reason_names_the_interval_and_threshold():
    assert decide(0.3, 0.1, 0.5, crit("above", 0)).reason == "[+0.1, +0.5] above 0"
