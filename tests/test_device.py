import subprocess
import sys

import torch

from prunability.device import claim_slot, fast_memory_format, in_fast_layout, pick_device


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


def test_conv_weights_go_channels_last_on_the_cpu_and_compute_the_same_function():
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(8 * 5 * 5, 4))
    x = torch.randn(6, 3, 5, 5)
    before = net(x)
    assert in_fast_layout(net) is net
    weight = net[0].weight
    assert fast_memory_format(torch.device("cpu")) == torch.channels_last
    assert weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous()
    assert net[3].weight.is_contiguous()  # 2-D weights keep their layout
    torch.testing.assert_close(net(x), before, rtol=1e-5, atol=1e-6)
    assert fast_memory_format(torch.device("cuda", 0)) == torch.contiguous_format
