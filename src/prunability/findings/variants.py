"""The studies a findings config stands for: itself, or one per value of its
``variants`` setting (e.g. dataset.intrinsic_dim), each an ordinary study config
named ``<study>-<setting><value>`` that snakemake runs like any other."""

from __future__ import annotations

from pathlib import Path

import yaml

from prunability import config as study_config
from prunability.config import StudyConfig
from prunability.findings.claims import Findings


def _label(value: float) -> str:
    return f"{value:g}".replace(".", "p")


def variant_raw(findings: Findings, value: float) -> dict:
    """The raw study config of one variant: the setting replaced, the findings section dropped."""
    raw = study_config._deepcopy({k: v for k, v in findings.study.raw.items() if k != "findings"})
    section, key = findings.variants.key.split(".")
    raw[section][key] = type(raw[section][key])(value) if raw[section].get(key) is not None else value
    raw["study"] = f"{findings.study.study}-{key.replace('_', '-')}{_label(value)}"
    return raw


def variant_studies(findings: Findings) -> list[tuple[float | None, StudyConfig]]:
    """(variant value, study) of every run the findings rest on; (None, the study) without variants."""
    if findings.variants is None:
        return [(None, findings.study)]
    return [(value, study_config.parse(variant_raw(findings, value))) for value in findings.variants.values]


def study_config_files(findings: Findings, directory: Path) -> list[Path]:
    """The config files to run with ``snakemake --configfile``: the findings file itself
    (its findings section is ignored by the study), or one written file per variant."""
    if findings.variants is None:
        return [findings.path]
    paths = []
    for value, study in variant_studies(findings):
        path = Path(directory) / f"{study.study}.yaml"
        text = yaml.safe_dump(dict(study.raw), sort_keys=False)
        if not path.is_file() or path.read_text() != text:  # rewritten only on change
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".yaml.tmp")
            tmp.write_text(text)
            tmp.replace(path)
        paths.append(path)
    return paths
