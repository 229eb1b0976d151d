"""Where a result came from: package version, git commit, config hash, and a
per-stage code version that Snakemake uses as a rule parameter, so changing a
stage's code reruns that stage (Snakemake compares params, not imported code)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any, Mapping

from prunability import __version__

PACKAGE_DIR = Path(__file__).resolve().parent

# The package files each stage's results depend on (beyond config.py, io.py, schemas.py).
STAGE_CODE = {
    "prepare": ["stages/prepare.py", "data"],
    "corrupt": ["stages/corrupt.py", "corruptions"],
    "train": ["stages/train.py", "train.py", "precision.py", "models", "optimizers.py", "evaluation.py", "data/split.py"],
    "prune": ["stages/prune.py", "pruning", "pruning_jobs.py", "train.py", "precision.py", "evaluation.py"],
    "evaluate": ["stages/evaluate.py", "stages/pruned.py", "pruning_jobs.py", "pruning/masks.py", "evaluation.py",
                 "measures/features.py",
                 "measures/dead_neurons.py", "measures/context.py"],
    "measures": ["stages/measure.py", "measures", "pruning"],
    "aggregate": ["stages/aggregate.py"],
    "statistics": ["stages/statistics.py", "stats"],
    "explorer": ["stages/explorer.py", "explorer", "explorer/static/app.js", "explorer/static/page.html",
                 "stages/statistics.py"],
}
SHARED_CODE = ["config.py", "io.py", "schemas.py", "stages/common.py"]  # layout.py: paths are visible to snakemake itself


def _files(root: Path, entries: list[str]) -> list[Path]:
    found = []
    for entry in entries:
        path = root / entry
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


def code_version(stage: str, root: Path = PACKAGE_DIR) -> str:
    """Hash of the source files ``stage`` depends on."""
    digest = hashlib.sha1()
    for path in _files(root, STAGE_CODE[stage] + SHARED_CODE):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def git_commit() -> str:
    """The commit of the checkout the package runs from, or "unknown" outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def config_hash(raw: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:12]


def record(raw_config: Mapping[str, Any]) -> dict[str, str]:
    """Parquet schema metadata stored with every result table."""
    return {"prunability_version": __version__, "git_commit": git_commit(), "config_hash": config_hash(raw_config)}
