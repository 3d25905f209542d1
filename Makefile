# The two front-door commands: `make run` and `make test`. Only Python 3.11+ is needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test bench openapi lint clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/alembic upgrade head
	$(BIN)/uvicorn --factory app.main:create_app --host $(HOST) --port $(PORT) --workers $${WEB_CONCURRENCY:-1}

test: install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench

openapi: install
	$(BIN)/python -m scripts.openapi > openapi.yaml

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
