"""Warm workers: every stage command starts in milliseconds instead of seconds.

A study of the default size runs ~130 jobs, and each used to spend about two
seconds importing torch, pandas and the package before its science began —
most of the machine's time on a small study. On a local run the workflow
starts one *fork server* (``python -m prunability.warm serve``) that imports
all of that once and then, per job, forks a child that runs the stage: the
child is a fresh process (its own memory, seeds and exit status; a crash takes
only it down), it just does not pay for the imports again. The rule's command
is unchanged (``python -m prunability <stage> …``): that process sends its
arguments, environment and working directory to the server with its own
stdout and stderr attached (SCM_RIGHTS), waits, and exits with the child's
status. Output therefore lands in the rule's log as before. If the client is
killed (Snakemake cancels the job, Ctrl-C), the child notices its closed
connection and exits too. No server, a server that cannot be reached, or
``PRUNABILITY_WARM=0``: the command runs in its own process, exactly as
before. Cluster jobs never use it (the workflow starts it for local runs only).

Forking is safe here because the server only imports: torch's thread pools
and generators are untouched until a child uses them.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys
import time

SOCKET_ENV = "PRUNABILITY_WARM_SOCKET"
_HEADER = struct.Struct("!I")
_STARTED = b"S"  # the server's answer once a child owns the job
_IMPORTED_STATE: dict[str, float] = {}
_RUN_INLINE = 0xFFFFFFFF  # a status no process exits with: "run it yourself"


def _send_json(conn: socket.socket, obj, fds: list[int] | None = None) -> None:
    payload = json.dumps(obj).encode()
    message = _HEADER.pack(len(payload)) + payload
    if fds:
        socket.send_fds(conn, [message], fds)
    else:
        conn.sendall(message)


def _recv_exact(conn: socket.socket, n: int) -> bytes:
    chunks = b""
    while len(chunks) < n:
        chunk = conn.recv(n - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed")
        chunks += chunk
    return chunks


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    head, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 2)
    head += _recv_exact(conn, _HEADER.size - len(head)) if len(head) < _HEADER.size else b""
    (length,) = _HEADER.unpack(head)
    return json.loads(_recv_exact(conn, length)), list(fds)


# --- client: the rule's process ------------------------------------------------------------

def run_remotely(argv: list[str]) -> int | None:
    """Run ``python -m prunability argv`` in a warm child; its exit status, or None
    when no warm server is reachable (the caller then runs the command itself)."""
    path = os.environ.get(SOCKET_ENV)
    if not path or os.environ.get("PRUNABILITY_WARM") == "0" or not os.path.exists(path):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
        sys.stdout.flush()
        sys.stderr.flush()
        request = {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}
        _send_json(conn, request, [sys.stdout.fileno(), sys.stderr.fileno()])
    except OSError:
        conn.close()
        return None  # a server that is gone or refuses: run here
    try:
        if _recv_exact(conn, 1) != _STARTED:
            raise ConnectionError("no job started")
    except (ConnectionError, OSError):
        conn.close()
        return None  # the server could not take it (e.g. failed to start): run here
    try:
        (status,) = _HEADER.unpack(_recv_exact(conn, _HEADER.size))
        return None if status == _RUN_INLINE else int(status)
    except (ConnectionError, OSError):
        print("prunability: the warm worker running this job died; rerun the same command", file=sys.stderr)
        return 1
    finally:
        conn.close()


# --- server --------------------------------------------------------------------------------

def _package_state() -> dict[str, float]:
    """Modification times of the package's code and data files (schema.yaml …)."""
    root = os.path.dirname(os.path.abspath(__file__))
    state = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith((".py", ".yaml", ".js", ".html")):
                path = os.path.join(folder, name)
                state[path] = os.stat(path).st_mtime_ns
    return state


def _warm_imports() -> None:
    """Everything a stage imports, imported once before any fork (no torch op runs)."""
    import importlib

    import matplotlib

    matplotlib.use("Agg")
    from prunability import cli

    for module, _args in cli.STAGES.values():
        importlib.import_module(f"prunability.stages.{module}")


def _watch_client(conn: socket.socket) -> None:
    """In the child: exit as soon as the client's connection closes (the job was cancelled)."""
    import threading

    def watch():
        try:
            conn.recv(1)
        except OSError:
            pass
        os._exit(130)

    threading.Thread(target=watch, daemon=True).start()


def _run_child(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """The forked child: become the job (fds, cwd, env, threads), run it, report, exit."""
    status = 1
    try:
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import torch

        threads = os.environ.get("OMP_NUM_THREADS")
        if threads and threads.isdigit():
            torch.set_num_threads(int(threads))
        _watch_client(conn)
        if _package_state() != _IMPORTED_STATE:  # code edited since the server imported it:
            status = _RUN_INLINE  # the client runs the command itself, with the code on disk
            return
        from prunability import cli

        status = cli.main(request["argv"])
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # a real bug: its traceback goes to the job's log, as it would inline
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            conn.sendall(_HEADER.pack(status if status == _RUN_INLINE else status & 0xFF))
        finally:
            os._exit(0 if status == _RUN_INLINE else status & 0xFF)


def _parent_alive(parent: int) -> bool:
    try:
        os.kill(parent, 0)
        return True
    except OSError:
        return False


def serve(path: str, parent: int) -> None:
    """Listen on ``path`` until the process ``parent`` (the snakemake run) ends."""
    import signal

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    server.bind(path)  # bound before the imports: early clients wait in the backlog
    server.listen(64)
    server.settimeout(1.0)
    global _IMPORTED_STATE
    try:
        _IMPORTED_STATE = _package_state()  # before the imports: an edit during them counts
        _warm_imports()
    except BaseException:  # clients waiting in the backlog see the close and run inline
        server.close()
        os.unlink(path)
        raise
    try:
        while _parent_alive(parent):
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            conn.settimeout(None)
            try:
                request, fds = _recv_request(conn)
            except (OSError, ConnectionError, ValueError):
                conn.close()
                continue
            try:
                conn.sendall(_STARTED)
            except OSError:
                conn.close()
                continue
            if os.fork() == 0:
                server.close()
                _run_child(conn, request, fds)
            for fd in fds:
                os.close(fd)
            conn.close()
    finally:
        server.close()
        if os.path.exists(path):
            os.unlink(path)


def socket_path() -> str:
    """Short (a Unix socket path has at most 107 bytes) and private to this process."""
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"prunability-warm-{os.getuid()}-{os.getpid()}.sock")


def start(path: str) -> None:
    """Start a server for this process (the snakemake run) in the background; returns
    once it listens (clients wait for its imports in the backlog)."""
    import subprocess

    if os.path.exists(path):
        os.unlink(path)  # a dead run's (this pid is ours now)
    subprocess.Popen([sys.executable, "-m", "prunability.warm", "serve", path, str(os.getpid())],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.01)


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "serve":
    serve(sys.argv[2], int(sys.argv[3]))
