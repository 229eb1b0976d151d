# prunability: the whole study as one DAG. Rules live in workflow/rules/;
# the science lives in the package (src/prunability), called as a command line.
from snakemake.utils import min_version

min_version("9.0")


# The default study, unless --configfile names another: a study file is then
# complete on its own, not merged over the default one.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/recovery.smk"
include: "workflow/rules/warm.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/prune.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/measures.smk"
include: "workflow/rules/statistics.smk"
include: "workflow/rules/explorer.smk"


rule all:
    input:
        all_targets(),
    default_target: True
