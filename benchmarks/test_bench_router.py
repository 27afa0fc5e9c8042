"""Transit router benchmarks on gtfs-milan and gtfs-helsinki-hsl.

Run (figures print with ``-s``; medians/p90 also land in the saved JSON's extra_info)::

    make bench            # or:
    .venv/bin/pytest benchmarks/test_bench_router.py --benchmark-enable -s -p no:randomly

Measured per feed:

- compile time of the `CompiledTimetable` and its memory in bytes per stop time;
- 100 random point-to-point queries (`TransitRouter.journeys`, Pareto set with journey
  reconstruction) and the same 100 with McRAPTOR (`mc_journeys`, walking as a third
  criterion), median and p90 latency;
- 100 random one-to-all queries (`earliest_arrival_array`, all stops, unlimited transfers);
- 20 random 60-minute range queries at 1-minute steps (`profile`, 61 departures).

The queries are `benchmarks.workloads.transit_queries` (seeded); the peer suite
(`test_bench_peers.py`) asks pynigiri the same ones. In the smoke run each set is cut to
a few queries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.workloads import (
    FEEDS,
    N_ONE_TO_ALL,
    N_P2P,
    N_RANGE,
    SMOKE_QUERIES,
    transit_queries,
)

SUMMARY: dict[str, dict[str, Any]] = {}


def _stats(times_s: list[float]) -> dict[str, float]:
    ms = np.asarray(times_s) * 1000.0
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90))}


@pytest.fixture(scope="module", params=sorted(FEEDS))
def feed(
    request: pytest.FixtureRequest, dataset: Callable[..., Path], bench_smoke: bool
) -> dict[str, Any]:
    from maasmix.engine import TransitRouter, compile_timetable
    from maasmix.feeds.gtfs import load_gtfs

    folder, name, date, _ = FEEDS[request.param]
    path = dataset(folder, name)
    day = load_gtfs(path).service_day(date)
    started = time.perf_counter()
    tt = compile_timetable(day)
    compile_s = time.perf_counter() - started
    router = TransitRouter(tt)
    queries = transit_queries(tt, SMOKE_QUERIES if bench_smoke else N_P2P)
    q = queries[0]
    router.journeys(q.origin, q.destination, q.departure_s)  # numba warm-up
    router.mc_journeys(q.origin, q.destination, q.departure_s)
    router.profile(q.origin, q.destination, q.departure_s, q.departure_s + 600)
    router.earliest_arrival_array(q.origin, q.departure_s)
    info = SUMMARY.setdefault(request.param, {})
    info.update(
        {
            "stop_times": tt.n_stop_times,
            "trips": tt.n_trips,
            "patterns": tt.n_patterns,
            "stops": tt.n_stops,
            "footpaths": tt.footpaths.n,
            "compile_s": round(compile_s, 3),
            "bytes_per_stop_time": round(tt.nbytes / tt.n_stop_times, 2),
        }
    )
    return {"name": request.param, "day": day, "router": router, "queries": queries, "info": info}


def test_compile(benchmark: Any, feed: dict[str, Any], bench_rounds: Callable[[int], int]) -> None:
    from maasmix.engine import compile_timetable

    tt = benchmark.pedantic(
        compile_timetable, args=(feed["day"],), rounds=bench_rounds(7), iterations=1
    )
    benchmark.extra_info.update(feed["info"])
    assert tt.n_stop_times == feed["info"]["stop_times"]


def _timed_queries(
    benchmark: Any,
    feed: dict[str, Any],
    key: str,
    n: int,
    rounds: int,
    ask: Callable[[Any, Any], Any],
) -> list[Any]:
    router = feed["router"]
    queries = feed["queries"][:n]
    times: list[float] = []
    answers: list[Any] = []

    def run_all() -> None:
        times.clear()
        answers.clear()
        for q in queries:
            started = time.perf_counter()
            answers.append(ask(router, q))
            times.append(time.perf_counter() - started)

    benchmark.pedantic(run_all, rounds=rounds, iterations=1)
    stats = _stats(times)
    feed["info"].update({f"{key}_{k}": round(v, 3) for k, v in stats.items()})
    benchmark.extra_info.update(stats, queries=len(queries))
    return answers


def test_point_to_point(
    benchmark: Any, feed: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    answers = _timed_queries(
        benchmark,
        feed,
        "p2p",
        N_P2P,
        bench_rounds(11),
        lambda r, q: r.journeys(q.origin, q.destination, q.departure_s, max_transfers=8),
    )
    found = sum(bool(a) for a in answers)
    feed["info"]["p2p_found"] = found
    benchmark.extra_info["found"] = found
    assert found > len(answers) // 2


def test_point_to_point_mcraptor(
    benchmark: Any, feed: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    _timed_queries(
        benchmark,
        feed,
        "mc",
        N_P2P,
        bench_rounds(3),
        lambda r, q: r.mc_journeys(q.origin, q.destination, q.departure_s, max_transfers=8),
    )


def test_one_to_all(
    benchmark: Any, feed: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    _timed_queries(
        benchmark,
        feed,
        "one_to_all",
        N_ONE_TO_ALL,
        bench_rounds(11),
        lambda r, q: r.earliest_arrival_array(q.origin, q.departure_s),
    )


def test_range_60_min(
    benchmark: Any, feed: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    _timed_queries(
        benchmark,
        feed,
        "range60",
        N_RANGE,
        bench_rounds(5),
        lambda r, q: r.profile(
            q.origin, q.destination, q.departure_s, q.departure_s + 3600, step_s=60
        ),
    )


def test_zz_print_summary() -> None:
    """Print the figures per feed (run with ``-s`` to see them)."""
    print("\nrouter benchmark summary")
    for name, info in SUMMARY.items():
        print(f"  {name}:")
        for key, value in info.items():
            print(f"    {key:36s} {value}")
