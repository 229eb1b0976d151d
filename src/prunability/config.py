"""The study configuration: validated once at the boundary, typed inside.

``config/schema.yaml`` (JSON Schema 2020-12) is the single source of the
structure, the valid names and the defaults; this module fills the defaults,
turns the first violation into one readable sentence, and hands out frozen
dataclasses so that code past the boundary never sees a raw dict.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Mapping

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


class ConfigError(ValueError):
    """The study configuration is invalid; the message names the key and the fix."""


@dataclass(frozen=True)
class DatasetConfig:
    name: str
    root: str
    download: bool
    test_fraction: float
    split_seed: int
    train_eval_size: int
    label_noise: float
    intrinsic_dim: int
    num_samples: int
    keep_fraction: float  # data pruning (prunability.data.keep)
    keep_by: str
    keep_scores: str


@dataclass(frozen=True)
class ZooConfig:
    seeds: tuple[int, ...]
    grid: Mapping[str, tuple]  # axis name -> values, in schema order


@dataclass(frozen=True)
class TrainingConfig:
    target_ce: float
    max_epochs: int
    milestones: tuple[float, ...]
    checkpoint_every: int
    rewind_step: int
    mixed_precision: bool  # CUDA only
    channels_last: bool  # CUDA only
    compile: bool  # torch.compile the forward passes of training and evaluation
    difficulty_scores: bool  # per-example difficulty (prunability.difficulty)
    score_epoch: int  # epoch of EL2N and GraNd

    @property
    def precision(self):
        from prunability.precision import Precision

        return Precision(self.mixed_precision, self.channels_last)


@dataclass(frozen=True)
class ImpConfig:
    rewinding: tuple[str, ...]  # weights | learning_rate
    method: str
    rate: float
    rounds: int
    instability_rounds: tuple[int, ...]  # rounds whose sparse network's instability is measured

    def sparsities(self) -> tuple[float, ...]:
        """Sparsity after each round: round L keeps (1 − rate)^L of the weights."""
        return tuple(1 - (1 - self.rate) ** r for r in range(1, self.rounds + 1))


@dataclass(frozen=True)
class IterativeConfig:
    """Prune-retrain rounds for any scoring method, at ``imp.rate`` for ``imp.rounds``."""
    methods: tuple[str, ...]
    rewinding: tuple[str, ...]  # weights | learning_rate


@dataclass(frozen=True)
class ApConfig:
    """Activate-while-Pruning (Liu et al. 2023): of each round's removal, ``share`` of the
    alive weights goes by the AP rule (pruning/ap.py); ``enabled`` adds an AP twin of every
    job pruned in rounds."""
    enabled: bool
    share: float


@dataclass(frozen=True)
class BaselinesConfig:
    """Control jobs re-training other jobs' masks (pruning/baselines.py): ``of`` names job
    keys, ``kinds`` is random_reinit and/or layer_matched_random, ``seed`` their draws'."""
    of: tuple[str, ...]
    kinds: tuple[str, ...]
    seed: int
    min_sparsity: float


@dataclass(frozen=True)
class PruningConfig:
    methods: tuple[str, ...]
    sparsities: tuple[float, ...]
    include_biases: bool
    include_norm: bool
    seed: int
    score_batches: int
    score_batch_size: int
    synflow_rounds: int
    finetune_epochs: int
    finetune_lr: float
    at_init: tuple[str, ...]
    imp: ImpConfig
    baselines: BaselinesConfig
    iterative: IterativeConfig
    ap: ApConfig


@dataclass(frozen=True)
class CorruptionConfig:
    names: tuple[str, ...]
    severities: tuple[int, ...]
    seed: int
    source: str  # generated | released
    released_dir: str
    frost_dir: str  # the reference's frost photographs (frost only)
    frost_download: bool


