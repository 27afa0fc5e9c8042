"""Travel-time matrix benchmark: Helsinki (HSL, crow-fly walking), 1,000 destinations, a
60-minute window at 1-minute steps, walking access and egress; 100, 1,000 and 5,000 origins.

Run (figures print with ``-s``)::

    .venv/bin/pytest benchmarks/test_bench_matrix.py --benchmark-enable -s -p no:randomly \\
        --benchmark-json=reports/bench/matrix.json
    .venv/bin/python -m benchmarks.report matrix reports/bench/matrix.json \\
        docs/benchmarks/matrix_scaling.png

Measured, per number of origins:

- ``test_matrix_core_seconds_per_origin`` (timer ``cpu``): process CPU seconds of
  `travel_time_matrix` in this process with a prepared `MatrixSearch` (the destinations'
  egress, built once per run or Dask worker, is timed apart as ``prepare_s``), reported
  as ``core_s_per_origin`` (aim: < 0.1; R5 about 0.25);
- ``test_matrix_two_workers_wall`` (timer ``wall``): `maasmix.api.analysis.run_chunks`
  with ``workers=2``, what ``maasmix matrix --workers 2`` runs: a local Dask cluster of 2
  single-threaded processes started, the network loaded by each worker from the disk
  cache, chunks of 50 origins written to Parquet, the result read back. ``wall_s`` is
  all of it; ``workers_cpu_s`` the CPU seconds of the two worker processes;
  ``worker_peak_rss_mib`` each worker's peak resident set (the kernel's ``VmHWM``, read
  with psutil after every chunk; on systems without it, the largest RSS seen then).

Both record the 1-minute load average at the start and end of the test (``load_1min``:
the machine is shared, and wall time on 2 cores says little when it is busy).
Origins and destinations are seeded points near the feed's served stops.

The smoke run (``make bench-smoke``) uses 10 origins and 100 destinations and does not
collect the 5,000-origin points (nor the 1,000-origin point of the 2-worker run). A full
run (``make bench``) skips the 5,000-origin point on 2 workers unless
``MAASMIX_BENCH_MATRIX_5000=1``: it took 284 s of wall time on the shared 2-core machine
(load 13-15), more than the ~3 minutes a point of the full suite may take; the one-process
5,000-origin point (66 CPU seconds) always runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest

N_DEST = 1000
WINDOW_MIN = 60
#: Origins per run: the points of the scaling curve (`benchmarks.report.matrix_plot`).
ORIGINS = [100, 1000, 5000]
#: The smoke run's sizes per benchmark (each shrunk to 10 origins x 100 destinations).
SMOKE_ORIGINS = {"test_matrix_core_seconds_per_origin": [100, 1000]}
WORKERS = 2
#: Set to 1 to run the 5,000-origin point on 2 workers in a full run.
LARGE_ENV = "MAASMIX_BENCH_MATRIX_5000"
SMOKE_N_O = 10
SMOKE_N_D = 100


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from benchmarks.conftest import _is_smoke

    if "n_origins" in metafunc.fixturenames:
        smoke = _is_smoke(metafunc.config)
        sizes = SMOKE_ORIGINS.get(metafunc.function.__name__, ORIGINS[:1]) if smoke else ORIGINS
        metafunc.parametrize("n_origins", sizes)


@pytest.fixture(scope="module")
def helsinki_args(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """How this process and every Dask worker build the network (one disk cache)."""
    from maasmix.pricing.demand.jobs import NetworkArgs

    return NetworkArgs(
        gtfs=(str(dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip").resolve()),),
        osm=None,
        gbfs=(),
        date="20220222",
        cache_dir=str(tmp_path_factory.mktemp("cache")),
    )


@pytest.fixture(scope="module")
def helsinki(helsinki_args: Any) -> Any:
    return helsinki_args.build()


@pytest.fixture
def load_avg(benchmark: Any) -> Iterator[None]:
    """The 1-minute load average at the start and end of the test, in extra_info."""
    start = os.getloadavg()[0]
    yield
    benchmark.extra_info["load_1min"] = [round(start, 2), round(os.getloadavg()[0], 2)]
    benchmark.extra_info["cpu_count"] = os.cpu_count()


def _points(net: Any, n: int, seed: int) -> pd.DataFrame:
    """``n`` points scattered around served stops (about 200 m north-south and east-west)."""
    tt = net.compiled.timetable
    rng = np.random.default_rng(seed)
    stops = rng.choice(np.flatnonzero(net.compiled.served), n)
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "lat": tt.stop_lat[stops] + rng.normal(0, 0.002, n),
            "lon": tt.stop_lon[stops] + rng.normal(0, 0.004, n),
        }
    )


def _sizes(n_origins: int, smoke: bool) -> tuple[int, int]:
    return (SMOKE_N_O, SMOKE_N_D) if smoke else (n_origins, N_DEST)


@pytest.mark.usefixtures("load_avg")
def test_matrix_core_seconds_per_origin(
    benchmark: Any,
    helsinki: Any,
    n_origins: int,
    bench_smoke: bool,
    bench_rounds: Callable[[int], int],
) -> None:
    from maasmix.engine.matrix import MatrixSearch, travel_time_matrix

    n_o, n_d = _sizes(n_origins, bench_smoke)
    origins = _points(helsinki, n_o, 1)
    dests = _points(helsinki, n_d, 2)
    started = time.process_time()
    search = MatrixSearch(helsinki, dests, departure_s=8 * 3600, window_s=WINDOW_MIN * 60,
                          max_time_s=3600)  # fmt: skip
    prepare_s = time.process_time() - started
    travel_time_matrix(helsinki, origins.iloc[:1], search=search)  # numba warm-up
    rounds = bench_rounds(3 if n_origins <= 100 else 1)
    seconds: list[float] = []

    def run() -> pd.DataFrame:
        t0 = time.process_time()
        out = travel_time_matrix(helsinki, origins, search=search)
        seconds.append(time.process_time() - t0)
        return out

    result = benchmark.pedantic(run, rounds=rounds, iterations=1)
    per_origin = float(np.median(seconds)) / n_o
    reached = float(result["travel_time_p50"].notna().mean())
    benchmark.extra_info.update(
        origins=n_o,
        destinations=n_d,
        departures=WINDOW_MIN,
        prepare_s=round(prepare_s, 3),
        core_s_per_origin=round(per_origin, 5),
        reached_share=round(reached, 4),
    )
    print(
        f"\nmatrix {n_o} x {n_d}, {WINDOW_MIN} departures: {per_origin:.4f} core-s per origin "
        f"(prepare {prepare_s:.2f} s, {reached:.1%} of pairs reached at p50; "
        f"load {os.getloadavg()[0]:.1f})"
    )
    assert len(result) == n_o * n_d
    assert reached > 0.5


class _Workers:
    """CPU seconds and peak RSS of this process's Dask worker processes, read whenever
    `sample` is called (they exit with the cluster, so after every chunk)."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.cpu_s: dict[int, float] = {}
        self.peak_kib: dict[int, int] = {}

    @staticmethod
    def _is_worker(proc: psutil.Process) -> bool:
        # spawned by the nannies through multiprocessing; not its resource tracker
        return any("spawn_main" in part for part in proc.cmdline())

    def sample(self, *_: Any) -> None:
        for child in self.me.children(recursive=True):
            try:
                if not self._is_worker(child):
                    continue
                times = child.cpu_times()
                peak = _vm_hwm_kib(child.pid) or child.memory_info().rss // 1024
            except psutil.Error:
                continue
            self.cpu_s[child.pid] = times.user + times.system
            self.peak_kib[child.pid] = max(self.peak_kib.get(child.pid, 0), peak)


