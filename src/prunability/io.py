"""Atomic, schema-checked writes and safe reads.

Every output is written to a temporary name in the same directory and renamed
into place, so an interrupted job never leaves a file that looks complete.
"""

from __future__ import annotations

import io as _bytes_io
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


def set_aside(path: str | Path, reason: str) -> CorruptFileError:
    """Rename an unreadable result to ``<name>.corrupt`` (kept for inspection, no
    longer an output Snakemake sees as complete) and return the error to raise, whose
    advice — rerun the same command — then works: the producing job runs again."""
    path = Path(path)
    aside = path.with_name(path.name + ".corrupt")
    try:
        os.replace(path, aside)
        where = f"moved to {aside.name}"
    except OSError:
        where = "could not be moved aside; delete it"
    return CorruptFileError(f"{path} is corrupt ({reason}); {where}; {rerun_advice()}")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are shared as the umask says
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


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
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} is missing; {rerun_advice()}")
    try:
        return pd.read_parquet(path)
    except (OSError, pa.ArrowException) as exc:
        raise set_aside(path, f"not a readable Parquet file: {exc}") from None


def write_json(obj: Any, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def read_json(path: str | Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} is missing; {rerun_advice()}") from None
        raise set_aside(path, f"not readable JSON: {exc}") from None


def save_torch(obj: Any, path: str | Path) -> None:
    import torch

    # Serialized in memory first: torch.save names the archive's root folder after
    # the file it writes to, so saving to a random temporary name would make
    # identical weights differ byte for byte between reruns.
    buffer = _bytes_io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def load_torch(path: str | Path, device: str = "cpu") -> Any:
    """Load tensors or a state_dict with ``weights_only=True`` (no code runs on load).
    An unreadable file is set aside (see ``set_aside``) and CorruptFileError raised."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; {rerun_advice()}")
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged file
        # Only the first line of torch's message: the rest advises weights_only=False,
        # which would run arbitrary code from the file.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights only" in reason.lower() or "weights_only" in reason:
            reason = "it holds Python objects besides tensors, which are never unpickled"
        raise set_aside(path, f"not a tensor file: {reason}") from None


def rerun_advice() -> str:
    """What to type after a corrupt or missing file: the same command again. The
    workflow (workflow/rules/recovery.smk) removes corrupt results before it plans
    and passes its own command line down in PRUNABILITY_RERUN."""
    command = os.environ.get("PRUNABILITY_RERUN", "snakemake --cores all --configfile <your study>.yaml")
    return f"rerun the same command, which replaces it: {command}"
