"""Generalization measures: one function per measure, one registry.

A measure is ``fn(ctx: MeasureContext) -> float``, registered with
``@register("name", sign=±1, needs=(...))``. Importing this package registers
them all. ``compute_measures`` runs a list of them on one model, timing each
and recording a reason where a measure has no value (:class:`MeasureFailed`);
any other exception is a bug and propagates.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from prunability.measures.context import MEASURES, Measure, MeasureContext, MeasureFailed, expected_sign, register

# Importing a module registers its measures (in this order, which is the registry's order).
from prunability.measures import norms as _norms  # noqa: F401,E402
from prunability.measures import margin as _margin  # noqa: F401,E402
from prunability.measures import spectral as _spectral  # noqa: F401,E402
from prunability.measures import conv_spectral as _conv_spectral  # noqa: F401,E402
from prunability.measures import frobenius as _frobenius  # noqa: F401,E402
from prunability.measures import flatness as _flatness  # noqa: F401,E402
from prunability.measures import pac_bayes as _pac_bayes  # noqa: F401,E402
from prunability.measures import sharpness as _sharpness  # noqa: F401,E402
from prunability.measures import optimization as _optimization  # noqa: F401,E402
from prunability.measures import prunability as _prunability  # noqa: F401,E402
from prunability.measures import perturbation as _perturbation  # noqa: F401,E402
from prunability.measures import coherence as _coherence  # noqa: F401,E402
from prunability.measures import dead_neurons as _dead_neurons  # noqa: F401,E402
from prunability.measures import features as _features  # noqa: F401,E402
from prunability.measures import intrinsic_dim as _intrinsic_dim  # noqa: F401,E402
from prunability.measures import instability as _instability  # noqa: F401,E402

__all__ = [
    "MEASURES", "Measure", "MeasureContext", "MeasureFailed", "MeasureResult", "compute_measures",
    "expected_sign", "register",
]


@dataclass(frozen=True)
class MeasureResult:
    value: float  # NaN where the measure failed
    seconds: float  # wall-clock cost, including intermediates it was first to compute
    reason: str | None = None  # why there is no value; None on success

    @property
    def ok(self) -> bool:
        return self.reason is None


def compute_measures(ctx: MeasureContext, names) -> dict[str, MeasureResult]:
    """Every named measure of one model, in the order given.

    Unknown names raise before anything runs. Shared intermediates (σ', margins,
    folded weights) are cached in ``ctx``, so a measure's seconds include them
    only when it is the first to need them.
    """
    measures = [MEASURES.get(name) for name in names]
    results = {}
    for m in measures:
        start = time.perf_counter()
        try:
            value, reason = m(ctx), None
            if math.isnan(value):
                value, reason = math.nan, "the computation produced NaN"
        except MeasureFailed as failed:
            value, reason = math.nan, failed.reason
        results[m.name] = MeasureResult(value, time.perf_counter() - start, reason)
    return results
