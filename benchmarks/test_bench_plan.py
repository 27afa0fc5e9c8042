"""Door-to-door planning (`maasmix.engine.Network.plan`) on Helsinki: GTFS + OSM + city bikes.

- building the `Network` (compile with the disk cache off, then a cache hit);
- 100 random coordinate pairs (seeded, inside the bounding box of the served stops),
  depart-at 08:00 and arrive-by 09:00, every mode the network has; median and p90 per
  plan in ``extra_info``, with the built network's size in bytes.

The planner is young and moving; when its interface changes under this suite, the suite
fails at set-up and the smoke run in CI says so.
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

from benchmarks.workloads import SEED, SMOKE_QUERIES

Rounds = Callable[[int], int]
N_PLANS = 100
DATE = "20220222"


def _inputs(dataset: Callable[..., Path]) -> dict[str, Any]:
    return {
        "gtfs": dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
        "osm": dataset("osm-helsinki", "Helsinki.osm.pbf"),
        "gbfs": [dataset("gbfs-helsinki-hsl")],
        "date": DATE,
    }


@pytest.fixture(scope="module")
def network(
    dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory, bench_smoke: bool
) -> dict[str, Any]:
    from maasmix.engine.network import Network

    cache = tmp_path_factory.mktemp("network-cache")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = Network.from_files(**_inputs(dataset), cache_dir=cache)
    # origins and destinations: random nodes of the walking graph (the OSM extract is
    # the centre of the GTFS area), seeded
    walk = net.compiled.walk
    rng = np.random.default_rng(SEED)
    n = SMOKE_QUERIES if bench_smoke else N_PLANS
    picks = rng.choice(walk.n_nodes, size=(n, 2), replace=True)
    pairs = [
        (
            (float(walk.lat[a]), float(walk.lon[a])),
            (float(walk.lat[b]), float(walk.lon[b])),
        )
        for a, b in picks
    ]
    net.plan(pairs[0][0], pairs[0][1], "2022-02-22T08:00:00")  # numba warm-up
    return {"net": net, "pairs": pairs, "cache": cache}


def test_network_build_no_cache(
    benchmark: Any, dataset: Callable[..., Path], bench_rounds: Rounds
) -> None:
    from maasmix.engine.network import Network

    def build() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Network.from_files(**_inputs(dataset), use_cache=False)

    net = benchmark.pedantic(build, rounds=bench_rounds(3), iterations=1)
    benchmark.extra_info["network_mib"] = round(net.nbytes / 2**20, 1)


def test_network_cache_hit(
    benchmark: Any, dataset: Callable[..., Path], network: dict[str, Any], bench_rounds: Rounds
) -> None:
    from maasmix.engine.network import Network

    def load() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Network.from_files(**_inputs(dataset), cache_dir=network["cache"])

    benchmark.pedantic(load, rounds=bench_rounds(5), iterations=1)


def _plans(benchmark: Any, network: dict[str, Any], rounds: int, **kwargs: Any) -> None:
    net = network["net"]
    times: list[float] = []
    found: list[int] = []

    def run_all() -> None:
        times.clear()
        found.clear()
        for o, d in network["pairs"]:
            started = time.perf_counter()
            answer = net.plan(o, d, **kwargs)
            times.append(time.perf_counter() - started)
            found.append(len(answer.itineraries))

    benchmark.pedantic(run_all, rounds=rounds, iterations=1)
    ms = np.asarray(times) * 1000
    benchmark.extra_info.update(
        median_ms=round(float(np.median(ms)), 3),
        p90_ms=round(float(np.percentile(ms, 90)), 3),
        plans=len(times),
        with_itineraries=sum(f > 0 for f in found),
    )
    assert sum(f > 0 for f in found) > len(found) // 2


def test_plan_depart_at(benchmark: Any, network: dict[str, Any], bench_rounds: Rounds) -> None:
    _plans(benchmark, network, bench_rounds(3), when=dt.datetime(2022, 2, 22, 8, 0))


def test_plan_arrive_by(benchmark: Any, network: dict[str, Any], bench_rounds: Rounds) -> None:
    _plans(benchmark, network, bench_rounds(3), when=dt.datetime(2022, 2, 22, 9, 0), arrive_by=True)
