"""prune: one-shot pruning of one model by one method at every configured
sparsity (no fine-tuning); train-subset and test loss and accuracy per sparsity,
and the masks as packed bits."""

from __future__ import annotations

import torch

from prunability import io
from prunability.config import StudyConfig
from prunability.evaluation import evaluate
from prunability.layout import Layout
from prunability.pruning import METHODS, apply_masks, kept_count, masks_from_scores, pack_masks, prunable_parameters
from prunability.stages.common import load_data, load_model, setup, train_status, write_job_table


def sparsity_key(sparsity: float) -> str:
    return f"{sparsity:.6g}"


def compute_masks(net, config: StudyConfig, method_name: str) -> dict[float, dict[str, torch.Tensor]]:
    """Masks of ``net``'s prunable tensors for every configured sparsity; one scoring pass serves them all."""
    method = METHODS.get(method_name)
    params = prunable_parameters(net, config.pruning.include_biases, config.pruning.include_norm)
    scores = method.score(params, torch.Generator().manual_seed(config.pruning.seed))
    return {s: masks_from_scores(scores, s, method.scope) for s in config.pruning.sparsities}


def _rows(model, masks, data, sparsity, method, batch_size) -> list[dict]:
    kept, total = kept_count(masks)
    x_train, y_train = data.train_eval()
    base = {"method": method, "schedule": "one_shot", "sparsity": sparsity, "kept": kept,
            "prunable": total, "kept_fraction": kept / total}
    rows = []
    for split, (x, y) in {"train": (x_train, y_train), "test": (data.split.x_test, data.split.y_test)}.items():
        e = evaluate(model, x, y, batch_size)
        rows.append({**base, "split": split, "loss": e.loss, "accuracy": e.accuracy})
    return rows


def run(config: StudyConfig, layout: Layout, model_id: str, method: str) -> None:
    spec, device = setup(config, model_id)
    data = load_data(layout, device)
    model = load_model(spec, data, layout.final_weights(model_id), device)
    dense_state = {k: v.clone() for k, v in model.state_dict().items()}
    all_masks = compute_masks(model.net, config, method)
    diverged = train_status(layout, model_id) == "diverged"
    rows = []
    for sparsity, masks in all_masks.items():
        model.load_state_dict(dense_state)
        apply_masks(model.net, masks)
        if diverged:  # its weights are not finite: record the curve as missing, do not crash
            kept, total = kept_count(masks)
            rows += [{"method": method, "schedule": "one_shot", "sparsity": sparsity, "kept": kept, "prunable": total,
                      "kept_fraction": kept / total, "split": split, "loss": float("nan"), "accuracy": float("nan")}
                     for split in ("train", "test")]
        else:
            rows += _rows(model, masks, data, sparsity, method, config.evaluation.batch_size)
    io.save_torch({sparsity_key(s): pack_masks(m) for s, m in all_masks.items()}, layout.masks(model_id, method))
    write_job_table(rows, layout.pruning_curve(model_id, method), "pruning", model_id)
    print(f"{model_id}/{method}: {len(all_masks)} sparsities")
