"""corrupt_data: one corruption of the test set at every configured severity,
computed once and shared by every model."""

from __future__ import annotations

from prunability import io
from prunability.config import StudyConfig
from prunability.corruptions import corrupt_all_severities
from prunability.layout import Layout
from prunability.stages.common import load_data
from prunability.device import pick_device


def run(config: StudyConfig, layout: Layout, corruption: str) -> None:
    device = pick_device(config.device)
    data = load_data(layout, device)
    c = config.corruptions
    by_severity = corrupt_all_severities(data.split.x_test, corruption, list(c.severities), c.seed)
    io.save_torch({str(s): x.cpu() for s, x in by_severity.items()}, layout.corrupted(corruption))
    print(f"{corruption}: severities {sorted(by_severity)} of {len(data.split.x_test)} test images")
