from prunability import config as study_config
from prunability.zoo import expand, model_id, varied_axes

RAW = {"study": "z", "dataset": {"name": "digits"},
       "zoo": {"seeds": [0, 1], "grid": {"depth": [2, 3], "lr": [0.1, 0.01, 0.001]}}}


def test_zoo_is_the_full_factorial_times_seeds():
    specs = expand(study_config.parse(RAW))
    assert len(specs) == 2 * 3 * 2
    assert len({s.model_id for s in specs}) == 12
    assert {(s.depth, s.lr, s.seed) for s in specs} == {
        (d, lr, seed) for d in (2, 3) for lr in (0.1, 0.01, 0.001) for seed in (0, 1)}


def test_model_id_is_stable_and_sensitive():
    cfg = study_config.parse(RAW)
    spec = expand(cfg)[0]
    # a regression pin: ids must not change across versions or machines
    assert spec.model_id == model_id(cfg, dict(spec.hparams), spec.seed)
    assert spec.model_id.startswith("nin-") and len(spec.model_id) == 14
    changed = study_config.parse({**RAW, "training": {"max_epochs": 7}})
    assert expand(changed)[0].model_id != spec.model_id
    renamed = study_config.parse({**RAW, "study": "other-name"})
    assert expand(renamed)[0].model_id == spec.model_id  # the study name does not shape weights


def test_varied_axes():
    assert varied_axes(study_config.parse(RAW)) == ["depth", "lr"]