@dataclass(frozen=True)
class MeasureConfig:
    names: tuple[str, ...]
    margin_percentile: float
    prunability_tolerance: float
    prunability_steps: int
    pac_bayes_accuracy_drop: float
    pac_bayes_samples: int
    pac_bayes_steps: int
    pac_bayes_sigma_max: float
    pac_bayes_images_per_draw: int
    magnitude_eps: float
    sharpness_accuracy_drop: float
    sharpness_steps: int
    sharpness_ascent_steps: int
    sharpness_alpha_max: float
    gradient_noise_batches: int
    perturbation_relative_size: float
    perturbation_samples: int
    noise_draws_per_pass: int | str  # or "auto": measures.perturbed.draws_per_pass_on
    noise_memory_mb: int
    coherence_samples: int
    instability_points: int
    instability_k_step: int
    intrinsic_dim_samples: int
    twonn_discard_fraction: float


@dataclass(frozen=True)
class EvaluationConfig:
    batch_size: int


@dataclass(frozen=True)
class StatisticsConfig:
    targets: tuple[str, ...]
    include_unconverged: bool
    cmi_max_subset: int
    bootstrap_resamples: int
    sign_error_min_ess: float
    seed: int


@dataclass(frozen=True)
class StudyConfig:
    study: str
    device: str
    dataset: DatasetConfig
    zoo: ZooConfig
    training: TrainingConfig
    pruning: PruningConfig
    corruptions: CorruptionConfig
    measures: MeasureConfig
    evaluation: EvaluationConfig
    statistics: StatisticsConfig
    raw: Mapping[str, Any] = dataclasses.field(repr=False, compare=False)  # the validated mapping, defaults filled


@cache
def schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _validator_filling_defaults():
    """Draft 2020-12 validator that also writes schema defaults into the instance
    (the recipe from the jsonschema FAQ, as snakemake's ``validate`` does)."""
    base = jsonschema.Draft202012Validator

    def set_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for key, sub in properties.items():
                if "default" in sub and key not in instance:
                    instance[key] = _deepcopy(sub["default"])
        yield from base.VALIDATORS["properties"](validator, properties, instance, subschema)

    return jsonschema.validators.extend(base, {"properties": set_defaults})


def _deepcopy(value):
    return yaml.safe_load(yaml.safe_dump(value))


def _describe(error: jsonschema.ValidationError) -> str:
    key = ".".join(str(p) for p in error.absolute_path) or "<top level>"
    if error.validator == "enum":
        return f"config key {key}: {error.instance!r} is not valid; choose one of: " + ", ".join(
            map(str, error.validator_value)
        )
    if error.validator == "anyOf":  # e.g. an integer >= 1 or "auto": name each alternative
        return f"config key {key}: {error.instance!r} is not valid; give " + " or ".join(
            map(_alternative, error.validator_value)
        )
    if error.validator == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"config key {key}: {error.message}; allowed keys here: {allowed}"
    return f"config key {key}: {error.message}"


def _alternative(subschema: Mapping[str, Any]) -> str:
    """One anyOf branch in words: ``"auto"``, ``an integer >= 1``."""
    if "const" in subschema:
        return repr(subschema["const"])
    bound = f" >= {subschema['minimum']}" if "minimum" in subschema else ""
    return f"{'an' if subschema.get('type') == 'integer' else 'a'} {subschema.get('type', 'value')}{bound}"


