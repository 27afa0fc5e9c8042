"""The cost of money: door-to-door planning with fares and a bundle against without.

Run (figures print with ``-s``; the ratio also lands in the saved JSON's extra_info)::

    .venv/bin/pytest benchmarks/test_bench_plan_money.py --benchmark-enable -s -p no:randomly

The same networks and the same 100 pairs per network as
``benchmarks/test_bench_plan_cities.py`` (seed 2026, times between 07:00 and 19:00,
depart-at, all modes). For each pair three plans are timed back to back, so the
machine's load hits all three alike:

- ``bare``: `maasmix.engine.planner.plan` on the network, nothing priced;
- ``priced``: `Network.plan` without a bundle (every returned itinerary priced, CO2e);
- ``bundle``: `Network.plan` with a bundle (fares of every candidate, Pareto over
  arrival, out-of-pocket cost and transfers, the bundle applied): 50 % off transit and
  30 free minutes per bike ride.

Reported: median and p90 per variant and the ratio of the sums, bundle / bare (the aim:
< 1.5) and priced / bare. HSL fares are read with ``fare_contains="subset"``.
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

from benchmarks.test_bench_plan_cities import N_PAIRS, NETWORKS

SUMMARY: dict[str, dict[str, Any]] = {}
FARE_CONTAINS = {"helsinki": "subset", "bay": "exact"}


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def network(
    request: pytest.FixtureRequest, dataset: Callable[..., Path], bench_smoke: bool
) -> dict[str, Any]:
    from maasmix.engine.network import Network
    from maasmix.errors import FeedWarning

    spec = NETWORKS[request.param]
    gtfs = [dataset(*p) for p in spec["gtfs"]]
    osm = dataset(*spec["osm"]) if spec["osm"] else None
    gbfs = [dataset(*p) for p in spec["gbfs"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = Network.from_files(
            gtfs=gtfs,
            osm=osm,
            gbfs=gbfs,
            date=spec["date"],
            use_cache=False,
            fare_contains=FARE_CONTAINS[request.param],
        )
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
    return {"name": request.param, "net": net, "pairs": pairs}


def test_plan_money_cost(
    benchmark: Any,
    network: dict[str, Any],
    bench_rounds: Callable[[int], int],
    bench_smoke: bool,
) -> None:
    from maasmix.engine.bundle_prices import TravellerBundle
    from maasmix.engine.planner import plan as bare_plan

    net = network["net"]
    bundle = TravellerBundle(
        name="bench", discount_percent={"transit": 50}, free_minutes_per_ride={"bicycle": 30}
    )
    o, d, when = network["pairs"][0]
    bare_plan(net, o, d, when)  # numba warm-up, trip index, pricing plans
    net.plan(o, d, when, bundle=bundle)
    times: dict[str, list[float]] = {"bare": [], "priced": [], "bundle": []}
    priced_itineraries: list[int] = []

    def run_all() -> None:
        for v in times.values():
            v.clear()
        priced_itineraries.clear()
        for o, d, when in network["pairs"]:
            t0 = time.perf_counter()
            bare_plan(net, o, d, when)
            t1 = time.perf_counter()
            net.plan(o, d, when)
            t2 = time.perf_counter()
            got = net.plan(o, d, when, bundle=bundle)
            t3 = time.perf_counter()
            times["bare"].append(t1 - t0)
            times["priced"].append(t2 - t1)
            times["bundle"].append(t3 - t2)
            priced_itineraries.append(sum(1 for m in got.money if m.totals))

    benchmark.pedantic(run_all, rounds=bench_rounds(3), iterations=1)
    info: dict[str, Any] = {"pairs": len(times["bare"])}
    for key, values in times.items():
        ms = np.asarray(values) * 1000.0
        info[f"{key}_median_ms"] = round(float(np.median(ms)), 2)
        info[f"{key}_p90_ms"] = round(float(np.percentile(ms, 90)), 2)
    info["ratio_bundle_to_bare"] = round(sum(times["bundle"]) / sum(times["bare"]), 3)
    info["ratio_priced_to_bare"] = round(sum(times["priced"]) / sum(times["bare"]), 3)
    info["plans_with_a_fare"] = int(sum(n > 0 for n in priced_itineraries))
    info["check"] = False  # three plans per pair: a ratio, not a latency to regress on
    SUMMARY[network["name"]] = info
    benchmark.extra_info.update(info)
    assert bench_smoke or info["plans_with_a_fare"] > 0


def test_zz_print_summary() -> None:
    """Print the figures per network (run with ``-s`` to see them)."""
    print("\nplanning with money: cost against planning without")
    for name, info in SUMMARY.items():
        print(f"  {name}:")
        for key, value in info.items():
            print(f"    {key:28s} {value}")
