"""Conditional mutual information between a measure and the gap (Jiang et al. 2020; PGDL).

Jiang et al. 2020 (*Fantastic Generalization Measures*, arXiv:1912.02178)
score a measure μ by how much information the *order* of two models under μ
carries about the order of their generalization gaps g, once the
hyperparameters in a set S are known:

    V_μ = sign(μ(θ) − μ(θ')),   V_g = sign(g(θ) − g(θ')),   U_S = (θ_S, θ'_S)
    Î(μ, S) = I(V_μ; V_g | U_S) / H(V_g | U_S),     K_k(μ) = min_{|S| = k} Î(μ, S)

A small K means some k hyperparameters explain away the measure's apparent
relation to the gap. The NeurIPS 2020 PGDL competition scored submissions with
this quantity for k = 2. Its scorer is ``scoring_program/mutual_information.py``
in the public starting kits (read in ``cadurosar/pgdl`` at commit 1a012efd and
``samiul272/pgdl_proposal`` at f4a27e74; the two files are identical in
substance). The conventions below reproduce that scorer; where this module
differs, it says so.

Conventions (source in brackets):

1. **Pairs are ordered and include self-pairs.** The table is filled by a
   double loop over all models (m1, m2), m1 == m2 included, so n² pairs.
   [PGDL ``build_mi_table``]
2. **Strict signs, ties negative.** V_g = 1 ("+gap") iff g(m1) > g(m2), else 0
   ("−gap"); V_μ = 1 iff μ(m1) > μ(m2), else 0. A tie, and every self-pair,
   lands in (−gap, −measure). So V is a binary variable, not a three-valued
   sign. [PGDL ``build_mi_table``: ``'+gap' if ... > ... else '-gap'``]
3. **Cells.** U_S is the tuple (value of h in m1, value of h in m2) for each
   h in S, so a cell is an ordered pair of S-configurations. [PGDL
   ``make_key_from_models``] The scorer builds the key by concatenating
   ``str`` values, which could in principle merge distinct cells (``"1"+"10"``
   vs ``"11"+"0"``); here cells are exact integer codes.
4. **Per-cell plug-in estimates in bits.** In each cell the 2×2 table of
   (V_g, V_μ) counts is normalised to a joint distribution; I = Σ p log₂(p /
   (p_g p_μ)) over non-zero cells of the table, H = −Σ p_g log₂ p_g.
   [PGDL ``mi_from_table``, ``entropy``: ``np.log2``]
5. **Uniform average over cells, then a ratio of averages.** Î = mean_cells(I)
   / mean_cells(H(V_g)), every cell weighted equally, *not* by its number of
   pairs. [PGDL ``total_mi_from_table``: ``expected_mi / expected_ce_0``]
   PGDL averages over every combination of the hyperparameters' possible
   values and requires a complete, unique grid (``score.py``
   ``check_data_validity``), so all its cells are non-empty. Here the average
   runs over the **non-empty** cells, which is the same on a complete grid and
   stays defined when models were dropped (diverged, non-finite measure).
6. **Zero conditional entropy.** When V_g is constant in every cell (U_S
   determines the order of the gaps), the ratio is 0/0. PGDL's entropy adds
   1e-12 inside the logarithm, which turns this into −0.0; here it is
   exactly 0.0: the measure adds nothing that S does not already explain.
   Outside this case the 1e-12 changes values by < 1e-11.
7. **Minimum over subsets.** K_k is the minimum of Î over all subsets S of
   the axes with |S| = k. PGDL loops over ordered pairs h1 ≠ h2, which visits
   each unordered pair twice with the same partition, so unordered
   combinations give the same minimum. Ties (within 1e-12, i.e. float
   rounding) keep the first subset in ``itertools.combinations`` order of
   ``axes``. [PGDL
   ``conditional_mutual_information``] PGDL computes only k = 2; k = 0 (no
   conditioning: one cell holding all n² pairs) and k = 1 follow Jiang et al.
   (whose k = 0 branch in the scorer, ``mi_empty_conditioning_set_table``,
   references undefined names and is never called).
8. **Gap.** PGDL's gap is train_acc − test_acc; any target column can play
   its role here (e.g. test loss). Observations with a NaN gap or measure are
   dropped first; fewer than two models give NaN.

Î ≤ 1, with equality when V_μ = V_g on every pair (e.g. μ = g, or any
increasing function of g). MI ignores the direction of a relation, but (1) and
(2) break the symmetry between a measure and its negative: every self-pair
and tie is (−gap, −measure) for both, so μ = −g scores *below* 1 (about 0.62
for 10 models, 0.93 for 100, → 1 as self-pairs become rare). Report τ beside
Î to see the sign.

Computation: the n² pair codes 2·V_g + V_μ are produced in row chunks and
counted per cell with ``np.bincount``; when the finest partition (joint
values of all axes) has few cells, pairs are counted once on it and every
subset's table is obtained by summing its cells, which is exact.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

#: pair-matrix elements processed at once (bounds memory to ~8 bytes × this)
PAIR_CHUNK_ELEMENTS = 1 << 22
#: subsets whose Î differ by less than this are ties (the first one is kept)
TIE_TOLERANCE = 1e-12
#: the largest per-subset count table (cells² × 4 int64 bins) allowed, 256 MiB
MAX_TABLE_BINS = 1 << 25
#: use the finest-partition shortcut when it has at most this many cell pairs
MAX_FINE_CELL_PAIRS = 1 << 20


@dataclass(frozen=True)
class CMIScore:
    """K_k: the minimum over |S| = k of Î, and the S that attains it."""

    subset_size: int
    value: float
    subset: tuple[str, ...]


def _pair_tables(gap: np.ndarray, measure: np.ndarray, partitions: list[tuple[np.ndarray, int]], chunk_rows: int) -> list[np.ndarray]:
    """Counts of the pair code 2·V_g + V_μ per ordered cell pair, one (C², 4) array per partition.

    A partition is (per-model cell code in [0, C), C); the pair (i, j) falls in
    cell pair code[i]·C + code[j]. All n² ordered pairs, self-pairs included.
    """
    n = gap.size
    counts = [np.zeros(n_cells * n_cells * 4, dtype=np.int64) for _, n_cells in partitions]
    for start in range(0, n, chunk_rows):
        rows = slice(start, min(start + chunk_rows, n))
        pair_code = 2 * (gap[rows, None] > gap[None, :]).astype(np.int64) + (measure[rows, None] > measure[None, :])
        for (codes, n_cells), acc in zip(partitions, counts):
            index = (codes[rows, None] * n_cells + codes[None, :]) * 4 + pair_code
            acc += np.bincount(index.ravel(), minlength=acc.size)
    return [acc.reshape(-1, 4) for acc in counts]


def _coarsen(fine_table: np.ndarray, fine_to_cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Sum a (F², 4) table over the cell pairs of a coarser partition of the F fine cells."""
    pair_cell = (fine_to_cell[:, None] * n_cells + fine_to_cell[None, :]).ravel()
    columns = [np.bincount(pair_cell, weights=fine_table[:, v], minlength=n_cells * n_cells) for v in range(4)]
    return np.rint(np.stack(columns, axis=1)).astype(np.int64)


