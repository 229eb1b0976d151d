"""Findings: does this tool reproduce the published claims it exists to test?

A findings study (``config/findings/*.yaml``) is an ordinary study plus a
``findings`` section: claims, each with an evaluator and a criterion written
before the run. After the study has run, :func:`evaluate` computes every claim's
quantity from the run's Parquet tables, with a 95 % interval, and decides
reproduced / contradicted / inconclusive; :mod:`~prunability.findings.report`
writes the suite's report.

* :mod:`~prunability.findings.claims` — the findings section, validated and typed
* :mod:`~prunability.findings.verdict` — estimate and interval → verdict
* :mod:`~prunability.findings.registry` — the registry of claim evaluators
* :mod:`~prunability.findings.correlation` — τ (rank, CMI) and Ψ of a measure with a target
* :mod:`~prunability.findings.trend` — τ between a hyperparameter and a measure
* :mod:`~prunability.findings.advantage` — one measure's τ minus its best competitor's
* :mod:`~prunability.findings.methods` — pruning methods compared (Li et al. 2022)
* :mod:`~prunability.findings.jobs` — two pruning jobs compared network for network (lottery baselines, AP)
* :mod:`~prunability.findings.dead_neurons` — the dynamic dead-neuron rate against sparsity (AP)
* :mod:`~prunability.findings.variants` — the studies behind a findings config
"""

# Importing the evaluator modules registers them.
from prunability.findings import advantage, correlation, dead_neurons, jobs, methods, trend  # noqa: F401
from prunability.findings.claims import Claim, Criterion, Findings, load, parse
from prunability.findings.evaluate import evaluate
from prunability.findings.registry import EVALUATORS, Estimate

__all__ = ["EVALUATORS", "Claim", "Criterion", "Estimate", "Findings", "evaluate", "load", "parse"]
