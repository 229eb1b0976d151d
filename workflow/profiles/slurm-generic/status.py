#!/usr/bin/env python3
"""Print the state of one SLURM job for snakemake: ``running``, ``success`` or ``failed``.

Called by snakemake-executor-plugin-cluster-generic as ``status.py JOBID``
(the id that submit.py printed). Built on what every SLURM installation has:

1. ``scontrol show job -o JOBID``: slurmctld keeps a finished job for
   MinJobAge seconds (300 by default), with its final JobState;
2. ``sacct`` when the cluster has job accounting (slurmdbd): the state of jobs
   that slurmctld has already forgotten;
3. neither knows the job: it finished more than MinJobAge ago on a cluster
   without accounting; reported ``failed``, so that snakemake reruns it
   rather than trusting outputs it cannot vouch for.

A controller that does not answer (busy, restarting) is not a failed job:
the script retries, then says ``running`` and warns on stderr, and the next
status check asks again. Stdlib only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time

RUNNING = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED",
           "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED",
           "RESV_DEL_HOLD", "SPECIAL_EXIT", "POWER_UP_NODE"}
SUCCESS = {"COMPLETED"}
# Everything else that SLURM reports is final and not a success: FAILED, CANCELLED,
# TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE, REVOKED.

# Pending reasons that never clear by themselves: the job asks for more than the
# partition allows (e.g. cpus_per_task above the nodes' CPUs). Without this check
# snakemake would wait forever for a job that cannot start.
NEVER_STARTS = {"PartitionConfig", "PartitionNodeLimit", "PartitionTimeLimit", "BadConstraints",
                "InvalidAccount", "InvalidQOS"}


def classify(state: str) -> str:
    state = state.split()[0].rstrip("+") if state.strip() else ""  # "CANCELLED by 0", "RUNNING+"
    if state in SUCCESS:
        return "success"
    if state in RUNNING:
        return "running"
    return "failed"


# Errors that mean "the controller did not answer", as opposed to an answer.
TRANSIENT = ("Socket timed out", "Unable to contact", "Connection refused", "communication",
             "Zero Bytes were transmitted", "temporarily unavailable")


def ask(command: list[str]) -> subprocess.CompletedProcess | None:
    """The command's result (an error included, e.g. an unknown job id or
    "accounting storage is disabled"), or None when SLURM did not answer after three tries."""
    for attempt in range(3):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            done = None
        except OSError:
            return None
        if done is not None and (done.returncode == 0 or not any(t in done.stderr for t in TRANSIENT)):
            return done
        time.sleep(2 * (attempt + 1))
    return None


def scontrol_state(job_id: str) -> str | None | bool:
    """JobState from slurmctld; None when it no longer knows the job; False when it did not answer."""
    done = ask(["scontrol", "show", "job", "-o", job_id])
    if done is None:
        return False
    match = re.search(r"\bJobState=(\S+)", done.stdout)
    if done.returncode != 0 or not match:
        return None
    reason = re.search(r"\bReason=(\S+)", done.stdout)
    if match.group(1) == "PENDING" and reason and reason.group(1) in NEVER_STARTS:
        print(f"status.py: job {job_id} can never start (Reason={reason.group(1)}: it asks for more than "
              "the partition allows); cancelling it. Lower the rule's resources in the profile "
              "(cpus_per_task, mem_mb, runtime) or choose another slurm_partition.", file=sys.stderr)
        subprocess.run(["scancel", job_id], capture_output=True, timeout=30)
        return "FAILED"
    return match.group(1)


def sacct_state(job_id: str) -> str | None:
    if shutil.which("sacct") is None:
        return None
    done = ask(["sacct", "-X", "-n", "-P", "-j", job_id, "-o", "State"])
    if done is None or done.returncode != 0:
        return None  # e.g. "Slurm accounting storage is disabled"
    states = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    return states[-1] if states else None


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print(f"status.py: expected one numeric SLURM job id, got {argv!r}", file=sys.stderr)
        return 2
    job_id = argv[0]
    state = scontrol_state(job_id)
    if state is False:
        print(f"status.py: scontrol did not answer for job {job_id}; asking again at the next check",
              file=sys.stderr)
        print("running")
        return 0
    if state is None:
        state = sacct_state(job_id)
    if state is None:
        print(f"status.py: SLURM no longer knows job {job_id} (finished more than MinJobAge ago and no "
              "job accounting); reporting it failed so that snakemake reruns it", file=sys.stderr)
        print("failed")
        return 0
    print(classify(state))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
