"""Feed loading and the compiled disk cache: cold reads against cache hits.

Run with ``make bench`` (or ``pytest benchmarks/test_bench_feeds.py --benchmark-enable``).

- GTFS: one service day of Milan (the largest feed here) and Helsinki, read from the zip
  (cold) and from the disk cache (``load_service_day``);
- the compiled timetable: ``TransitRouter.from_gtfs`` compiling from the zip with the
  cache off, and loading the cached compiled arrays;
- GBFS: Bay Wheels (496 stations, 720 free bikes), cold and cached;
- OSM: the Milan and Helsinki extracts into walking and cycling graphs.

Besides the harness's peak RSS, ``extra_info["peak_mib"]`` has the tracemalloc peak of one
extra load (Python heap, numpy buffers included). The cold/cached ratio is the figure to
watch; `benchmarks.check` compares each against its baseline.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from maasmix.errors import FeedWarning
from maasmix.feeds.gbfs import load_gbfs, load_gbfs_cached
from maasmix.feeds.gtfs import load_gtfs, load_service_day

GTFS = {
    "milan": ("gtfs-milan", "milano_small_gtfs.zip", dt.date(2014, 10, 21)),
    "helsinki": ("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip", dt.date(2022, 2, 22)),
}
OSM = {
    "milan": ("osm-milan", "milan_italy_small.osm.pbf"),
    "helsinki": ("osm-helsinki", "Helsinki.osm.pbf"),
}
Rounds = Callable[[int], int]
Peak = Callable[[Callable[[], Any]], float]


@pytest.fixture(params=sorted(GTFS))
def gtfs(request: pytest.FixtureRequest, dataset: Any) -> tuple[Path, dt.date]:
    folder, name, date = GTFS[request.param]
    path: Path = dataset(folder, name)
    return path, date


@pytest.fixture
def baywheels(dataset: Any) -> Path:
    path: Path = dataset("gbfs-bay-area-baywheels")
    return path


def test_service_day_cold(
    benchmark: Any, gtfs: tuple[Path, dt.date], bench_rounds: Rounds, peak_python_mib: Peak
) -> None:
    path, date = gtfs

    def load() -> Any:
        return load_gtfs(path).service_day(date)

    benchmark.extra_info["peak_mib"] = peak_python_mib(load)
    day = benchmark.pedantic(load, rounds=bench_rounds(3), iterations=1)
    benchmark.extra_info["stop_times"] = len(day.stop_times)
    assert len(day.stop_times) > 0


def test_service_day_cached(
    benchmark: Any,
    gtfs: tuple[Path, dt.date],
    tmp_path: Path,
    bench_rounds: Rounds,
    peak_python_mib: Peak,
) -> None:
    path, date = gtfs

    def load() -> Any:
        return load_service_day(path, date, cache_dir=tmp_path)

    load()  # fill the cache
    benchmark.extra_info["peak_mib"] = peak_python_mib(load)
    day = benchmark.pedantic(load, rounds=bench_rounds(11), iterations=1)
    assert len(day.stop_times) > 0


def test_router_compile_no_cache(
    benchmark: Any, gtfs: tuple[Path, dt.date], bench_rounds: Rounds
) -> None:
    from maasmix.engine import TransitRouter

    path, date = gtfs
    router = benchmark.pedantic(
        lambda: TransitRouter.from_gtfs(path, date, use_cache=False),
        rounds=bench_rounds(3),
        iterations=1,
    )
    benchmark.extra_info["stop_times"] = router.timetable.n_stop_times
    assert router.timetable.n_stop_times > 0


def test_router_compiled_cache_hit(
    benchmark: Any, gtfs: tuple[Path, dt.date], tmp_path: Path, bench_rounds: Rounds
) -> None:
    from maasmix.engine import TransitRouter

    path, date = gtfs
    TransitRouter.from_gtfs(path, date, cache_dir=tmp_path)  # fill the cache
    router = benchmark.pedantic(
        lambda: TransitRouter.from_gtfs(path, date, cache_dir=tmp_path),
        rounds=bench_rounds(11),
        iterations=1,
    )
    assert router.timetable.n_stop_times > 0


def test_baywheels_cold(
    benchmark: Any, baywheels: Path, bench_rounds: Rounds, peak_python_mib: Peak
) -> None:
    benchmark.extra_info["peak_mib"] = peak_python_mib(lambda: load_gbfs(baywheels))
    snap = benchmark.pedantic(lambda: load_gbfs(baywheels), rounds=bench_rounds(9), iterations=1)
    assert len(snap.stations) == 496


def test_baywheels_cached(
    benchmark: Any, baywheels: Path, tmp_path: Path, bench_rounds: Rounds, peak_python_mib: Peak
) -> None:
    def load() -> Any:
        return load_gbfs_cached(baywheels, cache_dir=tmp_path)

    load()
    benchmark.extra_info["peak_mib"] = peak_python_mib(load)
    snap = benchmark.pedantic(load, rounds=bench_rounds(21), iterations=1)
    assert len(snap.stations) == 496


@pytest.mark.parametrize("city", sorted(OSM))
def test_osm_cold(benchmark: Any, dataset: Any, city: str, bench_rounds: Rounds) -> None:
    from maasmix.feeds.osm import load_osm

    path = dataset(*OSM[city])

    def load() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FeedWarning)
            return load_osm(path)

    net = benchmark.pedantic(load, rounds=bench_rounds(3), iterations=1)
    benchmark.extra_info.update(walk_nodes=len(net.walk.nodes), bike_nodes=len(net.bike.nodes))
    assert len(net.walk.edges) > 0
