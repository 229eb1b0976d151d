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
    assert not path.exists() and (tmp_path / "evil.pt.corrupt").exists()  # set aside: its job reruns


def test_a_corrupt_file_is_set_aside_and_the_advice_is_the_running_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PRUNABILITY_RERUN", "snakemake --configfile config/studies/tiny.yaml")
    path = tmp_path / "final.pt"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(io.CorruptFileError) as caught:
        io.load_torch(path)
    message = str(caught.value)
    assert message.endswith("rerun the same command, which replaces it: snakemake --configfile config/studies/tiny.yaml")
    assert "weights_only" not in message and "moved to final.pt.corrupt" in message
    assert (tmp_path / "final.pt.corrupt").read_bytes() == b"PK\x03\x04 truncated"


def test_checkpoints_of_equal_weights_are_byte_identical(tmp_path):
    state = {"w": torch.arange(6.0).reshape(2, 3), "step": torch.tensor(4)}
    io.save_torch(state, tmp_path / "a.pt")
    io.save_torch({k: v.clone() for k, v in state.items()}, tmp_path / "a_again.pt")
    io.save_torch(state, tmp_path / "sub" / "a.pt")
    first = (tmp_path / "a.pt").read_bytes()
    assert first == (tmp_path / "a_again.pt").read_bytes() == (tmp_path / "sub" / "a.pt").read_bytes()


def test_outputs_are_readable_as_the_umask_says(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        io.save_torch({"w": torch.ones(1)}, tmp_path / "w.pt")
        io.write_json({"a": 1}, tmp_path / "r.json")
        os.umask(0o077)
        io.write_json({"a": 1}, tmp_path / "private.json")
    finally:
        os.umask(old)
    assert (tmp_path / "w.pt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "private.json").stat().st_mode & 0o777 == 0o600
