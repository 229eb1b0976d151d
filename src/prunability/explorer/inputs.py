"""What the explorer reads: the study's tables, each optional, so that a study
that stopped early (no corruptions, no geometry) still gets a page.

The per-sample table can be far larger than memory (models × methods ×
sparsities × test sets × samples), so it is never read whole: callers scan it
with a filter through ``SampleScan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

from prunability import io
from prunability.layout import Layout
from prunability.schemas import HPARAM_NAMES

DEFAULT_SCHEDULE = "one_shot"  # tables written before the schedule column existed hold one-shot results


class ExplorerInputError(FileNotFoundError):
    """The study lacks the one table the explorer cannot do without; the message
    says what to run (a FileNotFoundError, so the command line reports it in one line)."""


@dataclass
class SampleScan:
    """Filtered reads of the per-sample table without loading it whole."""

    path: Path
    columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = tuple(ds.dataset(self.path, format="parquet").schema.names)

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)

    def read(self, columns: list[str], where=None) -> pd.DataFrame:
        """The rows matching the pyarrow expression ``where``, with ``columns``
        (a missing ``schedule`` column reads as one-shot)."""
        present = [c for c in columns if c in self.columns]
        table = ds.dataset(self.path, format="parquet").to_table(columns=present, filter=where)
        df = table.to_pandas()
        if "schedule" in columns and "schedule" not in present:
            df["schedule"] = DEFAULT_SCHEDULE
        return df


@dataclass
class StudyInputs:
    """The tables of one study that exist; ``None`` for those that do not."""

    study: str
    zoo: pd.DataFrame
    pruning: pd.DataFrame | None
    robustness: pd.DataFrame | None
    measures: pd.DataFrame | None
    kendall: pd.DataFrame | None
    cmi: pd.DataFrame | None
    fragility: pd.DataFrame | None
    pie: pd.DataFrame | None
    samples: SampleScan | None
    images: Path | None
    difficulty: pd.DataFrame | None = None  # stats/sample_difficulty: zoo-mean difficulty per example

    @property
    def varied_hparams(self) -> list[str]:
        """Hyperparameters that differ between models: the ones worth colouring by."""
        return [h for h in HPARAM_NAMES if h in self.zoo and self.zoo[h].nunique() > 1]


def _optional(path: Path) -> pd.DataFrame | None:
    return io.read_parquet(path) if path.is_file() else None


def with_schedule(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """``df`` with a ``schedule`` column (one-shot where the table predates it)."""
    if df is None or "schedule" in df:
        return df
    return df.assign(schedule=DEFAULT_SCHEDULE)


def load(layout: Layout) -> StudyInputs:
    """Every table the explorer can use; the zoo table is the one it cannot do without."""
    if not layout.table("zoo").is_file():
        raise ExplorerInputError(
            f"{layout.table('zoo')} is missing: the explorer needs at least the aggregated zoo table "
            f"(run: snakemake {layout.table('zoo')})")
    samples = layout.table("samples")
    return StudyInputs(
        study=layout.study,
        zoo=io.read_parquet(layout.table("zoo")),
        pruning=with_schedule(_optional(layout.table("pruning"))),
        robustness=with_schedule(_optional(layout.table("robustness"))),
        measures=_optional(layout.table("measures")),
        kendall=_optional(layout.stats("kendall")),
        cmi=_optional(layout.stats("cmi")),
        fragility=with_schedule(_optional(layout.stats("fragility"))),
        pie=with_schedule(_optional(layout.stats("pie"))),
        samples=SampleScan(samples) if samples.is_file() else None,
        images=layout.prepared if layout.prepared.is_file() else None,
        difficulty=_optional(layout.stats("sample_difficulty")),
    )
