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

# mypy cannot follow the package-dir mapping of an editable install, so it checks a
# tree of symlinks laid out as the installed namespace (build/typecheck/maasmix/...).
TYPECHECK := build/typecheck

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/maasmix
	ln -s $(abspath maasmix)/*.py $(abspath maasmix)/py.typed $(TYPECHECK)/maasmix/
	for layer in feeds engine pricing api; do ln -s $(abspath .)/$$layer $(TYPECHECK)/maasmix/$$layer; done
	cd $(TYPECHECK) && $(abspath $(BIN))/mypy --config-file $(abspath pyproject.toml) -p maasmix

serve: setup
	$(BIN)/uvicorn maasmix.api.app:app

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
