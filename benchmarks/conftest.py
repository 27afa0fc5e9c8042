"""Benchmark harness: real-data fixtures, peak memory per benchmark, smoke mode, and the
slowdown hook used only by the checker's own test.

Every benchmark (a test that uses the ``benchmark`` fixture) gets, in its
``extra_info``:

- ``peak_rss_mib``: the process's peak resident set size while the test ran (Linux:
  the kernel's high-water mark ``VmHWM`` is reset through ``/proc/self/clear_refs`` before
  the test and read after it; elsewhere the lifetime peak from ``getrusage``);
- ``rss_growth_mib``: that peak minus the resident size when the test started, i.e. the
  memory the measured work needed on top of what was already loaded.

and every timed round is *paired* with a slice of the calibration workload
(`benchmarks.calibration.slice_`) run just before it with the same timer:
``extra_info["normalised_median"]`` is the median over rounds of round time / slice time,
which is what `benchmarks.check` compares. A burst of load from another process slows
the slice and the round alike, so their ratio moves far less than either (``make bench``
also times with ``time.process_time``, CPU seconds of this process, which a busy second
core does not inflate the way it inflates wall time).

Fixtures for the suites:

- ``data_dir`` / ``dataset``: the real-data folder, as in the test suite;
- ``bench_smoke``: True in the one-round smoke run (``make bench-smoke``, or
  ``--benchmark-disable``); suites shrink their inputs (fewer queries, smaller
  synthetic sizes) so that every suite runs in seconds;
- ``bench_rounds(n)``: ``n`` in a full run, 1 in the smoke run;
- in the smoke run, a suite's module-level ``TIME_LIMIT_S`` is cut to 3 s;
- ``peak_python_mib(fn)``: tracemalloc peak of one extra call of ``fn`` (Python heap,
  numpy buffers included), for suites that want it beside the RSS figures.

The slowdown hook: when ``MAASMIX_BENCH_SLOWDOWN`` is set (``FACTOR`` for every
benchmark, or ``SUBSTRING=FACTOR`` for the benchmarks whose name contains SUBSTRING),
each timed call is followed by a busy wait of ``(FACTOR - 1)`` times its own duration,
so the measured work really takes FACTOR times as long. It lives here, in the harness,
and nowhere in maasmix; only ``tests/benchmarks/test_check.py`` sets it, to show that
the regression check fails on a slowdown.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import calibration
from tests.conftest import data_dir, dataset

__all__ = ["bench_rounds", "bench_smoke", "data_dir", "dataset", "peak_python_mib"]

SLOWDOWN_ENV = "MAASMIX_BENCH_SLOWDOWN"
#: In the smoke run, a suite's module-level ``TIME_LIMIT_S`` (solver time limits) is cut
#: to this many seconds, so that the run checks that the suite works, not how far a
#: solver gets.
SMOKE_TIME_LIMIT_S = 3.0
SMOKE_ENV = "MAASMIX_BENCH_SMOKE"
_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _peak_kib(reset_ok: bool) -> int:
    if reset_ok:
        hwm = _status_kib("VmHWM")
        if hwm is not None:
            return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _is_smoke(config: pytest.Config) -> bool:
    flag = os.environ.get(SMOKE_ENV, "").lower() in ("1", "true", "yes")
    disabled = bool(config.getoption("benchmark_disable", default=False))
    enabled = bool(config.getoption("benchmark_enable", default=False))
    return flag or (disabled and not enabled)


@pytest.fixture(scope="session")
def bench_smoke(pytestconfig: pytest.Config) -> bool:
    """True in the one-round smoke run: use small inputs."""
    return _is_smoke(pytestconfig)


@pytest.fixture(autouse=True, scope="module")
def _smoke_time_limit(request: pytest.FixtureRequest, bench_smoke: bool) -> Iterator[None]:
    """Smoke run: cut a suite's ``TIME_LIMIT_S`` to `SMOKE_TIME_LIMIT_S`."""
    module = request.module
    if not bench_smoke or not isinstance(getattr(module, "TIME_LIMIT_S", None), int | float):
        yield
        return
    saved = module.TIME_LIMIT_S
    module.TIME_LIMIT_S = min(saved, SMOKE_TIME_LIMIT_S)
    try:
        yield
    finally:
        module.TIME_LIMIT_S = saved


