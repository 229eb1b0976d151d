"""Data pruning (dataset.keep_fraction / keep_by): exactly the configured fraction, the
hardest examples by the reference scores, deterministically."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from prunability.config import ConfigError, parse
from prunability.data.keep import KeepScoresError, keep_indices, kept_count, reference_scores, with_kept_examples
from prunability.data.split import ImageSplit


@pytest.mark.parametrize("by", ["random", "el2n", "forgetting"])
@pytest.mark.parametrize("n, fraction", [(10, 0.3), (1257, 0.5), (7, 0.01), (5, 1.0)])
def test_keeps_exactly_the_fraction_deterministically(by, n, fraction):
    scores = np.random.default_rng(0).random((n, 2)).round(1)  # many ties
    first = keep_indices(n, fraction, by, 3, scores)
    assert len(first) == kept_count(n, fraction) == max(1, round(fraction * n))
    assert len(set(first.tolist())) == len(first) and first.tolist() == sorted(first.tolist())
    assert torch.equal(first, keep_indices(n, fraction, by, 3, scores))


def test_score_orders_keep_the_hardest_with_ties_to_the_smaller_index():
    el2n = np.array([0.1, 0.9, 0.5, 0.9, 0.2])
    assert keep_indices(5, 0.4, "el2n", 0, el2n).tolist() == [1, 3]
    assert keep_indices(5, 0.2, "el2n", 0, el2n).tolist() == [1]  # tie 1 vs 3: the smaller index
    # forgetting: never-learned share first, then mean forgetting events
    forgetting = np.array([[0.0, 3.0], [0.5, 0.0], [0.0, 1.0], [0.0, 4.0], [0.0, 0.0]])
    assert keep_indices(5, 0.4, "forgetting", 0, forgetting).tolist() == [1, 3]
    assert keep_indices(5, 0.6, "forgetting", 0, forgetting).tolist() == [0, 1, 3]


def test_random_keeps_depend_on_the_seed_only():
    a, b = keep_indices(100, 0.5, "random", 0), keep_indices(100, 0.5, "random", 1)
    assert not torch.equal(a, b) and torch.equal(a, keep_indices(100, 0.5, "random", 0))


def _table(n, models=2):
    rows = [{"model_id": f"m{m}", "split": split, "sample": i, "el2n": float(i + m), "forgetting_events": i % 3,
             "never_learned": i == 0 and m == 0} for m in range(models) for split in ("train", "test") for i in range(n)]
    return pd.DataFrame(rows)


def test_reference_scores_are_zoo_means_and_must_cover_the_split(tmp_path):
    scores = reference_scores(_table(6), 6, "el2n")
    assert scores[:, 0].tolist() == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert reference_scores(_table(6), 6, "forgetting")[0].tolist() == [0.5, 0.0]
    with pytest.raises(KeepScoresError, match="not the 8 of this split"):
        reference_scores(_table(6), 8, "el2n")
    path = tmp_path / "difficulty.parquet"
    _table(6).to_parquet(path)
    split = ImageSplit(torch.arange(6, dtype=torch.uint8).reshape(6, 1, 1, 1), torch.arange(6) % 2,
                       torch.zeros(2, 1, 1, 1, dtype=torch.uint8), torch.zeros(2, dtype=torch.int64), 2)
    kept = with_kept_examples(split, 0.5, "el2n", str(path), 0)
    assert kept.x_train.flatten().tolist() == [3, 4, 5] and kept.y_train.tolist() == [1, 0, 1]
    assert with_kept_examples(split, 1.0, "el2n", "", 0) is split
    with pytest.raises(KeepScoresError, match="does not exist"):
        with_kept_examples(split, 0.5, "forgetting", str(tmp_path / "nope.parquet"), 0)


def test_config_needs_the_reference_scores_and_changes_model_ids():
    from prunability.zoo import expand

    base = {"study": "k", "dataset": {"name": "digits"}, "zoo": {"grid": {}}}
    with pytest.raises(ConfigError, match="dataset.keep_scores"):
        parse({**base, "dataset": {"name": "digits", "keep_fraction": 0.5, "keep_by": "el2n"}})
    ids = {fraction: expand(parse({**base, "dataset": {"name": "digits", "keep_fraction": fraction}}))[0].model_id
           for fraction in (1.0, 0.5)}
    assert ids[1.0] == expand(parse(base))[0].model_id and ids[0.5] != ids[1.0]


def test_the_prepare_stage_trains_every_model_on_the_kept_examples(tmp_path):
    """Through the command line: the prepared training split is exactly the kept rows of the full one."""
    import json
    import os
    import subprocess
    import sys

    import yaml

    def prepare(name, **dataset):
        config = tmp_path / f"{name}.yaml"
        config.write_text(yaml.safe_dump({"study": name, "dataset": {"name": "digits", "train_eval_size": 100, **dataset},
                                          "zoo": {"grid": {}}}))
        subprocess.run([sys.executable, "-m", "prunability", "prepare", "--config", str(config), "--results",
                        str(tmp_path)], check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        info = json.loads((tmp_path / name / "data" / "info.json").read_text())
        return torch.load(tmp_path / name / "data" / "prepared.pt", weights_only=True), info

    full, info = prepare("full")
    n = info["n_train"]
    scores = pd.DataFrame({"model_id": "ref", "split": "train", "sample": range(n), "forgetting_events": 0,
                           "never_learned": False, "el2n": np.random.default_rng(1).random(n)})
    scores.to_parquet(tmp_path / "difficulty.parquet")
    kept, kept_info = prepare("kept", keep_fraction=0.25, keep_by="el2n", keep_scores=str(tmp_path / "difficulty.parquet"))
    expected = keep_indices(n, 0.25, "el2n", 0, scores[["el2n"]].to_numpy())
    assert kept_info["n_train"] == round(0.25 * n) == len(expected)
    assert torch.equal(kept["x_train"], full["x_train"][expected]) and torch.equal(kept["y_train"], full["y_train"][expected])
    assert torch.equal(kept["x_test"], full["x_test"])


def test_schema_and_module_agree_on_the_rules():
    from prunability.config import schema
    from prunability.data.keep import KEEP_BY

    assert tuple(schema()["properties"]["dataset"]["properties"]["keep_by"]["enum"]) == KEEP_BY
