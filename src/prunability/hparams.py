"""The hyperparameters of one zoo model: one typed field per grid axis of the schema.

``zoo.grid`` in ``schema.yaml`` names the axes (their values, bounds and defaults);
``Hyperparameters`` is their typed form, built once at the boundary
(``Hyperparameters.of``) from one point of the grid. Field order is the schema's
axis order, which is also the order of the zoo table's hyperparameter columns.
Values are kept as the study gives them (an integer width stays an integer), so
that the model id, a hash of ``as_dict()``, is the same as before the type existed.
Kept free of torch: Snakemake imports it to build the DAG.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from prunability.config import ConfigError

FULL_TRAINING_SET = 1.0  # train_fraction of a model that sees the whole training split


@dataclass(frozen=True)
class Hyperparameters:
    architecture: str  # a name of models.ARCHITECTURES
    depth: int  # NiN blocks or MLP hidden layers (fixed-depth architectures ignore it)
    width: float  # multiplier of the architecture's base width
    dropout: float
    batchnorm: bool
    optimizer: str  # a name of optimizers.OPTIMIZERS
    lr: float
    batch_size: int
    weight_decay: float
    train_fraction: float  # share of the training split the model trains on

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Hyperparameters:
        """The hyperparameters of ``values`` (axis name -> value); ConfigError
        naming the axis when one is missing, unknown or of the wrong type."""
        names = [f.name for f in dataclasses.fields(cls)]
        missing, unknown = [n for n in names if n not in values], [k for k in values if k not in names]
        if missing or unknown:
            raise ConfigError(f"zoo.grid axes: missing {missing}, unknown {unknown}; "
                              f"a model has exactly one value for each of {', '.join(names)}")
        for f in dataclasses.fields(cls):
            _check_type(f.name, values[f.name], _TYPES[f.type])
        return cls(**{n: values[n] for n in names})

    def as_dict(self) -> dict[str, Any]:
        """Axis name -> value, in the schema's axis order (the zoo table's columns)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


_TYPES = {"str": str, "int": int, "float": float, "bool": bool}  # the fields' annotations, as written


def _check_type(name: str, value: Any, wanted: type) -> None:
    # bool is an int in Python: only batchnorm may be one; an int is a valid float (width 1, lr 1)
    ok = (isinstance(value, bool) if wanted is bool
          else not isinstance(value, bool) and isinstance(value, (int, float) if wanted is float else wanted))
    if not ok:
        raise ConfigError(f"zoo.grid axis {name}: {value!r} is not a {wanted.__name__}; "
                          f"give a {wanted.__name__} value")
