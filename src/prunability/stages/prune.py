"""prune: one-shot pruning of one model by one method at every configured
sparsity (no fine-tuning); train-subset and test loss and accuracy, and the
FLOPs kept, per sparsity; the kept count of every tensor (layer-sparsity
table); and the masks as packed bits."""

from __future__ import annotations

import copy

import torch

from prunability import io
from prunability.config import StudyConfig
from prunability.evaluation import evaluate
from prunability.layout import Layout
from prunability.pruning.finetune import finetune
from prunability.pruning import (
    METHODS, ScoringContext, apply_masks_from, flops, kept_count, layer_costs, layer_sparsity, pack_masks,
    prunable_parameters, scoring_batches,
)
from prunability.pruning.validation import check_reachable
from prunability.stages.common import load_data, load_model, setup, train_status, write_job_table

SCHEDULE = "one_shot"


def sparsity_key(sparsity: float) -> str:
    return f"{sparsity:.6g}"


def scoring_context(model, config: StudyConfig, method_name: str, data=None) -> ScoringContext:
    """What ``method_name`` scores ``model`` with: its prunable tensors, a seeded
    generator, the pruning settings, the image shape, and — for data-dependent
    methods — ``score_batches`` × ``score_batch_size`` images of the fixed
    training subset (a seeded draw, as [0, 1] floats on the model's device)."""
    settings = config.pruning
    method = METHODS.get(method_name)
    params = prunable_parameters(model.net, settings.include_biases, settings.include_norm)
    batches = ()
    input_shape = tuple(data.image_shape) if data is not None else None
    if method.needs_data:
        if data is None:
            raise ValueError(f"pruning method {method_name!r} needs training data to score")
        x, y = data.train_eval()
        device = next(model.parameters()).device
        draw = torch.Generator().manual_seed(settings.seed)
        batches = scoring_batches(x, y, settings.score_batches, settings.score_batch_size, draw, device)
    return ScoringContext(params=params, model=model, batches=batches,
                          generator=torch.Generator().manual_seed(settings.seed), settings=settings,
                          input_shape=input_shape)


def compute_masks(model, config: StudyConfig, method_name: str, data=None) -> dict[float, dict[str, torch.Tensor]]:
    """Masks of ``model.net``'s prunable tensors for every configured sparsity
    (``model`` is a Classifier; ``data`` the PreparedData, needed by data-dependent
    methods and SynFlow's input shape). One scoring pass serves every sparsity
    unless the method scores per sparsity (SynFlow). Raises ConfigError first if
    the method cannot reach a sparsity on this network."""
    method = METHODS.get(method_name)
    ctx = scoring_context(model, config, method_name, data)
    check_reachable(method, config.pruning.sparsities, ctx.params)
    return method.masks(ctx, config.pruning.sparsities)


def _rows(model, masks, data, base, batch_size, diverged: bool) -> list[dict]:
    x_train, y_train = data.train_eval()
    rows = []
    for split, (x, y) in {"train": (x_train, y_train), "test": (data.split.x_test, data.split.y_test)}.items():
        if diverged:  # its weights are not finite: record the curve as missing, do not crash
            rows.append({**base, "split": split, "loss": float("nan"), "accuracy": float("nan")})
        else:
            e = evaluate(model, x, y, batch_size)
            rows.append({**base, "split": split, "loss": e.loss, "accuracy": e.accuracy})
    return rows


def _finetuned_rows(model, masks, data, base, config: StudyConfig, spec) -> list[dict]:
    """Rows of the pruned model after fine-tuning on the training set (masks fixed).
    A copy is tuned: training also moves BatchNorm statistics, which the next
    sparsity's one-shot model must not inherit."""
    p = config.pruning
    model = copy.deepcopy(model)
    finite = finetune(model, masks, data.split.x_train, data.split.y_train, epochs=p.finetune_epochs, lr=p.finetune_lr,
                      batch_size=spec.batch_size, seed=p.seed)
    return _rows(model, masks, data, {**base, "schedule": "fine_tuned"}, config.evaluation.batch_size, not finite)


def run(config: StudyConfig, layout: Layout, model_id: str, method: str) -> None:
    spec, device = setup(config, model_id)
    data = load_data(layout, device)
    model = load_model(spec, data, layout.final_weights(model_id), device)
    dense_state = {k: v.clone() for k, v in model.state_dict().items()}
    all_masks = compute_masks(model, config, method, data)
    model.load_state_dict(dense_state)  # scoring leaves the weights alone; be certain
    dense = {n: p.detach().clone() for n, p in model.net.named_parameters()}
    costs = layer_costs(model.net, data.image_shape)
    diverged = train_status(layout, model_id) == "diverged"
    rows, layers = [], []
    for sparsity, masks in all_masks.items():
        apply_masks_from(model.net, dense, masks)  # the dense weights, pruned (one-shot: nothing else changes)
        kept, total = kept_count(masks)
        dense_flops, kept_flops = flops(costs, masks)
        base = {"method": method, "schedule": SCHEDULE, "sparsity": sparsity, "kept": kept, "prunable": total,
                "kept_fraction": kept / total, "flops": dense_flops, "flops_kept": kept_flops}
        rows += _rows(model, masks, data, base, config.evaluation.batch_size, diverged)
        if config.pruning.finetune_epochs and sparsity > 0 and not diverged:
            rows += _finetuned_rows(model, masks, data, base, config, spec)
        layers += [{"method": method, "schedule": SCHEDULE, "sparsity": sparsity, **row} for row in layer_sparsity(masks)]
    io.save_torch({sparsity_key(s): pack_masks(m) for s, m in all_masks.items()}, layout.masks(model_id, method))
    write_job_table(layers, layout.layer_sparsity(model_id, method), "layer_sparsity", model_id)
    write_job_table(rows, layout.pruning_curve(model_id, method), "pruning", model_id)
    print(f"{model_id}/{method}: {len(all_masks)} sparsities")
