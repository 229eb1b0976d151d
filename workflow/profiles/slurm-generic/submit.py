#!/usr/bin/env python3
"""Submit one snakemake jobscript to SLURM with sbatch; print the job id.

Called by snakemake-executor-plugin-cluster-generic as ``submit.py JOBSCRIPT``.
The job's rule, threads and resources are read from the jobscript's
``# properties = {json}`` line, validated, and turned into an sbatch argument
list that runs without a shell: no config string or wildcard ever reaches a
shell command line. A bad resource stops the submission with one message that
names the rule, the resource, the value and the fix.

Resources (set them in config.yaml's default-resources / set-resources):
  slurm_partition, slurm_account  names (letters, digits, ``_.-``); left out when unset
  runtime      minutes (integer > 0)                -> --time
  mem_mb       megabytes (integer > 0)              -> --mem
  cpus_per_task (integer > 0; default: the job's threads) -> --cpus-per-task
  gpu          GPUs (integer >= 0)                  -> --gres=gpu:N when N > 0
  slurm_extra  further sbatch options, each ``--name`` or ``--name=value``

Stdlib only, so that it runs with any python3 on a login node.
``--dry-run`` prints the sbatch command instead of running it (for the tests).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

LOG_DIR = Path(".snakemake") / "slurm_logs"  # relative to the workflow's working directory
NAME = re.compile(r"[A-Za-z0-9_.\-]+")
RULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
EXTRA_OPTION = re.compile(r"--[a-z][a-z0-9\-]*(=[A-Za-z0-9_.,:/+@%=\-]+)?")
# Options this script sets itself, or that would change what runs: not allowed in slurm_extra.
MANAGED = {"--partition", "--account", "--time", "--mem", "--cpus-per-task", "--gres", "--output",
           "--error", "--job-name", "--parsable", "--wrap", "--chdir", "--export"}


class SubmitError(Exception):
    pass


def read_properties(jobscript: Path) -> dict:
    try:
        lines = jobscript.read_text().splitlines()
    except OSError as error:
        raise SubmitError(f"cannot read the jobscript {jobscript}: {error}")
    for line in lines[:5]:
        if line.startswith("# properties = "):
            try:
                return json.loads(line[len("# properties = "):])
            except json.JSONDecodeError as error:
                raise SubmitError(f"the jobscript {jobscript} has a malformed properties line: {error}")
    raise SubmitError(f"the jobscript {jobscript} has no '# properties = ' line; "
                      "was it written by snakemake's cluster-generic executor?")


def integer(rule, resources, key, minimum, fix):
    value = resources.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < minimum:
        raise SubmitError(f"rule {rule}: resource {key}={value!r} is not an integer >= {minimum}; {fix}")
    return int(value)


def name(rule, resources, key):
    value = resources.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise SubmitError(
            f"rule {rule}: resource {key}={value!r} is not a SLURM name (letters, digits, '_', '.', '-'); "
            f"set it in the profile's default-resources or with --default-resources {key}=NAME "
            "(or remove it to use the cluster's default)")
    return value


def extra_options(rule, value):
    if value in (None, ""):
        return []
    if not isinstance(value, str):
        raise SubmitError(f"rule {rule}: resource slurm_extra={value!r} must be a string of sbatch options")
    try:
        tokens = shlex.split(value)
    except ValueError as error:
        raise SubmitError(f"rule {rule}: resource slurm_extra={value!r} cannot be split into options: {error}")
    for token in tokens:
        if not EXTRA_OPTION.fullmatch(token):
            raise SubmitError(
                f"rule {rule}: slurm_extra option {token!r} is not of the form --name or --name=value "
                "(letters, digits and _.,:/+@%=- only)")
        if token.split("=", 1)[0] in MANAGED:
            raise SubmitError(
                f"rule {rule}: slurm_extra sets {token.split('=', 1)[0]}, which the profile manages; "
                "use the resources slurm_partition, slurm_account, runtime, mem_mb, cpus_per_task or gpu instead")
    return tokens


def sbatch_command(properties: dict, jobscript: Path) -> list[str]:
    rule = properties.get("rule")
    if properties.get("type") == "group":
        raise SubmitError("group jobs are not supported by this profile; remove --groups")
    if not isinstance(rule, str) or not RULE.fullmatch(rule):
        raise SubmitError(f"the jobscript {jobscript} names no valid rule ({rule!r})")
    resources = properties.get("resources") or {}
    threads = properties.get("threads") or 1

    command = ["sbatch", "--parsable", f"--job-name=smk-{rule}",
               f"--output={LOG_DIR / rule / '%j.log'}"]
    partition = name(rule, resources, "slurm_partition")
    account = name(rule, resources, "slurm_account")
    if partition:
        command.append(f"--partition={partition}")
    if account:
        command.append(f"--account={account}")
    runtime = integer(rule, resources, "runtime", 1, "give minutes, e.g. set-resources: {rule: {runtime: 60}}")
    if runtime is not None:
        command.append(f"--time={runtime}")
    mem_mb = integer(rule, resources, "mem_mb", 1, "give megabytes, e.g. mem_mb: \"4000 * attempt\"")
    if mem_mb is not None:
        command.append(f"--mem={mem_mb}M")
    cpus = integer(rule, resources, "cpus_per_task", 1, "give a number of CPUs")
    command.append(f"--cpus-per-task={cpus or int(threads)}")
    gpus = integer(rule, resources, "gpu", 0, "give a number of GPUs (0 for none)")
    if gpus:
        command.append(f"--gres=gpu:{gpus}")
    command += extra_options(rule, resources.get("slurm_extra"))
    return command + [str(jobscript)]


def main(argv: list[str]) -> int:
    dry_run = "--dry-run" in argv
    args = [a for a in argv if a != "--dry-run"]
    if len(args) != 1:
        print("usage: submit.py [--dry-run] JOBSCRIPT", file=sys.stderr)
        return 2
    jobscript = Path(args[0])
    try:
        command = sbatch_command(read_properties(jobscript), jobscript)
    except SubmitError as error:
        # stdout: the executor puts it into snakemake's log with the failed job.
        print(f"slurm-generic profile: {error}")
        return 1
    if dry_run:
        print(shlex.join(command))
        return 0
    (LOG_DIR / command[2].removeprefix("--job-name=smk-")).mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"slurm-generic profile: could not run sbatch ({error}); is SLURM installed and on PATH?")
        return 1
    job_id = done.stdout.strip().split(";")[0]  # --parsable prints "id" or "id;cluster"
    if done.returncode != 0 or not job_id.isdigit():
        print(f"slurm-generic profile: sbatch refused the job (exit {done.returncode}): "
              f"{done.stderr.strip() or done.stdout.strip()}\ncommand: {shlex.join(command)}")
        return 1
    print(job_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
