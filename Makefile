# The two commands of the README: `make run` and `make test`.
# Each creates .venv with the pinned dependencies when it is missing.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CONFIG ?= config/config.yaml
CORES  ?= all
export PATH := $(abspath $(VENV))/bin:$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: install browser run test test-fast test-slurm bench dryrun report clean findings

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: install
	@$(PY) -m prunability check --config $(CONFIG)
	$(VENV)/bin/snakemake --cores $(CORES) --configfile $(CONFIG)
	@$(PY) -m prunability summary --config $(CONFIG)

# The findings suite: every config/findings/*.yaml (or FINDINGS=...) run as ordinary
# snakemake studies (a study with variants runs once per variant), its claims judged
# from the run's tables, then results/findings/report.md over all of them.
FINDINGS ?= $(sort $(wildcard config/findings/*.yaml))
findings: install
	@set -e; for f in $(FINDINGS); do \
	  start=$$(date +%s); \
	  for c in $$($(PY) -m prunability findings-studies --config $$f); do \
	    echo "== $$f: snakemake --configfile $$c"; \
	    $(VENV)/bin/snakemake --cores $(CORES) --configfile $$c; \
	  done; \
	  $(PY) -m prunability findings --config $$f --wall-seconds $$(( $$(date +%s) - start )); \
	done
	$(PY) -m prunability findings-report --config $(FINDINGS)

# Headless Chromium for the explorer's browser tests (Debian's package, driven by
# Playwright): installed with apt-get when missing and we are root; otherwise those
# tests skip and say why.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "make browser: could not install chromium; the explorer's browser tests will be skipped"; }

test: install browser
	$(VENV)/bin/pytest

test-fast: install browser
	$(VENV)/bin/pytest -m "not slow"

# The tiny study through both SLURM profiles on a running cluster (sudo .ci/slurm/start.sh).
test-slurm: install
	$(VENV)/bin/pytest -m slurm tests/workflow/test_slurm.py

dryrun: install
	$(VENV)/bin/snakemake -n --configfile $(CONFIG)

report: install
	$(VENV)/bin/snakemake --configfile $(CONFIG) --report results/report.html

bench: install
	$(PY) bench/stage_overhead.py --config $(CONFIG)

clean:
	rm -rf results .snakemake
