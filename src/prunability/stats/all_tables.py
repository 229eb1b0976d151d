"""Every statistics table of a study (stats/*.parquet), from its study tables:
the measure-vs-target statistics (stats.study), the pruning and robustness
summaries, forgetting and difficulty of samples, and whether each measure
points the expected way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pandas as pd

from prunability.config import StatisticsConfig
from prunability.measures import expected_sign
from prunability.stats.ap_effect import ap_pairs, dnr_sparsity, dnr_trend
from prunability.stats.difficulty import difficulty_fragility, pie_difficulty, sample_difficulty
from prunability.stats.direction import right_direction
from prunability.stats.forgetting import fragility, pruning_identified_exemplars
from prunability.stats.pruning_tables import accuracy_retained, effective_robustness, prunability_by_architecture
from prunability.stats.robustness import corruption_errors, robustness_summary
from prunability.stats.study import statistics_tables


@dataclass(frozen=True)
class StudyFrames:
    """The study tables the statistics read (tables/*.parquet); ``zoo`` with the corruption targets
    (stats.targets.with_corruption_targets)."""

    zoo: pd.DataFrame
    measures: pd.DataFrame
    pruning: pd.DataFrame
    robustness: pd.DataFrame
    samples: pd.DataFrame
    difficulty: pd.DataFrame


def all_tables(t: StudyFrames, cfg: StatisticsConfig, axes: Sequence[str], n_test: int) -> dict[str, pd.DataFrame]:
    """Every table of schemas.STATS by name; ``axes`` are the zoo's varied hyperparameters and
    ``n_test`` the test-set size (sign-error weights)."""
    resampling = {"resamples": cfg.bootstrap_resamples, "seed": cfg.seed}
    tables = statistics_tables(t.zoo, t.measures, axes, cfg, n_test=n_test)
    tables["accuracy_retained"] = accuracy_retained(t.pruning)
    tables["ap_pairs"] = ap_pairs(t.pruning, **resampling)
    tables["dnr_sparsity"] = dnr_sparsity(t.pruning)
    tables["dnr_trend"] = dnr_trend(t.pruning)
    tables["effective_robustness"] = effective_robustness(t.robustness)
    tables["prunability_by_architecture"] = prunability_by_architecture(t.zoo, t.measures)
    tables["corruption_errors"] = corruption_errors(t.robustness)
    tables["robustness_summary"] = robustness_summary(t.robustness)
    converged = t.zoo.loc[t.zoo["status"] == "converged", "model_id"]
    tables["fragility"] = fragility(t.samples, converged)
    tables["pie"] = pruning_identified_exemplars(t.samples, converged)
    tables["sample_difficulty"] = sample_difficulty(t.difficulty, converged)
    tables["difficulty_fragility"] = difficulty_fragility(tables["sample_difficulty"], tables["fragility"],
                                                          tables["pie"][["method", "schedule", "sparsity"]])
    tables["pie_difficulty"] = pie_difficulty(tables["pie"], tables["sample_difficulty"], **resampling)
    tables["direction"] = right_direction(tables["kendall"], expected_sign)
    return tables
