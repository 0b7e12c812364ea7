# Two commands matter: `make run` and `make test`. Both set up the environment themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV := $(PYTHON) -m uv
export DAGSTER_HOME ?= $(CURDIR)/.dagster
# Which committed instance file goes into DAGSTER_HOME: local (dagster.yaml, SQLite) or
# postgres (deploy/dagster.postgres.yaml; needs DAGSTER_PG_*). docs/deployment.md.
ANALYTICS_INSTANCE ?= local
INSTANCE_FILE := $(if $(filter postgres,$(ANALYTICS_INSTANCE)),deploy/dagster.postgres.yaml,$(if $(filter local,$(ANALYTICS_INSTANCE)),dagster.yaml,$(error ANALYTICS_INSTANCE must be local or postgres, got '$(ANALYTICS_INSTANCE)')))

.PHONY: install run test ui api lint lock stop clean worker instance

# uv is installed from PyPI when missing; then exactly the locked versions go into .venv.
$(STAMP): requirements.txt pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check "uv>=0.4"
	@test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --python $(BIN)/python requirements.txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

run: install instance
	$(BIN)/analytics-assets run --days 7

# Celery worker for ANALYTICS_EXECUTOR=celery runs (QUEUES="--queue scoring" for GPU workers).
worker: install instance
	$(BIN)/analytics-assets worker $(QUEUES)

test: install instance
	$(BIN)/python -m pytest

ui: install instance
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

# The HTTP API and dashboard on the same lake and MongoDB as `make run` (docs/api.md).
api: install instance
	$(BIN)/analytics-assets serve

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

# The chosen committed instance file goes into DAGSTER_HOME (re-copied whenever it differs,
# so switching ANALYTICS_INSTANCE takes effect on the next command).
instance:
	@mkdir -p $(DAGSTER_HOME)
	@cmp -s $(INSTANCE_FILE) $(DAGSTER_HOME)/dagster.yaml || cp -v $(INSTANCE_FILE) $(DAGSTER_HOME)/dagster.yaml
