"""Data pruning: train on a configured fraction of the training split, chosen at
random or by a difficulty score from a reference run (``dataset.keep_fraction``,
``dataset.keep_by``, ``dataset.keep_scores``).

Paul, Ganguli & Dziugaite 2021 ("Deep Learning on a Data Diet", §4) and Toneva
et al. 2019 (§5) keep the *hardest* examples: the highest EL2N, or the most
forgotten (examples never learned ranked first, as forgotten infinitely often).
Sorscher et al. 2022 ("Beyond neural scaling laws", §3) show that which end to
keep depends on how much data there is; this module keeps the hard end, as the
two score papers do. Scores are the reference run's difficulty table
(``results/<study>/tables/difficulty.parquet``) averaged over its models — the
papers average over several initializations. Ties go to the smaller index, so
the selection is deterministic; ``random`` is a seeded permutation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from prunability.data.split import ImageSplit

KEEP_BY = ("random", "el2n", "forgetting")


class KeepScoresError(ValueError):
    """The reference scores cannot rank this training split; says why and what to fix."""


def kept_count(n: int, fraction: float) -> int:
    """round(fraction · n), at least 1."""
    return max(1, int(round(fraction * n)))


def keep_indices(n: int, fraction: float, by: str, seed: int, scores: np.ndarray | None = None) -> torch.Tensor:
    """Sorted indices of the kept examples: ``kept_count(n, fraction)`` of them.
    ``scores`` is n × k (rank by column 0, then 1, …, larger = harder = kept first)."""
    size = kept_count(n, fraction)
    if by == "random":
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        return order[:size].sort().values
    if by not in KEEP_BY:
        raise ValueError(f"keep_by must be one of {KEEP_BY}, got {by!r}")
    scores = np.asarray(scores, dtype=float).reshape(n, -1)
    # np.lexsort sorts by the last key first: index last-but-most-minor keeps ties stable by index
    order = np.lexsort((np.arange(n), *[-scores[:, j] for j in reversed(range(scores.shape[1]))]))
    return torch.from_numpy(np.sort(order[:size])).long()


def reference_scores(difficulty: pd.DataFrame, n: int, by: str) -> np.ndarray:
    """Per training example 0..n−1, the zoo mean of the reference run's score: EL2N (one
    column), or (share of models that never learned it, mean forgetting events)."""
    train = difficulty[difficulty["split"] == "train"]
    means = train.groupby("sample")[["el2n", "forgetting_events", "never_learned"]].mean()
    missing = sorted(set(range(n)) - set(means.index))
    if missing or (len(means) and means.index.max() >= n):
        raise KeepScoresError(
            f"dataset.keep_scores: the reference difficulty table scores {len(means)} training examples, not the "
            f"{n} of this split (first missing: {missing[:3]}); use a run of the same dataset, test_fraction, "
            f"split_seed and label_noise whose zoo includes train_fraction 1.0")
    means = means.reindex(range(n))
    return means[["el2n"]].to_numpy() if by == "el2n" else means[["never_learned", "forgetting_events"]].to_numpy()


def with_kept_examples(split: ImageSplit, fraction: float, by: str, scores_path: str, seed: int) -> ImageSplit:
    """``split`` with its training examples cut to the kept ones (the split itself at fraction 1)."""
    if fraction >= 1.0:
        return split
    n = len(split.x_train)
    scores = None
    if by != "random":
        path = Path(scores_path)
        if not path.is_file():
            raise KeepScoresError(f"dataset.keep_scores: {path} does not exist; run the reference study first "
                                  f"(its tables/difficulty.parquet), or use keep_by: random")
        scores = reference_scores(pd.read_parquet(path), n, by)
    keep = keep_indices(n, fraction, by, seed, scores)
    return ImageSplit(split.x_train[keep], split.y_train[keep], split.x_test, split.y_test, split.num_classes)
