import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from prunability import io, provenance


def _versions(root):
    return {stage: provenance.code_version(stage, root) for stage in provenance.STAGES}


def _changed_by(root, relative: str, edit=lambda text: text + "\nCHANGED = 1\n") -> set[str]:
    before = _versions(root)
    path = root / relative
    path.write_text(edit(path.read_text()))
    provenance.stage_files.cache_clear()
    after = _versions(root)
    return {stage for stage in before if before[stage] != after[stage]}


def test_code_version_is_the_import_closure_of_each_stage(tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(provenance.PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    names = lambda stage: {p.relative_to(root).as_posix() for p in provenance.stage_files(stage, root)}  # noqa: E731
    # reached only through imports of imports: the architectures through stages/common -> train -> models
    assert {"models/nin.py", "optimizers.py", "evaluation.py", "stages/train.py"} <= names("train")
    assert {"measures/norms.py", "stats/kendall.py"} <= names("statistics")
    assert "corruptions/blur.py" in names("corrupt") and "explorer/static/app.js" in names("explorer")
    assert "layout.py" not in names("prune")  # paths only: Snakemake sees them itself
    assert "stats/kendall.py" not in names("train")

    # a change reruns exactly the stages whose closure holds the file
    for relative in ("pruning/masks.py", "models/nin.py", "stats/kendall.py"):
        holders = {stage for stage in provenance.STAGES if relative in names(stage)}
        assert holders and _changed_by(root, relative) == holders, relative
    (root / "unused_module.py").write_text("X = 1\n")
    assert _changed_by(root, "unused_module.py") == set()


def test_docstrings_comments_and_layout_rerun_nothing(tmp_path):
    root = tmp_path / "pkg"
    shutil.copytree(provenance.PACKAGE_DIR, root, ignore=shutil.ignore_patterns("__pycache__"))
    module = "pruning_jobs.py"  # imported by every stage through config.py
    text = (root / module).read_text()
    assert text.startswith('"""') and "\ndef " in text
    docstring_edit = lambda t: t.replace('"""', '"""Edited. ', 1)  # noqa: E731
    assert _changed_by(root, module, docstring_edit) == set()
    assert _changed_by(root, module, lambda t: t + "\n# a comment\n\n\n") == set()
    assert _changed_by(root, module, lambda t: t.replace("\ndef ", "\n\n# why\ndef ", 1)) == set()
    # but a changed function body, even a string constant in it, is a new version of every stage
    assert _changed_by(root, module, lambda t: t + "\ndef f():\n    return 'x'\n") == set(provenance.STAGES)
    assert _changed_by(root, "explorer/static/app.js", lambda t: t + "\n// a comment\n") == {"explorer"}


def test_tables_carry_their_provenance(tmp_path):
    schema = pa.schema([pa.field("x", pa.int64())], metadata={"schema_version": "1"})
    record = provenance.record({"study": "s"})
    io.write_parquet(pd.DataFrame({"x": [1]}), tmp_path / "t.parquet", schema, record)
    meta = pq.read_schema(tmp_path / "t.parquet").metadata
    assert meta[b"schema_version"] == b"1"
    assert meta[b"config_hash"] == provenance.config_hash({"study": "s"}).encode()
    assert meta[b"prunability_version"] and meta[b"git_commit"]
    assert provenance.config_hash({"a": 1, "b": 2}) == provenance.config_hash({"b": 2, "a": 1})


def _declared(key: str) -> bool:
    """Whether some stage (other than statistics' whole-config read) declares ``key`` or its section."""
    declared = {k for keys in provenance.STAGE_CONFIG.values() for k in keys if k != "*" and k[0] != "-"}
    parts = key.split(".")
    return any(".".join(parts[:n]) in declared for n in range(1, len(parts) + 1))


def test_every_config_key_is_declared_by_the_stages_that_read_it_or_says_why_not():
    from prunability.config import schema

    sections = schema()["properties"]
    keys = [f"{s}.{k}" if "properties" in spec else s
            for s, spec in sections.items() for k in (spec.get("properties") or [None])]
    undeclared = [k for k in keys if not _declared(k) and k not in provenance.NOT_STAGE_CONFIG
                  and k.split(".")[0] not in provenance.NOT_STAGE_CONFIG]
    assert undeclared == [], f"declare these in provenance.STAGE_CONFIG or NOT_STAGE_CONFIG: {undeclared}"


def test_a_key_reruns_exactly_the_stages_that_read_it(tiny_config):
    import copy

    raw = dict(tiny_config.raw)
    before = {stage: provenance.stage_settings(stage, raw) for stage in provenance.STAGES}

    def rerun(dotted, value):
        changed = copy.deepcopy(raw)
        *path, leaf = dotted.split(".")
        node = changed
        for part in path:
            node = node[part]
        node[leaf] = value
        return {s for s in provenance.STAGES if provenance.stage_settings(s, changed) != before[s]}

    assert rerun("training.rewind_step", 7) == {"train", "prune", "statistics"}  # was missed: stale rewind points
    assert rerun("pruning.methods", ["global_magnitude", "random", "snip"]) == {"statistics"}  # measures stay
    assert rerun("pruning.include_norm", True) == {"prune", "measures", "statistics"}
    assert rerun("measures.pac_bayes_samples", 5) == {"measures", "statistics"}
    assert rerun("corruptions.seed", 3) == {"corrupt", "statistics"}
    assert rerun("training.checkpoint_every", 2) == {"statistics"}
    assert rerun("findings", {"claims": []}) == set()  # a findings study reuses a finished run as it is  # a resume point, not a result
