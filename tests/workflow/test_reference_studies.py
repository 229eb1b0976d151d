"""Every shipped study is valid and its whole DAG resolves (a snakemake dry run)."""

from __future__ import annotations

import pytest

from .conftest import BIN, ROOT, run

STUDIES = sorted((ROOT / "config" / "studies").glob("*.yaml"))


@pytest.mark.parametrize("study", STUDIES, ids=[s.stem for s in STUDIES])
def test_dry_run(study, tmp_path):
    done = run([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "-n", "--quiet", "rules",
                "--directory", str(tmp_path), "--configfile", str(study)], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
