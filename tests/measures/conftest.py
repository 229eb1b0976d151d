"""Shared fixtures for the measure tests: a context builder, and small models
trained for a few seconds on scikit-learn's bundled digits (real data, offline)."""

from __future__ import annotations

import contextlib
import copy

import pytest
import torch
import torch.nn.functional as F

from prunability.config import DatasetConfig, MeasureConfig, PruningConfig
from prunability.data.digits import load_digits
from prunability.data.split import PreparedData, as_float
from prunability.measures import MEASURES, MeasureContext
from prunability.models import Classifier, build_model

MEASURE_DEFAULTS = dict(  # the schema defaults
    margin_percentile=10.0, prunability_tolerance=0.1, prunability_steps=12, pac_bayes_accuracy_drop=0.1,
    pac_bayes_samples=10, pac_bayes_steps=15, pac_bayes_sigma_max=2.0,
)


def context(model, init_model=None, x=None, y=None, *, include_biases=False, include_norm=False, **measure):
    """A MeasureContext with schema-default settings, overridable by keyword."""
    cfg = MeasureConfig(names=tuple(MEASURES.names()), **{**MEASURE_DEFAULTS, **measure})
    pruning = PruningConfig(
        methods=("global_magnitude",), sparsities=(0.5,), include_biases=include_biases,
        include_norm=include_norm, seed=0,
    )
    return MeasureContext(
        model=model.eval(), init_model=(init_model if init_model is not None else copy.deepcopy(model)).eval(),
        x_train=x, y_train=y, config=cfg, pruning=pruning,
    )


def plain(net, channels=1):
    """A Classifier whose input normalization is the identity."""
    return Classifier(net, torch.zeros(channels), torch.ones(channels)).eval()


@contextlib.contextmanager
def single_thread():
    """Tiny models run fastest on one thread, and a shared 2-core machine under
    load slows multi-threaded torch by orders of magnitude."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def one_thread():
    with single_thread():
        yield


@pytest.fixture
def make_context():
    return context


@pytest.fixture
def make_plain():
    return plain


@pytest.fixture(scope="session")
def digits() -> PreparedData:
    cfg = DatasetConfig(name="digits", root="data", download=False, test_fraction=0.3, split_seed=0, train_eval_size=0)
    return PreparedData.from_split(load_digits(cfg), train_eval_size=0, seed=0)


def train(model, x, y, epochs, lr=3e-3, batch_size=64, seed=0):
    """Plain Adam minibatch training; returns the model in eval mode."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xf = as_float(x)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(batch_size):
            opt.zero_grad()
            F.cross_entropy(model(xf[idx]), y[idx]).backward()
            opt.step()
    return model.eval()


def trained(digits, hparams, epochs, lr=3e-3, seed=0):
    """(trained model, its initialization, x_train, y_train)."""
    torch.manual_seed(seed)
    model = build_model(hparams, digits.image_shape, digits.num_classes, digits.mean, digits.std)
    init = copy.deepcopy(model).eval()
    x, y = digits.train_eval()
    with single_thread():  # session fixtures are set up before the autouse one
        model = train(model, x, y, epochs, lr=lr, seed=seed)
    return model, init, x, y


@pytest.fixture(scope="session")
def trained_mlp(digits):
    """A one-hidden-layer MLP (64 units, no BN): ~97 % train accuracy in well under a second."""
    hp = {"architecture": "mlp", "depth": 1, "width": 0.25, "dropout": 0.0, "batchnorm": False}
    return trained(digits, hp, epochs=8)


@pytest.fixture(scope="session")
def trained_nin_bn(digits):
    """A one-block NiN with BatchNorm (16 channels): ~95 % train accuracy in about a second."""
    hp = {"architecture": "nin", "depth": 1, "width": 0.64, "dropout": 0.0, "batchnorm": True}
    return trained(digits, hp, epochs=15, lr=1e-2)
