"""summary: the six lines ``make run`` ends with."""

from __future__ import annotations

from prunability import io
from prunability.config import StudyConfig
from prunability.layout import Layout
from prunability.status import Status


def lines(summary: dict, layout: Layout) -> list[str]:
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
        f"Results: {layout.base}/ (tables/*.parquet, stats/*.parquet, figures/*.png; every τ and CMI in summary.md)",
    ]


def _others(summary: dict) -> str:
    """", 1 diverged, 2 max_epochs": the models that did not converge, by status."""
    counts = summary.get("status_counts", {})
    return "".join(f", {n} {status}" for status, n in counts.items() if status != Status.CONVERGED and n)


def prunability_line(kendall, zoo, measure: str = "prunability") -> str:
    """The question the tool is named after: prunability's τ with the gap, its 95 %
    interval and its rank among all measures, and how far the zoo's gaps spread."""
    gaps = zoo.loc[zoo["status"] == Status.CONVERGED, "generalization_gap"].dropna()
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


def run(config: StudyConfig, layout: Layout) -> None:
    text = lines(io.read_json(layout.summary_json), layout)
    text.insert(1, prunability_line(io.read_parquet(layout.stats("kendall")), io.read_parquet(layout.table("zoo"))))
    print("\n".join(text))
