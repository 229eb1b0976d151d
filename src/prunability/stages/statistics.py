"""statistics: which measures predict generalization and robustness — Kendall τ
with uncertainty, granulated Ψ, conditional mutual information, robust
sign-error, mutual information between measures — plus figures, a Markdown
summary, and a JSON summary for DVC."""

from __future__ import annotations

import math

import pandas as pd
import yaml

from prunability import io, provenance, schemas
from prunability.config import StudyConfig
from prunability.layout import Layout
from prunability.stats import ap_figures, figures, robustness_figures
from prunability.stats.ap_effect import ap_pairs, dnr_sparsity, dnr_trend
from prunability.measures import expected_sign
from prunability.stats.direction import rates, right_direction
from prunability.stats.difficulty import difficulty_fragility, pie_difficulty, sample_difficulty
from prunability.stats.forgetting import fragility, pruning_identified_exemplars
from prunability.stats.robustness import corruption_errors, robustness_summary
from prunability.stats.pruning_tables import accuracy_retained, effective_robustness, prunability_by_architecture
from prunability.stats.study import statistics_tables
from prunability.status import Status
from prunability.zoo import varied_axes


def with_corruption_targets(zoo: pd.DataFrame, robustness: pd.DataFrame) -> pd.DataFrame:
    """Add the dense model's mean accuracy over every corruption × severity, and its
    drop from clean accuracy (every job's sparsity 0 is the same dense model: one is kept)."""
    dense = robustness[robustness["sparsity"] == 0].drop_duplicates(["model_id", "corruption", "severity"])
    corrupted = dense[dense["corruption"] != "none"].groupby("model_id")["accuracy"].mean()
    clean = dense[dense["corruption"] == "none"].set_index("model_id")["accuracy"]
    out = zoo.copy()
    out["mean_corruption_accuracy"] = out["model_id"].map(corrupted)
    out["corruption_accuracy_drop"] = out["model_id"].map(clean) - out["mean_corruption_accuracy"]
    return out


def summary(config: StudyConfig, zoo: pd.DataFrame, kendall: pd.DataFrame, cmi: pd.DataFrame) -> dict:
    gap = kendall[kendall["target"] == "generalization_gap"].dropna(subset=["tau"]).sort_values("tau", ascending=False)
    cmi_gap = cmi[(cmi["target"] == "generalization_gap") & (cmi["subset_size"] == cmi["subset_size"].max())]

    def ranked(df):
        return [{"measure": r.measure, "tau": round(float(r.tau), 4)} for r in df.itertuples()]

    return {
        "study": config.study,
        "models": int(len(zoo)),
        "converged": int((zoo["status"] == Status.CONVERGED).sum()),
        # every model is a row whatever became of it: a diverged one is counted, not lost
        "status_counts": {str(k): int(v) for k, v in zoo["status"].value_counts().sort_index().items()},
        "mean_test_acc": _finite(zoo["test_acc"].mean()),
        "mean_generalization_gap": _finite(zoo["generalization_gap"].mean()),
        "kendall_tau_gap": {r["measure"]: r["tau"] for r in ranked(gap)},
        "best_measure_by_tau": ranked(gap.head(1))[0] if len(gap) else None,
        "worst_measure_by_tau": ranked(gap.tail(1))[0] if len(gap) else None,
        "cmi_gap": {r.measure: _finite(r.cmi) for r in cmi_gap.itertuples()},
    }


def _finite(x) -> float | None:
    return round(float(x), 4) if x is not None and math.isfinite(float(x)) else None


