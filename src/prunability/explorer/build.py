"""Assemble the explorer of one study: every view's data from the tables that
exist, a note for every view that cannot be filled, the sample sprite sheet,
then the page (written last, so a page on disk means a complete explorer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from prunability.config import StatisticsConfig
from prunability.explorer import ap, geometry, measures, methods, page, samples, sprites
from prunability.explorer.inputs import StudyInputs, load
from prunability.layout import Layout
from prunability.schemas import GEOMETRY_COLUMNS
from prunability.stats.targets import with_corruption_targets
from prunability.status import Status


def zoo_with_targets(inputs: StudyInputs) -> pd.DataFrame:
    """The zoo with the statistics stage's corruption targets, so every τ target can be plotted."""
    if inputs.robustness is None or inputs.robustness.empty:
        return inputs.zoo
    return with_corruption_targets(inputs.zoo, inputs.robustness)


def geometry_gap(inputs: StudyInputs) -> str:
    if inputs.samples is None:
        return "No per-sample table (tables/samples.parquet): no Geometry view and no selected samples."
    if inputs.samples.has(*GEOMETRY_COLUMNS):
        return ("The per-sample table holds no feature-geometry values (every one is null: the models' heads "
                "do not split into features and a linear classifier): no Geometry view.")
    return (f"The per-sample table has no feature-geometry columns ({', '.join(GEOMETRY_COLUMNS)}): "
            "no Geometry view. Rerun the evaluate stage with a version of the package that records them.")


def notes_for(inputs: StudyInputs, data: dict) -> list[str]:
    """One sentence per thing the page cannot show, saying what is missing."""
    notes = []
    if data["methods"] is None:
        notes.append("No pruning or robustness table: no Methods view.")
    elif inputs.robustness is None or (inputs.robustness["corruption"] != "none").sum() == 0:
        notes.append("No corruption results (tables/robustness.parquet missing or clean only): "
                     "the Methods view shows clean accuracy only.")
    if data["geometry"] is None:
        notes.append(data["geometry_missing"])
    if inputs.fragility is None:
        notes.append("No fragility statistics (stats/fragility.parquet): no lists of fragile and robust samples.")
    if inputs.pie is None:
        notes.append("No pruning-identified exemplars (stats/pie.parquet).")
    if inputs.images is None:
        notes.append("No prepared test images (data/prepared.pt): samples are listed without images.")
    if data["measures"] is None:
        notes.append("No Kendall τ table (stats/kendall.parquet): no Measures view.")
    elif data["measures"]["models"] is None:
        notes.append("No measures table (tables/measures.parquet): no measure-vs-target scatter.")
    return notes


def samples_payload(inputs: StudyInputs, geo: dict | None) -> dict:
    dense = samples.dense_predictions(inputs.pie)
    lists = samples.ranked(inputs.fragility, dense) if inputs.fragility is not None else None
    pies = samples.exemplars(inputs.pie) if inputs.pie is not None else None
    listed = samples.listed_samples(lists or {}, pies or {})
    models = inputs.zoo.loc[inputs.zoo["status"] == Status.CONVERGED, "model_id"].tolist() or inputs.zoo["model_id"].tolist()
    first_method = sorted(inputs.fragility["method"].unique())[0] if lists else None
    return {
        "lists": lists, "pie": pies,
        "zoo_severity": samples.zoo_severity(inputs.samples, listed, models, first_method),
        "per_model": samples.per_model(inputs.samples, geo) if geo else None,
        "difficulty": samples.difficulty_of(inputs.difficulty, listed),
        "listed": listed,
    }


def collect(inputs: StudyInputs, statistics: StatisticsConfig) -> dict:
    """Every view's data (``None`` for a view the study cannot fill) and the notes; ``statistics``
    are the study's settings for the statistics the page recomputes (the AP view's bootstrap)."""
    zoo = zoo_with_targets(inputs)
    geo = geometry.payload(inputs.samples, inputs.zoo, inputs.varied_hparams)
    data = {
        "study": inputs.study, "n_models": int(len(inputs.zoo)),
        "built": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "methods": methods.payload(inputs.pruning, inputs.robustness, inputs.zoo),
        "geometry": geo, "geometry_missing": None if geo else geometry_gap(inputs),
        "samples": samples_payload(inputs, geo),
        "measures": measures.payload(inputs.kendall, inputs.cmi, inputs.measures, zoo, inputs.varied_hparams),
        "ap": ap.payload(inputs.pruning, statistics),
    }
    data["notes"] = notes_for(inputs, data)
    return data


def shown_samples(data: dict) -> list[int]:
    geo = data["geometry"]["samples"] if data["geometry"] else []
    return sorted(set(geo) | set(data["samples"].pop("listed")))


def build(layout: Layout, page_path: Path, sprite_path: Path, statistics: StatisticsConfig) -> Path:
    """Write the sprite sheet, then the page; return the page's path."""
    inputs = load(layout)
    data = collect(inputs, statistics)
    wanted = shown_samples(data)
    if inputs.images is not None and wanted:
        data["samples"]["images"] = sprites.write(sprites.test_images(inputs.images), wanted, sprite_path)
    else:
        data["samples"]["images"] = None
        sprites.write_blank(sprite_path)
    return page.write(data, page_path)