def _vm_hwm_kib(pid: int) -> int | None:
    """The kernel's peak resident set of ``pid`` (KiB; None where there is no /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@pytest.mark.bench_timer("wall")
@pytest.mark.usefixtures("load_avg")
def test_matrix_two_workers_wall(
    benchmark: Any,
    helsinki: Any,
    helsinki_args: Any,
    n_origins: int,
    tmp_path: Path,
    bench_smoke: bool,
    bench_rounds: Callable[[int], int],
) -> None:
    """The matrix as ``maasmix matrix --workers 2`` computes it (cluster start included)."""
    from maasmix.api.analysis import AnalysisRun, AnalysisSpec, run_chunks

    if n_origins > 1000 and os.environ.get(LARGE_ENV, "") not in ("1", "true", "yes"):
        pytest.skip(f"{n_origins:,} origins on {WORKERS} workers run with {LARGE_ENV}=1 (minutes)")
    n_o, n_d = _sizes(n_origins, bench_smoke)
    origins = _points(helsinki, n_o, 1)
    dests = _points(helsinki, n_d, 2)
    spec = AnalysisSpec(kind="matrix", departure="08:00", window=WINDOW_MIN, max_time=60)
    counter = iter(range(1_000))
    runs: list[tuple[float, float, AnalysisRun, _Workers]] = []

    def setup() -> tuple[tuple[Path], dict[str, Any]]:
        return (tmp_path / f"round-{next(counter)}",), {}

    def run(folder: Path) -> None:
        workers = _Workers()
        started = time.perf_counter()
        own = time.process_time()
        out = run_chunks(args=helsinki_args, spec=spec, origins=origins, destinations=dests,
                         folder=folder, workers=WORKERS, on_chunk=workers.sample)  # fmt: skip
        runs.append((time.perf_counter() - started, time.process_time() - own, out, workers))

    # one round: a cluster's start-up alone takes 20-40 s on the loaded machine
    benchmark.pedantic(run, setup=setup, rounds=bench_rounds(1), iterations=1)
    wall, own_cpu, result, workers = min(runs, key=lambda r: r[0])
    assert result.chunks_resumed == 0 and result.workers == WORKERS
    assert len(result.frame) == n_o * n_d
    reached = float(result.frame["travel_time_p50"].notna().mean())
    assert reached > 0.5
    assert len(workers.peak_kib) == WORKERS, f"worker processes seen: {workers.peak_kib}"
    peaks = [round(workers.peak_kib[pid] / 1024, 1) for pid in sorted(workers.peak_kib)]
    workers_cpu = sum(workers.cpu_s.values())
    benchmark.extra_info.update(
        origins=n_o,
        destinations=n_d,
        departures=WINDOW_MIN,
        workers=WORKERS,
        chunks=result.chunks,
        wall_s=round(wall, 3),
        wall_s_per_origin=round(wall / n_o, 5),
        workers_cpu_s=round(workers_cpu, 3),
        main_cpu_s=round(own_cpu, 3),
        worker_peak_rss_mib=peaks,
        reached_share=round(reached, 4),
    )
    print(
        f"\nmatrix {n_o} x {n_d} on {WORKERS} Dask workers: {wall:.1f} s wall "
        f"({result.chunks} chunks; workers' CPU {workers_cpu:.1f} s, this process {own_cpu:.1f} s;"
        f" peak RSS per worker {peaks} MiB; load {os.getloadavg()[0]:.1f})"
    )
