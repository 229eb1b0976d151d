"""Time a study's stages and the share of wall time spent outside the science.

Runs the whole DAG of a study from scratch in a temporary directory with
``snakemake --cores N``, while every job records how long its stage function
ran (PRUNABILITY_TIMING_DIR). Everything else — process start, imports,
loading inputs, Snakemake's scheduling and bookkeeping, idle cores — is
overhead. Prints one table per stage and the overall ratios measured in this
one run; numbers depend on the machine, so compare ratios, not seconds.

    .venv/bin/python bench/stage_overhead.py --config config/config.yaml --cores 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def timed(cmd: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - start


def run_study(config: Path, cores: int, workdir: Path, timing: Path, warm: bool = True) -> float:
    env = {**os.environ, "PRUNABILITY_TIMING_DIR": str(timing), "PRUNABILITY_WARM": "1" if warm else "0"}
    cmd = [str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", str(config.resolve()), "--cores", str(cores), "--quiet", "all"]
    return timed(cmd, env=env)


def stage_table(timing: Path) -> dict[str, list[float]]:
    by_stage = defaultdict(list)
    for f in timing.glob("*.json"):
        record = json.loads(f.read_text())
        by_stage[record["stage"]].append(record["science_s"])
    return by_stage


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    p.add_argument("--cores", type=int, default=os.cpu_count())
    p.add_argument("--compare-warm", action="store_true",
                   help="run the study twice: one fresh process per job, then warm workers")
    p.add_argument("--keep", type=Path, default=None,
                   help="copy the (last) run's results folder here, e.g. to compare its tables with another run's")
    args = p.parse_args()
    startup = min(timed([sys.executable, "-m", "prunability", "check", "--config", str(args.config)]) for _ in range(3))
    torch_import = min(timed([sys.executable, "-c", "import torch"]) for _ in range(3))
    for warm in ([False, True] if args.compare_warm else [True]):
        report(args, warm, startup, torch_import)


def report(args, warm: bool, startup: float, torch_import: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        timing = Path(tmp) / "timing"
        wall = run_study(args.config, args.cores, Path(tmp) / "work", timing, warm)
        stages = stage_table(timing)
        if args.keep:
            shutil.copytree(Path(tmp) / "work" / "results", args.keep, dirs_exist_ok=True)
    jobs = sum(len(v) for v in stages.values())
    science = sum(sum(v) for v in stages.values())
    mode = "warm workers (default)" if warm else "one fresh process per job (PRUNABILITY_WARM=0)"
    print(f"study {args.config} on {args.cores} cores, {mode}: {jobs} jobs, wall {wall:.1f} s")
    print(f"{'stage':<12}{'jobs':>6}{'science s':>12}{'mean s/job':>12}")
    for stage, secs in sorted(stages.items(), key=lambda kv: -sum(kv[1])):
        print(f"{stage:<12}{len(secs):>6}{sum(secs):>12.1f}{sum(secs) / len(secs):>12.3f}")
    print(f"process start + CLI imports (no torch): {startup:.2f} s; `import torch`: {torch_import:.2f} s")
    print(f"science core-seconds / available core-seconds = {science:.1f} / {wall * args.cores:.1f} "
          f"= {science / (wall * args.cores):.2%}")
    print(f"share of wall time outside the science: {1 - science / (wall * args.cores):.2%}\n")


if __name__ == "__main__":
    main()
