"""measures: every configured generalization measure of one model, with its
cost in seconds and, where it has no value, the reason."""

from __future__ import annotations

import math

from prunability import io
from prunability.config import StudyConfig
from prunability.evaluation import EvalContext
from prunability.layout import Layout
from prunability.measures import MeasureContext, MeasureResult, compute_measures
from prunability.stages.common import load_model_data, load_model, setup, train_status, write_job_table
from prunability.status import Status


def _history(layout: Layout, model_id: str):
    """(per-epoch history, {target CE: first step}) from the train stage, or (None, None) if absent."""
    history_path, milestones_path = layout.history(model_id), layout.milestones(model_id)
    if not (history_path.exists() and milestones_path.exists()):
        return None, None
    milestones = io.read_parquet(milestones_path)
    steps = {float(t): (None if s is None or (isinstance(s, float) and math.isnan(s)) else int(s))
             for t, s in zip(milestones["target_ce"], milestones["step"].astype(object))}
    return io.read_parquet(history_path), steps


def build_context(config: StudyConfig, layout: Layout, model_id: str) -> MeasureContext:
    """Everything a measure may look at for ``model_id``: weights, data subset, history."""
    spec, device = setup(config, model_id)
    data = load_model_data(config, layout, spec, device)
    x_train, y_train = data.train_eval()
    init_path = layout.init_weights(model_id)
    history, milestones = _history(layout, model_id)
    return MeasureContext(
        model=load_model(spec, data, layout.final_weights(model_id), device),
        init_model=load_model(spec, data, init_path, device) if init_path.exists() else None,
        x_train=x_train, y_train=y_train, config=config.measures, pruning=config.pruning,
        seed=spec.seed, batch_size=EvalContext.of(config, device).batch_size, history=history, milestones=milestones,
        train_size=len(data.split.x_train), train_batch_size=spec.hparams.batch_size,
        spec=spec, training=config.training, data=data,
    )


def run(config: StudyConfig, layout: Layout, model_id: str) -> None:
    names = list(config.measures.names)
    setup(config, model_id)  # an unknown model id fails here, before any file is read
    if train_status(layout, model_id) is Status.DIVERGED:
        results = {name: MeasureResult(math.nan, 0.0, "training diverged (non-finite loss)") for name in names}
    else:
        results = compute_measures(build_context(config, layout, model_id), names)
    rows = [{"measure": k, "value": r.value, "seconds": r.seconds, "reason": r.reason} for k, r in results.items()]
    write_job_table(rows, layout.measures(model_id), "measures", model_id)
    print(f"{model_id}: " + ", ".join(
        f"{k}={r.value:.4g} ({r.seconds:.2f}s)" if r.ok else f"{k}=missing ({r.reason})" for k, r in results.items()
    ))
