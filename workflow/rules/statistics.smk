rule aggregate:
    input:
        results=expand(str(LAYOUT.train_result("{m}")), m=MODEL_IDS),
        history=expand(str(LAYOUT.history("{m}")), m=MODEL_IDS),
        pruning=expand(str(LAYOUT.pruning_curve("{m}", "{p}")), m=MODEL_IDS, p=METHODS),
        robustness=expand(str(LAYOUT.robustness("{m}", "{p}")), m=MODEL_IDS, p=METHODS),
        measures=expand(str(LAYOUT.measures("{m}")), m=MODEL_IDS),
    output:
        [str(LAYOUT.table(t)) for t in TABLES],
    log:
        log_path("aggregate"),
    shell:
        cli("aggregate")


rule statistics:
    input:
        [str(LAYOUT.table(t)) for t in TABLES],
    output:
        [str(LAYOUT.stats(s)) for s in STATS],
        str(LAYOUT.kendall_csv),
        str(LAYOUT.summary_json),
        report(
            str(LAYOUT.figure("kendall_heatmap")),
            caption="../report/kendall_heatmap.rst",
            category="Statistics",
        ),
        report(
            str(LAYOUT.figure("pruning_curves")),
            caption="../report/pruning_curves.rst",
            category="Pruning",
        ),
    params:
        settings=settings("statistics"),
    log:
        log_path("statistics"),
    shell:
        cli("statistics")
