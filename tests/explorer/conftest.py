"""Fixtures of the explorer tests: synthetic studies, their pages, and a
headless Chromium (the system's, driven by Playwright)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from prunability.config import statistics_config
from prunability.explorer import build, synthetic
from prunability.layout import Layout

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    """The system Chromium (Debian's `chromium`; `make browser` installs it), or None."""
    named = os.environ.get("PRUNABILITY_CHROMIUM")
    candidates = ([named] if named else []) + list(CHROMIUM_CANDIDATES) + [shutil.which("chromium") or ""]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the browser tests leave their screenshots (kept after the run, to be looked at)."""
    path = Path(os.environ.get("PRUNABILITY_ARTIFACTS", ROOT / "results" / "test-artifacts")) / "explorer"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium on this machine (run `make browser`, which installs Debian's chromium as root)")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements.txt)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def build_study(root: Path, **options) -> Layout:
    layout = synthetic.write(synthetic.SyntheticStudy(**options), Layout(options.get("study", "synthetic"), root))
    build(layout, layout.explorer_page, layout.explorer_sprites, statistics_config())
    return layout


@pytest.fixture(scope="session")
def full_study(tmp_path_factory) -> Layout:
    """A synthetic study with every table, geometry columns included; its page built."""
    return build_study(tmp_path_factory.mktemp("explorer_full"), study="full", methods=("global_magnitude", "random", "snip"),
                       sparsities=(0.0, 0.3, 0.6, 0.9))


@pytest.fixture(scope="session")
def bare_study(tmp_path_factory) -> Layout:
    """A study without corruption results and without geometry columns."""
    return build_study(tmp_path_factory.mktemp("explorer_bare"), study="bare", corruptions=(), geometry=False,
                       with_schedule=False)
