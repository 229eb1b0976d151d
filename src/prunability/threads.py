"""Running torch single-threaded for a while, the caller's thread count restored after."""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def single_thread():
    """One intra-op thread inside: small ops gain nothing from a second thread, and on
    a shared machine every multi-threaded op waits for a thread that is not scheduled
    (measured 10-20x slower under load on 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
