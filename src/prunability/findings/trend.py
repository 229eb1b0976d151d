"""Does a measure grow with a hyperparameter (or with a dataset setting varied
across runs)? Kendall τ between the hyperparameter's value and the measure over
the zoo, with a bootstrap interval over models. Kuhn et al. 2021 argue that
prunability, a *fraction*, does not grow with network size while the *count* of
parameters pruning keeps does; the data-manifold claim asks the same of the
data's intrinsic dimension."""

from __future__ import annotations

from prunability.findings.bootstrap import with_interval
from prunability.findings.registry import Estimate, evaluator
from prunability.findings.tables import StudyTables
from prunability.stats.kendall import kendall_tau

PARAMS = {
    "required": ["hyperparameter", "measure"],
    "properties": {"hyperparameter": {"type": "string", "description": "a zoo column (width, depth, train_fraction, …) "
                                      "or the varied dataset setting of a study with variants"},
                   "measure": {"type": "string"}},
}


@evaluator("hyperparameter_tau", "Kendall τ between {hyperparameter} and {measure} over the zoo", PARAMS)
def hyperparameter_tau(tables: StudyTables, params, *, resamples: int, seed: int) -> Estimate:
    axis, measure = params["hyperparameter"], params["measure"]
    models = tables.with_measures([measure])
    if axis not in models.columns:
        raise KeyError(f"{axis!r} is not a column of the zoo table (columns: {list(models.columns)})")
    models = models.dropna(subset=[measure])
    value, low, high = with_interval(models, lambda f: kendall_tau(f[axis], f[measure]), resamples=resamples, seed=seed)
    means = models.groupby(axis)[measure].mean()
    return Estimate(value, low, high, len(models), {f"mean at {axis}={k:g}": round(float(v), 4) for k, v in means.items()})