def normalized_mi_from_tables(table: np.ndarray) -> float:
    """Î = mean over non-empty cells of I(V_μ; V_g) / mean of H(V_g), in bits (conventions 4–6).

    ``table`` is (cells, 4) counts of the pair code 2·V_g + V_μ.
    """
    counts = np.asarray(table, dtype=np.float64).reshape(-1, 2, 2)  # [cell, V_g, V_μ]
    totals = counts.sum(axis=(1, 2))
    counts, totals = counts[totals > 0], totals[totals > 0]
    if totals.size == 0:
        return float("nan")
    p = counts / totals[:, None, None]
    p_gap, p_measure = p.sum(axis=2), p.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / (p_gap[:, :, None] * p_measure[:, None, :])), 0.0)
        entropy = np.where(p_gap > 0, -p_gap * np.log2(p_gap), 0.0)
    mean_mi, mean_entropy = terms.sum(axis=(1, 2)).mean(), entropy.sum(axis=1).mean()
    return float(mean_mi / mean_entropy) if mean_entropy > 0 else 0.0


def _cell_codes(axis_codes: np.ndarray, axis_sizes: np.ndarray, subset: tuple[int, ...]) -> tuple[np.ndarray, int]:
    """Per-model code of the joint values of the axes in ``subset`` (observed ones only), and their number."""
    if not subset:
        return np.zeros(axis_codes.shape[0], dtype=np.int64), 1
    sizes = tuple(int(s) for s in axis_sizes[list(subset)])
    joint = np.ravel_multi_index(tuple(axis_codes[:, a] for a in subset), sizes)
    observed, codes = np.unique(joint, return_inverse=True)
    if observed.size**2 * 4 > MAX_TABLE_BINS:
        raise ValueError(
            f"{observed.size} observed value combinations of one subset give {observed.size**2} cells: "
            "too many for a pair table; condition on hyperparameters with few values"
        )
    return codes.ravel().astype(np.int64), int(observed.size)


