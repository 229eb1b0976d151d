"""Configs and hyperparameters for tests, built as the pipeline builds them: through
the parser, so that ``schema.yaml`` stays the one source of every default.

``study(**overrides)`` is the tiny study with sections overridden (merged key by key);
``hparams(**values)`` is the schema's default grid point with ``values`` in place.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Mapping

from prunability import config as study_config
from prunability.hparams import Hyperparameters

TINY = Path(__file__).resolve().parents[1] / "config" / "studies" / "tiny.yaml"


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merged(out.get(key) or {}, value) if isinstance(value, Mapping) else value
    return out


def study(**overrides) -> study_config.StudyConfig:
    """The tiny study, ``overrides`` (section -> mapping of keys, or a value) merged in, parsed."""
    raw = study_config.read_mapping(TINY, "config file", "the tiny study ships with the repository")
    return study_config.parse(_merged(raw, overrides))


@cache
def _default_hparams() -> Hyperparameters:
    from prunability.zoo import expand

    (spec,) = expand(study_config.parse({"study": "defaults", "dataset": {"name": "digits"}, "zoo": {"grid": {}}}))
    return spec.hparams


def hparams(**values) -> Hyperparameters:
    """The schema's default hyperparameters with ``values`` in place (validated)."""
    return Hyperparameters.of({**_default_hparams().as_dict(), **values})


def imp(**keys):
    """An ImpConfig with ``keys`` and the schema's defaults for the rest (parsed)."""
    return minimal(pruning={"sparsities": [0.0], "imp": keys}).pruning.imp


def minimal(**sections) -> study_config.StudyConfig:
    """A study of the schema's defaults only (digits, one model), ``sections`` merged in, parsed."""
    return study_config.parse(_merged({"study": "minimal", "dataset": {"name": "digits"}, "zoo": {"grid": {}}}, sections))


@cache
def _default_scope() -> tuple[bool, bool]:
    pruning = minimal(pruning={"sparsities": [0.0]}).pruning
    return pruning.include_biases, pruning.include_norm


def prunable(net):
    """The prunable tensors of ``net`` under the schema's default pruning scope
    (``pruning.include_biases`` and ``pruning.include_norm``, parsed)."""
    from prunability.pruning import prunable_parameters

    return prunable_parameters(net, *_default_scope())
