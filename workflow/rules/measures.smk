rule measures:
    input:
        str(LAYOUT.prepared),
        str(LAYOUT.init_weights("{model_id}")),
        str(LAYOUT.final_weights("{model_id}")),
        str(LAYOUT.train_result("{model_id}")),
    output:
        str(LAYOUT.measures("{model_id}")),
    params:
        settings=settings("measures"),
    threads: 1
    resources:
        gpu=1,
    log:
        log_path("measures", "{model_id}"),
    shell:
        cli("measures --model-id {wildcards.model_id}")
