"""The pruning jobs of a study: one per model × (method, schedule).

A job's key names its files (``pruning/<model_id>/<key>.parquet``, …) and is
the ``{job}`` wildcard of the prune and evaluate rules and their ``--job`` flag:

- ``<method>``: one-shot pruning of the trained network (plus fine-tuned rows
  when ``pruning.finetune_epochs`` > 0);
- ``<method>.at_init``: the initial weights pruned, the sparse network trained;
- ``<method>.imp_weight_rewind`` / ``<method>.imp_lr_rewind``: iterative
  magnitude pruning with weight or learning-rate rewinding;
- ``<method>.iterative_weight_rewind`` / ``<method>.iterative_lr_rewind``: the
  same prune-retrain rounds for any scoring method, re-scored each round by
  the method's own scores (``pruning.iterative``);
- any iterative schedule (IMP or not) followed by ``+ap``: the job with
  Activate-while-Pruning (``pruning.ap``), e.g. ``snip.iterative_weight_rewind+ap``;
  with AP enabled every iterative job has this twin, and the one without the
  suffix is its pair. The schedule column of every table carries the suffix.
- ``<job key>.random_reinit`` / ``<job key>.layer_matched_random``: the
  baselines of another job of the study (``pruning.baselines``;
  pruning/baselines.py), e.g. ``global_magnitude.imp_weight_rewind.random_reinit``;
  their schedule is the job's followed by ``.<kind>``.

Kept free of torch so that Snakemake can import it to build the DAG.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prunability.config import PruningConfig

ONE_SHOT = "one_shot"
FINE_TUNED = "fine_tuned"
AT_INIT = "at_init"
RANDOM_REINIT, LAYER_MATCHED_RANDOM = "random_reinit", "layer_matched_random"
BASELINES = (RANDOM_REINIT, LAYER_MATCHED_RANDOM)  # pruning.baselines.kinds
IMP_SCHEDULES = {"weights": "imp_weight_rewind", "learning_rate": "imp_lr_rewind"}
ITERATIVE_SCHEDULES = {"weights": "iterative_weight_rewind", "learning_rate": "iterative_lr_rewind"}
AP_SUFFIX = "+ap"
SCHEDULES = (ONE_SHOT, FINE_TUNED, AT_INIT, *IMP_SCHEDULES.values(), *ITERATIVE_SCHEDULES.values())
ROUND_SCHEDULES = (*IMP_SCHEDULES.values(), *ITERATIVE_SCHEDULES.values())  # prune-retrain rounds; AP applies


def base_schedule(schedule: str) -> str:
    """The schedule without its ``+ap`` suffix (the AP job's twin's schedule)."""
    return schedule.removesuffix(AP_SUFFIX)


def is_ap(schedule: str) -> bool:
    return schedule.endswith(AP_SUFFIX)


@dataclass(frozen=True)
class PruningJob:
    method: str
    schedule: str  # one_shot (with its fine_tuned rows), at_init, imp_weight_rewind or imp_lr_rewind

    @property
    def key(self) -> str:
        schedule = self.schedule.removeprefix(f"{ONE_SHOT}.")  # a one-shot job's baselines: <method>.<kind>
        return self.method if schedule == ONE_SHOT else f"{self.method}.{schedule}"

    @property
    def baseline(self) -> str:
        """The kind of baseline this job is (one of BASELINES), or "" for a pruning job."""
        kind = self.schedule.rpartition(".")[2]
        return kind if kind in BASELINES else ""

    @property
    def source(self) -> "PruningJob":
        """The job whose masks a baseline reuses (the job itself for a pruning job)."""
        return PruningJob(self.method, self.schedule.rpartition(".")[0]) if self.baseline else self

    @property
    def is_imp(self) -> bool:
        """Pruned in rounds (IMP or the iterative schedule, with or without AP): the
        job's sparsities are ``pruning.imp.sparsities()``."""
        return base_schedule(self.schedule) in ROUND_SCHEDULES

    @property
    def ap(self) -> bool:
        return is_ap(self.schedule)

    @property
    def rewinding(self) -> str:
        """``weights`` or ``learning_rate`` for a job pruned in rounds."""
        base = base_schedule(self.schedule)
        return "weights" if base in (IMP_SCHEDULES["weights"], ITERATIVE_SCHEDULES["weights"]) else "learning_rate"


