"""Bisection for the perturbation scale at which a network loses a target accuracy.

The PAC-Bayes σ' and sharpness α' of Jiang et al. 2020 (arXiv 1912.02178,
§"PAC-Bayesian bounds" and §"Sharpness-based measures") are the largest
scale whose accuracy drop stays within the target. Jiang et al. bisect on
[0, 2] and stop as soon as the drop is within 0.01 of the target. That stop
makes σ' depend on the path the bisection happens to take: any scale whose
drop lies within the tolerance is accepted, so σ' takes only a few values
(2/16, 3/32, ...), models tie, and two seeds rank them differently.

Here the bisection always runs its full number of steps and works on a log
scale, on [upper·2^-OCTAVES, upper]: the measures are 1/σ'² and log σ', so
relative resolution is what matters, and each step halves the bracket's
ratio instead of its width (12 steps resolve 0.34 % of σ' whatever its size;
on [0, 2] they resolve 0.0005, which is 10–30 % of a sharpness radius of a
small trained NiN). With common random numbers the drop is a fixed function
of the scale, so the search is reproducible bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# Octaves below ``upper`` that the search covers: scales down to upper / 2^20 ≈ upper · 1e-6.
OCTAVES = 20


@dataclass(frozen=True)
class ScaleSearch:
    scale: float  # the scale found: the last one tried, within the final bracket
    drop: float  # the accuracy drop at ``scale``
    trace: tuple[tuple[float, float], ...]  # (scale, drop) of every step, in order
    too_flat: bool  # no scale up to ``upper`` reached the target drop
    too_sharp: bool  # even the smallest scale tried exceeded the target drop

    @property
    def bracketed(self) -> bool:
        return not (self.too_flat or self.too_sharp)


@dataclass(frozen=True)
class Bracket:
    low: float  # the end the crossing is known to lie above
    high: float  # the end the crossing is known to lie at or below
    trace: tuple  # what ``probe`` returned at every midpoint, in order


def bisect(probe: Callable[[float], tuple[bool, object]], low: float, high: float, steps: int) -> Bracket:
    """The one bisection of the measures: ``steps`` midpoints t of [low, high], each
    probed once; ``probe(t)`` returns (crossing at or below t, a record for the
    trace), and the bracket's ``high`` moves down to t if so, else ``low`` up.

    Every search of this package runs through it: the noise scale σ' of the
    PAC-Bayes measures and the box radius α' of the sharpness measures (on the
    exponent, ``log_bisect``) and the kept fraction κ of prunability.
    """
    trace = []
    for _ in range(steps):
        middle = (low + high) / 2
        below, record = probe(middle)
        trace.append(record)
        if below:
            high = middle
        else:
            low = middle
    return Bracket(low, high, tuple(trace))


def log_bisect(drop_at: Callable[[float], float], target: float, steps: int, upper: float) -> ScaleSearch:
    """The scale s in [upper·2^-OCTAVES, upper] where ``drop_at(s)`` crosses ``target``.

    Bisects the exponent e of s = upper·2^e: a drop above the target moves
    the upper end down, otherwise the lower end up. Runs all ``steps``.
    """

    def probe(exponent: float):
        scale = upper * 2.0**exponent
        drop = drop_at(scale)
        return drop > target, (scale, drop)

    found = bisect(probe, -float(OCTAVES), 0.0, steps)
    scale, drop = found.trace[-1]
    return ScaleSearch(scale=scale, drop=drop, trace=found.trace, too_flat=found.high == 0.0,
                       too_sharp=found.low == -OCTAVES)
