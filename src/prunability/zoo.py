"""The zoo: the full factorial of the hyperparameter grid times seeds.

A model id is a hash of everything that determines a model's weights (its
hyperparameters, its seed, the data split and the stopping rule), so the same
model gets the same id on every machine and a changed setting gets a new one.
Kept free of torch so that Snakemake can import it quickly to build the DAG.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from prunability.config import StudyConfig
from prunability.hparams import FULL_TRAINING_SET, Hyperparameters


class UnknownModelError(LookupError):
    """A model id that the study's zoo does not hold."""


@dataclass(frozen=True)
class ModelSpec:
    model_id: str
    seed: int
    hparams: Hyperparameters


def _identity(config: StudyConfig, hparams: Hyperparameters, seed: int) -> dict[str, Any]:
    data = config.dataset
    # the whole training split is the default: listed only when cut, so ids of studies without the axis stay as they were
    hparams = {k: v for k, v in hparams.as_dict().items()
               if not (k == "train_fraction" and v == FULL_TRAINING_SET)}
    return {
        "hparams": hparams,
        "seed": seed,
        "dataset": {"name": data.name, "test_fraction": data.test_fraction, "split_seed": data.split_seed,
                    **_data_extras(data)},
        "training": {"target_ce": config.training.target_ce, "max_epochs": config.training.max_epochs,
                     # bfloat16 training changes the weights (on CUDA): listed only when on, as above
                     **({"mixed_precision": True} if config.training.mixed_precision else {})},
    }


def _data_extras(data) -> dict[str, Any]:
    """Dataset settings that change the data, listed only when not at their
    defaults so that ids of studies that never set them stay as they were."""
    extras = {"label_noise": data.label_noise} if data.label_noise else {}
    if data.keep_fraction < 1:  # data pruning: which examples every model trains on
        extras.update(keep_fraction=data.keep_fraction, keep_by=data.keep_by,
                      **({"keep_scores": data.keep_scores} if data.keep_by != "random" else {}))
    if data.name == "manifold":
        extras.update(intrinsic_dim=data.intrinsic_dim, num_samples=data.num_samples)
    return extras


def model_id(config: StudyConfig, hparams: Hyperparameters, seed: int) -> str:
    canonical = json.dumps(_identity(config, hparams, seed), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha1(canonical.encode()).hexdigest()[:10]
    return f"{hparams.architecture}-{digest}"


def expand(config: StudyConfig) -> list[ModelSpec]:
    """Every model of the zoo, in a stable order (grid order, then seed)."""
    axes = list(config.zoo.grid)
    specs = []
    for values in itertools.product(*(config.zoo.grid[a] for a in axes)):
        hparams = Hyperparameters.of(dict(zip(axes, values)))
        for seed in config.zoo.seeds:
            specs.append(ModelSpec(model_id(config, hparams, seed), seed, hparams))
    return specs


def varied_axes(config: StudyConfig) -> list[str]:
    """Grid axes with more than one value: the hyperparameters the statistics condition on."""
    return [axis for axis, values in config.zoo.grid.items() if len(values) > 1]


def find(config: StudyConfig, wanted_id: str) -> ModelSpec:
    for spec in expand(config):
        if spec.model_id == wanted_id:
            return spec
    raise UnknownModelError(f"model id {wanted_id!r} is not in the zoo of study {config.study!r}; "
                            f"`python -m prunability zoo --config <the study's config>` lists its ids")
