"""Corrupt images: conversions, seeding, checks, and the public ``corrupt`` calls.

Images are uint8 (0..255) or float with values in [0, 1], N x C x H x W with
C = 1 or 3 and H, W >= 8, on any device. Every corruption runs in float64
(random draws may be made in float32, see ``noise.standard_normal``), in
blocks of about 85 CIFAR images, each block single-threaded on the CPU, blocks
side by side on torch's thread count where that cannot change a value
(``_apply``); uint8 input comes back as uint8 (as below), float input in its
own dtype.

Conversion follows make_cifar_c.py (Hendrycks & Dietterich 2019): the uint8
image is divided by 255 in float64 (numpy's ``np.array(x) / 255.``), the
corruption clips to [0, 1], the result is multiplied by 255 and cast with
``np.uint8``, which TRUNCATES toward zero (254.9 -> 254). Working in float64
keeps the arithmetic that of the reference, so the deterministic corruptions
land on the same side of every integer as it does.

Seeding: the randomness of (``seed``, ``name``, ``severity``) comes from one
``torch.Generator`` on the images' device seeded with
``generator_seed(seed, name, severity)``, the first 63 bits of
SHA-256(``"{seed}/{name}/{severity}"``). So every corruption and every
severity draws an independent stream (as the unseeded original did), and
``corrupt_all_severities(x, name, sevs, seed)[s]`` equals
``corrupt(x, name, s, seed)``. Results are bit-for-bit reproducible on the same
device for the same input batch; a different batching of the same images draws
different noise, so corrupt a test set in one call (or in fixed chunks).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

import torch

from prunability.corruptions.registry import CORRUPTIONS, SEVERITIES, TwoStep, check_severity
from prunability.seeds import derived_generator, derived_seed
from prunability.threads import single_thread

WORK_DTYPE = torch.float64
MIN_SIZE = 8
# Values (images x C x H x W) per block of work. On the CPU a block of 2^18
# float64 values (2 MiB, about 85 CIFAR images) keeps every intermediate in the
# L2/L3 caches and below glibc's mmap threshold, so temporaries are reused
# instead of being mapped and page-faulted afresh (on 2,000 CIFAR images at
# once, page faults took half of the run time). A GPU wants large launches.
CPU_BLOCK_VALUES = 1 << 18
CUDA_BLOCK_VALUES = 1 << 26


# glibc's malloc gives large freed blocks back to the system (``free`` trims the heap top
# beyond twice the last mmap threshold), so every 2 MiB temporary of the next block is
# page-faulted in afresh: measured, that was 70 % of gaussian_blur's time on 10,000
# images. Keeping up to 256 MiB of freed memory (and serving blocks below 64 MiB from the
# heap) makes the temporaries reuse warm pages: 3.5x less time. Allocator settings only;
# no value changes.
MALLOC_MMAP_THRESHOLD = 64 << 20
MALLOC_TRIM_THRESHOLD = 256 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers


@lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Once per process, on glibc: ``mallopt`` so that freed blocks stay in the heap
    (above); True if set. A process-wide allocator setting, made by the first corruption
    run on the CPU; elsewhere (another C library) nothing happens."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD)
                    and libc.mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def to_unit_float(x_uint8: torch.Tensor, dtype: torch.dtype = WORK_DTYPE) -> torch.Tensor:
    """uint8 in 0..255 -> float in [0, 1], as ``np.array(x) / 255.``.

    By way of float32 (exact for 0..255): torch's direct uint8 -> float64 cast is
    not vectorised on the CPU and cost about 5x the two casts (measured)."""
    return x_uint8.to(torch.float32).to(dtype) / 255


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """float in [0, 1] -> uint8, as ``np.uint8(np.clip(x, 0, 1) * 255)``: truncation, not rounding."""
    return (x.clamp(0.0, 1.0) * 255).to(torch.uint8)


def generator_seed(seed: int, name: str, severity: int) -> int:
    """The seed of the generator for (``seed``, ``name``, ``severity``): 63 bits of a SHA-256."""
    return derived_seed(int(seed), name, int(severity))


def make_generator(seed: int, name: str, severity: int, device: torch.device | str) -> torch.Generator:
    return derived_generator(int(seed), name, int(severity), device=device)


def _check_images(x: torch.Tensor) -> None:
    """One clear error for anything but uint8 / [0, 1] float images N x C x H x W, C in {1, 3}, H, W >= 8."""
    if not isinstance(x, torch.Tensor) or not (x.dtype == torch.uint8 or x.is_floating_point()):
        got = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(f"images must be a uint8 tensor (0..255) or a float tensor in [0, 1], N x C x H x W; got {got}")
    if x.ndim != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {tuple(x.shape)}")
    if x.shape[1] not in (1, 3):
        raise ValueError(f"images must have 1 (gray) or 3 (RGB) channels, got {x.shape[1]} (shape N x C x H x W)")
    if min(x.shape[-2:]) < MIN_SIZE:
        raise ValueError(f"images must be at least {MIN_SIZE}x{MIN_SIZE}, got {tuple(x.shape[-2:])}")
    if x.is_floating_point() and x.numel() and not bool(((x >= 0) & (x <= 1)).all()):
        raise ValueError(
            f"float images must have values in [0, 1], got min {x.min().item():.4g}, max {x.max().item():.4g}; "
            "divide uint8 images by 255 or pass them as uint8"
        )


def block_size(x: torch.Tensor) -> int:
    """Images per block of work for ``x`` (see ``CPU_BLOCK_VALUES``): at least one."""
    budget = CPU_BLOCK_VALUES if x.device.type == "cpu" else CUDA_BLOCK_VALUES
    per_image = x[0].numel() if len(x) else 1
    return max(1, budget // max(1, per_image))


@contextmanager
def _one_cpu_thread(device: torch.device) -> Iterator[None]:
    """On the CPU, run torch single-threaded inside (the caller's setting is restored after).

    A block's ops are too small to split across threads: measured on 2 cores,
    2 threads were no faster than 1 on an idle machine and 10-20x slower when
    other processes shared the cores (every op waits at a barrier for a thread
    that is not scheduled). One thread also makes the result independent of the
    caller's thread count (a GEMM's rounding can depend on it).
    """
    if device.type != "cpu":
        yield
        return
    with single_thread():
        yield


def _apply_block(corruption, block: torch.Tensor, target: torch.Tensor, severity: int,
                 generator: torch.Generator, options: dict) -> None:
    """One block: uint8 in -> uint8 out (truncated), float in -> its float dtype, written to ``target``."""
    if block.dtype == torch.uint8 and corruption.apply_uint8 is not None:
        target.copy_(corruption.apply_uint8(block, corruption.param(severity), generator))
    elif block.dtype == torch.uint8:  # to_uint8, on the block's own fresh result: no temporaries
        target.copy_(corruption(to_unit_float(block), severity, generator, **options).clamp_(0.0, 1.0).mul_(255))
    else:
        target.copy_(corruption(block.to(WORK_DTYPE), severity, generator, **options).clamp_(0.0, 1.0))


def _two_step(corruption, x: torch.Tensor) -> TwoStep | None:
    """The corruption's uint8 path split at its draws, when ``x`` is uint8 and it has one."""
    step = corruption.apply_uint8
    return step if x.dtype == torch.uint8 and isinstance(step, TwoStep) else None


