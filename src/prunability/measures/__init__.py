"""Generalization measures: one function per measure, one registry.

A measure is ``fn(ctx: MeasureContext) -> float``, registered with
``@MEASURES.register("name")``. Importing this package registers them all.
"""

from prunability.measures.context import MEASURES, MeasureContext

# Importing a module registers its measures.
from prunability.measures import margin as _margin  # noqa: F401,E402
from prunability.measures import norms as _norms  # noqa: F401,E402
from prunability.measures import flatness as _flatness  # noqa: F401,E402
from prunability.measures import prunability as _prunability  # noqa: F401,E402

__all__ = ["MEASURES", "MeasureContext", "compute_measures"]


def compute_measures(ctx: MeasureContext, names) -> dict[str, float]:
    """Every named measure of one model, in the order given."""
    return {name: float(MEASURES.get(name)(ctx)) for name in names}
