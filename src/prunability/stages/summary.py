"""summary: the six lines ``make run`` ends with (prunability.stats.report)."""

from __future__ import annotations

from prunability import io
from prunability.config import StudyConfig
from prunability.layout import Layout
from prunability.stats.report import closing_lines, prunability_line


def run(config: StudyConfig, layout: Layout) -> None:
    text = closing_lines(io.read_json(layout.summary_json), str(layout.base))
    text.insert(1, prunability_line(io.read_parquet(layout.stats("kendall")), io.read_parquet(layout.table("zoo"))))
    print("\n".join(text))