def block_workers(corruption, x: torch.Tensor, blocks: int) -> int:
    """Threads that run blocks side by side: on the CPU, for a corruption that draws no
    random numbers or whose uint8 path is a ``TwoStep``, up to torch's thread count (the
    caller's setting: ``OMP_NUM_THREADS`` in a workflow job); else 1. Whole blocks per
    thread, each block single-threaded, so there is no per-op barrier to wait at (see
    ``_one_cpu_thread``) and every block computes exactly what it computes alone (each
    worker sets one thread for itself: OpenMP's and MKL's thread counts are per thread,
    and a new thread would otherwise start with all cores, measured 2x slower on 2 cores)."""
    if x.device.type != "cpu" or not (corruption.deterministic or _two_step(corruption, x)):
        return 1
    return max(1, min(torch.get_num_threads(), blocks))


def _finish_block(step: TwoStep, block: torch.Tensor, target: torch.Tensor, param, drawn) -> None:
    target.copy_(step.finish(block, param, drawn))


def _run_two_step(step: TwoStep, pairs: list, param, generator: torch.Generator, pool: ThreadPoolExecutor,
                  ahead: int) -> None:
    """Draw block after block in this thread, in order (so the generator gives every block
    what the serial loop gives it), while the pool finishes earlier blocks; at most
    ``ahead`` blocks' draws wait in memory."""
    pending: list = []
    for block, target in pairs:
        if len(pending) >= ahead:
            pending.pop(0).result()
        drawn = step.draw(block, param, generator)
        pending.append(pool.submit(_finish_block, step, block, target, param, drawn))
    for future in pending:
        future.result()


