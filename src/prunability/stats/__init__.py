"""Statistics of a study: which measures predict generalization?

* :mod:`~prunability.stats.kendall` — Kendall τ (tau-a), Jiang et al. 2020
* :mod:`~prunability.stats.granulated` — granulated Kendall Ψ, Jiang et al. 2020
* :mod:`~prunability.stats.cmi` — conditional mutual information, PGDL conventions
* :mod:`~prunability.stats.study` — the three tables of a study
* :mod:`~prunability.stats.figures` — heatmap of τ, pruning curves
"""

from prunability.stats.cmi import CMIScore, cmi_scores, conditional_mutual_information
from prunability.stats.granulated import granulated_kendall
from prunability.stats.kendall import kendall_tau
from prunability.stats.study import statistics_tables

__all__ = [
    "CMIScore",
    "cmi_scores",
    "conditional_mutual_information",
    "granulated_kendall",
    "kendall_tau",
    "statistics_tables",
]
