"""One module per pipeline stage; each has ``run(config, layout, ...)`` called by
the command line. Stages read and write only through ``Layout`` paths."""
