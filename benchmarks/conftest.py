"""Benchmark harness: real-data fixtures, honest timers, peak memory of every process
involved, the quick set, smoke mode, the A/B alternation, and the slowdown hook.

**Timers.** Each benchmark declares what it is timed with, and the saved JSON says which
was used (``extra_info["timer"]``):

- ``cpu`` (the default): ``time.process_time``, CPU seconds of this process, for
  single-threaded kernels (router, plan, fares, feeds, scaling curves): a busy second core
  does not inflate it the way it inflates wall time;
- ``wall``: ``time.perf_counter``, for work on several threads or processes, which
  process CPU time miscounts (Dask workers' work is not in it at all; a search on two
  numba threads counts twice): declared with ``@pytest.mark.bench_timer("wall")`` or a
  module's ``pytestmark`` (pricing searches and frontiers, the diary on Dask, the HTTP
  API test client).

``--benchmark-timer`` is overridden by these declarations.

**Memory.** ``extra_info["peak_rss_mib"]`` is the peak resident set size of every process
involved while the test ran: this process's kernel high-water mark (``VmHWM``, reset
through ``/proc/self/clear_refs`` before the test; elsewhere the lifetime peak from
``getrusage``) plus, for ``wall`` benchmarks, the peak of the summed RSS of all child
processes (Dask workers), sampled every 50 ms with psutil (``children_peak_rss_mib``);
the largest child's own peak (``RUSAGE_CHILDREN``), when it rose during the test, is a
floor for that sample.
``rss_growth_mib`` is this process's peak minus its resident size at the start.

**Rounds.** ``extra_info["round_s"]`` has every timed round's seconds, the paired A/B
comparison (`benchmarks.compare`) reads them. In a normal run each round is *paired* with
a slice of the calibration workload (`benchmarks.calibration.slice_`) run just before it
with the same timer; ``extra_info["normalised_median"]`` (median of round / slice) is
what the history check `benchmarks.check` compares with the stored baseline.

Fixtures and switches for the suites:

- ``data_dir`` / ``dataset``: the real-data folder, as in the test suite;
- ``bench_smoke``: True in the one-round smoke run (``make bench-smoke``, or
  ``--benchmark-disable``); suites shrink their inputs so that every suite runs in
  seconds; a suite's module-level ``TIME_LIMIT_S`` is cut to 3 s;
- ``bench_rounds(n)``: ``n`` in a full run, 1 in the smoke run, and
  ``max(n, $MAASMIX_BENCH_ROUNDS)`` when that is set (the A/B runs: the same number of
  rounds on both sides, and the short benchmarks keep their many rounds);
- ``peak_python_mib(fn)``: tracemalloc peak of one extra call of ``fn``;
- ``-m quick``: the quick set (`benchmarks.quick`); an id listed there but not collected
  is a usage error; ``bench_quick`` is True then (the diary suite uses its smoke-sized
  diary, ~300 trips, so one round takes seconds instead of half a minute);
- ``$MAASMIX_BENCH_AB`` (set by `benchmarks.compare` only): this process is one side of
  an A/B run (`benchmarks.baton`): no calibration slices, one untimed warm-up call per
  benchmark, and the baton handed over after timed rounds.

**The slowdown hook**: when ``MAASMIX_BENCH_SLOWDOWN`` is set (``FACTOR`` for every
benchmark, or ``SUBSTRING=FACTOR`` for the benchmarks whose name contains SUBSTRING),
each timed call is followed by a busy wait of ``(FACTOR - 1)`` times its own wall
duration, so the measured work really takes FACTOR times as long. It lives here, in the
harness, and nowhere in maasmix; `benchmarks.gate_proof` and
``tests/benchmarks/test_check.py`` use it to show that the gates catch a slowdown.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import calibration
from benchmarks.baton import Baton
from benchmarks.quick import QUICK
from tests.conftest import data_dir, dataset

__all__ = ["bench_quick", "bench_rounds", "bench_smoke", "data_dir", "dataset", "peak_python_mib"]

SLOWDOWN_ENV = "MAASMIX_BENCH_SLOWDOWN"
ROUNDS_ENV = "MAASMIX_BENCH_ROUNDS"
#: In the smoke run, a suite's module-level ``TIME_LIMIT_S`` (solver time limits) is cut
#: to this many seconds, so that the run checks that the suite works, not how far a
#: solver gets.
SMOKE_TIME_LIMIT_S = 3.0
SMOKE_ENV = "MAASMIX_BENCH_SMOKE"
TIMERS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
CHILD_SAMPLE_S = 0.05
_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")
_BATON: list[Baton] = []
_EXISTING: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bench_timer(kind): 'cpu' (process CPU time, the default) or 'wall' (threads, processes)",
    )
    config.addinivalue_line("markers", "quick: the quick set (benchmarks/quick.py)")
    baton = Baton.from_env()
    if baton is not None:
        _BATON.append(baton)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _BATON:
        _BATON.pop().close()


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


def _maxrss_kib(who: int) -> int:
    peak = resource.getrusage(who).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _peak_kib(reset_ok: bool) -> int:
    if reset_ok:
        hwm = _status_kib("VmHWM")
        if hwm is not None:
            return hwm
    return _maxrss_kib(resource.RUSAGE_SELF)


class _ChildSampler:
    """Peak of the summed RSS (KiB) of all child processes, sampled in a thread."""

    def __init__(self) -> None:
        import psutil

        self._me = psutil.Process()
        self._error = psutil.Error
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss", daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        total = 0
        for child in self._me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except self._error:
                continue
        self.peak_kib = max(self.peak_kib, total // 1024)

    def _run(self) -> None:
        while not self._stop.wait(CHILD_SAMPLE_S):
            self._sample()

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kib


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


def forced_rounds() -> int | None:
    """``$MAASMIX_BENCH_ROUNDS`` as a positive int (None: unset)."""
    spec = os.environ.get(ROUNDS_ENV, "").strip()
    if not spec:
        return None
    rounds = int(spec)
    if rounds < 1:
        raise ValueError(f"{ROUNDS_ENV} must be >= 1, got {spec!r}")
    return rounds


def _is_quick(config: pytest.Config) -> bool:
    return "quick" in str(config.getoption("markexpr", default=""))


@pytest.fixture(scope="session")
def bench_quick(pytestconfig: pytest.Config) -> bool:
    """True in a quick-set run (``-m quick``): suites whose full input takes tens of
    seconds per round (the diary) use their smoke-sized input."""
    return _is_quick(pytestconfig)


@pytest.fixture(scope="session")
def bench_rounds(bench_smoke: bool) -> Callable[[int], int]:
    """``bench_rounds(5)``: 5 in a full run, 1 in the smoke run, at least
    ``$MAASMIX_BENCH_ROUNDS`` when that is set."""
    forced = forced_rounds()
    if bench_smoke:
        return lambda n: 1
    if forced is not None:
        return lambda n: max(n, forced)
    return lambda n: n


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


def timer_kind(item: pytest.Item) -> str:
    """The benchmark's declared timer: ``cpu`` unless marked ``bench_timer("wall")``."""
    marker = item.get_closest_marker("bench_timer")
    kind = str(marker.args[0]) if marker is not None and marker.args else "cpu"
    if kind not in TIMERS:
        raise pytest.UsageError(f"{item.nodeid}: bench_timer must be one of {sorted(TIMERS)}")
    return kind


