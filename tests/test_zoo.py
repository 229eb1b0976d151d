import dataclasses

import pytest

from prunability import config as study_config
from prunability import schemas
from prunability.hparams import Hyperparameters
from prunability.zoo import expand, model_id, varied_axes

RAW = {"study": "z", "dataset": {"name": "digits"},
       "zoo": {"seeds": [0, 1], "grid": {"depth": [2, 3], "lr": [0.1, 0.01, 0.001]}}}


def test_zoo_is_the_full_factorial_times_seeds():
    specs = expand(study_config.parse(RAW))
    assert len(specs) == 2 * 3 * 2
    assert len({s.model_id for s in specs}) == 12
    assert {(s.hparams.depth, s.hparams.lr, s.seed) for s in specs} == {
        (d, lr, seed) for d in (2, 3) for lr in (0.1, 0.01, 0.001) for seed in (0, 1)}


def test_model_id_is_stable_and_sensitive():
    cfg = study_config.parse(RAW)
    spec = expand(cfg)[0]
    # a regression pin: ids must not change across versions or machines
    assert spec.model_id == model_id(cfg, spec.hparams, spec.seed)
    assert spec.model_id.startswith("nin-") and len(spec.model_id) == 14
    changed = study_config.parse({**RAW, "training": {"max_epochs": 7}})
    assert expand(changed)[0].model_id != spec.model_id
    renamed = study_config.parse({**RAW, "study": "other-name"})
    assert expand(renamed)[0].model_id == spec.model_id  # the study name does not shape weights


def test_varied_axes():
    assert varied_axes(study_config.parse(RAW)) == ["depth", "lr"]


def test_model_ids_are_pinned_literally():
    """Ids computed by the code before hyperparameters were typed (commit 05f68f7): an integer
    width stays an integer in the hash, and train_fraction 1 is left out as 1.0 is."""
    assert expand(study_config.parse(RAW))[0].model_id == "nin-eb88169d3b"
    raw = {"study": "z", "dataset": {"name": "digits"}, "zoo": {"grid": {"width": [1, 0.5], "train_fraction": [0.5, 1]}}}
    assert [s.model_id for s in expand(study_config.parse(raw))] == [
        "nin-c225ddd4f2", "nin-1fa8751ea5", "nin-0e592622a5", "nin-25b9b6a67b"]


def test_hyperparameter_fields_are_the_schemas_grid_axes_in_order():
    grid = study_config.schema()["properties"]["zoo"]["properties"]["grid"]["properties"]
    assert [f.name for f in dataclasses.fields(Hyperparameters)] == list(grid)
    specs = expand(study_config.parse(RAW))
    assert list(specs[0].hparams.as_dict()) == list(grid)
    assert schemas.HPARAM_NAMES == [*grid, "seed"]  # the zoo table's hyperparameter columns


@pytest.mark.parametrize("values, key", [
    ({"depth": 2.5}, "depth"), ({"batchnorm": 1}, "batchnorm"), ({"depth": True}, "depth"),
    ({"lr": "0.1"}, "lr"), ({"momentum": 0.9}, "unknown"),
])
def test_bad_hyperparameters_are_named(values, key):
    good = expand(study_config.parse(RAW))[0].hparams.as_dict()
    with pytest.raises(study_config.ConfigError, match=key):
        Hyperparameters.of({**good, **values})
    with pytest.raises(study_config.ConfigError, match=r"missing \['lr'\]"):
        Hyperparameters.of({k: v for k, v in good.items() if k != "lr"})
