"""The visual explorer: one self-contained HTML page per study with linked
views over its tables — pruning methods (accuracy vs sparsity, clean and
corrupted), feature geometry of dense vs pruned models (Li et al. 2022),
fragile and robust samples and pruning-identified exemplars (Hooker et al.
2019), and the τ / CMI heatmap with measure-vs-target scatter.

Aggregation happens here, in Python; the page only draws (plotly.js, inlined).
"""

from prunability.explorer.build import build, collect

__all__ = ["build", "collect"]
