"""The study on a real SLURM cluster, and the checks that guard cluster submission.

Tests marked ``slurm`` need a running SLURM with an idle node (`sudo
.ci/slurm/start.sh` starts a single-node one on localhost; CI does so before
`make test`) and are skipped with the reason otherwise. They run the tiny study
through workflow/profiles/slurm-generic: every job goes through sbatch, must
finish COMPLETED, and the tables must equal those of a local run.

The local cluster has no GPU and may be smaller than a cluster node, so the
SLURM tests run a copy of the profile with three documented changes
(`local_profile`): ``gpu`` set to 0 (the GPU request itself is checked
separately: SLURM rejects it here by name), ``cpus_per_task`` and ``mem_mb``
capped at what the node has. Everything else, the submit and status scripts
included, is the shipped profile.

The other tests need no SLURM: malformed profiles and resource values fail
with a message naming the problem, submit.py never builds a shell command,
status.py maps SLURM's states, and every wildcard of every rule is constrained.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import BIN, ROOT, run, workflow_copy
from .test_dvc_repro import assert_same_tables

PROFILE = ROOT / "workflow" / "profiles" / "slurm-generic"
GPU_RULES = {"corrupt_data", "train", "prune", "evaluate_corruptions", "measures"}
CPU_RULES = {"prepare_data", "aggregate", "statistics"}


# --- a running SLURM -----------------------------------------------------------

def idle_node() -> tuple[dict | None, str]:
    """The first idle node's CPUs and memory (MB), or None and why there is none."""
    if shutil.which("sbatch") is None:
        return None, "sbatch is not on PATH"
    try:
        done = subprocess.run(["sinfo", "-h", "-N", "-o", "%T %c %m"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"sinfo failed: {error}"
    for line in done.stdout.splitlines():
        state, cpus, mem = line.split()
        if state in ("idle", "mixed"):
            return {"cpus": int(cpus), "mem_mb": int(mem)}, ""
    return None, f"no idle node (sinfo: {done.stdout.strip() or done.stderr.strip() or 'nothing'})"


NODE, WHY_NOT = idle_node()
# CI (.ci/run) starts SLURM and sets this, so that a cluster that failed to come up
# fails the SLURM tests instead of skipping them quietly.
REQUIRED = os.environ.get("PRUNABILITY_REQUIRE_SLURM") == "1"


def needs_slurm(test):
    """Marks ``slurm`` (and ``slow``), skipped with the reason when no SLURM is running."""
    @functools.wraps(test)
    def checked(*args, **kwargs):
        if NODE is None:
            pytest.fail(f"PRUNABILITY_REQUIRE_SLURM=1 but SLURM is not running ({WHY_NOT})")
        return test(*args, **kwargs)

    for mark in (pytest.mark.slurm, pytest.mark.slow,
                 pytest.mark.skipif(NODE is None and not REQUIRED, reason=f"SLURM is not running ({WHY_NOT}); "
                                    "start a local one with `sudo .ci/slurm/start.sh` (CI does)")):
        checked = mark(checked)
    return checked


def production_profile(name: str = "slurm-generic") -> dict:
    return yaml.safe_load((ROOT / "workflow" / "profiles" / name / "config.yaml").read_text())


def write_profile(dest: Path, profile: dict) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for script in ("submit.py", "status.py"):
        shutil.copy2(PROFILE / script, dest / script)
    (dest / "config.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return dest


def local_profile(dest: Path, name: str = "slurm-generic", keep_gpu: bool = False) -> Path:
    """The shipped profile, fitted to the local test cluster (see the module docstring)."""
    profile = production_profile(name)

    def fit(resources):
        if "gpu" in resources and not keep_gpu:
            resources["gpu"] = 0  # the test cluster has no GPU
        if "cpus_per_task" in resources:
            resources["cpus_per_task"] = min(int(resources["cpus_per_task"]), NODE["cpus"])
        if "mem_mb" in resources:  # still grows with attempt, up to the node's memory
            resources["mem_mb"] = f"min({resources['mem_mb']}, {NODE['mem_mb']})"

    fit(profile["default-resources"])
    for resources in profile["set-resources"].values():
        fit(resources)
    if name == "slurm-generic":
        profile["seconds-between-status-checks"] = 2  # instead of 10: the tiny study's jobs take seconds
    else:
        # The test cluster has no accounting, but Debian ships sacct anyway, so the
        # plugin would pick it and wait forever: ask squeue, as the README says to.
        profile["slurm-status-command"] = "squeue"
        profile["slurm-init-seconds-before-status-checks"] = 5  # instead of 40
        profile["slurm-keep-successful-logs"] = True  # so the test can read them
    return write_profile(dest, profile)


def scontrol(job_id: str) -> dict:
    done = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"slurmctld does not know job {job_id}: {done.stderr}"
    return dict(field.split("=", 1) for field in done.stdout.split() if "=" in field)


def submitted(log: str) -> list[str]:
    """The SLURM job ids that the cluster-generic executor reports having submitted."""
    return re.findall(r"Submitted job \d+ with external jobid '(\d+)'", log)


def slurm_jobs(name: str, log: str, where: Path) -> list[tuple[str, str, Path]]:
    """(SLURM job id, rule, batch log) of every job the executor reports having submitted."""
    if name == "slurm-generic":
        jobs = [(job_id, scontrol(job_id)["JobName"].removeprefix("smk-")) for job_id in submitted(log)]
        return [(job_id, rule, where / ".snakemake" / "slurm_logs" / rule / f"{job_id}.log") for job_id, rule in jobs]
    found = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+/slurm_logs/rule_(\w+)/\S*)\)", log)
    return [(job_id, rule, Path(path)) for job_id, path, rule in found]


def expected_mb(expression, attempt: int) -> int:
    return min(int(eval(str(expression), {}, {"attempt": attempt})), NODE["mem_mb"])


def mini_workflow(where: Path, shell: str, rule: str = "train") -> Path:
    """A one-rule workflow whose rule has the name of a study rule, so the profile's resources apply."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "Snakefile").write_text(f'rule {rule}:\n    output: "done.txt"\n    shell: {json.dumps(shell)}\n')
    return where


@needs_slurm
@pytest.mark.parametrize("name", ["slurm-generic", "slurm"])
def test_tiny_study_runs_through_sbatch_and_equals_a_local_run(tmp_path, tiny_run, name):
    where = workflow_copy(tmp_path / "repo")
    profile = local_profile(tmp_path / "profile", name)
    done = run([str(BIN / "snakemake"), "--profile", str(profile)], where, timeout=1800)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-5000:]

    # Every job snakemake ran (all but the input-only target rule `all`) went through sbatch ...
    ran = sorted(re.findall(r"^rule (\w+):", log, flags=re.M))
    jobs = slurm_jobs(name, log, where)
    assert sorted(rule for _, rule, _ in jobs) == ran and ran, f"{len(jobs)} sbatch submissions for {len(ran)} jobs"
    records = {job_id: scontrol(job_id) for job_id, _, _ in jobs}
    for job_id, rule, batch_log in jobs:
        # ... and finished: SLURM's own record of the job, and its batch log written by slurmd.
        assert (records[job_id]["JobState"], records[job_id]["ExitCode"]) == ("COMPLETED", "0:0"), (job_id, rule)
        assert "steps (100%) done" in batch_log.read_text(), batch_log

    # Per-rule resources reached SLURM: memory, CPUs and time as the profile asks (capped to the node).
    shipped = production_profile(name)["set-resources"]
    for rule in ("train", "statistics"):
        record = next(records[job_id] for job_id, r, _ in jobs if r == rule)
        assert record["MinMemoryNode"] == f"{expected_mb(shipped[rule]['mem_mb'], 1)}M", rule
        assert int(record["NumCPUs"]) == min(shipped[rule]["cpus_per_task"], NODE["cpus"]), rule
        hours, minutes = divmod(shipped[rule]["runtime"], 60)
        assert record["TimeLimit"] == f"{hours:02d}:{minutes:02d}:00", rule

    # The results are those of a local run.
    assert_same_tables(where / "results" / "tiny", tiny_run)


@needs_slurm
def test_a_failed_job_is_retried_with_more_memory(tmp_path):
    # Fails on its first attempt only; `prune` so that the profile's prune resources apply.
    where = mini_workflow(tmp_path / "wf", "if [ ! -e failed_once ]; then touch failed_once; exit 1; fi; touch {output}",
                          rule="prune")
    profile = local_profile(tmp_path / "profile")
    done = run([str(BIN / "snakemake"), "--profile", str(profile)], where, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    first, second = (scontrol(job_id) for job_id in submitted(log))
    assert first["JobState"] == "FAILED" and second["JobState"] == "COMPLETED"
    expression = production_profile()["set-resources"]["prune"]["mem_mb"]
    assert first["MinMemoryNode"] == f"{expected_mb(expression, 1)}M"
    assert second["MinMemoryNode"] == f"{expected_mb(expression, 2)}M"
    assert expected_mb(expression, 2) > expected_mb(expression, 1), "the node is too small to show the raise"


@needs_slurm
def test_gpu_rules_ask_slurm_for_a_gpu(tmp_path):
    # The shipped GPU request, unchanged: this cluster has no GPU, so SLURM itself
    # refuses it, and the error says what was asked and why it was refused.
    where = mini_workflow(tmp_path / "wf", "touch {output}", rule="train")
    profile = local_profile(tmp_path / "profile", keep_gpu=True)  # slurm-generic
    done = run([str(BIN / "snakemake"), "--profile", str(profile), "--retries", "0"], where, timeout=300)
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert "sbatch refused the job" in log and "--gres=gpu:1" in log
    assert "Invalid generic resource (gres) specification" in log
    assert not submitted(log)


# --- the profiles, without SLURM ------------------------------------------------

def load_submit():
    spec = importlib.util.spec_from_file_location("slurm_submit", PROFILE / "submit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_profiles_declare_gpu_for_gpu_rules_only(tmp_path):
    rules = workflow_rules(workflow_copy(tmp_path / "repo"))
    # The rules themselves declare gpu=1 where they use a GPU (for --resources gpu=N locally).
    declared = {rule for rule, info in rules.items() if info["gpu"]}
    assert declared >= GPU_RULES and not declared & CPU_RULES
    for name in ("slurm", "slurm-generic"):
        profile = production_profile(name)
        assert {rule for rule, res in profile["set-resources"].items() if res.get("gpu")} == declared, name
        assert "gpu" not in profile["default-resources"], name
        for rule in (rule for rule, info in rules.items() if info["shell"]):  # every job a cluster runs
            resources = {**profile["default-resources"], **profile["set-resources"].get(rule, {})}
            assert resources["runtime"] > 0 and "attempt" in str(resources["mem_mb"]), (name, rule)
        assert profile["retries"] >= 1, name


@pytest.mark.parametrize("name", ["slurm", "slurm-generic"])
def test_profiles_pass_a_dry_run_of_the_study(tmp_path, name):
    # Loads the executor plugin, parses every resource expression of every job.
    where = workflow_copy(tmp_path / "repo")
    done = run([str(BIN / "snakemake"), "-n", "--profile", str(ROOT / "workflow" / "profiles" / name)], where)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert re.search(r"^train\s+2$", done.stdout, flags=re.M)


def test_submit_builds_an_argument_list_from_the_jobscript(tmp_path):
    submit = load_submit()
    properties = {"type": "single", "rule": "train", "threads": 1, "wildcards": {"model_id": "nin-0123456789"},
                  "resources": {"mem_mb": 16000, "runtime": 240, "cpus_per_task": 4, "gpu": 1,
                                "slurm_partition": "gpu", "slurm_account": "proj_1"}}
    jobscript = tmp_path / "snakejob.train.7.sh"
    jobscript.write_text(f"#!/bin/sh\n# properties = {json.dumps(properties)}\necho\n")
    command = submit.sbatch_command(submit.read_properties(jobscript), jobscript)
    assert command[0] == "sbatch" and command[-1] == str(jobscript)
    assert {"--parsable", "--job-name=smk-train", "--partition=gpu", "--account=proj_1", "--time=240",
            "--mem=16000M", "--cpus-per-task=4", "--gres=gpu:1"} <= set(command)
    # A CPU rule asks for no GPU.
    properties.update(rule="aggregate", resources={"mem_mb": 4000, "gpu": 0})
    jobscript.write_text(f"#!/bin/sh\n# properties = {json.dumps(properties)}\necho\n")
    command = submit.sbatch_command(submit.read_properties(jobscript), jobscript)
    assert not any(arg.startswith("--gres") for arg in command)
    # The executor runs the submit command through a shell: it must carry no
    # substitution ({wildcards}, {resources}) that could put a value there.
    shipped = production_profile()
    assert "{" not in shipped["cluster-generic-submit-cmd"] + shipped["cluster-generic-status-cmd"]
    # The executor runs them as commands: a clone that lost the mode bit could not submit.
    assert all(os.access(PROFILE / script, os.X_OK) for script in ("submit.py", "status.py"))


@pytest.mark.parametrize("resource, value, message", [
    ("slurm_partition", "gpu;reboot", "resource slurm_partition='gpu;reboot' is not a SLURM name"),
    ("slurm_account", "$(id)", "resource slurm_account='$(id)' is not a SLURM name"),
    ("gpu", "two", "resource gpu='two' is not an integer >= 0"),
    ("cpus_per_task", 0, "resource cpus_per_task=0 is not an integer >= 1"),
    ("slurm_extra", "--output=/etc/passwd", "slurm_extra sets --output, which the profile manages"),
    ("slurm_extra", "--qos=high; rm -rf ~", "slurm_extra option '--qos=high;' is not of the form"),
])
def test_bad_resource_values_are_refused_by_name(tmp_path, resource, value, message):
    # Through snakemake: submit.py refuses before calling sbatch, so no SLURM is needed.
    where = mini_workflow(tmp_path / "wf", "touch {output}", rule="train")
    profile = production_profile()
    profile["set-resources"]["train"][resource] = value
    profile["seconds-between-status-checks"] = 1  # notice the failed submission at once
    write_profile(tmp_path / "profile", profile)
    done = run([str(BIN / "snakemake"), "--profile", str(tmp_path / "profile"), "--retries", "0"], where, timeout=300)
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"slurm-generic profile: rule train: {message}" in log, log[-2000:]
    assert not (where / "done.txt").exists()


@pytest.mark.parametrize("text, message", [
    ("executor: cluster-generic\njobs: [1\n", "Couldn't parse config file"),
    ("executor: cluster-generic\njobs: 1\nset-resources:\n  train: 5\n",
     "Invalid set-resources format in profile. Expected two-level mapping"),
    ("executor: cluster-generic\njbos: 1\n", "unrecognized arguments: --jbos=1"),
    ("executor: cluster-generic\njobs: 1\ncluster-generic-submit-cmd: submit.py\nset-resources:\n  train:\n"
     "    mem_mb: -5\n", "Resource 'mem_mb' was given value '-5', which is not a positive integer"),
    ("executor: cluster-generic\njobs: 1\ncluster-generic-submit-cmd: submit.py\ndefault-resources:\n"
     "  mem_mb: \"4000 * attemp\"\n", "Resource 'mem_mb' assigned callable that returned '4000 * attemp'"),
])
def test_malformed_profiles_are_named(tmp_path, text, message):
    # Snakemake's own messages already name the key or value; these tests keep them so.
    where = mini_workflow(tmp_path / "wf", "touch {output}")
    (tmp_path / "profile").mkdir()
    (tmp_path / "profile" / "config.yaml").write_text(text)
    done = run([str(BIN / "snakemake"), "--profile", str(tmp_path / "profile"), "-n"], where, timeout=300)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr, (done.stdout + done.stderr)[-2000:]


@pytest.mark.parametrize("scontrol_output, sacct_output, expected", [
    ("JobId=5 JobState=RUNNING Reason=None", None, "running"),
    ("JobId=5 JobState=PENDING Reason=Resources", None, "running"),
    ("JobId=5 JobState=COMPLETED Reason=None ExitCode=0:0", None, "success"),
    ("JobId=5 JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0", None, "failed"),
    ("JobId=5 JobState=OUT_OF_MEMORY Reason=OutOfMemory", None, "failed"),
    ("JobId=5 JobState=PENDING Reason=PartitionConfig", None, "failed"),  # can never start
    (None, "COMPLETED", "success"),  # forgotten by slurmctld, known to accounting
    (None, None, "failed"),  # known to neither: rerun rather than trust
])
def test_status_maps_slurm_states(tmp_path, scontrol_output, sacct_output, expected):
    fake = tmp_path / "bin"
    fake.mkdir()
    scontrol_script = (f"echo '{scontrol_output}'" if scontrol_output
                       else "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1")
    (fake / "scontrol").write_text(f"#!/bin/sh\n{scontrol_script}\n")
    (fake / "scancel").write_text(f"#!/bin/sh\n/usr/bin/touch {tmp_path}/cancelled\n")
    if sacct_output:
        (fake / "sacct").write_text(f"#!/bin/sh\necho {sacct_output}\n")
    for script in fake.iterdir():
        script.chmod(0o755)
    env = {"PATH": str(fake)}  # only the fakes: no real SLURM tool in the way
    done = subprocess.run([sys.executable, str(PROFILE / "status.py"), "5"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{expected}\n"
    assert (tmp_path / "cancelled").exists() == ("PartitionConfig" in (scontrol_output or ""))


# --- wildcards -----------------------------------------------------------------

RULE_WILDCARDS = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings
with SnakemakeApi(OutputSettings()) as api:
    workflow = api.workflow(resource_settings=ResourceSettings(), config_settings=ConfigSettings(),
                            snakefile=Path("Snakefile"), workdir=Path("."))._workflow
    print(json.dumps({rule.name: {"files": [str(f) for f in list(rule.output) + list(rule.log)],
                                  "gpu": rule.resources["gpu"].raw if "gpu" in rule.resources else 0, "shell": rule.shellcmd is not None}
                      for rule in workflow.rules}))
"""


def workflow_rules(where: Path) -> dict:
    """Every rule of the workflow: its output and log paths, declared gpu, and whether it runs a command."""
    done = run([sys.executable, "-c", RULE_WILDCARDS], where)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_wildcard_of_every_rule_is_constrained(tmp_path):
    where = workflow_copy(tmp_path / "repo")
    rules = workflow_rules(where)
    # the last two: job keys with a dot, where an unescaped "." would let ";" or "/" through
    hostile = ["a;b", "../x", "a b", "$(id)", "`id`", "x/y", "", "A'B",
               "global_magnitude;imp_weight_rewind", "snip/at_init"]
    seen = set()
    for rule, info in rules.items():
        for path in info["files"]:
            # snakemake writes a constrained wildcard as {name,regex}
            for name, constraint in re.findall(r"\{(\w+)(?:,((?:[^{}]|\{\d+\})+))?\}", path):
                assert constraint, f"rule {rule}: wildcard {{{name}}} in {path} has no constraint"
                seen.add(name)
                for value in hostile:
                    assert not re.fullmatch(constraint, value), f"rule {rule}: {{{name}}} accepts {value!r}"
    assert {"model_id", "job", "corruption"} <= seen

    # A path with a malformed model id or an unknown job key matches no rule.
    for bad in ["results/tiny/models/NIN_evil/final.pt", "results/tiny/pruning/nin-0123456789/evil;x.masks.pt",
                "results/tiny/data/corrupted/not_a_corruption.pt"]:
        dry = run([str(BIN / "snakemake"), "-n", bad], where)
        assert dry.returncode != 0 and "MissingRuleException" in dry.stdout + dry.stderr, bad
