"""Independent random streams from one configured seed.

One seed feeds several draws: ``dataset.split_seed`` the label noise, the
training subsets, the train-eval subset and random data pruning;
``corruptions.seed`` every corruption and severity. Seeding each generator
with the seed itself makes draws of one length identical, and did: label noise
(the first 20 % of a permutation of the training split) and a training subset
(the first 30 % of a permutation of the same length, ``train_subset``) picked
the same examples, so models of train_fraction 0.3 trained on 67 % noisy
labels. And a model of zoo seed s is initialized from ``torch.manual_seed(s)``:
a generator seeded with s replays the uniforms of its initial weights, so the
`random` pruning method (``pruning.seed`` 0) ranked the seed-0 models' weights
by their signed initial values (correlation 1.0), and ``prunability_random``
(the model's seed) every model's. A draw that must be independent of the others
and of the initialization seeds its generator with ``derived_seed(seed,
purpose, ...)`` instead: 63 bits of a SHA-256, which no small seed meets.
"""

from __future__ import annotations

import hashlib

import torch


def derived_seed(*parts: object) -> int:
    """63 bits of the SHA-256 of ``parts`` joined by "/" (e.g. ``derived_seed(0, "label_noise")``)."""
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def derived_generator(*parts: object, device: torch.device | str = "cpu") -> torch.Generator:
    """A generator on ``device`` seeded with ``derived_seed(*parts)``."""
    return torch.Generator(device=device).manual_seed(derived_seed(*parts))
