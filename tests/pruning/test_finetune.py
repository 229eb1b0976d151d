import torch

from prunability.evaluation import EvalContext, evaluate
from prunability.models import build_model
from prunability.pruning import METHODS, ScoringContext, masks_from_scores
from prunability.pruning.finetune import finetune
from builders import prunable


def test_finetuning_keeps_the_zeros_and_recovers_loss(trained, digits_data):
    spec, result = trained
    data = digits_data
    model = build_model(spec.hparams, data.image_shape, data.num_classes, data.mean, data.std)
    model.load_state_dict(result.final_state)
    params = prunable(model.net)
    ctx = ScoringContext(params=params, generator=torch.Generator().manual_seed(0))
    masks = masks_from_scores(METHODS.get("random").score(ctx), 0.7, "global")
    x, y = data.split.x_train, data.split.y_train
    for name, param in params.items():
        param.data.mul_(masks[name])
    one_shot = evaluate(model, x, y, 1024).loss
    assert finetune(model, masks, x, y, epochs=2, lr=0.01, batch_size=64, seed=0,
                    ctx=EvalContext(torch.device("cpu"), 1024))
    for name, param in prunable(model.net).items():
        assert (param[~masks[name]] == 0).all()  # pruned stays pruned, despite momentum
        assert (param[masks[name]] != 0).any()
    assert evaluate(model, x, y, 1024).loss < one_shot
