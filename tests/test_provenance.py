import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from prunability import io, provenance


def test_code_version_follows_only_the_stage_code(tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(provenance.PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = {stage: provenance.code_version(stage, root) for stage in provenance.STAGE_CODE}
    with open(root / "pruning" / "masks.py", "a") as f:
        f.write("\n# a change\n")
    after = {stage: provenance.code_version(stage, root) for stage in provenance.STAGE_CODE}
    changed = {stage for stage in before if before[stage] != after[stage]}
    assert changed == {"prune", "evaluate", "measures"}


def test_tables_carry_their_provenance(tmp_path):
    schema = pa.schema([pa.field("x", pa.int64())], metadata={"schema_version": "1"})
    record = provenance.record({"study": "s"})
    io.write_parquet(pd.DataFrame({"x": [1]}), tmp_path / "t.parquet", schema, record)
    meta = pq.read_schema(tmp_path / "t.parquet").metadata
    assert meta[b"schema_version"] == b"1"
    assert meta[b"config_hash"] == provenance.config_hash({"study": "s"}).encode()
    assert meta[b"prunability_version"] and meta[b"git_commit"]
    assert provenance.config_hash({"a": 1, "b": 2}) == provenance.config_hash({"b": 2, "a": 1})
