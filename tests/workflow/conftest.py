"""A copy of the workflow in a temporary directory, for runs that write results/.
(The session fixture `tiny_run` lives in tests/conftest.py, so that every test
directory shares one run of the tiny study.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COPIED = ["Snakefile", "dvc.yaml", "profiles", "workflow", "config", "src/prunability", ".dvc/config", ".dvcignore"]


def workflow_copy(dest: Path, study: str = "tiny") -> Path:
    """The workflow files in ``dest``, with config/config.yaml replaced by ``config/studies/<study>.yaml``."""
    for name in COPIED:
        src, dst = ROOT / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dst)
    shutil.copy2(ROOT / "config" / "studies" / f"{study}.yaml", dest / "config" / "config.yaml")
    return dest


def run(cmd: list[str], cwd: Path, timeout: int = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "DVC_NO_ANALYTICS": "1", **(env or {})}
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
