"""Warm workers: a stage command run through the fork server behaves exactly like
the same command run in its own process — output, files, exit status — and falls
back to running itself when no server answers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from prunability import warm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(ROOT, "config", "studies", "tiny.yaml")


def command(args, socket_path, tmp_path, name):
    """Run ``python -m prunability args`` with stdout/stderr to files, as a rule's shell does."""
    env = {**os.environ, warm.SOCKET_ENV: socket_path}
    with open(tmp_path / f"{name}.out", "w") as out, open(tmp_path / f"{name}.err", "w") as err:
        done = subprocess.run([sys.executable, "-m", "prunability", *args], env=env, stdout=out, stderr=err,
                              cwd=tmp_path)
    return done.returncode, (tmp_path / f"{name}.out").read_text(), (tmp_path / f"{name}.err").read_text()


@pytest.fixture()
def server(tmp_path):
    path = os.path.join("/tmp", f"prunability-warm-test-{os.getpid()}.sock")
    process = subprocess.Popen([sys.executable, "-m", "prunability.warm", "serve", path, str(os.getpid())])
    deadline = time.time() + 30
    while not os.path.exists(path) and time.time() < deadline:
        time.sleep(0.01)
    yield path
    process.kill()
    process.wait()
    if os.path.exists(path):
        os.unlink(path)


def test_a_warm_command_equals_the_same_command_run_alone(server, tmp_path):
    alone = command(["zoo", "--config", TINY], "/nonexistent.sock", tmp_path, "alone")
    warmed = command(["zoo", "--config", TINY], server, tmp_path, "warm")
    assert alone[0] == warmed[0] == 0
    assert warmed[1] == alone[1] and warmed[1].count("nin-") == 2


def test_failures_keep_their_status_and_message(server, tmp_path):
    (tmp_path / "bad.yaml").write_text("study: x\ndataset: {name: digits}\nzoo: {seeds: [0], grid: {lr: [.nan]}}\n")
    status, _out, err = command(["check", "--config", "bad.yaml"], server, tmp_path, "bad")  # a relative path: cwd
    assert status == 2 and "NaN and infinity are not allowed" in err


def test_the_job_runs_in_a_process_other_than_the_client(server, tmp_path):
    """Files the job writes land relative to the client's working directory."""
    status, _out, err = command(["prepare", "--config", TINY, "--results", "res"], server, tmp_path, "prep")
    assert status == 0, err
    assert (tmp_path / "res" / "tiny" / "data" / "prepared.pt").is_file()


def test_an_edited_package_is_noticed(tmp_path):
    before = warm._package_state()
    target = os.path.join(ROOT, "src", "prunability", "warm.py")
    stat = os.stat(target)
    try:
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert warm._package_state() != before
    finally:
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert warm._package_state() == before


def test_the_server_runs_the_job_itself(server, capfd, monkeypatch):
    """run_remotely answers with the child's status (None would mean "run it yourself")."""
    monkeypatch.setenv(warm.SOCKET_ENV, server)
    assert warm.run_remotely(["zoo", "--config", TINY]) == 0
    assert capfd.readouterr().out.count("nin-") == 2
    assert warm.run_remotely(["check", "--config", "/nonexistent.yaml"]) == 2
    monkeypatch.setenv(warm.SOCKET_ENV, "/tmp/no-such-prunability.sock")
    assert warm.run_remotely(["zoo", "--config", TINY]) is None
