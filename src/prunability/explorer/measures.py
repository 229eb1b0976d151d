"""Measures view data: the τ and CMI of every measure × target (the heatmap),
and every model's measure values, targets and hyperparameters (the
measure-vs-target scatter a clicked cell opens)."""

from __future__ import annotations

import pandas as pd

from prunability.explorer.methods import _rounded

GAP = "generalization_gap"


def _matrix(df: pd.DataFrame, value: str, measures: list[str], targets: list[str]) -> list[list]:
    wide = df.pivot_table(index="measure", columns="target", values=value, aggfunc="first", dropna=False)
    wide = wide.reindex(index=measures, columns=targets)
    return [_rounded(wide.loc[m]) for m in measures]


def order(kendall: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Measures by τ with the gap (highest first), targets with the gap first."""
    targets = list(dict.fromkeys(kendall["target"]))
    targets = sorted(targets, key=lambda t: t != GAP)
    by = kendall[kendall["target"] == targets[0]].sort_values("tau", ascending=False, na_position="last")
    measures = list(dict.fromkeys(by["measure"].tolist() + kendall["measure"].tolist()))
    return measures, targets


def top_cmi(cmi: pd.DataFrame) -> pd.DataFrame:
    """CMI over the largest conditioning-set size per target (K_k of Jiang et al. 2020)."""
    largest = cmi.groupby("target")["subset_size"].transform("max")
    return cmi[cmi["subset_size"] == largest]


def per_model(zoo: pd.DataFrame, measures: pd.DataFrame, targets: list[str], hparams: list[str]) -> dict:
    wide = measures.pivot_table(index="model_id", columns="measure", values="value", aggfunc="first")
    ids = zoo["model_id"].tolist()
    wide = wide.reindex(ids)
    return {
        "ids": ids,
        "values": {m: _rounded(wide[m].astype(float)) for m in wide.columns},
        "targets": {t: _rounded(zoo[t].astype(float)) for t in targets if t in zoo},
        "hparams": {h: zoo[h].astype(str).tolist() for h in hparams},
    }


def payload(kendall: pd.DataFrame | None, cmi: pd.DataFrame | None, measures: pd.DataFrame | None,
            zoo: pd.DataFrame, hparams: list[str]) -> dict | None:
    """``zoo`` carries every target column (the statistics stage's corruption
    targets included); ``None`` when the study has no τ yet."""
    if kendall is None or kendall.empty:
        return None
    names, targets = order(kendall)
    out = {"measures": names, "targets": targets, "tau": _matrix(kendall, "tau", names, targets), "cmi": None,
           "cmi_subset_size": None, "models": None}
    if cmi is not None and not cmi.empty:
        top = top_cmi(cmi)
        out["cmi"] = _matrix(top, "cmi", names, targets)
        out["cmi_subset_size"] = int(top["subset_size"].max())
    if measures is not None and not measures.empty:
        out["models"] = per_model(zoo, measures, targets, hparams or ["seed"])
    return out

