"""measures: every configured generalization measure of one model."""

from __future__ import annotations

import math

from prunability.config import StudyConfig
from prunability.layout import Layout
from prunability.measures import MeasureContext, compute_measures
from prunability.stages.common import load_data, load_model, setup, train_status, write_job_table


def run(config: StudyConfig, layout: Layout, model_id: str) -> None:
    spec, device = setup(config, model_id)
    names = list(config.measures.names)
    if train_status(layout, model_id) == "diverged":
        values = {name: math.nan for name in names}
    else:
        data = load_data(layout, device)
        x_train, y_train = data.train_eval()
        ctx = MeasureContext(
            model=load_model(spec, data, layout.final_weights(model_id), device),
            init_model=load_model(spec, data, layout.init_weights(model_id), device),
            x_train=x_train, y_train=y_train, config=config.measures, pruning=config.pruning,
            seed=spec.seed, batch_size=config.evaluation.batch_size,
        )
        values = compute_measures(ctx, names)
    rows = [{"measure": k, "value": v} for k, v in values.items()]
    write_job_table(rows, layout.measures(model_id), "measures", model_id)
    print(f"{model_id}: " + ", ".join(f"{k}={v:.4g}" for k, v in values.items()))
