"""evaluate: dense and pruned models (one model, one method, every sparsity) on
the clean test set and on every corrupted test set."""

from __future__ import annotations

import numpy as np
import pandas as pd

from prunability import io, schemas
from prunability.config import StudyConfig
from prunability.evaluation import evaluate
from prunability.layout import Layout
from prunability.pruning import apply_masks, unpack_masks
from prunability.stages.common import load_data, load_model, setup, write_job_table
from prunability.stages.prune import sparsity_key


def _test_sets(config: StudyConfig, layout: Layout, data, device):
    """(corruption, severity, images) for the clean set and each corrupted one."""
    yield "none", 0, data.split.x_test
    for name in config.corruptions.names:
        stored = io.load_torch(layout.corrupted(name), str(device))
        for severity in config.corruptions.severities:
            yield name, severity, stored[str(severity)]


def run(config: StudyConfig, layout: Layout, model_id: str, method: str) -> None:
    spec, device = setup(config, model_id)
    data = load_data(layout, device)
    model = load_model(spec, data, layout.final_weights(model_id), device)
    dense_state = {k: v.clone() for k, v in model.state_dict().items()}
    packed = io.load_torch(layout.masks(model_id, method))
    test_sets = list(_test_sets(config, layout, data, device))
    rows, samples = [], []
    for sparsity in config.pruning.sparsities:
        model.load_state_dict(dense_state)
        apply_masks(model.net, unpack_masks(packed[sparsity_key(sparsity)]))
        for corruption, severity, x in test_sets:
            e = evaluate(model, x, data.split.y_test, config.evaluation.batch_size)
            key = {"method": method, "sparsity": sparsity, "corruption": corruption, "severity": severity}
            rows.append({**key, "loss": e.loss, "accuracy": e.accuracy})
            samples.append(sample_rows(key, e, data.split.y_test))
    write_job_table(rows, layout.robustness(model_id, method), "robustness", model_id)
    write_samples(pd.concat(samples, ignore_index=True), layout.samples(model_id, method), model_id)
    print(f"{model_id}/{method}: {len(rows)} evaluations")


def sample_rows(key: dict, e, labels) -> pd.DataFrame:
    """Per test sample (its index in the test set): label, prediction, correctness."""
    n = len(e.correct)
    frame = pd.DataFrame({"sample": np.arange(n, dtype=np.int32), "label": labels.cpu().numpy().astype(np.int16),
                          "predicted": e.predicted.numpy().astype(np.int16), "correct": e.correct.numpy()})
    frame = frame.assign(**key)
    return frame[[f.name for f in schemas.SAMPLE_FIELDS]]


def write_samples(frame: pd.DataFrame, path, model_id: str) -> None:
    frame.insert(0, "model_id", model_id)
    io.write_parquet(frame, path, schemas.JOB["samples"])
