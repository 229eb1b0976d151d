"""Command line: ``python -m prunability <stage> --config config/config.yaml ...``.

Each Snakemake rule calls one of these commands; each command reads the
validated config, does one stage for one job, and writes through ``Layout``.
Known failures (bad config, missing dataset, corrupt file) end with one line
on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

from prunability import config as config_module
from prunability.layout import Layout

# stage name -> (module under prunability.stages, per-job arguments); --job is a pruning job's key
# (pruning_jobs.PruningJob.key, e.g. "snip.at_init"), the {job} wildcard of the prune and evaluate rules
STAGES = {
    "prepare": ("prepare", []),
    "corrupt": ("corrupt", ["corruption"]),
    "train": ("train", ["model_id"]),
    "prune": ("prune", ["model_id", "job"]),
    "evaluate": ("evaluate", ["model_id", "job"]),
    "measures": ("measure", ["model_id"]),
    "aggregate": ("aggregate", []),
    "statistics": ("statistics", []),
    "summary": ("summary", []),
    "explorer": ("explorer", []),
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="prunability", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="stage", required=True)
    for stage, (_, args) in STAGES.items():
        s = sub.add_parser(stage)
        s.add_argument("--config", default="config/config.yaml", help="study config (YAML)")
        s.add_argument("--results", default="results", help="root of all studies' outputs")
        for arg in args:
            s.add_argument(f"--{arg.replace('_', '-')}", required=True, dest=arg)
    sub.add_parser("zoo", help="print the zoo's model ids and hyperparameters").add_argument(
        "--config", default="config/config.yaml")
    sub.add_parser("check", help="validate a config and exit").add_argument("--config", default="config/config.yaml")
    _findings_parsers(sub)
    return p


def _findings_parsers(sub) -> None:
    """findings (one study's verdicts), findings-studies (its configs to run), findings-report (the suite)."""
    one = sub.add_parser("findings", help="evaluate the claims of a findings study from its run's tables")
    one.add_argument("--config", required=True, help="a findings study, config/findings/<name>.yaml")
    one.add_argument("--wall-seconds", type=float, default=None, help="how long its studies took to run")
    plan = sub.add_parser("findings-studies", help="print the study configs a findings study runs (variants written)")
    plan.add_argument("--config", required=True)
    report = sub.add_parser("findings-report", help="collect findings verdicts into results/findings/report.md")
    report.add_argument("--config", required=True, nargs="+", help="the findings studies of the suite")
    for s in (one, plan, report):
        s.add_argument("--results", default="results", help="root of all studies' outputs")


def _dispatch_findings(args: argparse.Namespace) -> None:
    from prunability.layout import FindingsLayout
    from prunability.stages import findings

    layout = FindingsLayout(Path(args.results))
    if args.stage == "findings":
        findings.run(Path(args.config), layout, args.wall_seconds)
    elif args.stage == "findings-studies":
        print("\n".join(str(path) for path in findings.studies(Path(args.config), layout)))
    else:
        findings.report([Path(c) for c in args.config], layout)


def _known_errors() -> tuple[type[BaseException], ...]:
    from prunability.data.split import DatasetUnavailableError
    from prunability.io import CorruptFileError
    from prunability.registry import UnknownNameError

    from prunability.zoo import UnknownModelError

    return (config_module.ConfigError, DatasetUnavailableError, CorruptFileError, UnknownNameError, FileNotFoundError,
            UnknownModelError)


def _record_timing(stage: str, args: argparse.Namespace, seconds: float) -> None:
    """With PRUNABILITY_TIMING_DIR set, note how long the science of this job took (bench/)."""
    out = os.environ.get("PRUNABILITY_TIMING_DIR")
    if not out:
        return
    job = "_".join([stage] + [str(getattr(args, a)) for a in STAGES[stage][1]])
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / f"{job}.json").write_text(json.dumps({"stage": stage, "job": job, "science_s": seconds}))


def _print_zoo(config) -> None:
    from prunability.zoo import expand

    for spec in expand(config):
        print(spec.model_id, json.dumps({**spec.hparams.as_dict(), "seed": spec.seed}))


def dispatch(args: argparse.Namespace) -> None:
    if args.stage.startswith("findings"):
        return _dispatch_findings(args)
    config = config_module.load(args.config)
    if args.stage == "check":
        from prunability.pruning.preflight import check_device_here, check_study

        check_study(config)
        check_device_here(config)
        print(f"{args.config}: valid study {config.study!r}")
        return
    if args.stage == "zoo":
        return _print_zoo(config)
    module_name, per_job = STAGES[args.stage]
    stage = importlib.import_module(f"prunability.stages.{module_name}")
    start = time.perf_counter()
    stage.run(config, Layout(config.study, Path(args.results)), **{a: getattr(args, a) for a in per_job})
    _record_timing(args.stage, args, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        dispatch(args)
    except _known_errors() as exc:
        print(f"prunability {args.stage}: error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:
        print(f"prunability {args.stage}: error: cannot write {exc.filename}: permission denied; make that folder "
              f"writable, or pass --results (snakemake: --directory) a folder you can write", file=sys.stderr)
        return 2
    return 0
