"""The registry covers the schema's measure names, and compute_measures runs them all."""

import math

import yaml

from prunability.config import SCHEMA_PATH
from prunability.measures import MEASURES, compute_measures


def schema_measure_names():
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    return schema["properties"]["measures"]["properties"]["names"]["items"]["enum"]


def test_every_schema_measure_is_registered():
    assert set(schema_measure_names()) <= set(MEASURES.names())


def test_compute_measures_on_a_trained_bn_model(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    names = schema_measure_names()
    values = compute_measures(make_context(model, init, x, y), names)
    assert list(values) == names
    assert all(isinstance(v, float) and math.isfinite(v) for v in values.values()), values
    assert values["num_params"] > 0 and values["inverse_margin"] > 0 and values["path_norm"] > 0
    assert values["pac_bayes_flatness"] >= 1 / 2.0**2
    assert 0 < values["prunability"] <= 1
