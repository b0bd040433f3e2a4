# The README's contract: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ARGS ?=
PYTEST_ARGS ?=

.PHONY: demo test lint model clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the dependency list changes; the stamp files make repeat runs instant.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/occupancy demo $(DEMO_ARGS)

test: $(VENV)/.installed-test
	$(BIN)/ruff check occupancy simulator tests
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check occupancy simulator tests
	$(BIN)/ruff format --check occupancy simulator tests

# Retrain the shipped detector on simulator data (see docs/detector.md).
model: $(VENV)/.installed
	BIN=$(BIN) scripts/build-model.sh

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
