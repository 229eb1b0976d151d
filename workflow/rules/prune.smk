# One job per model × pruning job (method, or method.schedule): every sparsity in one process.
def baseline_source(wildcards):
    """A baseline job (pruning.baselines) reads its source job's masks and trained weights."""
    source = parse_key(wildcards.method).source
    if source.key == wildcards.method:
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
        curve=str(LAYOUT.pruning_curve("{model_id}", "{method}")),
        masks=str(LAYOUT.masks("{model_id}", "{method}")),
        layers=str(LAYOUT.layer_sparsity("{model_id}", "{method}")),
        weights=str(LAYOUT.pruned_weights("{model_id}", "{method}")),
        dnr=str(LAYOUT.dnr("{model_id}", "{method}")),
        stability=str(LAYOUT.stability("{model_id}", "{method}")),
    params:
        settings=settings("prune"),
    threads: 1
    resources:
        gpu=1,
    log:
        log_path("prune", "{model_id}", "{method}"),
    shell:
        cli("prune --model-id {wildcards.model_id} --method {wildcards.method}")
