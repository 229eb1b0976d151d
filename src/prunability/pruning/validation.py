"""Sparsities a method cannot reach on a given network: one clear error, before
any scoring or writing.

The check needs the sizes of the prunable tensors, so it runs where the model
exists (the prune stage, before it scores or writes anything) rather than in
``config.parse``, which stays free of torch so Snakemake builds its DAG fast.

- layerwise methods keep round((1 − s)·n) of a tensor of n weights: zero once
  (1 − s)·n ≤ 0.5, so every tensor needs s < 1 − 0.5/n;
- ``filter`` methods (L1 filter pruning) do the same with the n_out filters of
  each pruned conv layer;
- LAMP keeps each tensor's largest weight only if the kept count is at least
  the number of tensors (they all score 1);
- any method must keep at least one weight.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from prunability.config import ConfigError
from prunability.pruning.masks import keep_count
from prunability.pruning.weight_scores import filter_targets


def _max_sparsity(n: int) -> float:
    """The supremum of sparsities that keep at least one of n units (keep ⇔ (1 − s)·n > 0.5)."""
    return 1.0 - 0.5 / n


def unreachable(method, sparsities: Iterable[float], params: Mapping[str, object]) -> list[str]:
    """Why ``method`` cannot prune ``params`` (name -> tensor) at some of ``sparsities``: one sentence each."""
    sizes = {n: int(p.numel()) for n, p in params.items()}
    total = sum(sizes.values())
    problems = []
    for s in sparsities:
        if total and keep_count(total, s) == 0:
            problems.append(f"pruning method {method.name!r} at sparsity {s:g} keeps no weight at all "
                            f"(round({1 - s:g} × {total}) = 0); use sparsities below {_max_sparsity(total):.6g}")
            continue
        if method.scope == "layerwise":
            for name, n in sizes.items():
                if keep_count(n, s) == 0:
                    problems.append(
                        f"pruning method {method.name!r} at sparsity {s:g} would remove every weight of tensor "
                        f"{name!r} ({n} weights keep round({1 - s:g} × {n}) = 0); use sparsities below "
                        f"{_max_sparsity(n):.6g} for this network, or a global method such as "
                        f"{method.name.replace('layerwise_', 'global_').replace('global_random', 'random')!r}")
                    break
        elif method.scope == "filter":
            if not filter_targets(dict(params)):
                problems.append(f"pruning method {method.name!r} prunes convolution filters, and this network has "
                                f"no convolution; use a weight-level method such as 'global_magnitude'")
                break
            for name in filter_targets(dict(params)):
                n = int(params[name].shape[0])
                if keep_count(n, s) == 0:
                    problems.append(
                        f"pruning method {method.name!r} at sparsity {s:g} would remove every filter of conv "
                        f"{name!r} ({n} filters keep round({1 - s:g} × {n}) = 0); use sparsities below "
                        f"{_max_sparsity(n):.6g} for this network")
                    break
        elif method.name == "lamp" and keep_count(total, s) < len(sizes):
            problems.append(
                f"pruning method 'lamp' at sparsity {s:g} keeps {keep_count(total, s)} weights, fewer than the "
                f"{len(sizes)} prunable tensors, so some tensor would lose every weight; use lower sparsities")
    return problems


def check_reachable(method, sparsities: Iterable[float], params: Mapping[str, object]) -> None:
    """Raise ConfigError (naming method, sparsity, tensor and the fix) if ``method`` cannot reach a sparsity."""
    problems = unreachable(method, sparsities, params)
    if problems:
        raise ConfigError("config key pruning.sparsities: " + "; ".join(problems))
