"""Door-to-door planning benchmarks: 100 random coordinate pairs, all modes on.

Run (figures print with ``-s``; medians/p90 also land in the saved JSON's extra_info)::

    .venv/bin/pytest benchmarks/test_bench_plan_cities.py --benchmark-enable -s -p no:randomly

Networks:

- ``helsinki``: HSL GTFS (one day) + the Helsinki OSM extract (walk and bike graphs) +
  HSL city bikes (docked); pairs drawn inside the OSM extract;
- ``bay``: BART + Caltrain + Bay Wheels (496 docks and 720 free-floating bikes), streets
  crow-fly; pairs drawn in San Francisco and Oakland.

Measured per network: the build (compile, no cache) and the bytes of the built
`Network`'s arrays; median, p90 and p95 latency of `Network.plan` for 100 pairs,
depart-at and arrive-by, at random times between 07:00 and 19:00 (the aim: median
< 20 ms, p90 < 50 ms).
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

N_PAIRS = 100
SUMMARY: dict[str, dict[str, Any]] = {}

NETWORKS: dict[str, dict[str, Any]] = {
    "helsinki": {
        "gtfs": [("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")],
        "osm": ("osm-helsinki", "Helsinki.osm.pbf"),
        "gbfs": [("gbfs-helsinki-hsl",)],
        "date": dt.date(2022, 2, 22),
        "box": (24.9360, 60.1650, 24.9525, 60.1785),
    },
    "bay": {
        "gtfs": [("gtfs-bay-area", "bart.zip"), ("gtfs-bay-area", "caltrain.zip")],
        "osm": None,
        "gbfs": [("gbfs-bay-area-baywheels",)],
        "date": dt.date(2019, 3, 5),
        "box": (-122.46, 37.74, -122.25, 37.83),
    },
}


def _stats(times_s: list[float]) -> dict[str, float]:
    ms = np.asarray(times_s) * 1000.0
    return {
        "median_ms": float(np.median(ms)),
        "p90_ms": float(np.percentile(ms, 90)),
        "p95_ms": float(np.percentile(ms, 95)),
    }


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def network(
    request: pytest.FixtureRequest,
    dataset: Callable[..., Path],
    tmp_path_factory: pytest.TempPathFactory,
    bench_smoke: bool,
) -> dict[str, Any]:
    from maasmix.engine.network import Network
    from maasmix.errors import FeedWarning

    spec = NETWORKS[request.param]
    gtfs = [dataset(*p) for p in spec["gtfs"]]
    osm = dataset(*spec["osm"]) if spec["osm"] else None
    gbfs = [dataset(*p) for p in spec["gbfs"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        started = time.perf_counter()
        net = Network.from_files(gtfs=gtfs, osm=osm, gbfs=gbfs, date=spec["date"], use_cache=False)
        build_s = time.perf_counter() - started
    west, south, east, north = spec["box"]
    rng = np.random.default_rng(2026)
    n = 10 if bench_smoke else N_PAIRS
    pairs = []
    for _ in range(n):
        o = (float(rng.uniform(south, north)), float(rng.uniform(west, east)))
        d = (float(rng.uniform(south, north)), float(rng.uniform(west, east)))
        minute = int(rng.integers(7 * 60, 19 * 60))
        when = dt.datetime.combine(spec["date"], dt.time(minute // 60, minute % 60))
        pairs.append((o, d, when))
    net.plan(*pairs[0])  # numba warm-up
    net.plan(*pairs[0], arrive_by=True)
    info = SUMMARY.setdefault(request.param, {})
    info.update(
        {
            "build_s": round(build_s, 2),
            "network_mib": round(net.nbytes / 2**20, 2),
            "stops": int(net.compiled.served.sum()),
            "trips": net.compiled.timetable.n_trips,
            "walk_nodes": net.compiled.walk.n_nodes if net.compiled.walk else 0,
            "gbfs_stations": sum(len(r.station_ids) for r in net.rentals),
            "gbfs_free_vehicles": sum(len(r.vehicle_ids) for r in net.rentals),
        }
    )
    return {"name": request.param, "net": net, "pairs": pairs, "info": info}


def _timed(benchmark: Any, network: dict[str, Any], key: str, rounds: int, arrive_by: bool) -> None:
    net = network["net"]
    times: list[float] = []
    found: list[int] = []

    def run_all() -> None:
        times.clear()
        found.clear()
        for o, d, when in network["pairs"]:
            started = time.perf_counter()
            plan = net.plan(o, d, when, arrive_by=arrive_by)
            times.append(time.perf_counter() - started)
            found.append(len(plan.itineraries))

    benchmark.pedantic(run_all, rounds=rounds, iterations=1)
    stats = _stats(times)
    network["info"].update({f"{key}_{k}": round(v, 2) for k, v in stats.items()})
    network["info"][f"{key}_with_itineraries"] = int(sum(f > 0 for f in found))
    benchmark.extra_info.update(stats, pairs=len(times), **network["info"])
    assert sum(f > 0 for f in found) > len(found) // 2


def test_plan_depart_at(
    benchmark: Any, network: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    _timed(benchmark, network, "depart_at", bench_rounds(3), False)


def test_plan_arrive_by(
    benchmark: Any, network: dict[str, Any], bench_rounds: Callable[[int], int]
) -> None:
    _timed(benchmark, network, "arrive_by", bench_rounds(3), True)


def test_zz_print_summary() -> None:
    """Print the figures per network (run with ``-s`` to see them)."""
    print("\ndoor-to-door planning benchmark summary")
    for name, info in SUMMARY.items():
        print(f"  {name}:")
        for key, value in info.items():
            print(f"    {key:32s} {value}")
