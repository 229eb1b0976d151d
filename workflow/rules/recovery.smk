# After a kill, a crash or Ctrl-C, the same command must carry on with nothing
# else typed. Snakemake leaves two things behind that would stop it: its locks
# (.snakemake/locks) and, rarely, a damaged result (a file truncated by a full
# disk or a copy). Both are handled here, in the main process only, before the
# DAG is planned. Incomplete outputs are rerun by the default profile.
import os
import shlex
import socket
from pathlib import Path

OWNERS = Path(".snakemake") / "prunability-owners"


def _start_time(pid):
    """Start time of ``pid`` in clock ticks since boot (Linux), to tell a live
    process from a recycled pid; None where /proc is not available."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(record):
    """Whether the snakemake process of an owner record still runs (a record from
    another host counts as alive: nothing here can tell)."""
    try:
        host, pid, started = record.read_text().split()
    except (OSError, ValueError):
        return False
    if host != socket.gethostname():
        return True
    if Path("/proc").is_dir():
        return _start_time(pid) == started
    try:
        os.kill(int(pid), 0)
        return True
    except (OSError, ValueError):
        return False


def release_stale_locks():
    """Remove .snakemake/locks when every snakemake process that parsed this
    workflow since they were taken has ended: they were left by a run that was
    killed. A live run's locks are never touched. Then record this process."""
    OWNERS.mkdir(parents=True, exist_ok=True)
    live = [r for r in OWNERS.iterdir() if _alive(r)]
    for record in set(OWNERS.iterdir()) - set(live):
        record.unlink(missing_ok=True)
    locks = Path(".snakemake") / "locks"
    if not live and locks.is_dir() and any(locks.iterdir()):
        for lock in locks.iterdir():
            lock.unlink(missing_ok=True)
        print("prunability: removed the locks of an earlier snakemake run that was killed", file=sys.stderr)
    me = OWNERS / str(os.getpid())
    me.write_text(f"{socket.gethostname()} {os.getpid()} {_start_time(os.getpid()) or 0}\n")


def _damaged(path):
    """Whether a result file fails its format's cheap end-of-file check: Parquet
    ends with the magic PAR1, a torch file is a zip archive whose end record
    (PK\\x05\\x06) lies in its last bytes, JSON must parse."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            if path.suffix == ".json":
                json.loads(handle.read())
                return False
            handle.seek(max(0, size - 1024))
            tail = handle.read()
    except (OSError, ValueError):
        return True
    if path.suffix == ".parquet":
        return size < 12 or not tail.endswith(b"PAR1")
    return b"PK\x05\x06" not in tail[-1024:]


def set_aside_damaged_results(base, dry_run):
    """Rename every damaged table, checkpoint or job record under ``base`` to
    ``<name>.corrupt`` so that its job runs again, instead of downstream jobs
    deleting their finished outputs and failing on it."""
    if not Path(base).is_dir():
        return
    for path in Path(base).rglob("*"):
        if path.suffix not in (".parquet", ".pt", ".json") or not path.is_file() or path.name.startswith("."):
            continue
        if _damaged(path):
            if dry_run:
                print(f"prunability: {path} is damaged and will be recomputed", file=sys.stderr)
            else:
                path.replace(path.with_name(path.name + ".corrupt"))
                print(f"prunability: {path} was damaged; set aside as {path.name}.corrupt and recomputed",
                      file=sys.stderr)


if workflow.is_main_process:
    # Every error message of a job suggests exactly this command again.
    os.environ["PRUNABILITY_RERUN"] = shlex.join(["snakemake", *sys.argv[1:]])
    if not is_dry_run():
        release_stale_locks()
    set_aside_damaged_results(LAYOUT.base, is_dry_run())