def _apply(corruption, x: torch.Tensor, severity: int, generator: torch.Generator, **options) -> torch.Tensor:
    """Run in float64, block by block; uint8 in -> uint8 out (truncated), float in -> its float dtype.

    The blocks (fixed size per device) draw from ``generator`` one after
    another, so the result is reproducible for the same batch; deterministic
    corruptions give the same images whatever the blocking. With more than one
    ``block_workers``, deterministic corruptions run their blocks on a thread pool,
    and uint8 paths that are a ``TwoStep`` draw here, block after block as the
    serial loop does, while the pool finishes the blocks already drawn.
    """
    if x.device.type == "cpu":
        keep_freed_memory()
    out = torch.empty_like(x)
    pairs = list(zip(x.split(block_size(x)), out.split(block_size(x))))
    workers = block_workers(corruption, x, len(pairs))
    with _one_cpu_thread(x.device):
        if workers == 1:
            for block, target in pairs:
                _apply_block(corruption, block, target, severity, generator, options)
            return out
        with ThreadPoolExecutor(workers, initializer=torch.set_num_threads, initargs=(1,)) as pool:
            step = _two_step(corruption, x)
            if step is not None:
                _run_two_step(step, pairs, corruption.param(severity), generator, pool, ahead=2 * workers)
            else:
                done = [pool.submit(_apply_block, corruption, block, target, severity, generator, options)
                        for block, target in pairs]
                for future in done:
                    future.result()
    return out


def corrupt(x: torch.Tensor, name: str, severity: int, seed: int, *,
            frost_dir: str | Path | None = None, frost_download: bool = False) -> torch.Tensor:
    """Corrupt images N x C x H x W (C = 1 or 3, H, W >= 8) at ``severity`` 1..5.

    uint8 images (0..255) come back as uint8, truncated like make_cifar_c.py's
    ``np.uint8``; float images with values in [0, 1] come back in their dtype,
    unquantised. Same shape, same device. Unknown ``name`` raises the
    registry's error listing the valid names; a severity outside 1..5, a wrong
    dtype, shape, channel count, size or value range raises one clear error.
    ``frost_dir`` is the folder of the frost photographs (default
    ``frost_photos.DEFAULT_DIR``), fetched there first if missing and
    ``frost_download``; other corruptions ignore both.
    """
    corruption = CORRUPTIONS.get(name)
    severity = check_severity(severity)
    _check_images(x)
    options = {"frost_dir": frost_dir, "frost_download": frost_download}
    return _apply(corruption, x, severity, make_generator(seed, name, severity, x.device), **options)


def corrupt_all_severities(
    x: torch.Tensor, name: str, severities: Iterable[int], seed: int, *,
    frost_dir: str | Path | None = None, frost_download: bool = False,
) -> dict[int, torch.Tensor]:
    """``{s: corrupt(x, name, s, seed, ...)}`` for each severity (each its own generator)."""
    corruption = CORRUPTIONS.get(name)
    severities = [check_severity(s) for s in severities]
    _check_images(x)
    options = {"frost_dir": frost_dir, "frost_download": frost_download}
    return {s: _apply(corruption, x, s, make_generator(seed, name, s, x.device), **options) for s in severities}


__all__ = [
    "SEVERITIES", "WORK_DTYPE", "corrupt", "corrupt_all_severities", "generator_seed",
    "make_generator", "to_uint8", "to_unit_float",
]
