"""The dynamic dead-neuron rate (prunability.dnr): every ReLU application counts,
module or functional, and training records it per epoch."""

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from builders import hparams, prunable
from prunability.evaluation import EvalContext
from prunability.dnr import DeadReluCounter, NoReluApplied, dead_relu_rate, dense_training_dnr
from prunability.models import ARCHITECTURES, build_model


class ReusedAndFunctional(nn.Module):
    """One nn.ReLU module applied twice (as a residual block does), then a functional F.relu
    and a Tensor.relu; the output layer applies no ReLU."""

    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU()

    def forward(self, x):
        x = x.reshape(len(x), -1)
        a = self.relu(x)
        b = self.relu(x - 1)
        c = F.relu(-x)
        d = (x - 0.75).relu()
        return torch.cat([a, b, c, d], dim=1).sum(dim=1, keepdim=True)


def test_dnr_by_construction_counts_a_reused_module_and_functional_relus():
    x = torch.tensor([[-1.0, 0.5, 2.0], [1.0, 1.0, 1.0]])
    # input 1: relu(x) 1 zero, relu(x-1) 2 (−2, −0.5), relu(−x) 2, relu(x−0.75) 2 (−1.75, −0.25): 7 of 12
    # input 2: relu(x) 0, relu(x−1) 3 (exact zeros count), relu(−x) 3, relu(x−0.75) 0: 6 of 12
    model = ReusedAndFunctional()
    with DeadReluCounter(model) as counter:
        model(x)
    assert counter.rates().tolist() == pytest.approx([7 / 12, 6 / 12])
    assert counter.rate() == pytest.approx(13 / 24)
    assert counter.last_pass == (4, 12)  # four applications of three units each
    assert dead_relu_rate(model, x, batch_size=1) == pytest.approx(13 / 24)


def test_a_network_without_relu_has_no_rate():
    model = nn.Sequential(nn.Flatten(), nn.Linear(3, 2))
    with DeadReluCounter(model) as counter:
        model(torch.ones(2, 3))
    with pytest.raises(NoReluApplied):
        counter.rate()
    assert torch.isnan(torch.tensor(counter.rate_or_nan()))


def test_nothing_counts_outside_the_context_and_inplace_relus_count_once():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(inplace=True))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]))
        model[0].bias.zero_()
    counter = DeadReluCounter(model)
    model(torch.ones(1, 2))  # not counted
    with counter:
        model(torch.ones(1, 2))
    assert counter.rates().tolist() == [0.5] and counter.last_pass == (1, 4)


# ReLU applications per forward pass of each architecture (depth 2, batchnorm), counted by hand:
# nin: 3 per block; mlp: 1 per layer; resnet18: stem + 2 per basic block × 8;
# resnet20: stem + 2 per block × 9; vgg11: one per convolution (8).
EXPECTED_RELUS = {"nin": 6, "mlp": 2, "resnet18": 17, "resnet20": 19, "vgg11": 8}


@pytest.mark.parametrize("arch", ARCHITECTURES.names())
def test_every_relu_application_of_every_architecture_is_counted(arch):
    hp = hparams(architecture=arch, depth=2, width=0.25, dropout=0.0, batchnorm=True)
    model = build_model(hp, (3, 32, 32), 10, torch.zeros(3), torch.ones(3)).eval()
    with DeadReluCounter(model) as counter:
        model(torch.rand(2, 3, 32, 32))
    assert counter.last_pass[0] == EXPECTED_RELUS[arch]
    assert 0.0 <= counter.rate() <= 1.0


def test_training_records_both_rates_every_epoch_and_the_last_eval_rate_is_the_final_networks(
        trained, digits_data):
    spec, result = trained
    assert len(result.history) == result.epochs
    assert all(0.0 <= h["dnr_eval"] <= 1.0 and 0.0 <= h["dnr_train"] <= 1.0 for h in result.history)
    model = build_model(spec.hparams, digits_data.image_shape, digits_data.num_classes, digits_data.mean,
                        digits_data.std)
    model.load_state_dict(result.final_state)
    assert result.history[-1]["dnr_eval"] == dead_relu_rate(model, digits_data.train_eval()[0], batch_size=1024)


def test_dense_training_rows_of_the_dnr_table():
    history = pd.DataFrame({"model_id": ["m", "m"], "epoch": [1, 2], "step": [10, 20],
                            "dnr_eval": [0.5, 0.4], "dnr_train": [0.6, 0.45]})
    rows = dense_training_dnr(history)
    assert rows[["job", "method", "schedule"]].drop_duplicates().values.tolist() == [["dense", "none", "dense"]]
    assert rows["dnr_eval"].tolist() == [0.5, 0.4] and not rows["ap"].any() and (rows["round"] == 0).all()


def test_fine_tuning_records_the_rates_of_every_epoch(trained, digits_data):
    from prunability.pruning.finetune import finetune
    from prunability.pruning.imp import next_masks

    spec, result = trained
    model = build_model(spec.hparams, digits_data.image_shape, digits_data.num_classes, digits_data.mean,
                        digits_data.std)
    model.load_state_dict(result.final_state)
    masks = next_masks(prunable(model.net), None, 0.8, "global_magnitude")
    history, x_eval = [], digits_data.train_eval()[0]
    assert finetune(model, masks, digits_data.split.x_train, digits_data.split.y_train, epochs=2, lr=0.01,
                    batch_size=64, seed=0, x_eval=x_eval, history=history, ctx=EvalContext(torch.device("cpu"), 1024))
    assert [h["epoch"] for h in history] == [1, 2] and history[1]["step"] == 2 * history[0]["step"]
    assert history[-1]["dnr_eval"] == dead_relu_rate(model, x_eval, batch_size=1024)
    assert all(0 < h["dnr_train"] < 1 for h in history)