def _install_hooks(
    benchmark: Any, factor: float, baton: Baton | None
) -> list[tuple[float, float | None]]:
    """Time every round with the benchmark's timer; pair it with a calibration slice (not
    in an A/B run, which hands the baton over instead); apply the slowdown hook.

    Returns the list that collects ``(round seconds, slice seconds or None)``.
    """
    make_runner = benchmark._make_runner
    pairs: list[tuple[float, float | None]] = []
    warm = [baton is None]

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

        def paired(loops_range: Any, timer: Callable[[], float] | None = None) -> Any:
            clock = timer or benchmark._timer
            if loops_range is not None:  # benchmark(...)'s many tiny loops: not paired
                return runner(loops_range, clock)
            if not warm[0]:  # A/B run: one untimed warm-up call per benchmark
                warm[0] = True
                runner(None, clock)
            slice_s: float | None = None
            if baton is None:
                started = clock()
                calibration.slice_()
                slice_s = clock() - started
            result = runner(None, clock)
            pairs.append((float(result[0]), slice_s))
            if baton is not None:
                baton.after_round()
            return result

        return paired

    benchmark._make_runner = hooked_make_runner
    if factor != 1.0:
        benchmark.extra_info["injected_slowdown"] = factor
    return pairs


@pytest.fixture(autouse=True)
def _benchmark_harness(request: pytest.FixtureRequest) -> Iterator[None]:
    """The declared timer, rounds, peak RSS (and the slowdown hook) of each benchmark."""
    if "benchmark" not in request.fixturenames:
        yield
        return
    benchmark = request.getfixturevalue("benchmark")
    kind = timer_kind(request.node)
    benchmark._timer = TIMERS[kind]
    benchmark.extra_info["timer"] = kind
    baton = _BATON[0] if _BATON else None
    pairs = _install_hooks(benchmark, _slowdown_factor(request.node.name), baton)
    sampler = _ChildSampler() if kind == "wall" else None
    children_before_kib = _maxrss_kib(resource.RUSAGE_CHILDREN)
    start_kib = _status_kib("VmRSS") or 0
    reset_ok = _reset_peak()
    try:
        yield
    finally:
        children_kib = sampler.stop() if sampler is not None else 0
    children_after_kib = _maxrss_kib(resource.RUSAGE_CHILDREN)
    if sampler is not None and children_after_kib > children_before_kib:
        # a child waited for during the test had a bigger peak than any sample saw
        children_kib = max(children_kib, children_after_kib)
    peak = _peak_kib(reset_ok)
    benchmark.extra_info["peak_rss_mib"] = round((peak + children_kib) / 1024, 1)
    if sampler is not None:
        benchmark.extra_info["children_peak_rss_mib"] = round(children_kib / 1024, 1)
    if reset_ok:
        benchmark.extra_info["rss_growth_mib"] = round(max(peak - start_kib, 0) / 1024, 1)
    if pairs:
        benchmark.extra_info["round_s"] = [round(d, 6) for d, _ in pairs]
        slices = [(d, c) for d, c in pairs if c is not None and c > 0]
        if slices:
            benchmark.extra_info["slice_s"] = round(statistics.median(c for _, c in slices), 6)
            benchmark.extra_info["normalised_median"] = round(
                statistics.median(d / c for d, c in slices), 6
            )
            benchmark.extra_info["normalised_min"] = round(
                min(d for d, _ in slices) / max(min(c for _, c in slices), 1e-9), 6
            )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the quick set (before ``-m`` deselects); calibration first and last, so that
    it brackets the whole run."""
    by_id = {item.nodeid: item for item in items}
    collected_files = {item.nodeid.split("::")[0] for item in items}
    missing = [
        f"{cap}: {nodeid}"
        for cap, nodeid in QUICK.items()
        if nodeid not in by_id and nodeid.split("::")[0] in collected_files
    ]
    if missing and _is_quick(config):
        raise pytest.UsageError(
            "benchmarks/quick.py lists benchmarks that were not collected (renamed or "
            "removed?): " + "; ".join(missing)
        )
    for nodeid in QUICK.values():
        if nodeid in by_id:
            by_id[nodeid].add_marker(pytest.mark.quick)
    _EXISTING.update(by_id)
    start = [i for i in items if i.name == "test_calibration_start"]
    end = [i for i in items if i.name == "test_calibration_end"]
    rest = [i for i in items if i not in start and i not in end]
    items[:] = start + rest + end


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: Any, output_json: dict[str, Any]
) -> None:
    """Which benchmarks exist (collected, selected or not) and which files were collected,
    so that `benchmarks.check` tells a benchmark that disappeared from one not run."""
    output_json["collected"] = {
        "nodeids": sorted(_EXISTING),
        "files": sorted({n.split("::")[0] for n in _EXISTING}),
    }
