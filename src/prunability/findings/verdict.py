"""From an estimate and its 95 % interval to a verdict, by a criterion fixed before the run.

* ``above`` t: reproduced when the whole interval lies above t (low > t),
  contradicted when it lies below (high < t);
* ``below`` t: the mirror image;
* ``outside`` t (an effect of either sign, e.g. "methods differ"): reproduced
  when the interval excludes [−t, t] (low > t or high < −t), contradicted when
  it lies inside it (−t ≤ low and high ≤ t: an effect no larger than t);
* anything else — the interval touches or straddles the threshold, is wider
  than ``max_width``, or is not finite — is inconclusive, with the reason.

A point estimate outside its own interval is a bug upstream and raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from prunability.findings.claims import Criterion

REPRODUCED, CONTRADICTED, INCONCLUSIVE = "reproduced", "contradicted", "inconclusive"
VERDICTS = (REPRODUCED, CONTRADICTED, INCONCLUSIVE)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


def decide(estimate: float, low: float, high: float, criterion: Criterion) -> Verdict:
    values = (estimate, low, high)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        return Verdict(INCONCLUSIVE, "no finite estimate and interval (too few models or a missing value)")
    if not low <= estimate <= high:
        raise ValueError(f"estimate {estimate} lies outside its interval [{low}, {high}]")
    width = high - low
    if width > criterion.max_width:
        return Verdict(INCONCLUSIVE, f"interval too wide: {width:.3g} > max_width {criterion.max_width:g}")
    t, d = criterion.threshold, criterion.direction
    interval = f"[{low:+.3g}, {high:+.3g}]"
    if d == "above":
        return _side(low > t, high < t, f"{interval} above {t:g}", f"{interval} below {t:g}", f"{interval} contains {t:g}")
    if d == "below":
        return _side(high < t, low > t, f"{interval} below {t:g}", f"{interval} above {t:g}", f"{interval} contains {t:g}")
    if d == "outside":
        bound = abs(t)
        return _side(low > bound or high < -bound, -bound <= low and high <= bound,
                     f"{interval} excludes [{-bound:g}, {bound:g}]", f"{interval} inside [{-bound:g}, {bound:g}]",
                     f"{interval} overlaps [{-bound:g}, {bound:g}] and reaches beyond it")
    raise ValueError(f"unknown criterion direction {d!r}")


def _side(holds: bool, fails: bool, holds_text: str, fails_text: str, neither_text: str) -> Verdict:
    if holds:
        return Verdict(REPRODUCED, holds_text)
    if fails:
        return Verdict(CONTRADICTED, fails_text)
    return Verdict(INCONCLUSIVE, neither_text)


def describe(criterion: Criterion) -> str:
    """The criterion's typed form, for the report beside its text."""
    return f"{criterion.direction} {criterion.threshold:g} (95 % interval; inconclusive if wider than {criterion.max_width:g})"
