"""findings: the verdicts of one findings study from its run's tables, the study
configs it needs run, and the report of the whole suite."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from prunability import io, schemas
from prunability.findings import evaluate, load
from prunability.findings.report import markdown
from prunability.findings.variants import study_config_files
from prunability.layout import FindingsLayout


def studies(config_path: Path, layout: FindingsLayout) -> list[Path]:
    """The config files snakemake runs for this findings study (variants written first)."""
    findings = load(config_path)
    return study_config_files(findings, layout.study_configs(findings.study.study))


def run(config_path: Path, layout: FindingsLayout, wall_seconds: float | None = None) -> pd.DataFrame:
    findings = load(config_path)
    verdicts = evaluate(findings, layout.root, wall_seconds)
    io.write_parquet(verdicts, layout.verdicts(findings.study.study), schemas.FINDINGS)
    for r in verdicts.itertuples():
        print(f"{r.claim_id}: {r.verdict} — estimate {r.estimate:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}], {r.reason}")
    return verdicts


def report(config_paths: list[Path], layout: FindingsLayout) -> pd.DataFrame:
    """Collect the verdicts of the given findings studies into report.md, verdicts.parquet and .json."""
    frames = []
    for path in config_paths:
        name = load(path).study.study
        verdicts = layout.verdicts(name)
        if not verdicts.is_file():
            raise FileNotFoundError(f"{verdicts} is missing; run `python -m prunability findings --config {path}` "
                                    f"after its study (or make findings FINDINGS={path})")
        frames.append(io.read_parquet(verdicts))
    table = pd.concat(frames, ignore_index=True)
    io.write_parquet(table, layout.table, schemas.FINDINGS)
    io.write_json(json.loads(table.to_json(orient="records")), layout.json)
    wall = {r.findings: r.wall_seconds for r in table.drop_duplicates("findings").itertuples()
            if pd.notna(r.wall_seconds)}
    with io.atomic_path(layout.report) as tmp:
        tmp.write_text(markdown(table, wall))
    print(f"{len(table)} verdicts -> {layout.report}")
    return table
