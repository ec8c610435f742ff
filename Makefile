# Developer entry points. CI runs `bash .ci/run`, which runs `make test` in a fresh clone.
#
#   make venv   create .venv (if missing) and install the package editable with its dev extras;
#               re-runs only when pyproject.toml is newer than the stamp
#   make test   run the test suite (PYTEST_ARGS='-k s3 -x' to pass arguments)
#   make lint   ruff + mypy
#   make demo   run steps on the shipped example logs, then the review-and-promote workflow
#               (flow run, steps, flow check; examples/demo.sh)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv test lint demo

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

test: venv
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

# The main job on the shipped example logs (offline): tag, review, filter, copy; then the
# review-and-promote workflow on a fresh run of the example tasks (examples/workflow). Works in
# build/demo, so examples/logs never changes.
demo: venv
	FLOW=$(CURDIR)/$(BIN)/flow bash examples/demo.sh
