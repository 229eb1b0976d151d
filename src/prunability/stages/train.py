"""train: one model of the zoo; weights at init and at the end, per-epoch history,
and per-example difficulty scores (prunability.difficulty)."""

from __future__ import annotations

import torch

from prunability import io
from prunability.config import StudyConfig
from prunability.data.train_subset import kept_indices, training_subset
from prunability.difficulty import DifficultyRecorder, difficulty_rows
from prunability.evaluation import EvalContext
from prunability.layout import Layout
from prunability.stages.common import load_data, setup, write_job_table
from prunability.train import train_model


def run(config: StudyConfig, layout: Layout, model_id: str) -> None:
    spec, device = setup(config, model_id)
    ctx = EvalContext.of(config, device)
    full = load_data(layout, device)
    fraction = spec.hparams.train_fraction
    data = training_subset(full, fraction, config.dataset.split_seed, config.dataset.train_eval_size)
    s = data.split
    recorder = (DifficultyRecorder(config.training.score_epoch, {"train": (s.x_train, s.y_train), "test": (s.x_test, s.y_test)})
                if config.training.difficulty_scores else None)
    checkpoint = layout.checkpoint(model_id)
    result = train_model(spec, config.training, data, ctx, checkpoint, recorder)
    write_job_table(result.history, layout.history(model_id), "history", model_id)
    milestones = [{"target_ce": t, "step": s} for t, s in result.milestones.items()]
    write_job_table(milestones, layout.milestones(model_id), "milestones", model_id)
    samples = {"train": kept_indices(len(full.split.x_train), fraction, config.dataset.split_seed),
               "test": torch.arange(len(s.x_test))}
    labels = {"train": s.y_train.cpu(), "test": s.y_test.cpu()}
    write_job_table(difficulty_rows(result.scores, samples, labels), layout.difficulty(model_id), "difficulty", model_id)
    io.save_torch(result.init_state, layout.init_weights(model_id))
    io.save_torch(result.final_state, layout.final_weights(model_id))
    io.save_torch(result.rewind_state, layout.rewind_weights(model_id))
    # result.json is declared last by the rule: written last, it marks the job complete.
    io.write_json({"model_id": model_id, "hparams": spec.hparams.as_dict(), "seed": spec.seed, "status": result.status,
                   "epochs": result.epochs, "steps": result.steps, "final": result.final, "rewind_step": result.rewind_step,
                   "device": str(device)}, layout.train_result(model_id))
    checkpoint.unlink(missing_ok=True)  # the outputs are complete: nothing left to resume
    f = result.final
    print(f"{model_id}: {result.status} after {result.epochs} epochs ({result.steps} steps), "
          f"train CE {f.get('train_loss', float('nan')):.4f}, test acc {f.get('test_acc', float('nan')):.3f}")
