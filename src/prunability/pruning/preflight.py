"""Checks of a study's pruning settings against its networks, before any job runs.

Whether a sparsity is reachable depends on the sizes of the prunable tensors
(a layerwise method cannot keep round((1 − s)·n) = 0 weights of a tensor), so
the check builds every architecture of the zoo on the meta device — shapes
without memory or computation — and asks ``validation.unreachable`` for every
pruning job: one-shot and at-init methods at the configured sparsities, IMP at
its rounds' sparsities. The Snakefile calls it while it builds the DAG.
"""

from __future__ import annotations

import torch

from prunability.config import ConfigError, StudyConfig
from prunability.data.shapes import image_shape
from prunability.models import build_model
from prunability.pruning.masks import prunable_parameters
from prunability.pruning.methods import METHODS
from prunability.pruning.validation import unreachable
from prunability.pruning_jobs import pruning_jobs
from prunability.zoo import expand

# Hyperparameters that change no tensor shape: one network per distinct rest.
_SHAPELESS = {"lr", "batch_size", "weight_decay", "optimizer", "dropout"}


def _networks(config: StudyConfig):
    """(description, prunable parameters) of each distinct architecture of the zoo."""
    shape, classes = image_shape(config.dataset)
    seen = set()
    for spec in expand(config):
        key = tuple(sorted((k, v) for k, v in spec.hparams.as_dict().items() if k not in _SHAPELESS))
        if key in seen:
            continue
        seen.add(key)
        with torch.device("meta"):
            model = build_model(spec.hparams, shape, classes, torch.zeros(shape[0]), torch.ones(shape[0]))
        params = prunable_parameters(model.net, config.pruning.include_biases, config.pruning.include_norm)
        yield ", ".join(f"{k}={v}" for k, v in key), params


def check_device_here(config: StudyConfig) -> None:
    """Raise ConfigError when the study asks for a GPU this machine lacks. Only for
    runs whose jobs run here: a cluster's login node may well have none."""
    if config.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("config key device: 'cuda', but torch sees no CUDA GPU on this machine; "
                          "set device: auto (GPU when present) or cpu")


def check_study(config: StudyConfig) -> None:
    """Raise ConfigError naming the job, sparsity, tensor and fix if some pruning job
    of the study cannot reach one of its sparsities on some network of the zoo."""
    p = config.pruning
    for job in pruning_jobs(p):
        if job.ap and METHODS.get(job.method).structured:
            raise ConfigError(f"config key pruning.ap.enabled: pruning job {job.key!r}: AP removes single weights, "
                              f"which a structured method ({job.method}, whole filters) cannot keep; take "
                              f"{job.method} out of pruning.iterative.methods or disable pruning.ap")
    for described, params in _networks(config):
        for job in pruning_jobs(p):
            if job.baseline:  # reuses its source job's masks, checked as that job
                continue
            sparsities = p.imp.sparsities() if job.is_imp else p.sparsities
            problems = unreachable(METHODS.get(job.method), sparsities, params)
            if problems:
                where = f"pruning job {job.key!r} on the network with {described}"
                key = "pruning.imp" if job.is_imp else "pruning.sparsities"
                raise ConfigError(f"config key {key}: {where}: " + "; ".join(problems))
