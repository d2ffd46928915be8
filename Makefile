# skimscan — two commands for a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install browser services corpus demo test test-fast bench eval lint docs clean

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
	$(PY) -m pytest -n 2 --dist loadgroup -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m 'not browser and not corpus'

bench: install corpus
	$(PY) tools/bench.py

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
