"""Shared fixtures for the measure tests: a context builder, and small models
trained for a few seconds on scikit-learn's bundled digits (real data, offline)."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from builders import hparams, minimal
from prunability.config import dataset_config
from prunability.data.digits import load_digits
from prunability.data.split import PreparedData, as_float
from prunability.measures import MEASURES, MeasureContext
from prunability.models import Classifier, build_model
from prunability.threads import single_thread


NO_INIT = object()


def context(model, init_model=None, x=None, y=None, *, include_biases=False, include_norm=False, history=None,
            milestones=None, **measure):
    """A MeasureContext with schema-default settings, overridable by keyword.
    ``init_model=None`` uses a copy of ``model``; ``NO_INIT`` gives a context without one."""
    study = minimal(measures=measure, pruning={"methods": ["global_magnitude"], "sparsities": [0.5],
                                               "include_biases": include_biases, "include_norm": include_norm, "seed": 0})
    cfg, pruning = dataclasses.replace(study.measures, names=tuple(MEASURES.names())), study.pruning
    return MeasureContext(
        model=model.eval(),
        init_model=None if init_model is NO_INIT else (init_model if init_model is not None else copy.deepcopy(model)).eval(),
        x_train=x, y_train=y, config=cfg, pruning=pruning, seed=0, batch_size=study.evaluation.batch_size,
        history=history, milestones=milestones,
    )


def plain(net, channels=1):
    """A Classifier whose input normalization is the identity."""
    return Classifier(net, torch.zeros(channels), torch.ones(channels)).eval()


@pytest.fixture(autouse=True)
def one_thread():
    with single_thread():
        yield


@pytest.fixture
def make_context():
    return context


@pytest.fixture
def no_init():
    """Pass as ``init_model`` for a context whose model has no saved initialization."""
    return NO_INIT


@pytest.fixture
def make_plain():
    return plain


@pytest.fixture(scope="session")
def digits() -> PreparedData:
    cfg = dataset_config(name="digits", root="data", download=False, test_fraction=0.3, split_seed=0, train_eval_size=0)
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


def trained(digits, hp, epochs, lr=3e-3, seed=0):
    """(trained model, its initialization, x_train, y_train)."""
    torch.manual_seed(seed)
    model = build_model(hp, digits.image_shape, digits.num_classes, digits.mean, digits.std)
    init = copy.deepcopy(model).eval()
    x, y = digits.train_eval()
    with single_thread():  # session fixtures are set up before the autouse one
        model = train(model, x, y, epochs, lr=lr, seed=seed)
    return model, init, x, y


@pytest.fixture(scope="session")
def trained_mlp(digits):
    """A one-hidden-layer MLP (64 units, no BN): ~97 % train accuracy in well under a second."""
    hp = hparams(architecture="mlp", depth=1, width=0.25, dropout=0.0, batchnorm=False)
    return trained(digits, hp, epochs=8)


@pytest.fixture(scope="session")
def trained_nin_bn(digits):
    """A one-block NiN with BatchNorm (16 channels): ~95 % train accuracy in about a second."""
    hp = hparams(architecture="nin", depth=1, width=0.64, dropout=0.0, batchnorm=True)
    return trained(digits, hp, epochs=15, lr=1e-2)
