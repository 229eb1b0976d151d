"""The explorer's Python side: what each view's data says, checked against
hand-computed values and against the tables it came from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prunability.config import statistics_config
from prunability.explorer import build, collect, geometry, methods, page, sprites
from prunability.explorer.failures import first_failure_severity, first_failure_sparsity, majority_severity
from prunability.explorer.inputs import ExplorerInputError, load
from prunability.explorer.packing import pack_floats, pack_ints, unpack
from prunability.layout import Layout


def test_packing_round_trip_keeps_values_and_missing_ones():
    x = np.array([0.5, -2.0, np.nan, 3.25, 1e-3])
    back = unpack(pack_floats(x))
    assert np.isnan(back[2]) and np.allclose(back[[0, 1, 3, 4]], x[[0, 1, 3, 4]], atol=5.25 / 65534)
    assert unpack(pack_ints([0, 9, 3])).tolist() == [0, 9, 3]
    assert unpack(pack_ints([0, 300])).tolist() == [0, 300]
    assert np.allclose(unpack(pack_floats([2.0, 2.0])), 2.0)  # constant array
    with pytest.raises(ValueError):
        pack_ints([-1])


def _obs(rows):
    return pd.DataFrame(rows, columns=["model_id", "method", "schedule", "sparsity", "corruption", "severity", "accuracy"])


def test_curves_pool_the_spread_over_seeds_within_settings():
    zoo = pd.DataFrame({"model_id": ["a0", "a1", "b0", "b1"], "depth": [2, 2, 3, 3], "seed": [0, 1, 0, 1]})
    obs = _obs([(m, "g", "one_shot", 0.5, "none", 0, acc) for m, acc in zip(zoo.model_id, [0.9, 0.8, 0.5, 0.6])])
    out = methods.curves(obs, zoo)
    assert out["mean"].item() == pytest.approx(0.7)
    # variances within settings: 0.005 and 0.005 -> pooled sd sqrt(0.005), not the sd over all four models
    assert out["sd"].item() == pytest.approx(np.sqrt(0.005))
    one_seed = zoo.assign(seed=0, depth=[1, 2, 3, 4])
    assert methods.curves(obs, one_seed)["sd"].item() == pytest.approx(np.std([0.9, 0.8, 0.5, 0.6], ddof=1))


def test_observations_add_the_mean_over_corruptions_per_severity():
    pruning = pd.DataFrame({"model_id": ["a"], "method": ["g"], "schedule": ["one_shot"], "sparsity": [0.0],
                            "split": ["test"], "accuracy": [0.9]})
    rob = pd.DataFrame({"model_id": "a", "method": "g", "schedule": "one_shot", "sparsity": 0.0,
                        "corruption": ["none", "fog", "noise", "fog"], "severity": [0, 1, 1, 2], "accuracy": [0.9, 0.6, 0.4, 0.3]})
    obs = methods.observations(pruning, rob).set_index(["corruption", "severity"])["accuracy"]
    assert obs[("mean of corruptions", 1)] == pytest.approx(0.5)
    assert obs[("mean of corruptions", 2)] == pytest.approx(0.3)
    assert obs[("none", 0)] == pytest.approx(0.9)  # from the pruning curve, counted once


def test_first_failure_sparsity_and_severity():
    clean = pd.DataFrame({
        "model_id": "m", "method": "g", "schedule": "one_shot",
        "sparsity": [0.0, 0.5, 0.9] * 3, "sample": [0] * 3 + [1] * 3 + [2] * 3,
        "correct": [True, True, False, True, True, True, False, True, True]})
    first = first_failure_sparsity(clean).set_index("sample")["first"]
    assert first[0] == 0.9 and np.isnan(first[1]) and first[2] == 0.0  # fails at 0.9 / never / wrong dense
    corrupted = pd.DataFrame({"model_id": "m", "corruption": "fog", "severity": [1, 3, 1, 3, 1, 3],
                              "sample": [0, 0, 1, 1, 2, 2], "correct": [True, False, True, True, True, True]})
    dense = clean[clean["sparsity"] == 0][["model_id", "sample", "correct"]]
    sev = first_failure_severity(corrupted, dense).set_index("sample")["first"]
    assert sev[0] == 3 and np.isnan(sev[1]) and sev[2] == 0  # fails at 3 / never / wrong when clean


def test_majority_severity_is_where_most_models_fail():
    per_model = pd.DataFrame({"corruption": "fog", "sample": 0, "first": [1.0, 3.0, 3.0, np.nan]})
    assert majority_severity(per_model)["first"].item() == 3.0  # 3 of 4 models fail by severity 3
    assert np.isnan(majority_severity(per_model.assign(first=[1.0, np.nan, np.nan, 5.0]))["first"].item())


def test_geometry_models_span_the_gap_and_samples_every_class():
    zoo = pd.DataFrame({"model_id": [f"m{i}" for i in range(20)], "status": "converged",
                        "generalization_gap": np.linspace(0, 0.2, 20)[::-1]})
    picked = geometry.choose_models(zoo, 4)
    assert picked[0] == "m19" and picked[-1] == "m0" and len(picked) == 4
    labels = pd.Series(np.arange(1000) % 10, index=np.arange(1000))
    chosen = geometry.choose_samples(labels, 100)
    assert len(chosen) == 100 and np.bincount(labels[chosen]).tolist() == [10] * 10


def test_geometry_payload_holds_the_table_values(full_study):
    data = collect(load(full_study), statistics_config())
    geo = data["geometry"]
    samples = pd.read_parquet(full_study.table("samples"))
    model, sample_pos = geo["models"][-1]["id"], 7
    sample = geo["samples"][sample_pos]
    row = samples[(samples.model_id == model) & (samples.method == "snip") & (samples.sparsity == 0.6)
                  & (samples.corruption == "none") & (samples["sample"] == sample)].iloc[0]
    variant = geo["data"][model]["pruned"]["snip|one_shot|0.6"]
    assert unpack(variant["feature_norm"])[sample_pos] == pytest.approx(row.feature_norm, abs=1e-3)
    assert unpack(variant["true_angle"])[sample_pos] == pytest.approx(row.true_angle, abs=1e-3)
    assert unpack(variant["predicted"])[sample_pos] == row.predicted
    assert geo["labels"][sample_pos] == row.label
    assert geo["sparsities"] == [0.3, 0.6, 0.9] and set(geo["methods"]) == {"global_magnitude", "random", "snip"}


def test_sample_lists_rank_by_first_failure(full_study):
    data = collect(load(full_study), statistics_config())
    lists = data["samples"]["lists"]["random"]
    fragile, robust = [e["score"] for e in lists["fragile"]], [e["score"] for e in lists["robust"]]
    assert fragile == sorted(fragile) and robust == sorted(robust, reverse=True) and fragile[0] <= robust[-1]
    pies = data["samples"]["pie"]["random"]
    pie = pd.read_parquet(full_study.stats("pie"))
    assert all(pie[(pie.method == "random") & (pie["sample"] == e["sample"]) & pie.pie].sparsity.min() == e["sparsity"]
               for e in pies)


def test_missing_views_are_named_in_notes(bare_study):
    data = collect(load(bare_study), statistics_config())
    assert data["geometry"] is None and data["methods"]["corruptions"] == ["none"]
    text = " ".join(data["notes"])
    assert "feature-geometry columns" in text and "No corruption results" in text
    assert data["samples"]["lists"] and data["measures"]["models"]  # what can be filled still is


def test_a_study_without_a_zoo_is_a_clear_error_and_writes_nothing(tmp_path):
    layout = Layout("empty", tmp_path)
    with pytest.raises(ExplorerInputError, match="zoo.parquet is missing"):
        build(layout, layout.explorer_page, layout.explorer_sprites, statistics_config())
    assert not layout.explorer_page.exists()


def test_a_failed_render_leaves_the_previous_page(full_study, monkeypatch):
    before = full_study.explorer_page.read_bytes()

    def broken(_data):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(page, "render", broken)
    with pytest.raises(RuntimeError):
        page.write({"study": "x"}, full_study.explorer_page)
    assert full_study.explorer_page.read_bytes() == before
    assert not [p for p in full_study.explorer_page.parent.iterdir() if p.name.endswith(".tmp")]


def test_page_is_self_contained(full_study):
    text = full_study.explorer_page.read_text()
    assert "<script src" not in text and "cdn." not in text.split("<script>", 1)[0]
    assert text.count('<script id="explorer-data"') == 1 and "Plotly" in text


def test_sprite_tiles_are_the_test_images(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (30, 3, 5, 4), dtype=np.uint8)
    wanted = [3, 17, 29, 0, 8]
    meta = sprites.write(images, wanted, tmp_path / "s.png")
    from PIL import Image

    sheet = np.asarray(Image.open(tmp_path / "s.png"))
    h, w = meta["tile"]
    for sample in wanted:
        pos = meta["index"][str(sample)]
        r, c = divmod(pos, meta["cols"])
        assert (sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] == images[sample].transpose(1, 2, 0)).all()
    with pytest.raises(ValueError, match="outside the test set"):
        sprites.write(images, [30], tmp_path / "t.png")
