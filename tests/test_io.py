import pandas as pd
import pyarrow as pa
import pytest
import torch

from prunability import io


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_parquet_schema_is_enforced(tmp_path):
    schema = pa.schema([pa.field("model_id", pa.string(), nullable=False), pa.field("seed", pa.int32())])
    io.write_parquet(pd.DataFrame({"model_id": ["a"], "seed": [3]}), tmp_path / "t.parquet", schema)
    assert pd.read_parquet(tmp_path / "t.parquet")["seed"].dtype == "int32"
    with pytest.raises(pa.ArrowInvalid):
        io.write_parquet(pd.DataFrame({"model_id": ["a"], "seed": [0.5]}), tmp_path / "u.parquet", schema)
    with pytest.raises(ValueError, match="not in the table schema"):
        io.write_parquet(pd.DataFrame({"model_id": ["a"], "seed": [1], "x": [1]}), tmp_path / "v.parquet", schema)
    assert not (tmp_path / "u.parquet").exists()


def test_corrupt_checkpoint_gets_a_clear_error(tmp_path):
    path = tmp_path / "final.pt"
    io.save_torch({"w": torch.ones(3)}, path)
    assert torch.equal(io.load_torch(path)["w"], torch.ones(3))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(io.CorruptFileError, match="corrupt .*rerun"):
        io.load_torch(path)


def test_checkpoints_load_without_running_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"obj": pd.Timestamp("2020-01-01")}, path)  # arbitrary objects need pickle
    with pytest.raises(io.CorruptFileError):
        io.load_torch(path)
