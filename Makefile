# The two commands of the README: `make run` and `make test`.
# Each creates .venv with the pinned dependencies when it is missing.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CONFIG ?= config/config.yaml
CORES  ?= all
export PATH := $(abspath $(VENV))/bin:$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: install run test test-fast bench dryrun report clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: install
	$(VENV)/bin/snakemake --cores $(CORES) --configfile $(CONFIG)
	@$(PY) -m prunability summary --config $(CONFIG)

test: install
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest -m "not slow"

dryrun: install
	$(VENV)/bin/snakemake -n --configfile $(CONFIG)

report: install
	$(VENV)/bin/snakemake --configfile $(CONFIG) --report results/report.html

bench: install
	$(PY) bench/stage_overhead.py --config $(CONFIG)

clean:
	rm -rf results .snakemake
