# The operator's front door: `make demo` and `make test` each do their own set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export LIFECYCLE_HOME ?= $(CURDIR)/.lifecycle
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
SCALE ?= 100000

.PHONY: setup demo test lint bench clean

$(STAMP): requirements.lock pyproject.toml
	@echo "==> setting up $(VENV) from requirements.lock (one time, about a minute)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock > $(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	@$(BIN)/pip install -q --disable-pip-version-check --no-deps -e . >> $(VENV)/install.log 2>&1 \
		|| (cat $(VENV)/install.log; exit 1)
	@touch $@

setup: $(STAMP)

demo: setup
	@$(BIN)/lifecycle demo

test: setup
	@$(BIN)/python -m pytest

lint: setup
	@$(BIN)/ruff check plugins dags expectations tests
	@$(BIN)/ruff format --check plugins dags expectations tests
	@$(BIN)/mypy

clean:
	rm -rf .lifecycle
