# Tradewind: `make run` starts the embedded system, `make test` runs every test.
# Each target creates or updates the virtual environment it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: run test test-fast bench lint format services browser start stop clean help

help:
	@echo "make run    - install and start the embedded system (simulator, storage, live view)"
	@echo "make test   - install test tools, start PostgreSQL/RabbitMQ if needed, run every test"
	@echo "make bench  - run the benchmarks (figures go in docs/benchmarks.md)"
	@echo "make lint   - ruff, mypy and the layer contracts (import-linter)"
	@echo "make start  - build the image and start the distributed stack (docker compose; see docs/deploy.md)"
	@echo "make stop   - stop the distributed stack (data volumes are kept)"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Tradewind needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps are rebuilt whenever pyproject.toml changes, so a pull that adds a dependency installs it, and whenever
# the matching core's source changes: `pip install -e .` compiles it with mypyc (setup.py; TRADEWIND_PURE_PYTHON=1
# or no C compiler: plain Python). A stale compiled core is never run: the package then runs the source, with a warning.
CORE_SRC := setup.py $(wildcard src/tradewind/domain/matching/*.py)
KERNEL_SAYS = $(BIN)/python -c 'import tradewind.domain.matching as m; print("matching core:", m.KERNEL)'
# An editable install compiles no bytecode, and with PYTHONDONTWRITEBYTECODE set (a wheel install compiles its own;
# a dev shell may not) none is ever cached: every `tradewind` command then compiles ~200 modules, about 0.2 s of CPU.
# Compiling once here caches them; a module edited later is compiled in memory again, never run stale.
BYTECODE = $(BIN)/python -m compileall -q src >/dev/null

$(VENV)/.run-stamp: pyproject.toml $(CORE_SRC) | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	$(BYTECODE)
	$(KERNEL_SAYS)
	touch $@

# The dev environment also installs the example plug-ins (examples/): the strategy of docs/strategies.md, and the
# front end + exchange alias a test loads from YAML.
$(VENV)/.dev-stamp: pyproject.toml $(CORE_SRC) examples/strategy_plugin/pyproject.toml examples/tradewind-example-plugin/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]' -e examples/strategy_plugin
	$(BIN)/python -m pip install -q --no-deps -e examples/tradewind-example-plugin
	$(BYTECODE)
	$(KERNEL_SAYS)
	touch $@ $(VENV)/.run-stamp

run: $(VENV)/.run-stamp
	$(BIN)/tradewind run $(ARGS)

services:
	bash scripts/ensure-services.sh

# Debian's chromium for the dashboard's end-to-end tests (Playwright drives it; nothing downloaded by Playwright).
browser:
	bash scripts/ensure-browser.sh

# Two passes: everything in parallel, then the tests that restart a shared service (marked serial).
test: $(VENV)/.dev-stamp services browser
	$(BIN)/pytest -n 2 -m "not serial" $(ARGS)
	$(BIN)/pytest -m serial $(ARGS)

test-fast: $(VENV)/.dev-stamp
	$(BIN)/pytest -n 2 -m "not integration and not e2e and not serial" $(ARGS)

$(VENV)/.bench-stamp: $(VENV)/.dev-stamp
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-stamp services
	$(BIN)/python -m bench $(ARGS)

lint: $(VENV)/.dev-stamp
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: $(VENV)/.dev-stamp
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

COMPOSE ?= docker compose

# The distributed stack: RabbitMQ, PostgreSQL (TimescaleDB) and every service in its own container.
start:
	$(COMPOSE) up -d --build --wait

stop:
	$(COMPOSE) down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build *.egg-info
