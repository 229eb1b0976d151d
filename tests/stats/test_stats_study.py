"""statistics_tables: model selection, NaN handling and the output schemas."""

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import dataclasses

from prunability import schemas
from prunability.config import statistics_config
from prunability.io import read_parquet, write_parquet
from prunability.stats.study import statistics_tables

AXES = ["depth", "lr", "width"]


def make_zoo():
    rows = []
    for depth, lr, seed in itertools.product([2, 3], [0.1, 0.01, 0.001], [0, 1]):
        rows.append(dict(
            model_id=f"m-d{depth}-lr{lr}-s{seed}", architecture="mlp", depth=depth, width=1.0, dropout=0.0,
            batchnorm=False, optimizer="sgd", lr=lr, batch_size=32, weight_decay=0.0, seed=seed,
            status="converged", epochs=10, steps=100, train_loss=0.01, train_acc=1.0,
        ))
    zoo = pd.DataFrame(rows).astype({"depth": "int32", "batch_size": "int32", "seed": "int32"})
    zoo["test_acc"] = 0.9 - 0.05 * zoo["depth"] - 10 * zoo["lr"] - 0.001 * zoo["seed"]
    zoo["test_loss"] = 1.0 - zoo["test_acc"]
    zoo["generalization_gap"] = zoo["train_acc"] - zoo["test_acc"]
    zoo.loc[0, "status"] = "max_epochs"
    zoo.loc[1, "status"] = "diverged"
    return zoo


def make_measures(zoo):
    rng = np.random.default_rng(0)
    gap = zoo["generalization_gap"].to_numpy()
    values = {
        "exact": gap.copy(),
        "noise": rng.normal(size=len(zoo)),
        "holes": gap.copy(),
        "all_nan": np.full(len(zoo), np.nan),
    }
    values["exact"][1] = -100.0  # the diverged model is discordant: it must not count
    values["holes"][[2, 3, 4]] = [np.nan, np.inf, -np.inf]
    frames = [pd.DataFrame({"model_id": zoo["model_id"], "measure": name, "value": v}) for name, v in values.items()]
    lone = pd.DataFrame({"model_id": [zoo["model_id"][5]], "measure": ["lone"], "value": [1.0]})
    return pd.concat(frames + [lone], ignore_index=True)


def tables_of(zoo, measures, targets, axes, include_unconverged, max_subset):
    """statistics_tables under the schema's statistics defaults but these settings (a target
    the schema does not know is set after validation, to reach statistics_tables' own check)."""
    cfg = dataclasses.replace(statistics_config(include_unconverged=include_unconverged, cmi_max_subset=max_subset),
                              targets=tuple(targets))
    return statistics_tables(zoo, measures, axes, cfg, n_test=10_000)


@pytest.fixture(scope="module")
def tables():
    zoo = make_zoo()
    return tables_of(zoo, make_measures(zoo), ["generalization_gap", "test_loss"], AXES, False, 2)


def row(frame, measure, target, **where):
    sel = (frame["measure"] == measure) & (frame["target"] == target)
    for key, value in where.items():
        sel &= frame[key] == value
    assert sel.sum() == 1
    return frame[sel].iloc[0]


@pytest.mark.parametrize("name,schema", [("kendall", schemas.KENDALL), ("granulated", schemas.GRANULATED), ("cmi", schemas.CMI)])
def test_columns_and_dtypes_match_the_schemas(tables, name, schema, tmp_path):
    frame = tables[name]
    assert list(frame.columns) == schema.names
    for field in schema:
        dtype = frame[field.name].dtype
        if pa.types.is_string(field.type):
            assert pd.api.types.is_string_dtype(dtype) and dtype != object
        else:
            assert dtype == field.type.to_pandas_dtype(), (field.name, dtype)
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)  # nullability enforced here
    assert table.schema.equals(schema)
    write_parquet(frame, tmp_path / f"{name}.parquet", schema)
    pd.testing.assert_frame_equal(read_parquet(tmp_path / f"{name}.parquet"), frame, check_dtype=False)


def test_kendall_drops_diverged_and_unconverged_models(tables):
    exact = row(tables["kendall"], "exact", "generalization_gap")
    assert exact["tau"] == 1.0
    assert exact["n_models"] == 10  # 12 − diverged − max_epochs


def test_include_unconverged_keeps_max_epochs_but_never_diverged():
    zoo = make_zoo()
    out = tables_of(zoo, make_measures(zoo), ["generalization_gap"], AXES, True, 1)
    exact = row(out["kendall"], "exact", "generalization_gap")
    assert exact["n_models"] == 11 and exact["tau"] == 1.0


def test_non_finite_measure_values_dropped_per_measure(tables):
    assert row(tables["kendall"], "holes", "generalization_gap")["n_models"] == 7
    assert row(tables["kendall"], "holes", "generalization_gap")["tau"] == 1.0
    assert row(tables["kendall"], "noise", "test_loss")["n_models"] == 10


def test_too_few_models_give_nan_without_error(tables):
    for name, n in [("all_nan", 0), ("lone", 1)]:
        k = row(tables["kendall"], name, "test_loss")
        assert k["n_models"] == n and np.isnan(k["tau"])
        assert np.isnan(row(tables["granulated"], name, "test_loss", axis="all")["psi"])
        cmi = tables["cmi"][(tables["cmi"]["measure"] == name)]
        assert cmi["cmi"].isna().all() and (cmi["argmin_subset"] == "").all()


def test_granulated_rows_per_varying_axis(tables):
    psi = tables["granulated"]
    exact = psi[(psi["measure"] == "exact") & (psi["target"] == "generalization_gap")]
    assert list(exact["axis"]) == ["depth", "lr", "all"]  # width takes one value: not an axis
    assert (exact["psi"] == 1.0).all()


def test_cmi_rows_per_subset_size(tables):
    cmi = tables["cmi"]
    exact = cmi[(cmi["measure"] == "exact") & (cmi["target"] == "test_loss")]
    assert list(exact["subset_size"]) == [0, 1, 2]
    assert np.allclose(exact["cmi"], 1.0)  # test loss orders models exactly as the gap does here
    assert list(exact["argmin_subset"]) == ["", "depth", "depth+lr"]


def test_max_subset_is_clipped_to_the_number_of_axes():
    zoo = make_zoo()
    out = tables_of(zoo, make_measures(zoo), ["test_loss"], ["lr"], False, 2)
    assert sorted(out["cmi"]["subset_size"].unique()) == [0, 1]


def test_duplicate_measure_rows_and_unknown_targets_raise():
    zoo = make_zoo()
    measures = make_measures(zoo)
    with pytest.raises(ValueError):
        tables_of(zoo, pd.concat([measures, measures.iloc[:1]]), ["test_loss"], AXES, False, 1)
    with pytest.raises(KeyError):
        tables_of(zoo, measures, ["test_error"], AXES, False, 1)


def test_empty_measures_table_gives_empty_typed_tables():
    zoo = make_zoo()
    empty = pd.DataFrame({"model_id": pd.Series([], dtype="str"), "measure": pd.Series([], dtype="str"), "value": pd.Series([], dtype=float)})
    out = tables_of(zoo, empty, ["test_loss"], AXES, False, 2)
    assert all(len(f) == 0 for f in out.values())
    assert out["cmi"]["subset_size"].dtype == np.int8
