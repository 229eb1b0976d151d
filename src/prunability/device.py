"""Device choice: ``auto`` takes the GPU when there is one."""

from __future__ import annotations

import torch


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config asks for device: cuda but no CUDA GPU is visible; set device: auto or cpu")
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(requested)


def seed_everything(seed: int) -> None:
    """Seed torch's CPU and CUDA generators and ask for deterministic kernels."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
