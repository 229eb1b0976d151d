# One job per model × pruning job (method, or method.schedule): every sparsity in one process.
def baseline_source(wildcards):
    """A baseline job (pruning.baselines) reads its source job's masks and trained weights."""
    source = parse_key(wildcards.job).source
    if source.key == wildcards.job:
        return []
    return [str(LAYOUT.masks(wildcards.model_id, source.key)), str(LAYOUT.pruned_weights(wildcards.model_id, source.key))]


rule prune:
    input:
        str(LAYOUT.prepared),
        init=str(LAYOUT.init_weights("{model_id}")),
        final=str(LAYOUT.final_weights("{model_id}")),
        rewind=str(LAYOUT.rewind_weights("{model_id}")),
        result=str(LAYOUT.train_result("{model_id}")),
        source=baseline_source,
    output:
        curve=str(LAYOUT.pruning_curve("{model_id}", "{job}")),
        masks=str(LAYOUT.masks("{model_id}", "{job}")),
        layers=str(LAYOUT.layer_sparsity("{model_id}", "{job}")),
        weights=str(LAYOUT.pruned_weights("{model_id}", "{job}")),
        dnr=str(LAYOUT.dnr("{model_id}", "{job}")),
        stability=str(LAYOUT.stability("{model_id}", "{job}")),
    params:
        settings=settings("prune"),
    threads: 1
    resources:
        gpu=1,
    log:
        log_path("prune", "{model_id}", "{job}"),
    shell:
        cli("prune --model-id {wildcards.model_id} --job {wildcards.job}")
