"""Every claim of a findings study, evaluated from its run's tables: one verdict row each.

An evaluator that cannot find what it needs (a measure not computed, a method
not run) is a mistake in the findings config and raises with the fix; a
premise that does not hold in this run (methods' clean accuracies differ) is a
result, reported as inconclusive with the reason.
"""

from __future__ import annotations

import json

import pandas as pd

from prunability import schemas
from prunability.config import ConfigError
from prunability.findings.claims import Claim, Findings
from prunability.findings.registry import EVALUATORS, Estimate
from prunability.findings.tables import Run, StudyTables
from prunability.findings.variants import variant_studies
from prunability.findings.verdict import INCONCLUSIVE, Verdict, decide, describe
from prunability.layout import Layout
from prunability.stats.study import typed_frame


def study_tables(findings: Findings, results_root) -> StudyTables:
    runs = [Run(Layout(study.study, results_root), value) for value, study in variant_studies(findings)]
    column = findings.variants.column if findings.variants else None
    return StudyTables(runs, column, findings.study.statistics.include_unconverged)


def verdict_of(estimate: Estimate, claim: Claim) -> Verdict:
    if estimate.precondition_failed:
        return Verdict(INCONCLUSIVE, estimate.precondition_failed)
    return decide(estimate.value, estimate.low, estimate.high, claim.criterion)


def evaluate(findings: Findings, results_root, wall_seconds: float | None = None) -> pd.DataFrame:
    """The verdict table (``schemas.FINDINGS``) of every claim of ``findings``; ``wall_seconds``
    (how long its studies took to run, when measured) is copied into every row."""
    tables = study_tables(findings, results_root)
    studies = "+".join(run.layout.study for run in tables.runs)
    rows = []
    for claim in findings.claims:
        evaluator = EVALUATORS.get(claim.evaluator)
        try:
            estimate = evaluator.run(tables, claim.params, resamples=findings.resamples, seed=findings.seed)
        except KeyError as missing:  # the claim asks for a measure, method or column this study lacks
            raise ConfigError(f"findings claim {claim.id} ({claim.evaluator}): {missing.args[0]}") from None
        verdict = verdict_of(estimate, claim)
        rows.append((findings.study.study, claim.id, claim.paper, claim.claim, evaluator.describe(claim.params),
                     estimate.value, estimate.low, estimate.high, estimate.n, claim.criterion.text,
                     describe(claim.criterion), verdict.verdict, verdict.reason, claim.explanation,
                     json.dumps(dict(estimate.details), sort_keys=False), studies,
                     float("nan") if wall_seconds is None else float(wall_seconds)))
    return typed_frame(rows, schemas.FINDINGS)
