"""explorer: the study's interactive page, results/<study>/explorer/index.html
(with the sample sprite sheet beside it); see prunability.explorer."""

from __future__ import annotations

from prunability.config import StudyConfig
from prunability.explorer import build
from prunability.layout import Layout


def run(config: StudyConfig, layout: Layout) -> None:
    page = build(layout, layout.explorer_page, layout.explorer_sprites, config.statistics)
    print(f"explorer of {config.study} -> {page} ({page.stat().st_size / 1e6:.1f} MB)")
