"""Image makers shared by the corruption tests (imported as a plain module)."""

import numpy as np
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def rand_uint8(shape, seed=0):
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def smooth_uint8(n=2, c=3, h=32, w=32, seed=0):
    """Smooth random images (sums of low-frequency cosines): natural-image-like structure."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    imgs = np.zeros((n, c, h, w))
    for i in range(n):
        for ch in range(c):
            for _ in range(4):
                fy, fx, phase = rng.uniform(0, 3, 2).tolist() + [rng.uniform(0, 6.3)]
                imgs[i, ch] += np.cos(2 * np.pi * (fy * yy + fx * xx) + phase)
    imgs = (imgs - imgs.min()) / (imgs.max() - imgs.min())
    return torch.from_numpy((imgs * 255).astype(np.uint8))


def gen(seed=0):
    return torch.Generator().manual_seed(seed)
