"""Loading what several stages share: the prepared data and a trained model."""

from __future__ import annotations

import pandas as pd
import torch

from prunability import io, schemas
from prunability.config import StudyConfig
from prunability.data.split import PreparedData
from prunability.data.train_subset import training_subset
from prunability.device import pick_device
from prunability.layout import Layout
from prunability.models import Classifier
from prunability.status import Status
from prunability.train import new_model
from prunability.zoo import ModelSpec, find


def load_data(layout: Layout, device: torch.device) -> PreparedData:
    return PreparedData.load(layout.prepared, str(device))


def load_model_data(config: StudyConfig, layout: Layout, spec: ModelSpec, device: torch.device) -> PreparedData:
    """The prepared data as ``spec`` sees it: its training split cut to its ``train_fraction``."""
    return training_subset(load_data(layout, device), spec.hparams.train_fraction, config.dataset.split_seed,
                           config.dataset.train_eval_size)


def load_model(spec: ModelSpec, data: PreparedData, weights_path, device: torch.device) -> Classifier:
    model = new_model(spec, data, device)
    state = io.load_torch(weights_path, str(device))
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError) as exc:
        reason = str(exc).strip().splitlines()[0]
        raise io.set_aside(weights_path, f"its weights do not fit model {spec.model_id}: {reason}") from None
    return model.eval()


def train_status(layout: Layout, model_id: str) -> Status:
    return Status(io.read_json(layout.train_result(model_id))["status"])


def setup(config: StudyConfig, model_id: str) -> tuple[ModelSpec, torch.device]:
    return find(config, model_id), pick_device(config.device)


def write_job_table(rows: list[dict], path, table: str, model_id: str) -> None:
    df = pd.DataFrame(rows, columns=[c for c in schemas.JOB[table].names if c != "model_id"])
    df.insert(0, "model_id", model_id)
    io.write_parquet(df, path, schemas.JOB[table])
