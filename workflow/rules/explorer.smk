# The interactive explorer page of the study (issue 8): linked views over the
# study's tables and statistics, one self-contained HTML file.
rule explorer:
    input:
        [str(LAYOUT.table(t)) for t in TABLES],
        [str(LAYOUT.stats(s)) for s in STATS],
        str(LAYOUT.prepared),
    output:
        page=str(LAYOUT.explorer_page),
        sprites=str(LAYOUT.explorer_sprites),
    params:
        settings=settings("explorer"),
    log:
        log_path("explorer"),
    shell:
        cli("explorer")
