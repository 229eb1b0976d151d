"""What a study's statistics say in words: the JSON summary for DVC, the Markdown
table of the top measures per target, and the lines ``make run`` ends with."""

from __future__ import annotations

import math

import pandas as pd

from prunability.config import StudyConfig


def summary(config: StudyConfig, zoo: pd.DataFrame, kendall: pd.DataFrame, cmi: pd.DataFrame) -> dict:
    gap = kendall[kendall["target"] == "generalization_gap"].dropna(subset=["tau"]).sort_values("tau", ascending=False)
    cmi_gap = cmi[(cmi["target"] == "generalization_gap") & (cmi["subset_size"] == cmi["subset_size"].max())]

    def ranked(df):
        return [{"measure": r.measure, "tau": round(float(r.tau), 4)} for r in df.itertuples()]

    return {
        "study": config.study,
        "models": int(len(zoo)),
        "converged": int((zoo["status"] == "converged").sum()),
        # every model is a row whatever became of it: a diverged one is counted, not lost
        "status_counts": {str(k): int(v) for k, v in zoo["status"].value_counts().sort_index().items()},
        "mean_test_acc": _finite(zoo["test_acc"].mean()),
        "mean_generalization_gap": _finite(zoo["generalization_gap"].mean()),
        "kendall_tau_gap": {r["measure"]: r["tau"] for r in ranked(gap)},
        "best_measure_by_tau": ranked(gap.head(1))[0] if len(gap) else None,
        "worst_measure_by_tau": ranked(gap.tail(1))[0] if len(gap) else None,
        "cmi_gap": {r.measure: _finite(r.cmi) for r in cmi_gap.itertuples()},
    }


def _finite(x) -> float | None:
    return round(float(x), 4) if x is not None and math.isfinite(float(x)) else None


def markdown(config: StudyConfig, zoo: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> str:
    """The top measures per target with τ (95 % interval, Holm-corrected p) and CMI."""
    kendall, cmi = tables["kendall"], tables["cmi"]
    top_k = cmi["subset_size"].max() if len(cmi) else 0
    lines = [f"# {config.study}: which measures predict generalization?", "",
             f"{len(zoo)} models, {int((zoo['status'] == 'converged').sum())} converged. "
             f"τ > 0: models with a larger measure have a larger target. CMI: K_{top_k}, "
             f"the minimum over hyperparameter subsets of size {top_k} (Jiang et al. 2020).", ""]
    for target, rows in kendall.groupby("target", sort=False):
        k = cmi[(cmi["target"] == target) & (cmi["subset_size"] == top_k)].set_index("measure")["cmi"]
        lines += [f"## {target}", "", "| measure | τ | 95 % CI | p (Holm) | CMI |", "|---|---|---|---|---|"]
        for r in rows.sort_values("tau", ascending=False, key=abs).itertuples():
            lines.append(f"| {r.measure} | {r.tau:+.3f} | [{r.ci_low:+.2f}, {r.ci_high:+.2f}] | {r.p_holm:.3g} | "
                         f"{k.get(r.measure, float('nan')):.3f} |")
        lines.append("")
    return "\n".join(lines)


def closing_lines(summary: dict, results: str) -> list[str]:
    """The lines ``make run`` ends with, from :func:`summary`; ``results`` is the study's results folder."""
    taus = summary["kendall_tau_gap"]
    best, worst = summary["best_measure_by_tau"], summary["worst_measure_by_tau"]
    fmt = lambda r: f"{r['measure']} (τ = {r['tau']:+.3f})" if r else "n/a"  # noqa: E731
    ranked = sorted(taus.items(), key=lambda kv: -kv[1])
    show = lambda items: ", ".join(f"{m} {t:+.2f}" for m, t in items)  # noqa: E731
    return [
        f"Study {summary['study']}: {summary['models']} models, {summary['converged']} reached the target CE"
        f"{_others(summary)}; "
        f"mean test accuracy {summary['mean_test_acc']}, mean generalization gap {summary['mean_generalization_gap']}",
        f"Best predictor of the generalization gap (highest Kendall τ; a good complexity measure has τ > 0): {fmt(best)}",
        f"Worst predictor (lowest τ): {fmt(worst)}",
        f"τ with the gap of {len(ranked)} measures, top three: {show(ranked[:3])}; bottom three: {show(ranked[-3:])}",
        f"Results: {results}/ (tables/*.parquet, stats/*.parquet, figures/*.png; every τ and CMI in summary.md)",
    ]


def _others(summary: dict) -> str:
    """", 1 diverged, 2 max_epochs": the models that did not converge, by status."""
    counts = summary.get("status_counts", {})
    return "".join(f", {n} {status}" for status, n in counts.items() if status != "converged" and n)


def prunability_line(kendall: pd.DataFrame, zoo: pd.DataFrame, measure: str = "prunability") -> str:
    """The question the tool is named after: prunability's τ with the gap, its 95 %
    interval and its rank among all measures, and how far the zoo's gaps spread."""
    gaps = zoo.loc[zoo["status"] == "converged", "generalization_gap"].dropna()
    spread = (f"gaps of the converged models span {gaps.min():.3f}–{gaps.max():.3f} "
              f"({100 * (gaps.max() - gaps.min()):.1f} percentage points)") if len(gaps) else "no converged model"
    gap = kendall[kendall["target"] == "generalization_gap"].dropna(subset=["tau"])
    row = gap[gap["measure"] == measure]
    if row.empty:
        return f"Prunability (Kuhn et al. 2021): not computed in this study; {spread}"
    r = row.iloc[0]
    rank = int((gap["tau"] > r["tau"]).sum()) + 1
    return (f"Prunability (Kuhn et al. 2021): τ = {r['tau']:+.3f} with the gap, 95 % interval "
            f"[{r['ci_low']:+.2f}, {r['ci_high']:+.2f}] over {int(r['n_models'])} models, rank {rank} of {len(gap)} "
            f"measures; {spread}")
