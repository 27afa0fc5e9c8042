# maasmix — set-up, demo, tests, benchmarks, lint.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export MAASMIX_DATA ?= $(abspath ../shared/data)

.PHONY: setup demo test test-fast bench bench-check lint serve clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: setup
	$(BIN)/maasmix demo

test: setup
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not slow"

bench: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/pytest benchmarks --benchmark-enable --benchmark-autosave --benchmark-columns=min,median,mean,max,rounds -p no:randomly

bench-check: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/pytest benchmarks --benchmark-enable --benchmark-compare --benchmark-compare-fail=median:25%

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

serve: setup
	$(BIN)/uvicorn api.app:app --reload

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
