rule aggregate:
    input:
        results=expand(str(LAYOUT.train_result("{m}")), m=MODEL_IDS),
        history=expand(str(LAYOUT.history("{m}")), m=MODEL_IDS),
        difficulty=expand(str(LAYOUT.difficulty("{m}")), m=MODEL_IDS),
        pruning=expand(str(LAYOUT.pruning_curve("{m}", "{j}")), m=MODEL_IDS, j=JOBS),
        dnr=expand(str(LAYOUT.dnr("{m}", "{j}")), m=MODEL_IDS, j=JOBS),
        stability=expand(str(LAYOUT.stability("{m}", "{j}")), m=MODEL_IDS, j=JOBS),
        robustness=expand(str(LAYOUT.robustness("{m}", "{j}")), m=MODEL_IDS, j=JOBS),
        measures=expand(str(LAYOUT.measures("{m}")), m=MODEL_IDS),
        samples=expand(str(LAYOUT.samples("{m}", "{j}")), m=MODEL_IDS, j=JOBS),
    output:
        [str(LAYOUT.table(t)) for t in TABLES],
    params:
        settings=settings("aggregate"),
    log:
        log_path("aggregate"),
    shell:
        cli("aggregate")


def figure_outputs():
    """Every figure as PNG (shown in the snakemake report, with a caption) and SVG."""
    caption = lambda name: f"../report/{name}.rst"  # noqa: E731
    pngs = [report(str(LAYOUT.figure(f)), caption=caption(f), category="Figures") for f in FIGURES]
    return pngs + [str(LAYOUT.figure(f).with_suffix(".svg")) for f in FIGURES]


rule statistics:
    input:
        [str(LAYOUT.table(t)) for t in TABLES],
        str(LAYOUT.data_info),
        str(LAYOUT.prepared),
    output:
        [str(LAYOUT.stats(s)) for s in STATS],
        str(LAYOUT.kendall_csv),
        str(LAYOUT.summary_json),
        report(str(LAYOUT.summary_md), caption="../report/summary.rst", category="Summary"),
        report(str(LAYOUT.study_config), caption="../report/study_config.rst", category="Summary"),
        figure_outputs(),
    params:
        settings=settings("statistics"),
    log:
        log_path("statistics"),
    shell:
        cli("statistics")
