"""Atomic, schema-checked writes and safe reads.

Every output is written to a temporary name in the same directory and renamed
into place, so an interrupted job never leaves a file that looks complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class CorruptFileError(RuntimeError):
    """A file exists but cannot be read; the message says how to regenerate it."""


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_parquet(df: pd.DataFrame, path: str | Path, schema: pa.Schema, provenance: dict[str, str] | None = None) -> None:
    """Write ``df`` with exactly ``schema``'s columns and types (extra columns are an
    error); ``provenance`` (package version, commit, config hash) joins the schema metadata."""
    extra = set(df.columns) - set(schema.names)
    if extra:
        raise ValueError(f"columns {sorted(extra)} are not in the table schema {schema.names}")
    if provenance:
        schema = schema.with_metadata({**(schema.metadata or {}), **{k.encode(): v.encode() for k, v in provenance.items()}})
    table = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_parquet(path: str | Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, pa.ArrowException) as exc:
        raise CorruptFileError(f"{path} is not a readable Parquet file ({exc}); delete it and rerun the stage that writes it") from None


def write_json(obj: Any, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"{path} is not readable JSON ({exc}); delete it and rerun the stage that writes it") from None


def save_torch(obj: Any, path: str | Path) -> None:
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def load_torch(path: str | Path, device: str = "cpu") -> Any:
    """Load tensors or a state_dict with ``weights_only=True`` (no code runs on load)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run the stage that writes it (snakemake {path})")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged file
        raise CorruptFileError(
            f"{path} is corrupt or not a tensor file ({type(exc).__name__}: {exc}); "
            f"delete it and rerun: snakemake --forcerun {path}"
        ) from None
