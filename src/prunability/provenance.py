"""Where a result came from: package version, git commit, config hash, and a
per-stage code version that Snakemake uses as a rule parameter, so changing a
stage's code reruns that stage (Snakemake compares params, not imported code)."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any, Mapping

from prunability import __version__

PACKAGE_DIR = Path(__file__).resolve().parent

# A stage's code is the import closure of its module (computed below); names differ only here.
STAGE_MODULES = {"measures": "measure"}
# Files a stage reads that are not Python imports.
STAGE_DATA = {"explorer": ["explorer/static/app.js", "explorer/static/page.html"]}
# Imported everywhere but shape no result: paths are visible to snakemake itself, provenance is metadata.
NOT_SCIENCE = {"layout.py", "provenance.py"}
STAGES = ("prepare", "corrupt", "train", "prune", "evaluate", "measures", "aggregate", "statistics", "explorer")


def _module_file(root: Path, dotted: str) -> Path | None:
    """The file of ``prunability.<dotted>`` under ``root`` (a module or a package's __init__)."""
    base = root.joinpath(*dotted.split(".")) if dotted else root
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(root: Path, path: Path) -> set[Path]:
    """Package files that ``path`` imports (anywhere in it, functions included), with
    the __init__.py of every package on the way, as Python runs them."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1] if path.name != "__init__.py"
                       else path.relative_to(root).parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package of this file, up level − 1
                parts = package.split(".") if package else []
                module = ".".join(["prunability", *parts[: len(parts) - node.level + 1], *filter(None, [node.module])])
            else:
                module = node.module or ""
            names += [module] + [f"{module}.{a.name}" for a in node.names]  # a name may be a submodule
    found = set()
    for name in names:
        if name != "prunability" and not name.startswith("prunability."):
            continue
        parts = name.split(".")[1:]
        for depth in range(len(parts) + 1):  # every package on the way runs its __init__
            file = _module_file(root, ".".join(parts[:depth]))
            if file is not None:
                found.add(file)
    return found


@cache
def stage_files(stage: str, root: Path = PACKAGE_DIR) -> tuple[Path, ...]:
    """Every package file ``stage``'s results depend on: the transitive imports of its
    module (config, io, schemas, models, … as they are reached), plus its data files."""
    start = root / "stages" / f"{STAGE_MODULES.get(stage, stage)}.py"
    seen, todo = set(), [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += sorted(_imported(root, path) - seen)
    files = {p for p in seen if p.relative_to(root).as_posix() not in NOT_SCIENCE}
    return tuple(sorted(files | {root / d for d in STAGE_DATA.get(stage, [])}))


# The config keys each stage's results depend on, declared once: hashed into the
# stage's rule parameters, so changing one reruns exactly these stages. Keys that
# only say which jobs exist (pruning.methods, corruptions.names for corrupt) are
# left out ("-section.key" drops one key of a declared section): they add or remove jobs, the others' results stay valid. Statistics
# writes the whole config beside its tables, so it reads all of it but the findings section (read by the
# findings report, so that a findings study reuses a finished run as it is).
STAGE_CONFIG = {
    "prepare": ["dataset"],
    "corrupt": ["corruptions.severities", "corruptions.seed", "corruptions.source", "corruptions.released_dir"],
    "train": ["training", "-training.checkpoint_every", "evaluation"],
    "prune": ["pruning.sparsities", "pruning.include_biases", "pruning.include_norm", "pruning.seed",
              "pruning.score_batches", "pruning.score_batch_size", "pruning.synflow_rounds", "pruning.finetune_epochs",
              "pruning.finetune_lr", "pruning.imp", "pruning.baselines", "pruning.iterative", "pruning.ap", "training",
              "-training.checkpoint_every", "evaluation", "measures.instability_points"],
    "evaluate": ["corruptions.names", "corruptions.severities", "evaluation"],
    "measures": ["measures", "pruning.include_biases", "pruning.include_norm", "evaluation"],
    "aggregate": [],
    "statistics": ["statistics", "*", "-findings"],
    "explorer": ["statistics.bootstrap_resamples", "statistics.seed"],  # the AP view's bootstrap
}


# Config keys no stage's results read beyond what reaches them otherwise, each with why.
NOT_STAGE_CONFIG = {
    "study": "names the results folder (a path, seen by Snakemake itself)",
    "device": "where a job runs, not what it computes",
    "zoo": "the grid and seeds are the model ids (zoo.py), hence the jobs and their paths",
    "training.target_ce": "part of the model id", "training.max_epochs": "part of the model id",
    "training.mixed_precision": "part of the model id",
    "training.checkpoint_every": "how often a resume point is saved; results are equal (tests/workflow/test_resume.py)",
    "pruning.methods": "which one-shot jobs exist", "pruning.at_init": "which at-init jobs exist",
    "corruptions.names": "which corrupt jobs exist (the evaluate stage reads it)",
    "corruptions.frost_dir": "where frost's photographs are: checked by their SHA-256, the images shape the result",
    "corruptions.frost_download": "whether a missing photograph may be fetched; the same checked file either way",
    "findings": "read by the findings report (python -m prunability findings), not by the study's stages",
}


def _lookup(raw: Mapping[str, Any], dotted: str) -> Any:
    node: Any = raw
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def stage_settings(stage: str, raw: Mapping[str, Any]) -> str:
    """What ``stage``'s results depend on besides its input files, as one string for a
    Snakemake ``params`` entry: its code version and the config keys it reads."""
    keys = STAGE_CONFIG[stage]
    if "*" in keys:
        values = {k: v for k, v in raw.items() if f"-{k}" not in keys}
    else:  # "section", or "section.key"; "-section.key" leaves one key of a section out
        values = {key: _lookup(raw, key) for key in keys if not key.startswith("-")}
        for excluded in (k[1:] for k in keys if k.startswith("-")):
            section, _, leaf = excluded.rpartition(".")
            values[section] = {k: v for k, v in (values.get(section) or {}).items() if k != leaf}
    return json.dumps({"code": code_version(stage), **values}, sort_keys=True, default=str)


def code_version(stage: str, root: Path = PACKAGE_DIR) -> str:
    """Hash of the source files ``stage`` depends on (see ``stage_files``): of what a Python
    file computes, so that editing a docstring, a comment or the layout reruns nothing."""
    digest = hashlib.sha1()
    for path in stage_files(stage, Path(root)):
        digest.update(str(path.relative_to(root)).encode())
        stat = path.stat()
        digest.update(_code_of(path, stat.st_mtime_ns, stat.st_size))
    return digest.hexdigest()[:12]


@cache  # keyed by the file's modification time and size: stages share most files
def _code_of(path: Path, mtime_ns: int, size: int) -> bytes:
    """A Python file's syntax tree without docstrings or positions; any other file's bytes."""
    if path.suffix != ".py":
        return path.read_bytes()
    tree = ast.parse(path.read_bytes())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


@cache
def git_commit() -> str:
    """The commit of the checkout the package runs from, or "unknown" outside git."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def config_hash(raw: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:12]


def record(raw_config: Mapping[str, Any]) -> dict[str, str]:
    """Parquet schema metadata stored with every result table."""
    return {"prunability_version": __version__, "git_commit": git_commit(), "config_hash": config_hash(raw_config)}