def pruning_jobs(cfg: PruningConfig) -> list[PruningJob]:
    """Every job of a study's pruning settings, in a stable order."""
    jobs = [PruningJob(m, ONE_SHOT) for m in cfg.methods]
    jobs += [PruningJob(m, AT_INIT) for m in cfg.at_init]
    jobs += [PruningJob(cfg.imp.method, IMP_SCHEDULES[r]) for r in cfg.imp.rewinding]
    jobs += [PruningJob(m, ITERATIVE_SCHEDULES[r]) for m in cfg.iterative.methods for r in cfg.iterative.rewinding]
    if cfg.ap.enabled:  # every job pruned in rounds gets its AP twin
        jobs += [PruningJob(j.method, j.schedule + AP_SUFFIX) for j in jobs if j.is_imp]
    jobs += [baseline_job(parse_key(of), kind) for of in cfg.baselines.of for kind in cfg.baselines.kinds]
    return jobs


def baseline_job(source: PruningJob, kind: str) -> PruningJob:
    """The ``kind`` baseline of ``source``: its rows' schedule is ``<source schedule>.<kind>``."""
    return PruningJob(source.method, f"{source.schedule}.{kind}")


def start_point(schedule: str) -> str | None:
    """Where a job of ``schedule`` started the training of each pruned network (what a
    layer-matched random mask is applied to): ``final`` (one-shot: the trained network),
    ``init`` (at init), ``rewind`` (weight rewinding: the weights of training.rewind_step),
    ``previous`` (learning-rate rewinding: the previous round's trained weights); None if unknown."""
    base = schedule.split("+")[0]  # a '+ap' twin starts where its pair does
    if base == ONE_SHOT:
        return "final"
    if base == AT_INIT:
        return "init"
    if base.endswith("_weight_rewind"):
        return "rewind"
    return "previous" if base.endswith("_lr_rewind") else None


def check_baselines(cfg: PruningConfig) -> str:
    """Why ``pruning.baselines`` does not fit the study's jobs, or "" when it does."""
    keys = [job.key for job in pruning_jobs(replace(cfg, baselines=replace(cfg.baselines, of=())))]
    for of in cfg.baselines.of:
        if of not in keys:
            return (f"{of!r} is not a pruning job of this study; choose among its jobs: {', '.join(keys)} "
                    f"(or add the job to pruning.methods, pruning.at_init or pruning.imp)")
        if LAYER_MATCHED_RANDOM in cfg.baselines.kinds and start_point(parse_key(of).schedule) is None:
            return (f"{of!r}: a layer-matched random mask needs the weights the job started from, "
                    f"unknown for its schedule; drop layer_matched_random from pruning.baselines.kinds")
    return ""


def parse_key(key: str) -> PruningJob:
    """The job of a key; ValueError naming the valid forms for anything else."""
    source_key, _, kind = key.rpartition(".")
    if kind in BASELINES and source_key:
        source = parse_key(source_key)
        if source.baseline:
            raise ValueError(f"pruning job {key!r}: a baseline of a baseline is not a job; "
                             f"use '<job key>.{kind}' with a pruning job's key")
        return baseline_job(source, kind)
    method, _, schedule = key.partition(".")
    schedule = schedule or ONE_SHOT
    valid = schedule in (ONE_SHOT, AT_INIT, *ROUND_SCHEDULES) or (
        is_ap(schedule) and base_schedule(schedule) in ROUND_SCHEDULES)
    if not method or not valid or key == f"{method}.{ONE_SHOT}":
        raise ValueError(f"pruning job {key!r} is not '<method>', '<method>.at_init', "
                         f"'<method>.imp_weight_rewind' or '<method>.imp_lr_rewind', "
                         f"'<method>.iterative_weight_rewind' or '<method>.iterative_lr_rewind' "
                         f"(the last four optionally with '+ap')")
    return PruningJob(method, schedule)


def sparsity_key(sparsity: float) -> str:
    """The key of a sparsity in mask and weight files: short ("0.5", "0") where
    six significant digits give the float back, else its exact repr (IMP's
    1 − 0.8^L), so that ``float(key)`` always equals the table's sparsity."""
    short = f"{sparsity:.6g}"
    return short if float(short) == sparsity else repr(float(sparsity))
