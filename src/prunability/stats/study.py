"""The statistics of a study: τ, Ψ and CMI of every measure against every target.

Inputs are the study's zoo table (one row per model, ``schemas.ZOO``) and its
long measures table (``model_id, measure, value``). Outputs are three tidy
tables with exactly the columns and dtypes of ``schemas.KENDALL``,
``schemas.GRANULATED`` and ``schemas.CMI``.

Model selection (Jiang et al. 2020 drop models that do not converge):

* ``status == "diverged"`` is always dropped; ``"max_epochs"`` is dropped
  unless ``include_unconverged``; any other status than ``"converged"`` too.
* Per (measure, target), models whose measure value or target is not finite
  (NaN, ±inf, missing row) are dropped; ``n_models`` counts what remains.
* The hyperparameter axes are those of ``axes`` that take more than one value
  among the status-selected models (the seed is never an axis: Ψ groups by
  it, CMI does not condition on it). CMI rows are written for subset sizes
  0..min(max_subset, number of axes).

Fewer than two models never raise: τ, Ψ and CMI are NaN.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from prunability import schemas
from prunability.config import StatisticsConfig
from prunability.stats.cmi import cmi_scores
from prunability.stats.granulated import granulated_kendall, varying_axes
from prunability.stats.kendall import kendall_tau
from prunability.stats.measure_agreement import measure_mi_matrix
from prunability.stats.significance import corrected, independence_p_value, tau_interval
from prunability.stats.sign_error import sign_error_summary
from prunability.status import Status

SUBSET_SEPARATOR = "+"

_MEASURE = "__measure_value__"
_PANDAS_DTYPES = {"string": "str", "double": "float64", "int32": "int32", "int8": "int8"}


def typed_frame(records: list[tuple], schema: pa.Schema) -> pd.DataFrame:
    """A DataFrame with exactly ``schema``'s columns, in its order, with matching pandas dtypes."""
    frame = pd.DataFrame(records, columns=schema.names)
    return frame.astype({f.name: _PANDAS_DTYPES[str(f.type)] for f in schema})


def select_models(zoo: pd.DataFrame, include_unconverged: bool) -> pd.DataFrame:
    """The models that enter the statistics, by training status."""
    kept = {Status.CONVERGED, Status.MAX_EPOCHS} if include_unconverged else {Status.CONVERGED}
    return zoo[zoo["status"].isin(kept)]


def measure_names(measures: pd.DataFrame) -> list[str]:
    """Measure names in order of first appearance; a model with two values of one measure is an error."""
    duplicated = measures.duplicated(["model_id", "measure"])
    if duplicated.any():
        first = measures.loc[duplicated, ["model_id", "measure"]].iloc[0].tolist()
        raise ValueError(f"the measures table has several values for (model_id, measure) = {first}")
    return list(pd.unique(measures["measure"]))


def _with_measure(models: pd.DataFrame, measures: pd.DataFrame, name: str) -> pd.DataFrame:
    values = measures.loc[measures["measure"] == name, ["model_id", "value"]].rename(columns={"value": _MEASURE})
    return models.merge(values, on="model_id", how="left")


def _finite(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    mu = frame[_MEASURE].to_numpy(dtype=np.float64, na_value=np.nan)
    gap = frame[target].to_numpy(dtype=np.float64, na_value=np.nan)
    return frame[np.isfinite(mu) & np.isfinite(gap)].reset_index(drop=True)


def statistics_tables(
    zoo: pd.DataFrame,
    measures: pd.DataFrame,
    axes: Sequence[str],
    cfg: StatisticsConfig,
    *,
    n_test: int,
) -> dict[str, pd.DataFrame]:
    """τ (with bootstrap interval and corrected p-values), Ψ, CMI and robust
    sign-error of every measure against every target of ``cfg.targets``, and the
    mutual information between measures: {"kendall", "granulated", "cmi",
    "sign_error", "measure_mi"} tables. ``n_test`` (test-set size) and
    ``cfg.sign_error_min_ess`` set the sign-error weights; ``cfg.bootstrap_resamples``
    and ``cfg.seed`` the bootstrap; ``cfg.cmi_max_subset`` the largest conditioning set."""
    targets, max_subset = cfg.targets, cfg.cmi_max_subset
    min_ess, resamples, seed = cfg.sign_error_min_ess, cfg.bootstrap_resamples, cfg.seed
    missing = [t for t in targets if t not in zoo.columns]
    if missing:
        raise KeyError(f"targets {missing} are not columns of the zoo table")
    if max_subset < 0:
        raise ValueError(f"max_subset must be >= 0, got {max_subset}")
    models = select_models(zoo, cfg.include_unconverged)
    used_axes = varying_axes(models, axes)
    sizes = list(range(min(max_subset, len(used_axes)) + 1))
    kendall, granulated, cmi, sign_error = [], [], [], []
    for name in measure_names(measures):
        with_measure = _with_measure(models, measures, name)
        for target in targets:
            sub = _finite(with_measure, target)
            x, y = sub[_MEASURE], sub[target]
            ci = tau_interval(x, y, resamples=resamples, seed=seed)
            kendall.append((name, target, kendall_tau(x, y), len(sub), *ci, independence_p_value(x, y)))
            psi = granulated_kendall(sub, _MEASURE, target, used_axes)
            granulated += [(name, target, *row) for row in psi.itertuples(index=False)]
            for score in cmi_scores(y, x, sub, used_axes, sizes):
                cmi.append((name, target, score.subset_size, score.value, SUBSET_SEPARATOR.join(score.subset)))
            sign_error += [(name, target, *row) for row in sign_error_summary(sub, _MEASURE, target, used_axes, n_test, min_ess)]
    p = np.array([row[-1] for row in kendall], dtype=float)
    kendall = [(*row, holm, bh) for row, holm, bh in zip(kendall, corrected(p, "holm"), corrected(p, "fdr_bh"))]
    wide = measures.pivot_table(index="model_id", columns="measure", values="value", dropna=False)
    wide = wide.reindex(index=models["model_id"], columns=measure_names(measures))
    return {
        "kendall": typed_frame(kendall, schemas.KENDALL),
        "granulated": typed_frame(granulated, schemas.GRANULATED),
        "cmi": typed_frame(cmi, schemas.CMI),
        "sign_error": typed_frame(sign_error, schemas.SIGN_ERROR),
        "measure_mi": typed_frame(list(measure_mi_matrix(wide).itertuples(index=False)), schemas.MEASURE_MI),
    }
