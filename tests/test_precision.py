"""Mixed precision and channels-last: CUDA-only throughput options, inert on the CPU."""

import dataclasses

import pytest
import torch

from prunability.evaluation import EvalContext
from prunability.precision import Precision
from prunability.train import train_model
from prunability.zoo import expand


def test_options_are_inert_on_the_cpu():
    both = Precision(mixed=True, channels_last=True)
    assert both.active(torch.device("cpu")) == Precision()
    assert both.active(torch.device("cuda")) == both
    with Precision(mixed=True).autocast(torch.device("cpu")):
        assert not torch.is_autocast_enabled("cpu")


def test_channels_last_layout_and_model():
    x = torch.zeros(2, 3, 4, 5)
    out = Precision(channels_last=True).layout(x)
    assert out.is_contiguous(memory_format=torch.channels_last) and torch.equal(out, x)
    assert Precision().layout(x) is x
    conv = Precision(channels_last=True).prepare(torch.nn.Conv2d(3, 4, 3))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)


def test_cpu_training_ignores_the_options_bit_for_bit(trained, tiny_config, digits_data):
    spec, reference = trained
    cfg = dataclasses.replace(tiny_config.training, mixed_precision=True, channels_last=True)
    again = train_model(spec, cfg, digits_data, EvalContext(torch.device("cpu"), 1024))
    assert all(torch.equal(reference.final_state[k], again.final_state[k]) for k in reference.final_state)


def test_mixed_precision_is_part_of_the_model_id(tiny_config):
    on = dataclasses.replace(tiny_config, training=dataclasses.replace(tiny_config.training, mixed_precision=True))
    layout_only = dataclasses.replace(tiny_config, training=dataclasses.replace(tiny_config.training, channels_last=True))
    ids = [s.model_id for s in expand(tiny_config)]
    assert [s.model_id for s in expand(layout_only)] == ids  # a memory layout does not change the weights' values
    assert not set(s.model_id for s in expand(on)) & set(ids)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_bfloat16_training_on_cuda_converges(tiny_config, digits_data):
    spec = expand(tiny_config)[0]
    cfg = dataclasses.replace(tiny_config.training, mixed_precision=True, channels_last=True)
    result = train_model(spec, cfg, digits_data, EvalContext(torch.device("cuda"), 1024))
    assert result.status == "converged"
