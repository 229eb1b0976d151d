"""aggregate: combine every per-job file of a study into long study tables,
each with the hyperparameter columns joined in and its schema enforced."""

from __future__ import annotations

import pandas as pd

from prunability import io, provenance, schemas
from prunability.config import StudyConfig
from prunability.dnr import dense_training_dnr
from prunability.layout import TABLES, Layout
from prunability.pruning_jobs import pruning_jobs
from prunability.zoo import ModelSpec, expand


def zoo_table(config: StudyConfig, layout: Layout, specs: list[ModelSpec]) -> pd.DataFrame:
    rows = []
    for spec in specs:
        result = io.read_json(layout.train_result(spec.model_id))
        final = result.get("final", {})
        rows.append({
            "model_id": spec.model_id, **spec.hparams.as_dict(), "seed": spec.seed, "status": result["status"],
            "epochs": result["epochs"], "steps": result["steps"],
            **{k: final.get(k, float("nan")) for k in ("train_loss", "train_acc", "test_loss", "test_acc")},
        })
    zoo = pd.DataFrame(rows)
    zoo["generalization_gap"] = zoo["train_acc"] - zoo["test_acc"]
    return zoo


def _job_files(config: StudyConfig, layout: Layout, table: str, model_id: str) -> list:
    jobs = [job.key for job in pruning_jobs(config.pruning)]  # the job keys name the files: method[.schedule]
    return {
        "history": lambda: [layout.history(model_id)],
        "milestones": lambda: [layout.milestones(model_id)],
        "pruning": lambda: [layout.pruning_curve(model_id, job) for job in jobs],
        "robustness": lambda: [layout.robustness(model_id, job) for job in jobs],
        "measures": lambda: [layout.measures(model_id)],
        "layer_sparsity": lambda: [layout.layer_sparsity(model_id, job) for job in jobs],
        "samples": lambda: [layout.samples(model_id, job) for job in jobs],
        "pruned_measures": lambda: [layout.pruned_measures(model_id, job) for job in jobs],
        "dnr": lambda: [layout.dnr(model_id, job) for job in jobs],
        "difficulty": lambda: [layout.difficulty(model_id)],
        "stability": lambda: [layout.stability(model_id, job) for job in jobs],
    }[table]()


def study_table(config: StudyConfig, layout: Layout, zoo: pd.DataFrame, table: str) -> pd.DataFrame:
    parts = [io.read_parquet(path) for model_id in zoo["model_id"] for path in _job_files(config, layout, table, model_id)]
    if table == "dnr":  # dense training's epochs, from its history
        parts = [dense_training_dnr(io.read_parquet(layout.history(m))) for m in zoo["model_id"]] + parts
    df = pd.concat(parts, ignore_index=True)
    if set(schemas.STUDY[table].names) == set(df.columns):  # a lean table: no hyperparameter columns
        return df
    hparams = zoo[["model_id", *schemas.HPARAM_NAMES]]
    return hparams.merge(df, on="model_id", how="right", validate="one_to_many")


def run(config: StudyConfig, layout: Layout) -> None:
    specs = expand(config)
    zoo = zoo_table(config, layout, specs)
    origin = provenance.record(config.raw)
    io.write_parquet(zoo, layout.table("zoo"), schemas.ZOO, origin)
    for table in TABLES[1:]:
        df = study_table(config, layout, zoo, table)
        io.write_parquet(df, layout.table(table), schemas.STUDY[table], origin)
    counts = zoo["status"].value_counts().to_dict()
    print(f"aggregated {len(zoo)} models ({counts}) into {layout.base / 'tables'}")
