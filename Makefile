# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
PYTEST_ARGS ?= -n 2 --dist loadgroup
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test install install-test node services browser lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

## Browser libraries the app serves (socket.io-client). Without npm the pages still
## work, only without live updates.
node:
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: live updates are off (install Node.js and run 'npm ci')"; fi

## Catalogues (community/translations/*/LC_MESSAGES/*.mo) are compiled here, not committed.
install: $(BIN)/python node
	$(BIN)/python -m pip install -q -e .
	$(BIN)/pybabel -q compile -d community/translations

install-test: $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	$(BIN)/pybabel -q compile -d community/translations

## Start the app on http://127.0.0.1:5000 with demo data (SQLite, no Redis needed).
run: install
	$(BIN)/community demo
	$(BIN)/community serve

services:
	scripts/ensure-services

## Chromium for the browser tests, and npm + node_modules (installed if missing).
browser:
	scripts/ensure-browser

lint: install-test
	$(BIN)/ruff check .

## Run every test (SQLite and PostgreSQL); starts or installs what it needs.
test: install-test services browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## Benchmarks: figures go to bench/RESULTS.md.
bench: install-test services
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance build *.egg-info node_modules
