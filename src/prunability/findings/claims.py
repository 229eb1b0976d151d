"""The findings section of a findings study, validated once and typed.

A findings study (``config/findings/*.yaml``) is an ordinary study config plus a
top-level ``findings`` mapping: the claims it tests, each with the evaluator that
computes its quantity from the run's tables and the criterion — written before
the run — that turns an estimate and its 95 % interval into a verdict. Its
structure and defaults live in ``findings/schema.yaml``; each evaluator checks
its own ``params`` against the schema it registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Mapping

import jsonschema
import yaml

from prunability import config as study_config
from prunability.config import ConfigError, StudyConfig, read_mapping

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


@dataclass(frozen=True)
class Criterion:
    direction: str  # above | below | outside
    threshold: float
    max_width: float
    text: str


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str
    claim: str
    evaluator: str
    params: Mapping[str, Any]
    criterion: Criterion
    explanation: str


@dataclass(frozen=True)
class Variants:
    key: str  # dotted, e.g. dataset.intrinsic_dim
    values: tuple[float, ...]

    @property
    def column(self) -> str:
        """The column the pooled tables carry the value in: the setting's last part."""
        return self.key.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Findings:
    study: StudyConfig  # the base study (the only one when there are no variants)
    claims: tuple[Claim, ...]
    variants: Variants | None
    resamples: int
    seed: int
    path: Path | None = None


@cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _validated(section: Any) -> dict:
    if not isinstance(section, Mapping):
        raise ConfigError("config key findings: missing or not a mapping; a findings study needs "
                          "findings: {claims: [...]} (see src/prunability/findings/schema.yaml)")
    instance = study_config._deepcopy(dict(section))
    validator = study_config._validator_filling_defaults()(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise ConfigError(study_config._describe(error).replace("config key ", "config key findings.", 1)
                          .replace("findings.<top level>", "findings"))
    return instance


def _claim(raw: Mapping[str, Any], index: int) -> Claim:
    from prunability.findings.registry import EVALUATORS

    where = f"findings.claims.{index} ({raw['id']})"
    if raw["evaluator"] not in EVALUATORS:
        raise ConfigError(f"config key {where}.evaluator: {raw['evaluator']!r} is not valid; choose one of: "
                          + ", ".join(EVALUATORS.names()))
    EVALUATORS.get(raw["evaluator"]).check(raw["params"], where)
    return Claim(id=raw["id"], paper=raw["paper"], claim=raw["claim"], evaluator=raw["evaluator"],
                 params=dict(raw["params"]), criterion=Criterion(**raw["criterion"]),
                 explanation=raw["explanation"])


def parse(raw: Mapping[str, Any], path: Path | None = None) -> Findings:
    """The findings of a raw findings-study mapping, or ConfigError naming the key."""
    section = _validated(raw.get("findings"))
    ids = [c["id"] for c in section["claims"]]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ConfigError(f"config key findings.claims: claim ids must be unique; {duplicated} appear twice")
    variants = section.get("variants")
    return Findings(
        study=study_config.parse(raw),
        claims=tuple(_claim(c, i) for i, c in enumerate(section["claims"])),
        variants=Variants(variants["key"], tuple(variants["values"])) if variants else None,
        resamples=section["resamples"], seed=section["seed"], path=path,
    )


def load(path: str | Path) -> Findings:
    return parse(read_mapping(path, "findings file", "pass one of config/findings/*.yaml"), Path(path))
