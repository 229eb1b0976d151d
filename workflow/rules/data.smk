rule prepare_data:
    output:
        str(LAYOUT.prepared),
    params:
        settings=settings("dataset"),
    log:
        log_path("prepare_data"),
    shell:
        "{CLI} prepare --config {CONFIG} > {log} 2>&1"


rule corrupt_data:
    input:
        str(LAYOUT.prepared),
    output:
        str(LAYOUT.corrupted("{corruption}")),
    params:
        settings=settings("corruptions"),
    resources:
        gpu=1,
    log:
        log_path("corrupt_data", "{corruption}"),
    shell:
        "{CLI} corrupt --config {CONFIG} --corruption {wildcards.corruption} > {log} 2>&1"
