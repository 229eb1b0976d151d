"""summary: the five lines ``make run`` ends with."""

from __future__ import annotations

from prunability import io
from prunability.config import StudyConfig
from prunability.layout import Layout


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
    return "".join(f", {n} {status}" for status, n in counts.items() if status != "converged" and n)


def run(config: StudyConfig, layout: Layout) -> None:
    print("\n".join(lines(io.read_json(layout.summary_json), layout)))
