"""Transit router benchmarks on gtfs-milan and gtfs-helsinki-hsl, with pynigiri as the peer.

Run (figures print with ``-s``; medians/p90 also land in the saved JSON's extra_info)::

    make bench            # or:
    .venv/bin/pytest benchmarks/test_bench_router.py --benchmark-enable -s -p no:randomly

Measured per feed:

- compile time of the `CompiledTimetable` and its memory in bytes per stop time;
- 100 random point-to-point queries (`TransitRouter.journeys`, Pareto set with journey
  reconstruction), median and p90 latency, side by side with the same 100 queries
  answered by ``pynigiri`` (the C++ router at the core of MOTIS), and our median
  divided by nigiri's;
- 100 random one-to-all queries (`earliest_arrivals`, all stops, unlimited transfers);
- 20 random 60-minute range queries at 1-minute steps (`profile`, 61 departures).

pynigiri runs in a subprocess (this file run as a script), so a crash of the extension
is reported as such instead of ending the benchmark session.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

FEEDS = {
    "milan": ("gtfs-milan", "milano_small_gtfs.zip", "20141020"),
    "helsinki": ("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip", "20220222"),
}
N_P2P = 100
N_ONE_TO_ALL = 100
N_RANGE = 20
SUMMARY: dict[str, dict[str, Any]] = {}


def _stats(times_s: list[float]) -> dict[str, float]:
    ms = np.asarray(times_s) * 1000.0
    return {"median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90))}


@pytest.fixture(scope="module", params=sorted(FEEDS))
def feed(request: pytest.FixtureRequest, dataset: Callable[..., Path]) -> dict[str, Any]:
    from maasmix.engine import TransitRouter, compile_timetable
    from maasmix.feeds.gtfs import load_gtfs

    folder, name, date = FEEDS[request.param]
    path = dataset(folder, name)
    day = load_gtfs(path).service_day(date)
    started = time.perf_counter()
    tt = compile_timetable(day)
    compile_s = time.perf_counter() - started
    router = TransitRouter(tt)
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(2024)
    queries = []
    while len(queries) < N_P2P:
        o, d = rng.choice(served, size=2)
        if o != d:
            minute = int(rng.integers(7 * 60, 19 * 60))
            queries.append((str(tt.stop_ids[o]), str(tt.stop_ids[d]), minute * 60))
    router.journeys(queries[0][0], queries[0][1], queries[0][2])  # numba warm-up
    router.mc_journeys(queries[0][0], queries[0][1], queries[0][2])
    router.profile(queries[0][0], queries[0][1], queries[0][2], queries[0][2] + 600)
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
    return {
        "name": request.param,
        "path": path,
        "day": day,
        "router": router,
        "queries": queries,
        "date": date,
        "info": info,
    }


def test_compile(benchmark: Any, feed: dict[str, Any]) -> None:
    from maasmix.engine import compile_timetable

    tt = benchmark.pedantic(compile_timetable, args=(feed["day"],), rounds=3, iterations=1)
    benchmark.extra_info.update(feed["info"])
    assert tt.n_stop_times == feed["info"]["stop_times"]


def test_point_to_point(benchmark: Any, feed: dict[str, Any]) -> None:
    router = feed["router"]
    times: list[float] = []
    found = 0

    def run_all() -> None:
        nonlocal found
        times.clear()
        found = 0
        for o, d, t in feed["queries"]:
            started = time.perf_counter()
            journeys = router.journeys(o, d, t, max_transfers=8)
            times.append(time.perf_counter() - started)
            found += bool(journeys)

    benchmark.pedantic(run_all, rounds=3, iterations=1)
    stats = _stats(times)
    feed["info"].update({f"p2p_{k}": round(v, 3) for k, v in stats.items()})
    feed["info"]["p2p_found"] = found
    benchmark.extra_info.update(stats)
    assert found > N_P2P // 2


def test_point_to_point_mcraptor(benchmark: Any, feed: dict[str, Any]) -> None:
    router = feed["router"]
    times: list[float] = []

    def run_all() -> None:
        times.clear()
        for o, d, t in feed["queries"]:
            started = time.perf_counter()
            router.mc_journeys(o, d, t, max_transfers=8)
            times.append(time.perf_counter() - started)

    benchmark.pedantic(run_all, rounds=1, iterations=1)
    stats = _stats(times)
    feed["info"].update({f"mc_{k}": round(v, 3) for k, v in stats.items()})
    benchmark.extra_info.update(stats)


def test_one_to_all(benchmark: Any, feed: dict[str, Any]) -> None:
    router = feed["router"]
    times: list[float] = []

    def run_all() -> None:
        times.clear()
        for o, _, t in feed["queries"][:N_ONE_TO_ALL]:
            started = time.perf_counter()
            router.earliest_arrival_array(o, t)
            times.append(time.perf_counter() - started)

    benchmark.pedantic(run_all, rounds=3, iterations=1)
    stats = _stats(times)
    feed["info"].update({f"one_to_all_{k}": round(v, 3) for k, v in stats.items()})
    benchmark.extra_info.update(stats)


def test_range_60_min(benchmark: Any, feed: dict[str, Any]) -> None:
    router = feed["router"]
    times: list[float] = []

    def run_all() -> None:
        times.clear()
        for o, d, t in feed["queries"][:N_RANGE]:
            started = time.perf_counter()
            router.profile(o, d, t, t + 3600, step_s=60)
            times.append(time.perf_counter() - started)

    benchmark.pedantic(run_all, rounds=1, iterations=1)
    stats = _stats(times)
    feed["info"].update({f"range60_{k}": round(v, 3) for k, v in stats.items()})
    benchmark.extra_info.update(stats)


def test_peer_nigiri_point_to_point(benchmark: Any, feed: dict[str, Any]) -> None:
    """The same 100 point-to-point queries answered by pynigiri (in a subprocess)."""
    from maasmix.engine.journeys import service_datetime

    tt = feed["router"].timetable
    date = dt.datetime.strptime(feed["date"], "%Y%m%d").date()
    job = {
        "path": str(feed["path"]),
        "first": date.isoformat(),
        "last": (date + dt.timedelta(days=1)).isoformat(),
        "queries": [
            [o, d, int(service_datetime(date, tt.timezone, t).timestamp()) // 60]
            for o, d, t in feed["queries"]
        ],
    }
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--nigiri-peer"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    benchmark.extra_info["peer_wall_s"] = round(time.perf_counter() - started, 2)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        reason = f"pynigiri failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}"
        feed["info"]["nigiri"] = reason
        benchmark.extra_info["nigiri"] = reason
        pytest.skip(reason)
    result = json.loads(lines[-1])
    stats = _stats(result["times"])
    feed["info"].update({f"nigiri_{k}": round(v, 3) for k, v in stats.items()})
    feed["info"]["nigiri_load_s"] = round(result["load_s"], 3)
    feed["info"]["nigiri_found"] = result["found"]
    feed["info"]["nigiri_missing_stops"] = result["missing"]
    if "p2p_median_ms" in feed["info"]:
        ratio = feed["info"]["p2p_median_ms"] / stats["median_ms"]
        feed["info"]["p2p_median_ratio_ours_over_nigiri"] = round(ratio, 3)
    benchmark.extra_info.update(feed["info"])
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


def test_zz_print_summary() -> None:
    """Print the side-by-side figures (run with ``-s`` to see them)."""
    print("\nrouter benchmark summary")
    for name, info in SUMMARY.items():
        print(f"  {name}:")
        for key, value in info.items():
            print(f"    {key:36s} {value}")


def _nigiri_peer() -> None:
    """Subprocess body: load the feed with pynigiri and time the queries (JSON on stdout)."""
    import pynigiri as ng

    job = json.loads(sys.stdin.read())
    started = time.perf_counter()
    timetable = ng.load_timetable(
        [ng.TimetableSource("gtfs", job["path"])], job["first"], job["last"]
    )
    load_s = time.perf_counter() - started
    times: list[float] = []
    found = 0
    missing = 0
    for i, (o, d, minute) in enumerate(job["queries"]):
        lo, ld = timetable.find_location(o), timetable.find_location(d)
        if lo is None or ld is None:
            missing += 1
            continue
        query = ng.Query()
        query.start_time = minute
        query.start = [ng.Offset(lo, 0, 0)]
        query.destination = [ng.Offset(ld, 0, 0)]
        query.max_transfers = 8
        if i == 0:
            ng.route(timetable, query)  # warm-up
        began = time.perf_counter()
        journeys = ng.route(timetable, query)
        times.append(time.perf_counter() - began)
        found += bool(len(journeys))
    print(json.dumps({"load_s": load_s, "times": times, "found": found, "missing": missing}))


if __name__ == "__main__":
    if sys.argv[1:] == ["--nigiri-peer"]:
        _nigiri_peer()
    else:
        sys.exit("usage: python benchmarks/test_bench_router.py --nigiri-peer < job.json")
