"""The registry of claim evaluators: one function per kind of quantity, with the
JSON Schema of its parameters and a sentence saying what it estimates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import jsonschema

from prunability import config as study_config
from prunability.config import ConfigError
from prunability.registry import Registry


@dataclass(frozen=True)
class Estimate:
    """The quantity of one claim: a point estimate, its 95 % interval, the number of
    observations it rests on (models, or model pairs), and context for the report."""

    value: float
    low: float
    high: float
    n: int
    details: Mapping[str, Any] = field(default_factory=dict)
    precondition_failed: str | None = None  # set when the claim's premise does not hold in this run


@dataclass(frozen=True)
class Evaluator:
    name: str
    quantity: str  # a format string over the params: what is estimated
    params_schema: Mapping[str, Any]
    run: Callable[..., Estimate]  # run(tables, params, resamples=, seed=) -> Estimate

    def check(self, params: Mapping[str, Any], where: str) -> None:
        """Fill defaults into ``params`` in place and validate it, or raise ConfigError naming the key."""
        schema = {"type": "object", "additionalProperties": False, **self.params_schema}
        validator = study_config._validator_filling_defaults()(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(params))
        if error is not None:
            raise ConfigError(study_config._describe(error).replace("config key ", f"config key {where}.params.", 1)
                              .replace(".params.<top level>", ".params") + f" (evaluator {self.name})")

    def describe(self, params: Mapping[str, Any]) -> str:
        return self.quantity.format(**params)


EVALUATORS: Registry[Evaluator] = Registry("claim evaluator")


def evaluator(name: str, quantity: str, params_schema: Mapping[str, Any]):
    """Decorator: register ``run`` as the evaluator ``name``."""

    def add(run):
        EVALUATORS.register(name)(Evaluator(name, quantity, params_schema, run))
        return run

    return add