def _non_finite(value: Any, key: str = "") -> str | None:
    """The dotted key of the first NaN or infinity in ``value`` (YAML's .nan, .inf), or None.
    JSON Schema's number bounds let both through (NaN compares false, so no bound rejects it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return key or "<top level>"
    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        found = _non_finite(v, f"{key}.{k}" if key else str(k))
        if found:
            return found
    return None


def validate(raw: Mapping[str, Any]) -> dict:
    """Return a copy of ``raw`` with defaults filled in, or raise ConfigError."""
    bad = _non_finite(dict(raw))
    if bad is not None:
        raise ConfigError(f"config key {bad}: NaN and infinity are not allowed; give a finite number")
    instance = _deepcopy(dict(raw))
    validator = _validator_filling_defaults()(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise ConfigError(_describe(error))
    return instance


def _tuples(section: Mapping[str, Any]) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in section.items()}


def _pruning(section: Mapping[str, Any]) -> PruningConfig:
    fields = _tuples(section)
    fields["imp"] = ImpConfig(**_tuples(section["imp"]))
    fields["baselines"] = BaselinesConfig(**_tuples(section["baselines"]))
    fields["iterative"] = IterativeConfig(**_tuples(section["iterative"]))
    fields["ap"] = ApConfig(**section["ap"])
    return PruningConfig(**fields)


def _check_imp(cfg: PruningConfig) -> None:
    """IMP's last round must reach the study's largest sparsity (its rounds are the curve)."""
    imp = cfg.imp
    if cfg.ap.enabled and cfg.ap.share >= imp.rate:
        raise ConfigError(f"config key pruning.ap.share: {cfg.ap.share:g} must be below the rate removed per round "
                          f"(pruning.imp.rate = {imp.rate:g}); AP takes its share out of each round's removal")
    if not imp.rewinding and not cfg.iterative.methods:
        return
    reached, wanted = imp.sparsities()[-1], max(cfg.sparsities)
    if reached < wanted:
        needed = math.ceil(math.log(1 - wanted) / math.log(1 - imp.rate))
        raise ConfigError(
            f"config key pruning.imp.rounds: {imp.rounds} rounds at rate {imp.rate:g} reach sparsity {reached:.4g}, "
            f"below the largest of pruning.sparsities ({wanted:g}); set rounds to at least {needed} or raise the rate")


def _check_baselines(cfg: PruningConfig) -> None:
    """Every job a baseline names must be a job of this study (pruning_jobs.check_baselines)."""
    from prunability.pruning_jobs import check_baselines  # it imports this module for PruningConfig

    problem = check_baselines(cfg)
    if problem:
        raise ConfigError(f"config key pruning.baselines.of: {problem}")


def parse(raw: Mapping[str, Any]) -> StudyConfig:
    """Validate a raw mapping (e.g. snakemake's ``config``) into a StudyConfig."""
    full = validate(raw)
    grid_order = list(schema()["properties"]["zoo"]["properties"]["grid"]["properties"])
    grid = {axis: tuple(full["zoo"]["grid"][axis]) for axis in grid_order}
    dataset = DatasetConfig(**full["dataset"])
    if dataset.keep_fraction < 1 and dataset.keep_by != "random" and not dataset.keep_scores:
        raise ConfigError(f"config key dataset.keep_scores: keep_by {dataset.keep_by} ranks examples by a reference "
                          f"run's scores; give its results/<study>/tables/difficulty.parquet, or use keep_by: random")
    pruning = _pruning(full["pruning"])
    _check_imp(pruning)
    _check_baselines(pruning)
    return StudyConfig(
        study=full["study"],
        device=full["device"],
        dataset=dataset,
        zoo=ZooConfig(seeds=tuple(full["zoo"]["seeds"]), grid=grid),
        training=TrainingConfig(**_tuples(full["training"])),
        pruning=pruning,
        corruptions=CorruptionConfig(**_tuples(full["corruptions"])),
        measures=MeasureConfig(**_tuples(full["measures"])),
        evaluation=EvaluationConfig(**full["evaluation"]),
        statistics=StatisticsConfig(**_tuples(full["statistics"])),
        raw=full,
    )


def read_mapping(path: str | Path, kind: str, hint: str) -> dict:
    """The mapping of keys in the YAML file ``path``; ConfigError naming the file
    (and YAML's line) otherwise. ``kind`` names the file, ``hint`` says what to pass."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{kind} {path} does not exist; {hint}")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{kind} {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{kind} {path} must hold a mapping of keys, not {type(raw).__name__}")
    return raw


def load(path: str | Path) -> StudyConfig:
    return parse(read_mapping(path, "config file", "pass --config config/config.yaml or a study under config/studies/"))


def dataset_config(**keys) -> DatasetConfig:
    """A DatasetConfig from the given keys and the schema's defaults (validated)."""
    return parse({"study": "adhoc", "dataset": keys, "zoo": {"grid": {}}}).dataset


def statistics_config(**keys) -> StatisticsConfig:
    """A StatisticsConfig from the given keys and the schema's defaults (validated)."""
    return parse({"study": "adhoc", "dataset": {"name": "digits"}, "zoo": {"grid": {}}, "statistics": keys}).statistics
