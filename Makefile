# maasmix — set-up, demo, tests, benchmarks, lint.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export MAASMIX_DATA ?= $(abspath ../shared/data)

.PHONY: setup system-packages demo test test-fast bench bench-install bench-check bench-baseline bench-peers \
	bench-smoke bench-quick bench-compare lint serve clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -c "from maasmix.pricing.kernels import main; main()"
	$(BIN)/python -c "from maasmix.engine.kernels import main; main()"
	touch $(STAMP)

demo: setup
	$(BIN)/maasmix demo

# Two worker processes (this machine kind has 2 cores); a test file stays on one worker so
# its module fixtures are built once. The slowest tests are listed at the end.
PYTEST_WORKERS ?= 2

# Debian packages the tests use: headless Chromium (the report tests render pages) and a
# PostgreSQL server (the storage tests start one of their own on loopback). A fresh machine
# lacks them, so the test targets install what is missing when they can (root and apt-get).
system-packages:
	@missing=""; \
	command -v "$${MAASMIX_CHROMIUM:-chromium}" >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
	  || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages for the tests:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: missing Debian packages:$$missing (apt-get install$$missing)"; fi; \
	fi

test: setup system-packages
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile --durations=20

test-fast: setup system-packages
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m "not slow"

# Benchmarks (see README, "Performance"): a run is saved to $(BENCH_RUN) and, for
# pytest-benchmark's own --benchmark-compare, under .benchmarks/.
BENCH_DIR  := reports/bench
BENCH_RUN  ?= $(BENCH_DIR)/latest.json
# Each benchmark declares its timer (process CPU or wall clock, see benchmarks/conftest.py).
BENCH_OPTS := -p no:randomly -p no:cacheprovider -rs --benchmark-columns=min,median,max,rounds
QUICK_FILES = $(shell $(BIN)/python -c "from benchmarks.quick import QUICK_FILES; print(*QUICK_FILES)")

bench-install: setup
	$(BIN)/pip install --quiet -e '.[test,bench]'

bench: bench-install
	mkdir -p $(BENCH_DIR)
	$(BIN)/pytest benchmarks --benchmark-enable --benchmark-autosave \
		--benchmark-json=$(BENCH_RUN) $(BENCH_OPTS)
	$(BIN)/python -m benchmarks.report scaling $(BENCH_RUN) reports/scaling.png
	$(BIN)/python -m benchmarks.report matrix $(BENCH_RUN) reports/matrix_scaling.png
	$(BIN)/python -m benchmarks.report summary $(BENCH_RUN) > $(BENCH_DIR)/summary.md

# One representative benchmark per capability (benchmarks/quick.py), < 5 minutes.
bench-quick: bench-install
	mkdir -p $(BENCH_DIR)
	$(BIN)/pytest $(QUICK_FILES) -m quick --benchmark-enable \
		--benchmark-json=$(BENCH_DIR)/quick.json $(BENCH_OPTS)

# A/B gate (benchmarks/compare.py): REF (default: merge base with origin/main, else
# LAST_LANDED, the commit recorded as last landed) in a worktree with its own venv under
# build/bench-ref/, and the working tree, run alternately round by round; verdicts from
# the paired ratios' confidence intervals. Report: reports/bench/compare.md.
LAST_LANDED  ?= 397d160
REF          ?=
BENCH_ROUNDS ?= 5
bench-compare: bench-install
	mkdir -p $(BENCH_DIR)
	$(BIN)/python -m benchmarks.compare $(if $(REF),--ref $(REF)) --last-landed $(LAST_LANDED) \
		--rounds $(BENCH_ROUNDS) --report $(BENCH_DIR)/compare.md --json $(BENCH_DIR)/compare.json

# Compare the saved run (made by `make bench` when there is none) with the committed
# baseline of this machine kind; fails when a normalised median regressed > 15 %.
bench-check: bench-install
	@test -f $(BENCH_RUN) || $(MAKE) bench
	$(BIN)/python -m benchmarks.check $(BENCH_RUN) --report $(BENCH_DIR)/check.md

# Rewrite the baseline on purpose, from a fresh full run.
bench-baseline: bench
	$(BIN)/python -m benchmarks.check $(BENCH_RUN) --write-baseline

# Install the peers PyPI offers (pyvalhalla in build/peers-venv, Python >= 3.12) and run
# them on the same inputs: reports/peers.md, reports/peers.png.
bench-peers: bench-install
	$(BIN)/python -m benchmarks.peers.install build/peers-venv
	mkdir -p $(BENCH_DIR)
	$(BIN)/pytest benchmarks/test_bench_peers.py --benchmark-enable \
		--benchmark-json=$(BENCH_DIR)/peers.json $(BENCH_OPTS) -s

# One round of every suite on small inputs, so that the benchmarks never rot (CI).
bench-smoke: bench-install
	MAASMIX_BENCH_SMOKE=1 $(BIN)/pytest benchmarks --benchmark-disable $(BENCH_OPTS) -q

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

# The demo city (written to out/demo-city) on http://127.0.0.1:8000, one worker per core.
serve: setup
	$(BIN)/maasmix serve --demo

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