@pytest.fixture(scope="session")
def bench_rounds(bench_smoke: bool) -> Callable[[int], int]:
    """``bench_rounds(5)`` is 5 in a full run and 1 in the smoke run."""
    return lambda n: 1 if bench_smoke else n


def _peak_python(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="session")
def peak_python_mib() -> Callable[[Callable[[], Any]], float]:
    """``peak_python_mib(fn)``: tracemalloc peak (MiB) of one call of ``fn``."""
    return _peak_python


def _slowdown_factor(name: str) -> float:
    spec = os.environ.get(SLOWDOWN_ENV, "").strip()
    if not spec:
        return 1.0
    if "=" in spec:
        pattern, _, value = spec.rpartition("=")
        return float(value) if pattern in name else 1.0
    return float(spec)


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _install_hooks(benchmark: Any, factor: float) -> list[tuple[float, float]]:
    """Pair every timed round with a calibration slice; apply the slowdown hook.

    Returns the list that collects ``(round seconds, slice seconds)`` pairs, both read
    with the benchmark's own timer.
    """
    make_runner = benchmark._make_runner
    pairs: list[tuple[float, float]] = []

    def hooked_make_runner(function: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        target = function
        if factor != 1.0:

            def slower(*a: Any, **k: Any) -> Any:
                started = time.perf_counter()
                result = function(*a, **k)
                _spin((factor - 1.0) * (time.perf_counter() - started))
                return result

            target = slower
        runner = make_runner(target, args, kwargs)

        def paired(loops_range: Any, timer: Callable[[], float] = benchmark._timer) -> Any:
            if loops_range is not None:  # benchmark(...)'s many tiny loops: not paired
                return runner(loops_range)
            started = timer()
            calibration.slice_()
            slice_s = timer() - started
            result = runner(loops_range)
            pairs.append((float(result[0]), slice_s))
            return result

        return paired

    benchmark._make_runner = hooked_make_runner
    if factor != 1.0:
        benchmark.extra_info["injected_slowdown"] = factor
    return pairs


@pytest.fixture(autouse=True)
def _benchmark_memory(request: pytest.FixtureRequest) -> Iterator[None]:
    """Peak RSS of each benchmark into its extra_info (and the slowdown hook)."""
    if "benchmark" not in request.fixturenames:
        yield
        return
    benchmark = request.getfixturevalue("benchmark")
    pairs = _install_hooks(benchmark, _slowdown_factor(request.node.name))
    start_kib = _status_kib("VmRSS") or 0
    reset_ok = _reset_peak()
    yield
    peak = _peak_kib(reset_ok)
    benchmark.extra_info["peak_rss_mib"] = round(peak / 1024, 1)
    if reset_ok:
        benchmark.extra_info["rss_growth_mib"] = round(max(peak - start_kib, 0) / 1024, 1)
    if pairs:
        benchmark.extra_info["slice_s"] = round(statistics.median(c for _, c in pairs), 6)
        benchmark.extra_info["normalised_median"] = round(
            statistics.median(d / c for d, c in pairs if c > 0), 6
        )
        benchmark.extra_info["normalised_min"] = round(
            min(d for d, _ in pairs) / max(min(c for _, c in pairs), 1e-9), 6
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Calibration first and last, so that it brackets the whole run."""
    start = [i for i in items if i.name == "test_calibration_start"]
    end = [i for i in items if i.name == "test_calibration_end"]
    rest = [i for i in items if i not in start and i not in end]
    items[:] = start + rest + end
