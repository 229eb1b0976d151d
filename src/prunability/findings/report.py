"""The findings report: one table of verdicts, then per claim the paper, the exact
quantity, the estimate with its 95 % interval, the criterion as written before the
run, the verdict with its reason, and — when it is not reproduced — what was
written beforehand about what might explain that."""

from __future__ import annotations

import json
import math

import pandas as pd

from prunability.findings.verdict import VERDICTS


def _interval(r) -> str:
    if not all(math.isfinite(v) for v in (r.estimate, r.ci_low, r.ci_high)):
        return "n/a" if not math.isfinite(r.estimate) else f"{r.estimate:+.3f} (no interval)"
    return f"{r.estimate:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary_table(verdicts: pd.DataFrame, wall_seconds: dict[str, float] | None = None) -> list[str]:
    wall = wall_seconds or {}
    lines = ["| findings study | claim | estimate [95 % interval] | n | verdict | wall time |", "|---|---|---|---|---|---|"]
    for r in verdicts.itertuples():
        seconds = wall.get(r.findings)
        lines.append(f"| {r.findings} | {r.claim_id} | {_interval(r)} | {r.n} | **{r.verdict}** | "
                     f"{f'{seconds / 60:.1f} min' if seconds is not None else '—'} |")
    return lines


def claim_section(r) -> list[str]:
    details = json.loads(r.details)
    lines = [f"### {r.claim_id} — {r.verdict}", "",
             f"- **Paper:** {r.paper}", f"- **Claim:** {r.claim}", f"- **Quantity:** {r.quantity}",
             f"- **Estimate:** {_interval(r)} over n = {r.n} (runs: {r.studies})",
             f"- **Criterion (written before the run):** {r.criterion}", f"- **Rule:** {r.rule}",
             f"- **Verdict:** {r.verdict} — {r.reason}"]
    if details:
        lines.append("- **Context:** " + "; ".join(f"{k} = {v}" for k, v in details.items()))
    if r.verdict != "reproduced" and r.explanation:
        lines.append(f"- **What might explain it (written before the run):** {r.explanation}")
    return lines + [""]


def markdown(verdicts: pd.DataFrame, wall_seconds: dict[str, float] | None = None) -> str:
    counts = verdicts["verdict"].value_counts()
    head = ", ".join(f"{int(counts.get(v, 0))} {v}" for v in VERDICTS)
    lines = ["# Findings: which published claims this tool reproduces", "",
             f"{len(verdicts)} claims from {verdicts['findings'].nunique()} findings studies: {head}. "
             "Every number comes from the Parquet tables of the run named in the claim's section; "
             "intervals are 95 % (bootstrap over models, or the statistics stage's for τ).", ""]
    lines += summary_table(verdicts, wall_seconds) + [""]
    for findings, rows in verdicts.groupby("findings", sort=False):
        lines += [f"## {findings}", ""]
        for r in rows.itertuples():
            lines += claim_section(r)
    return "\n".join(lines)
