import pytest
import yaml

from builders import imp as make_imp
from prunability import config as study_config
from prunability.config import ConfigError

MINIMAL = {"study": "s", "dataset": {"name": "digits"}, "zoo": {"grid": {}}}


def with_change(path: str, value):
    raw = yaml.safe_load(yaml.safe_dump(MINIMAL))
    *parents, leaf = path.split(".")
    node = raw
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    return raw


def test_defaults_are_filled_from_the_schema():
    cfg = study_config.parse(MINIMAL)
    assert cfg.training.target_ce == 0.01
    assert cfg.pruning.methods == ("global_magnitude", "layerwise_magnitude", "random")
    assert cfg.zoo.grid["architecture"] == ("nin",)
    assert cfg.zoo.seeds == (0,)


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("training.max_epochs", "ten", "training.max_epochs: 'ten' is not of type 'integer'"),
        ("pruning.sparsities", [0.5, 1.0], "pruning.sparsities.1"),
        ("pruning.sparsities", [-0.1], "pruning.sparsities.0"),
        ("pruning.methods", ["magnitude"], "choose one of: global_magnitude, layerwise_magnitude, random"),
        ("dataset.name", "imagenet", "choose one of: digits, cifar10, cifar100, mnist, fashion_mnist, svhn"),
        ("zoo.grid.architecture", ["resnet50"], "choose one of: nin, mlp, resnet18, vgg11"),
        ("corruptions.names", ["haze"], "config key corruptions.names.0: 'haze' is not valid; choose one of:"),
        ("training.epochs", 3, "allowed keys here: target_ce, max_epochs, milestones"),
        ("measures.noise_draws_per_pass", "many", "noise_draws_per_pass: 'many' is not valid; give an integer >= 1 or 'auto'"),
        ("measures.noise_draws_per_pass", 0, "noise_draws_per_pass: 0 is less than the minimum of 1"),
    ],
)
def test_bad_values_name_the_key_and_the_choices(path, value, expected):
    with pytest.raises(ConfigError) as error:
        study_config.parse(with_change(path, value))
    assert expected in str(error.value)


def test_missing_file_says_what_to_pass(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        study_config.load(tmp_path / "nope.yaml")


def test_schema_enums_match_the_registries():
    from prunability.corruptions import CORRUPTIONS
    from prunability.data import DATASETS
    from prunability.measures import MEASURES
    from prunability.models import ARCHITECTURES
    from prunability.optimizers import OPTIMIZERS
    from prunability.pruning import METHODS

    props = study_config.schema()["properties"]
    grid = props["zoo"]["properties"]["grid"]["properties"]
    assert props["dataset"]["properties"]["name"]["enum"] == DATASETS.names()
    assert grid["architecture"]["items"]["enum"] == ARCHITECTURES.names()
    assert grid["optimizer"]["items"]["enum"] == OPTIMIZERS.names()
    assert study_config.schema()["$defs"]["pruning_method"]["enum"] == METHODS.names()
    ref = {"$ref": "#/$defs/pruning_method"}  # methods and at-init methods share the one list
    assert props["pruning"]["properties"]["methods"]["items"] == props["pruning"]["properties"]["at_init"]["items"] == ref
    imp = props["pruning"]["properties"]["imp"]["properties"]
    assert set(imp["method"]["enum"]) == {m for m in METHODS.names() if m.endswith("_magnitude") and "gradient" not in m}
    assert set(props["corruptions"]["properties"]["names"]["items"]["enum"]) <= set(CORRUPTIONS.names())
    assert set(props["measures"]["properties"]["names"]["items"]["enum"]) == set(MEASURES.names())


def test_shipped_configs_are_valid(repo_root):
    for path in [repo_root / "config" / "config.yaml", *sorted((repo_root / "config" / "studies").glob("*.yaml"))]:
        study_config.load(path)


def test_pruning_jobs_of_a_study_and_their_keys():
    from prunability.pruning_jobs import PruningJob, parse_key, pruning_jobs

    cfg = study_config.parse({"study": "s", "dataset": {"name": "digits"}, "zoo": {"grid": {}}, "pruning": {
        "methods": ["random"], "at_init": ["snip"], "imp": {"rewinding": ["weights", "learning_rate"], "rounds": 20}}})
    keys = [job.key for job in pruning_jobs(cfg.pruning)]
    assert keys == ["random", "snip.at_init", "global_magnitude.imp_weight_rewind", "global_magnitude.imp_lr_rewind"]
    assert all(parse_key(job.key) == job for job in pruning_jobs(cfg.pruning))
    assert parse_key("snip") == PruningJob("snip", "one_shot")
    for bad in ["snip.at_start", "snip.one_shot", ".at_init"]:
        with pytest.raises(ValueError, match="is not '<method>'"):
            parse_key(bad)


def test_imp_sparsities_follow_the_rate():
    
    assert make_imp(rate=0.2, rounds=3).sparsities() == pytest.approx([0.2, 0.36, 0.488])


def test_the_schema_is_the_only_source_of_defaults():
    """No config dataclass carries a default of its own: the parser fills every field from
    the schema (StudyConfig.raw, the validated mapping itself, aside)."""
    import dataclasses

    sections = [c for c in vars(study_config).values()
                if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == study_config.__name__]
    assert len(sections) >= 12
    with_defaults = [f"{c.__name__}.{f.name}" for c in sections for f in dataclasses.fields(c)
                     if (f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)]
    assert with_defaults == []
    cfg = study_config.parse(MINIMAL)  # every field filled from the schema alone
    assert cfg.pruning.imp.rate == 0.2 and cfg.pruning.baselines.kinds == ("random_reinit", "layer_matched_random")
    assert cfg.dataset.keep_by == "random" and cfg.training.score_epoch == 3
