"""statistics: which measures predict generalization and robustness — Kendall τ
with uncertainty, granulated Ψ, conditional mutual information, robust
sign-error, mutual information between measures (prunability.stats.all_tables)
— plus figures, a Markdown summary, and a JSON summary for DVC
(prunability.stats.report). This stage loads, calls and writes."""

from __future__ import annotations

import pandas as pd
import yaml

from prunability import io, provenance, schemas
from prunability.config import StudyConfig
from prunability.layout import Layout
from prunability.stats import ap_figures, figures, robustness_figures
from prunability.stats.all_tables import StudyFrames, all_tables
from prunability.stats.direction import rates
from prunability.stats.report import markdown, summary
from prunability.stats.targets import with_corruption_targets
from prunability.zoo import varied_axes


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


def load_frames(layout: Layout) -> StudyFrames:
    robustness = io.read_parquet(layout.table("robustness"))
    return StudyFrames(
        zoo=with_corruption_targets(io.read_parquet(layout.table("zoo")), robustness),
        measures=io.read_parquet(layout.table("measures")), pruning=io.read_parquet(layout.table("pruning")),
        robustness=robustness, samples=io.read_parquet(layout.table("samples")),
        difficulty=io.read_parquet(layout.table("difficulty")))


def run(config: StudyConfig, layout: Layout) -> None:
    frames, axes = load_frames(layout), varied_axes(config)
    tables = all_tables(frames, config.statistics, axes, n_test=io.read_json(layout.data_info)["n_test"])
    for name, df in tables.items():
        io.write_parquet(df, layout.stats(name), schemas.STATS[name], provenance.record(config.raw))
    with io.atomic_path(layout.study_config) as tmp:
        tmp.write_text(yaml.safe_dump(dict(config.raw), sort_keys=False))
    with io.atomic_path(layout.kendall_csv) as tmp:
        tables["kendall"].to_csv(tmp, index=False)
    write_figures(config, layout, frames.zoo, frames.measures, tables, axes)
    with io.atomic_path(layout.summary_md) as tmp:
        tmp.write_text(markdown(config, frames.zoo, tables))
    io.write_json({**summary(config, frames.zoo, tables["kendall"], tables["cmi"]),
                   "right_direction_rate": rates(tables["direction"])}, layout.summary_json)
    print(f"statistics of {len(frames.zoo)} models -> {layout.base / 'stats'}")