def markdown(config: StudyConfig, zoo: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> str:
    """The top measures per target with τ (95 % interval, Holm-corrected p) and CMI."""
    kendall, cmi = tables["kendall"], tables["cmi"]
    top_k = cmi["subset_size"].max() if len(cmi) else 0
    lines = [f"# {config.study}: which measures predict generalization?", "",
             f"{len(zoo)} models, {int((zoo['status'] == 'converged').sum())} converged. "
             f"τ > 0: models with a larger measure have a larger target. CMI: K_{top_k}, "
             f"the minimum over hyperparameter subsets of size {top_k} (Jiang et al. 2020).", ""]
    for target, rows in kendall.groupby("target", sort=False):
        k = cmi[(cmi["target"] == target) & (cmi["subset_size"] == top_k)].set_index("measure")["cmi"]
        lines += [f"## {target}", "", "| measure | τ | 95 % CI | p (Holm) | CMI |", "|---|---|---|---|---|"]
        for r in rows.sort_values("tau", ascending=False, key=abs).itertuples():
            lines.append(f"| {r.measure} | {r.tau:+.3f} | [{r.ci_low:+.2f}, {r.ci_high:+.2f}] | {r.p_holm:.3g} | "
                         f"{k.get(r.measure, float('nan')):.3f} |")
        lines.append("")
    return "\n".join(lines)


def write_figures(config: StudyConfig, layout: Layout, zoo: pd.DataFrame, measures: pd.DataFrame, tables: dict, axes: list[str]) -> None:
    figures.correlation_heatmap(tables["kendall"], layout.figure("kendall_heatmap"), tables["cmi"])
    figures.pruning_curves(io.read_parquet(layout.table("pruning")), layout.figure("pruning_curves"))
    figures.measure_mi_heatmap(tables["measure_mi"], layout.figure("measure_mi"))
    figures.measure_vs_target(zoo, measures, "generalization_gap", axes[0] if axes else None,
                              layout.figure("measure_vs_gap"))
    robustness_figures.robustness_curves(io.read_parquet(layout.table("robustness")), layout.figure("robustness_curves"))
    test_images = io.load_torch(layout.prepared)["x_test"]
    robustness_figures.fragile_samples(tables["fragility"], test_images, layout.figure("fragile_samples"))
    ap_figures.ap_dnr(tables["ap_pairs"], tables["dnr_sparsity"], layout.figure("ap_dnr"))
    first_test_image = test_images[0]
    robustness_figures.corruption_grid(first_test_image, layout.figure("corruption_grid"),
                                       names=list(config.corruptions.names), severities=list(config.corruptions.severities),
                                       seed=config.corruptions.seed, frost_dir=config.corruptions.frost_dir)


def run(config: StudyConfig, layout: Layout) -> None:
    robustness = io.read_parquet(layout.table("robustness"))
    zoo = with_corruption_targets(io.read_parquet(layout.table("zoo")), robustness)
    measures = io.read_parquet(layout.table("measures"))
    s, axes = config.statistics, varied_axes(config)
    tables = statistics_tables(
        zoo, measures, list(s.targets), axes, s.include_unconverged, s.cmi_max_subset,
        n_test=io.read_json(layout.data_info)["n_test"], min_ess=s.sign_error_min_ess,
        resamples=s.bootstrap_resamples, seed=s.seed,
    )
    pruning = io.read_parquet(layout.table("pruning"))
    tables["accuracy_retained"] = accuracy_retained(pruning)
    tables["ap_pairs"] = ap_pairs(pruning, resamples=s.bootstrap_resamples, seed=s.seed)
    tables["dnr_sparsity"] = dnr_sparsity(pruning)
    tables["dnr_trend"] = dnr_trend(pruning)
    tables["effective_robustness"] = effective_robustness(robustness)
    tables["prunability_by_architecture"] = prunability_by_architecture(zoo, measures)
    tables["corruption_errors"] = corruption_errors(robustness)
    tables["robustness_summary"] = robustness_summary(robustness)
    samples = io.read_parquet(layout.table("samples"))
    converged = zoo.loc[zoo["status"] == Status.CONVERGED, "model_id"]
    tables["fragility"] = fragility(samples, converged)
    tables["pie"] = pruning_identified_exemplars(samples, converged)
    tables["sample_difficulty"] = sample_difficulty(io.read_parquet(layout.table("difficulty")), converged)
    tables["difficulty_fragility"] = difficulty_fragility(tables["sample_difficulty"], tables["fragility"],
                                                          tables["pie"][["method", "schedule", "sparsity"]])
    tables["pie_difficulty"] = pie_difficulty(tables["pie"], tables["sample_difficulty"],
                                              resamples=s.bootstrap_resamples, seed=s.seed)
    tables["direction"] = right_direction(tables["kendall"], expected_sign)
    for name, df in tables.items():
        io.write_parquet(df, layout.stats(name), schemas.STATS[name], provenance.record(config.raw))
    with io.atomic_path(layout.study_config) as tmp:
        tmp.write_text(yaml.safe_dump(dict(config.raw), sort_keys=False))
    with io.atomic_path(layout.kendall_csv) as tmp:
        tables["kendall"].to_csv(tmp, index=False)
    write_figures(config, layout, zoo, measures, tables, axes)
    with io.atomic_path(layout.summary_md) as tmp:
        tmp.write_text(markdown(config, zoo, tables))
    io.write_json({**summary(config, zoo, tables["kendall"], tables["cmi"]),
                   "right_direction_rate": rates(tables["direction"])}, layout.summary_json)
    print(f"statistics of {len(zoo)} models -> {layout.base / 'stats'}")
