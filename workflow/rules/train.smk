# One job per model. The model id already hashes everything that shapes its weights.
rule train:
    input:
        str(LAYOUT.prepared),
    output:
        init=str(LAYOUT.init_weights("{model_id}")),
        final=str(LAYOUT.final_weights("{model_id}")),
        rewind=str(LAYOUT.rewind_weights("{model_id}")),
        history=str(LAYOUT.history("{model_id}")),
        milestones=str(LAYOUT.milestones("{model_id}")),
        difficulty=str(LAYOUT.difficulty("{model_id}")),
        result=str(LAYOUT.train_result("{model_id}")),
    params:
        settings=settings("train"),
    threads: 1
    resources:
        gpu=1,
    log:
        log_path("train", "{model_id}"),
    shell:
        cli("train --model-id {wildcards.model_id}")
