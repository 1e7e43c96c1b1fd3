# Glimpse: `make run` serves the app on http://127.0.0.1:8000; `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run install test lint typecheck pytest clean

run: install
	$(BIN)/glimpse serve

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[postgresql,mongodb,redis,test]'
	touch $@

test: lint typecheck pytest

lint: install
	$(BIN)/ruff check glimpse tests
	$(BIN)/ruff format --check glimpse tests

typecheck: install
	$(BIN)/mypy glimpse

pytest: install
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
