"""corrupt_data: one corruption of the test set at every configured severity,
computed once and shared by every model -- generated here (seeded), or read
from the released CIFAR-10-C / CIFAR-100-C files (``corruptions.source``)."""

from __future__ import annotations

from prunability import io
from prunability.config import StudyConfig
from prunability.corruptions import corrupt_all_severities
from prunability.corruptions.released import load_released_for
from prunability.layout import Layout
from prunability.stages.common import load_data
from prunability.device import pick_device


def run(config: StudyConfig, layout: Layout, corruption: str) -> None:
    device = pick_device(config.device)
    data = load_data(layout, device)
    c = config.corruptions
    split = data.split
    if c.source == "released":
        by_severity = load_released_for(c.released_dir, corruption, c.severities, split.x_test, split.y_test)
    else:
        by_severity = corrupt_all_severities(split.x_test, corruption, list(c.severities), c.seed,
                                             frost_dir=c.frost_dir, frost_download=c.frost_download)
    io.save_torch({str(s): x.cpu() for s, x in by_severity.items()}, layout.corrupted(corruption))
    print(f"{corruption} ({c.source}): severities {sorted(by_severity)} of {len(split.x_test)} test images")
