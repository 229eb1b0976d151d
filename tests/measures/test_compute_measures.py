"""The registry matches the schema, every measure declares its sign and cites
its source, and compute_measures times each measure and records failures
with a reason (never a silent number) while real bugs still raise."""

import math

import pytest
import yaml

from prunability.config import SCHEMA_PATH
from prunability.measures import MEASURES, Measure, MeasureFailed, compute_measures, expected_sign
from prunability.registry import UnknownNameError


def schema_measures():
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    return schema["properties"]["measures"]["properties"]["names"]


def test_every_schema_measure_is_registered_and_defaults_are_valid():
    names = schema_measures()
    assert set(names["items"]["enum"]) == set(MEASURES.names())
    assert set(names["default"]) <= set(names["items"]["enum"])


@pytest.mark.parametrize("name", MEASURES.names())
def test_each_measure_declares_a_sign_and_cites_its_source(name):
    assert expected_sign(name) in (-1, 1)
    doc = MEASURES.get(name).doc
    assert "20" in doc and ("et al." in doc or "Chatterjee" in doc), f"{name}: cite the paper (and equation)"


HISTORY = dict(history=object(), milestones={0.1: 40, 0.01: 140})


def test_every_measure_has_a_value_on_a_trained_bn_model(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    # measures that train copies of the model need its spec and data (tests/measures/test_instability_measure.py)
    names = [n for n in MEASURES.names() if "training" not in MEASURES.get(n).needs]
    results = compute_measures(make_context(model, init, x, y, coherence_samples=64, pac_bayes_samples=64, **HISTORY), names)
    assert list(results) == names
    failed = {n: r.reason for n, r in results.items() if not r.ok}
    assert not failed
    assert all(math.isfinite(r.value) and r.seconds >= 0 for r in results.values()), results
    assert results["num_params"].value > 0 and results["path_norm"].value > 0
    assert results["pac_bayes_flatness"].value >= 1 / 2.0**2
    assert 0 < results["prunability"].value <= 1 and 0 < results["prunability_random"].value <= 1
    assert results["steps_to_ce_01"].value == 40 and results["steps_from_ce_01_to_001"].value == 100


def test_missing_inputs_are_recorded_with_a_reason(trained_mlp, make_context, no_init):
    model, _, x, y = trained_mlp
    ctx = make_context(model, no_init, x, y)
    names = ["frobenius_distance", "pac_bayes_init", "steps_to_ce_01", "num_params"]
    results = compute_measures(ctx, names)
    for name in names[:2]:
        assert math.isnan(results[name].value) and "initial weights" in results[name].reason
    assert "training history" in results["steps_to_ce_01"].reason
    assert results["num_params"].ok and results["num_params"].value > 0


def test_milestones_never_reached_or_not_recorded(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    ctx = make_context(model, init, x, y, history=object(), milestones={0.1: 40, 0.01: None})
    results = compute_measures(ctx, ["steps_to_ce_01", "steps_from_ce_01_to_001"])
    assert results["steps_to_ce_01"].value == 40
    assert "never reached cross-entropy 0.01" in results["steps_from_ce_01_to_001"].reason
    ctx = make_context(model, init, x, y, history=object(), milestones={0.05: 10})
    assert "training.milestones" in compute_measures(ctx, ["steps_to_ce_01"])["steps_to_ce_01"].reason


def test_unknown_names_raise_before_anything_runs(trained_mlp, make_context):
    model, init, x, y = trained_mlp
    with pytest.raises(UnknownNameError, match="unknown measure 'nope'; choose one of"):
        compute_measures(make_context(model, init, x, y), ["num_params", "nope"])


def test_bugs_are_not_swallowed(trained_mlp, make_context):
    model, init, x, y = trained_mlp

    def broken(ctx):
        raise ZeroDivisionError("a bug")

    def refuses(ctx):
        raise MeasureFailed("no value, for a reason")

    ctx = make_context(model, init, x, y)
    with MEASURES.registered("broken", Measure("broken", broken, +1)), \
            MEASURES.registered("refuses", Measure("refuses", refuses, +1)):
        assert compute_measures(ctx, ["refuses"])["refuses"].reason == "no value, for a reason"
        with pytest.raises(ZeroDivisionError):
            compute_measures(ctx, ["broken"])
    assert "broken" not in MEASURES and "refuses" not in MEASURES
