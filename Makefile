# The two front-door commands: `make run` and `make test`. Only Python 3.11+ is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format fuzz bench load openapi clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed tests/js/node_modules/.installed

# JavaScript for two checks: the official Standard Webhooks library verifies our
# signatures, axe-core the viewer's accessibility. Without npm (or the registry)
# those tests are skipped, saying so.
tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd tests/js && npm ci --silent --no-audit --no-fund) && touch $@ \
		|| echo "npm ci failed: the JavaScript signature and accessibility checks will be skipped"; \
	else echo "no npm: the JavaScript signature and accessibility checks will be skipped"; fi

run: install
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) PORT=$(PORT) bin/serve

# Static checks alone: ruff (lint and format), mypy --strict, the import-linter layer contracts.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The suite on both cores (pytest-xdist); each worker has databases of its own.
test: lint
	$(BIN)/python -m pytest -n $${TEST_WORKERS:-2} --dist worksteal

# Rewrite the code in the house format and apply ruff's safe fixes.
format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Schemathesis with many more examples per operation than `make test` runs (SQLite, and
# PostgreSQL too when TEST_DATABASE_URL is set).
fuzz: install
	SCHEMATHESIS_EXAMPLES=$${SCHEMATHESIS_EXAMPLES:-500} $(BIN)/python -m pytest -p no:cacheprovider tests/api/test_schemathesis.py

bench: install
	$(BIN)/python -m bench

# A bounded load test (locust, headless) against a local server on PostgreSQL:
# LOAD_USERS (16), LOAD_SECONDS (30), WEB_CONCURRENCY (2), LOAD_DATABASE_URL.
load: install
	$(BIN)/python -m load

openapi: install
	$(BIN)/python -m scripts.openapi > openapi.yaml

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis .mypy_cache .ruff_cache
