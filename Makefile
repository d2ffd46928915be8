# skimscan — two commands for a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install browser services corpus demo test test-fast test-fleet bench bench-fleet eval lint docs clean

install: $(STAMP) browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# A Chromium for the browser scan: SKIMSCAN_CHROMIUM, Playwright's own, one on PATH, or Debian's.
browser: $(STAMP)
	@bash tools/install-browser.sh $(PY)

# PostgreSQL and Redis for the fleet-mode tests, which start their own throw-away servers
# (tests/fleet/servers.py); Debian's packages, installed only when missing.
services:
	@bash tools/install-services.sh

corpus: $(STAMP)
	$(PY) tools/corpus.py fetch

demo: install
	$(PY) tools/demo.py

test: install corpus services
	$(PY) -m pytest -n 2 --dist loadgroup -q -m 'not fleet'

# Fleet mode end to end (tests/fleet/test_fleet_e2e.py): two Celery workers with Chromium, Redis,
# PostgreSQL, 50 shop pages, a killed worker and a database restart; ~4 min on 2 cores, so
# apart from `test` (.ci/run runs it after `make test`).
test-fleet: install services
	$(PY) -m pytest -q -m fleet tests/fleet

test-fast: $(STAMP)
	$(PY) -m pytest -q -m 'not browser and not corpus'

bench: install corpus
	$(PY) tools/bench.py

# Fleet throughput: pages/min with 1 and 2 workers on the fixture shop (docs/fleet.md).
bench-fleet: install services
	$(PY) tools/bench_fleet.py $(BENCH_FLEET_ARGS)

# Detection rate on obfuscated twins of the fixtures (a measurement, not a gate; not in `test`).
# Installs the pinned javascript-obfuscator into .cache/eval/node. Extra flags: EVAL_ARGS='-v'.
eval: install
	$(PY) tools/eval.py $(EVAL_ARGS)

# The reference in docs/reference/ (rules, command line, JSON/SARIF keys), generated from the
# code; `make test` fails when it is stale (tests/test_docs_reference.py).
docs: $(STAMP)
	$(PY) tools/gendocs.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
