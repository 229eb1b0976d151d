"""The Parquet tables of a findings study's run(s): the only input of the evaluators.

One study, or — for a study with ``variants`` — one run per variant value, pooled:
each pooled table gains a column named after the varied setting, and model ids
stay unique (they hash the dataset settings).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from prunability import io
from prunability.layout import Layout
from prunability.stats.study import select_models


@dataclass(frozen=True)
class Run:
    layout: Layout
    variant: float | None = None


class StudyTables:
    def __init__(self, runs: list[Run], variant_column: str | None = None, include_unconverged: bool = False):
        self.runs = runs
        self.variant_column = variant_column
        self.include_unconverged = include_unconverged

    def _read(self, path_of) -> pd.DataFrame:
        frames = []
        for run in self.runs:
            path = path_of(run.layout)
            if not Path(path).is_file():
                raise FileNotFoundError(f"{path} is missing; run the study first "
                                        f"(snakemake --configfile <its config>, or make findings)")
            frame = io.read_parquet(path)
            if self.variant_column is not None:
                frame[self.variant_column] = run.variant
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def table(self, name: str) -> pd.DataFrame:
        return self._read(lambda layout: layout.table(name))

    def stats(self, name: str) -> pd.DataFrame:
        """A statistics table; of a single study only (pooled runs have no common statistics)."""
        if len(self.runs) != 1:
            raise ValueError(f"stats/{name}.parquet belongs to one study; this claim pools {len(self.runs)} runs")
        return self._read(lambda layout: layout.stats(name))

    @cached_property
    def models(self) -> pd.DataFrame:
        """The zoo rows that enter the statistics (converged, as stats.study selects them)."""
        return select_models(self.table("zoo"), self.include_unconverged).reset_index(drop=True)

    def with_measures(self, names: list[str]) -> pd.DataFrame:
        """The selected models with one column per measure (NaN where a measure failed)."""
        measures = self.table("measures")
        wide = measures[measures["measure"].isin(names)].pivot_table(
            index="model_id", columns="measure", values="value", dropna=False)
        missing = [n for n in names if n not in wide.columns]
        if missing:
            raise KeyError(f"measures {missing} are not in the measures table; add them to measures.names")
        return self.models.merge(wide[names].reset_index(), on="model_id", how="left")
