# One job per model × method: every sparsity of the grid in one process.
rule prune:
    input:
        str(LAYOUT.prepared),
        final=str(LAYOUT.final_weights("{model_id}")),
        result=str(LAYOUT.train_result("{model_id}")),
    output:
        curve=str(LAYOUT.pruning_curve("{model_id}", "{method}")),
        masks=str(LAYOUT.masks("{model_id}", "{method}")),
        layers=str(LAYOUT.layer_sparsity("{model_id}", "{method}")),
    params:
        settings=settings("prune", "pruning", "evaluation"),
    threads: 1
    resources:
        gpu=1,
    log:
        log_path("prune", "{model_id}", "{method}"),
    shell:
        cli("prune --model-id {wildcards.model_id} --method {wildcards.method}")
