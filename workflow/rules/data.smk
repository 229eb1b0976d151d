rule prepare_data:
    output:
        str(LAYOUT.prepared),
        str(LAYOUT.data_info),
    params:
        settings=settings("prepare"),
    log:
        log_path("prepare_data"),
    shell:
        cli("prepare")


rule corrupt_data:
    input:
        str(LAYOUT.prepared),
    output:
        str(LAYOUT.corrupted("{corruption}")),
    params:
        settings=settings("corrupt"),
    resources:
        gpu=1,
    log:
        log_path("corrupt_data", "{corruption}"),
    shell:
        cli("corrupt --corruption {wildcards.corruption}")
