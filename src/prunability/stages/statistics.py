"""statistics: which measures predict generalization (Kendall τ, granulated Ψ,
conditional mutual information), the figures, and a JSON summary for DVC."""

from __future__ import annotations

import math

import pandas as pd

from prunability import io, schemas
from prunability.config import StudyConfig
from prunability.layout import Layout
from prunability.stats.figures import correlation_heatmap, pruning_curves
from prunability.stats.study import statistics_tables
from prunability.zoo import varied_axes


def summary(config: StudyConfig, zoo: pd.DataFrame, kendall: pd.DataFrame, cmi: pd.DataFrame) -> dict:
    gap = kendall[kendall["target"] == "generalization_gap"].dropna(subset=["tau"]).sort_values("tau", ascending=False)
    cmi_gap = cmi[(cmi["target"] == "generalization_gap") & (cmi["subset_size"] == cmi["subset_size"].max())]

    def ranked(df):
        return [{"measure": r.measure, "tau": round(float(r.tau), 4)} for r in df.itertuples()]

    return {
        "study": config.study,
        "models": int(len(zoo)),
        "converged": int((zoo["status"] == "converged").sum()),
        "mean_test_acc": _finite(zoo["test_acc"].mean()),
        "mean_generalization_gap": _finite(zoo["generalization_gap"].mean()),
        "kendall_tau_gap": {r["measure"]: r["tau"] for r in ranked(gap)},
        "best_measure_by_tau": ranked(gap.head(1))[0] if len(gap) else None,
        "worst_measure_by_tau": ranked(gap.tail(1))[0] if len(gap) else None,
        "cmi_gap": {r.measure: _finite(r.cmi) for r in cmi_gap.itertuples()},
    }


def _finite(x) -> float | None:
    return round(float(x), 4) if x is not None and math.isfinite(float(x)) else None


def run(config: StudyConfig, layout: Layout) -> None:
    zoo = io.read_parquet(layout.table("zoo"))
    measures = io.read_parquet(layout.table("measures"))
    s = config.statistics
    tables = statistics_tables(zoo, measures, list(s.targets), varied_axes(config),
                               s.include_unconverged, s.cmi_max_subset)
    schema = {"kendall": schemas.KENDALL, "granulated": schemas.GRANULATED, "cmi": schemas.CMI}
    for name, df in tables.items():
        io.write_parquet(df, layout.stats(name), schema[name])
    with io.atomic_path(layout.kendall_csv) as tmp:
        tables["kendall"].to_csv(tmp, index=False)
    correlation_heatmap(tables["kendall"], layout.figure("kendall_heatmap"))
    pruning_curves(io.read_parquet(layout.table("pruning")), layout.figure("pruning_curves"))
    io.write_json(summary(config, zoo, tables["kendall"], tables["cmi"]), layout.summary_json)
    print(f"statistics of {len(zoo)} models -> {layout.base / 'stats'}")
