# Dense and pruned models of one model × pruning job (every schedule and sparsity) on the clean and every corrupted test set:
# loss, accuracy, per-sample predictions and feature geometry, and on the clean set the
# dead-neuron rate and mean feature geometry of every sparsity (pruned_measures).
rule evaluate_corruptions:
    input:
        str(LAYOUT.prepared),
        str(LAYOUT.final_weights("{model_id}")),
        masks=str(LAYOUT.masks("{model_id}", "{job}")),
        weights=str(LAYOUT.pruned_weights("{model_id}", "{job}")),
        corrupted=[str(LAYOUT.corrupted(c)) for c in CORRUPTIONS],
    output:
        str(LAYOUT.robustness("{model_id}", "{job}")),
        str(LAYOUT.samples("{model_id}", "{job}")),
        str(LAYOUT.pruned_measures("{model_id}", "{job}")),
    params:
        settings=settings("evaluate"),
    threads: 1
    resources:
        gpu=1,
    log:
        log_path("evaluate_corruptions", "{model_id}", "{job}"),
    shell:
        cli("evaluate --model-id {wildcards.model_id} --job {wildcards.job}")
