import subprocess
import sys

import torch

from prunability.device import claim_slot, pick_device


def test_cpu_when_asked_or_without_a_gpu():
    assert pick_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        assert pick_device("auto") == torch.device("cpu")


def test_concurrent_jobs_claim_different_gpus(tmp_path):
    """Three processes holding slots at once get slots 0, 1, 2; a fourth shares slot 0."""
    holder = ("import sys, time; from prunability.device import claim_slot; "
              "print(claim_slot(3, sys.argv[1]), flush=True); time.sleep(30)")
    procs = []
    try:
        slots = []
        for _ in range(3):
            p = subprocess.Popen([sys.executable, "-c", holder, str(tmp_path)], stdout=subprocess.PIPE, text=True)
            procs.append(p)
            slots.append(int(p.stdout.readline()))
        assert sorted(slots) == [0, 1, 2]
        assert claim_slot(3, tmp_path) == 0  # all taken: share rather than fail
        procs[1].kill()
        procs[1].wait()
        assert claim_slot(3, tmp_path) == slots[1]  # the kernel released the killed job's lock
    finally:
        for p in procs:
            p.kill()
            p.wait()
