"""The pruning jobs of a study: one per model × (method, schedule).

A job's key names its files (``pruning/<model_id>/<key>.parquet``, …) and is
the ``{method}`` wildcard of the prune and evaluate rules:

- ``<method>``: one-shot pruning of the trained network (plus fine-tuned rows
  when ``pruning.finetune_epochs`` > 0);
- ``<method>.at_init``: the initial weights pruned, the sparse network trained;
- ``<method>.imp_weight_rewind`` / ``<method>.imp_lr_rewind``: iterative
  magnitude pruning with weight or learning-rate rewinding.

Kept free of torch so that Snakemake can import it to build the DAG.
"""

from __future__ import annotations

from dataclasses import dataclass

from prunability.config import PruningConfig

ONE_SHOT = "one_shot"
FINE_TUNED = "fine_tuned"
AT_INIT = "at_init"
IMP_SCHEDULES = {"weights": "imp_weight_rewind", "learning_rate": "imp_lr_rewind"}
SCHEDULES = (ONE_SHOT, FINE_TUNED, AT_INIT, *IMP_SCHEDULES.values())


@dataclass(frozen=True)
class PruningJob:
    method: str
    schedule: str  # one_shot (with its fine_tuned rows), at_init, imp_weight_rewind or imp_lr_rewind

    @property
    def key(self) -> str:
        return self.method if self.schedule == ONE_SHOT else f"{self.method}.{self.schedule}"

    @property
    def is_imp(self) -> bool:
        return self.schedule in IMP_SCHEDULES.values()


def pruning_jobs(cfg: PruningConfig) -> list[PruningJob]:
    """Every job of a study's pruning settings, in a stable order."""
    jobs = [PruningJob(m, ONE_SHOT) for m in cfg.methods]
    jobs += [PruningJob(m, AT_INIT) for m in cfg.at_init]
    jobs += [PruningJob(cfg.imp.method, IMP_SCHEDULES[r]) for r in cfg.imp.rewinding]
    return jobs


def parse_key(key: str) -> PruningJob:
    """The job of a key; ValueError naming the valid forms for anything else."""
    method, _, schedule = key.partition(".")
    schedule = schedule or ONE_SHOT
    if not method or schedule not in (ONE_SHOT, AT_INIT, *IMP_SCHEDULES.values()) or key == f"{method}.{ONE_SHOT}":
        raise ValueError(f"pruning job {key!r} is not '<method>', '<method>.at_init', "
                         f"'<method>.imp_weight_rewind' or '<method>.imp_lr_rewind'")
    return PruningJob(method, schedule)


def sparsity_key(sparsity: float) -> str:
    """The key of a sparsity in mask and weight files: short ("0.5", "0") where
    six significant digits give the float back, else its exact repr (IMP's
    1 − 0.8^L), so that ``float(key)`` always equals the table's sparsity."""
    short = f"{sparsity:.6g}"
    return short if float(short) == sparsity else repr(float(sparsity))