def _subset_tables(gap, measure, axis_codes, axis_sizes, subsets, chunk_rows, max_fine_cell_pairs) -> list[np.ndarray]:
    partitions = [_cell_codes(axis_codes, axis_sizes, s) for s in subsets]
    _, first, fine = np.unique(axis_codes, axis=0, return_index=True, return_inverse=True)
    n_fine = first.size
    if n_fine * n_fine > max_fine_cell_pairs:
        return _pair_tables(gap, measure, partitions, chunk_rows)
    fine_table = _pair_tables(gap, measure, [(fine.ravel().astype(np.int64), n_fine)], chunk_rows)[0]
    return [_coarsen(fine_table, codes[first], n_cells) for codes, n_cells in partitions]


def cmi_scores(
    gap,
    measure,
    hparams: pd.DataFrame,
    axes: Sequence[str],
    subset_sizes: Sequence[int],
    *,
    chunk_rows: int | None = None,
    max_fine_cell_pairs: int = MAX_FINE_CELL_PAIRS,
) -> list[CMIScore]:
    """K_k(μ) for every k in ``subset_sizes`` (each ≤ len(axes)), with its minimizing subset.

    ``gap``, ``measure`` and the rows of ``hparams`` (columns ``axes``) are
    aligned, one entry per model. See the module docstring for conventions.
    With fewer than two usable models every value is NaN and every subset ().
    """
    gap = np.asarray(gap, dtype=np.float64).ravel()
    measure = np.asarray(measure, dtype=np.float64).ravel()
    axes = list(axes)
    if not (gap.size == measure.size == len(hparams)):
        raise ValueError(f"gap ({gap.size}), measure ({measure.size}) and hparams ({len(hparams)}) must be aligned")
    if any(k < 0 or k > len(axes) for k in subset_sizes):
        raise ValueError(f"subset sizes {list(subset_sizes)} must lie in [0, {len(axes)}] (the number of axes)")
    keep = ~(np.isnan(gap) | np.isnan(measure))
    gap, measure, hparams = gap[keep], measure[keep], hparams.loc[keep, axes]
    if gap.size < 2:
        return [CMIScore(int(k), float("nan"), ()) for k in subset_sizes]
    factorized = [pd.factorize(hparams[a], use_na_sentinel=False) for a in axes]
    axis_codes = np.column_stack([c for c, _ in factorized] or [np.zeros(gap.size, np.int64)]).astype(np.int64)
    axis_sizes = np.array([len(u) for _, u in factorized] or [1])
    subsets = [s for k in subset_sizes for s in itertools.combinations(range(len(axes)), k)]
    chunk_rows = chunk_rows or max(1, PAIR_CHUNK_ELEMENTS // gap.size)
    tables = _subset_tables(gap, measure, axis_codes, axis_sizes, subsets, chunk_rows, max_fine_cell_pairs)
    values = {s: normalized_mi_from_tables(t) for s, t in zip(subsets, tables)}
    return [_minimum(values, int(k), axes) for k in subset_sizes]


def _minimum(values: dict[tuple[int, ...], float], k: int, axes: list[str]) -> CMIScore:
    best, best_subset = float("nan"), ()
    for subset, value in values.items():
        if len(subset) == k and np.isfinite(value) and (np.isnan(best) or value < best - TIE_TOLERANCE):
            best, best_subset = value, tuple(axes[a] for a in subset)
    return CMIScore(k, best, best_subset)


def conditional_mutual_information(gap, measure, hparams: pd.DataFrame, axes: Sequence[str], subset_size: int, **kwargs) -> CMIScore:
    """K_k(μ) = min over S ⊆ axes with |S| = ``subset_size`` of I(V_μ; V_g | U_S) / H(V_g | U_S)."""
    return cmi_scores(gap, measure, hparams, axes, [subset_size], **kwargs)[0]
