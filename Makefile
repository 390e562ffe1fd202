# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
PYTEST_ARGS ?= -n 2
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test install install-test services lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"

## Start the app on http://127.0.0.1:5000 with demo data (SQLite, no Redis needed).
run: install
	$(BIN)/community demo
	$(BIN)/community serve

services:
	scripts/ensure-services

lint: install-test
	$(BIN)/ruff check .

## Run every test (SQLite and PostgreSQL); starts or installs the services it needs.
test: install-test services lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance build *.egg-info
