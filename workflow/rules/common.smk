# Shared by every rule: the validated config, the output layout, the zoo.
import json
import re
import sys
from pathlib import Path

import yaml
from snakemake.utils import validate

from prunability import config as study_config
from prunability.layout import FIGURES, STATS, TABLES, Layout
from prunability.provenance import stage_settings
from prunability.pruning_jobs import parse_key, pruning_jobs
from prunability.zoo import expand as expand_zoo

# The package's check first: one readable sentence naming the key and the
# valid choices; every pruning job against the zoo's networks (built on the
# meta device, so unreachable sparsities fail before any job runs). Then
# snakemake's own validation against the same schema, which also fills in the
# schema's defaults.
def is_dry_run():
    return workflow.dryrun or any(a in ("-n", "--dry-run", "--dryrun", "--just-print") for a in sys.argv)


try:
    STUDY = study_config.parse(config)
    # Once per invocation, in the main process: the preflight builds networks (torch),
    # which a cluster job's own snakemake process need not repeat for every job.
    if workflow.is_main_process:
        from prunability.pruning.preflight import check_device_here, check_study

        check_study(STUDY)
        if workflow.local_exec:
            check_device_here(STUDY)
except study_config.ConfigError as error:
    raise WorkflowError(f"invalid config: {error}")
validate(config, schema="../../config/schema.yaml")

LAYOUT = Layout(STUDY.study)
MODEL_IDS = [spec.model_id for spec in expand_zoo(STUDY)]
# Pruning job keys (method, or method.schedule): the {job} wildcard of prune and evaluate.
JOBS = [job.key for job in pruning_jobs(STUDY.pruning)]
CORRUPTIONS = list(STUDY.corruptions.names)
PYTHON = sys.executable


def resolved_config_path():
    """The validated config, written beside the results so every job reads exactly
    what this run validated (including --config overrides); rewritten only on change."""
    path = LAYOUT.base / "config.yaml"
    text = yaml.safe_dump(STUDY.raw, sort_keys=False)
    if is_dry_run() or not workflow.is_main_process:
        return str(path)  # a dry run writes nothing; a job process reads what its main process wrote
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return str(path)


CONFIG = resolved_config_path()


def cli(arguments):
    """Shell command of one stage: its output goes to the rule's log, and on
    failure the log is echoed so the error shows up in snakemake's output."""
    return f"{PYTHON} -m prunability {arguments} --config {CONFIG} > {{log}} 2>&1 || (cat {{log}} >&2; exit 1)"


def settings(stage):
    """What a rule's results depend on besides its inputs, as a params value, so
    that changing it reruns the rule: the config keys the stage reads (declared in
    prunability.provenance.STAGE_CONFIG) and the version of its code."""
    return stage_settings(stage, STUDY.raw)


def log_path(rule_name, *parts):
    return str(LAYOUT.base / "logs" / rule_name / ("_".join(parts) or rule_name)) + ".log"


def per_job_outputs():
    """Every output of every per-model, per-job and per-corruption job. Snakemake
    does not remake a missing file whose consumers are up to date, so without these
    a result set aside as corrupt (or deleted) would stay missing after a rerun."""
    values = {"model_id": MODEL_IDS, "job": JOBS, "corruption": CORRUPTIONS}
    files = []
    for proxy in (rules.corrupt_data, rules.train, rules.prune, rules.evaluate_corruptions, rules.measures):
        names = proxy.rule.wildcard_names
        files += expand(list(proxy.output), **{n: values[n] for n in names})
    return files


def all_targets():
    return (
        per_job_outputs()
        + [str(LAYOUT.table(t)) for t in TABLES]
        + [str(LAYOUT.stats(s)) for s in STATS]
        + [str(LAYOUT.figure(f)) for f in FIGURES]
        + [str(LAYOUT.summary_json)]
        + [str(LAYOUT.explorer_page)]
    )


wildcard_constraints:
    model_id=r"[a-z0-9]+-[0-9a-f]{10}",
    job="|".join(re.escape(j) for j in JOBS) or "none",
    corruption="|".join(CORRUPTIONS) or "none",
