"""The measures of a pruned network (sparsity 0 is the dense model), computed by
the evaluate stage on the clean *test set* from the forward pass that evaluates it
(prunability.robustness_eval): the dead-neuron rate and the means of the
penultimate-feature geometry (Li et al. 2022, arXiv 2206.07918, §3).

They share their definitions with registered measures (measures/dead_neurons.py,
measures/features.py), which the measures stage computes on the dense model's
*training subset*. Being other quantities, they carry other names: ``test_``
and the registered name, so that joining the measures and pruned_measures
tables on ``measure`` cannot mix them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from prunability.measures.context import MeasureFailed

if TYPE_CHECKING:
    from prunability.robustness_eval import Pass

# pruned_measures name -> the registered measure whose definition it applies (on the clean test set)
PRUNED_MEASURES = {
    "test_dead_neuron_rate": "dead_neuron_rate",
    "test_feature_length": "feature_length",
    "test_feature_angle": "feature_angle",
    "test_angular_margin": "angular_margin",
}
GEOMETRY_MEASURES = tuple(name for name, defined_as in PRUNED_MEASURES.items() if defined_as != "dead_neuron_rate")


def pruned_measure_values(p: Pass) -> dict[str, float | MeasureFailed | None]:
    """PRUNED_MEASURES of one clean-set pass, by name (a failure stands for its value)."""
    if isinstance(p.geometry, MeasureFailed):
        geometry = {name: p.geometry for name in GEOMETRY_MEASURES}
    else:
        means = p.geometry.means()  # keyed by the registered names
        geometry = {name: means[PRUNED_MEASURES[name]] for name in GEOMETRY_MEASURES}
    return {"test_dead_neuron_rate": p.dead_neuron_rate, **geometry}


def measure_rows(key: dict, p: Pass) -> list[dict]:
    """Rows of the pruned_measures table for one clean-set pass. As in the measures stage,
    the shared pass's seconds go to the first measure, which needed it first."""
    rows = []
    for i, (name, value) in enumerate(pruned_measure_values(p).items()):
        reason = value.reason if isinstance(value, MeasureFailed) else (
            "the computation produced NaN" if math.isnan(value) else None)
        rows.append({**key, "measure": name, "value": math.nan if reason else value,
                     "seconds": p.seconds if i == 0 else 0.0, "reason": reason})
    return rows
