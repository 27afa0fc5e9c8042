"""GTFS-Realtime on gtfs-helsinki-hsl: applying trip updates vs compiling the day.

Run (figures print with ``-s``; they also land in the saved JSON's extra_info)::

    .venv/bin/pytest benchmarks/test_bench_realtime.py --benchmark-enable -s -p no:randomly

Measured in the same run:

- compiling the service day (`compile_timetable` from the `ServiceDay`);
- applying, and swapping in, a TripUpdates message that changes every trip run once (a
  delay of 0-10 min from a random stop on: frequent lines overtake, patterns split) and
  one that changes 5 % of them (`RealtimeLayer.apply` on the read `RealtimeFeed`);
  ``ratio_to_compile`` is the median apply over the median compile (aim: < 0.10 for the
  full-city message);
- reading each message (`read_gtfs_rt`, protobuf -> tables), reported apart;
- 100 point-to-point queries (`TransitRouter.journeys`) on the static timetable and on
  the full-city realtime one, and 40 door-to-door plans (walk + transit, crow-fly
  streets, `Network.plan`) on the static network, on one compiled from scratch with the
  full-city message's delays, and on the static one with the message applied (aim:
  latency within 5 % of the recompiled one, same times).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.workloads import N_P2P, SEED, SMOKE_QUERIES, transit_queries

SUMMARY: dict[str, Any] = {}
FEED = ("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip", "20220222")
N_PLAN = 40


def _message(tt: Any, fraction: float, seed: int) -> bytes:
    """TripUpdates delaying ``fraction`` of the trip runs 0-600 s from a random stop."""
    from google.transit import gtfs_realtime_pb2 as rt

    from maasmix.servicetime import format_clock

    rng = np.random.default_rng(seed)
    m = rt.FeedMessage()
    m.header.gtfs_realtime_version = "2.0"
    m.header.timestamp = int(time.time())
    chosen = np.flatnonzero(rng.random(tt.n_trips) < fraction)
    for t in chosen.tolist():
        stops, _, dep = tt.trip_stop_times(t)
        p = int(tt.trip_pattern[t])
        n = len(stops)
        base = int(tt.pattern_st_ptr[p]) + (t - int(tt.pattern_trips_ptr[p])) * n
        key = str(tt.trip_keys[t])
        e = m.entity.add()
        e.id = key
        tu = e.trip_update
        tu.trip.trip_id = str(tt.trip_ids[t])
        tu.trip.start_date = tt.date.strftime("%Y%m%d")
        if "#" in key:
            tu.trip.start_time = format_clock(int(dep[0]))
        s = tu.stop_time_update.add()
        s.stop_sequence = int(tt.st_seq[base + int(rng.integers(0, n))])
        s.arrival.delay = int(rng.integers(0, 601))
    return m.SerializeToString()


def _median_s(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return float(np.median(times))


@pytest.fixture(scope="module")
def city(
    dataset: Callable[..., Path], bench_smoke: bool, bench_rounds: Callable[[int], int]
) -> dict[str, Any]:
    from maasmix.engine import compile_timetable
    from maasmix.engine.realtime import RealtimeLayer
    from maasmix.feeds.gtfs import load_gtfs
    from maasmix.feeds.gtfs_rt import read_gtfs_rt

    folder, name, date = FEED
    day = load_gtfs(dataset(folder, name)).service_day(date)
    tt = compile_timetable(day)
    compile_s = _median_s(lambda: compile_timetable(day), bench_rounds(7))
    messages = {"full": _message(tt, 1.0, SEED), "5pct": _message(tt, 0.05, SEED + 1)}
    feeds = {}
    for key, data in messages.items():
        feeds[key] = read_gtfs_rt(data)
        SUMMARY[f"read_{key}_ms"] = round(
            _median_s(lambda data=data: read_gtfs_rt(data), bench_rounds(3)) * 1000, 2
        )
        SUMMARY[f"{key}_bytes"] = len(data)
    layer = RealtimeLayer(tt)
    layer.apply(feeds["5pct"])  # numba kernels loaded
    layer.reset()
    SUMMARY.update(
        {
            "trips": tt.n_trips,
            "stop_times": tt.n_stop_times,
            "patterns": tt.n_patterns,
            "compile_ms": round(compile_s * 1000, 2),
        }
    )
    n_queries = SMOKE_QUERIES if bench_smoke else N_P2P
    return {
        "day": day,
        "tt": tt,
        "feeds": feeds,
        "layer": layer,
        "compile_s": compile_s,
        "queries": transit_queries(tt, n_queries),
    }


def test_compile_day(
    benchmark: Any, city: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    from maasmix.engine import compile_timetable

    tt = benchmark.pedantic(
        compile_timetable, args=(city["day"],), rounds=bench_rounds(7), iterations=1
    )
    benchmark.extra_info.update(SUMMARY)
    assert tt.n_trips == city["tt"].n_trips


@pytest.mark.parametrize("key", ["full", "5pct"])
def test_apply_trip_updates(
    benchmark: Any, city: dict[str, Any], key: str, bench_rounds: Callable[[int], int]
) -> None:
    layer = city["layer"]
    feed = city["feeds"][key]
    times: list[float] = []

    def apply() -> Any:
        started = time.process_time()
        report = layer.apply(feed)
        times.append(time.process_time() - started)
        return report

    report = benchmark.pedantic(apply, rounds=bench_rounds(15), iterations=1)
    median = float(np.median(times))
    ratio = median / city["compile_s"]
    snap = layer.snapshot()
    SUMMARY[f"apply_{key}_ms"] = round(median * 1000, 2)
    SUMMARY[f"apply_{key}_ratio_to_compile"] = round(ratio, 4)
    SUMMARY[f"apply_{key}_patterns"] = snap.timetable.n_patterns
    benchmark.extra_info.update(
        {
            "apply_median_ms": round(median * 1000, 2),
            "compile_ms": round(city["compile_s"] * 1000, 2),
            "ratio_to_compile": round(ratio, 4),
            "updated_trips": report.updated_trips,
            "patterns_after": snap.timetable.n_patterns,
        }
    )
    expected = city["tt"].n_trips if key == "full" else 0.04 * city["tt"].n_trips
    assert report.unknown_trips == 0 and report.matched_trips >= expected
    assert snap.timetable.n_trips == city["tt"].n_trips
    print(f"\napply {key}: {median * 1000:.1f} ms = {ratio:.3f} x compile")


@pytest.mark.parametrize("which", ["static", "realtime"])
def test_point_to_point_on_snapshot(
    benchmark: Any, city: dict[str, Any], which: str, bench_rounds: Callable[[int], int]
) -> None:
    from maasmix.engine import TransitRouter
    from maasmix.engine.realtime import RealtimeLayer

    if which == "static":
        tt = city["tt"]
    else:
        layer = RealtimeLayer(city["tt"])
        layer.apply(city["feeds"]["full"])
        tt = layer.snapshot().timetable
    router = TransitRouter(tt)
    queries = city["queries"]
    q = queries[0]
    router.journeys(q.origin, q.destination, q.departure_s)
    times: list[float] = []

    def run_all() -> int:
        times.clear()
        found = 0
        for q in queries:
            started = time.process_time()
            found += bool(router.journeys(q.origin, q.destination, q.departure_s))
            times.append(time.process_time() - started)
        return found

    found = benchmark.pedantic(run_all, rounds=bench_rounds(5), iterations=1)
    median_ms = float(np.median(times)) * 1000
    SUMMARY[f"p2p_{which}_median_ms"] = round(median_ms, 3)
    benchmark.extra_info.update({"median_ms": round(median_ms, 3), "found": found})
    assert found > len(queries) // 2
    if which == "realtime" and "p2p_static_median_ms" in SUMMARY:
        ratio = median_ms / SUMMARY["p2p_static_median_ms"]
        SUMMARY["p2p_realtime_over_static"] = round(ratio, 3)
        benchmark.extra_info["realtime_over_static"] = round(ratio, 3)
        print(f"\np2p realtime / static: {ratio:.3f}")
    print("\n", SUMMARY)


def _recompiled_day(city: dict[str, Any]) -> Any:
    """The service day with the full-city message's delays written into its stop times
    (what a rebuild from scratch would route on)."""
    from dataclasses import replace

    import pandas as pd

    from maasmix.engine.realtime import RealtimeLayer

    tt = city["tt"]
    layer = RealtimeLayer(tt)
    layer.apply(city["feeds"]["full"])
    snap = layer.snapshot()
    trip = np.repeat(np.arange(tt.n_trips), np.diff(tt.pattern_stops_ptr)[tt.trip_pattern])
    delays = pd.DataFrame(
        {
            "trip_key": tt.trip_keys[trip].astype(str),
            "stop_sequence": tt.st_seq,
            "ad": snap.arr_delay,
            "dd": snap.dep_delay,
        }
    )
    st = city["day"].stop_times
    m = st.merge(delays, on=["trip_key", "stop_sequence"], how="left")
    st = st.assign(
        arrival_s=(m["arrival_s"] + m["ad"].fillna(0)).astype("int32").to_numpy(),
        departure_s=(m["departure_s"] + m["dd"].fillna(0)).astype("int32").to_numpy(),
    )
    return replace(city["day"], stop_times=st)


def test_plan_realtime_vs_recompiled(
    benchmark: Any,
    city: dict[str, Any],
    bench_rounds: Callable[[int], int],
    bench_smoke: bool,
) -> None:
    """Door-to-door plans (walk + transit, crow-fly streets), round by round on three
    networks so that a busy machine slows them alike: the static network; one compiled
    from scratch with the full-city message's delays; the static one with that message
    applied by the realtime layer. The aim compares the last two (the same times: the
    layer's patched layout and per-leg realtime facts against a rebuild); against the
    static network the delays themselves change the work (random delays on every trip
    give McRAPTOR more Pareto labels)."""
    import datetime as dt
    import zoneinfo

    from maasmix.engine.network import Network, compile_network

    static = Network(compile_network(city["day"], None))
    live = Network(static.compiled)
    live.apply_realtime(city["feeds"]["full"])
    nets = {
        "static": static,
        "recompiled": Network(compile_network(_recompiled_day(city), None)),
        "realtime": live,
    }
    tt = city["tt"]
    tz = zoneinfo.ZoneInfo(tt.timezone)
    midnight = dt.datetime.combine(tt.date, dt.time(), tz)

    def point(stop_id: str) -> tuple[float, float]:
        s = tt.stop_index(stop_id)
        return float(tt.stop_lat[s]), float(tt.stop_lon[s])

    points = [
        (point(q.origin), point(q.destination), midnight + dt.timedelta(seconds=q.departure_s))
        for q in city["queries"][: 3 if bench_smoke else N_PLAN]
    ]
    for net in nets.values():  # warm-up, reversed copies
        net.plan(*points[0], modes="WALK,TRANSIT", money=False)
    rounds: dict[str, list[float]] = {name: [] for name in nets}
    found: dict[str, int] = {}

    def run_all() -> None:
        for name, net in nets.items():
            started = time.process_time()
            found[name] = sum(
                bool(net.plan(o, d, when, modes="WALK,TRANSIT", money=False).itineraries)
                for o, d, when in points
            )
            rounds[name].append(time.process_time() - started)

    benchmark.pedantic(run_all, rounds=bench_rounds(5), iterations=1)
    median = {name: float(np.median(r)) * 1000 for name, r in rounds.items()}
    info = {f"plan_{name}_ms": round(v, 1) for name, v in median.items()}
    info["plan_realtime_over_recompiled"] = round(median["realtime"] / median["recompiled"], 3)
    info["plan_realtime_over_static"] = round(median["realtime"] / median["static"], 3)
    SUMMARY.update(info)
    benchmark.extra_info.update(info, plans=len(points))
    assert all(n == len(points) for n in found.values())
    print(f"\n{info}")
