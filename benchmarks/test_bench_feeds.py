"""Load time and peak memory of the biggest shared inputs, cold and from the disk cache.

Run with ``make bench`` (or ``pytest benchmarks/test_bench_feeds.py --benchmark-enable``).
Peak Python-heap memory (tracemalloc) of one load is stored in each benchmark's
``extra_info["peak_mib"]``; the cold/cached ratio is the figure to watch, since absolute
times depend on the (shared, noisy) machine.
"""

from __future__ import annotations

import datetime as dt
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from maasmix.feeds.gbfs import load_gbfs, load_gbfs_cached
from maasmix.feeds.gtfs import load_gtfs, load_service_day

MILAN_DATE = dt.date(2014, 10, 21)


def _peak_mib(load: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        load()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.fixture
def milan(dataset: Any) -> Path:
    path: Path = dataset("gtfs-milan", "milano_small_gtfs.zip")
    return path


@pytest.fixture
def baywheels(dataset: Any) -> Path:
    path: Path = dataset("gbfs-bay-area-baywheels")
    return path


def test_milan_service_day_cold(benchmark: Any, milan: Path) -> None:
    def load() -> Any:
        return load_gtfs(milan).service_day(MILAN_DATE)

    benchmark.extra_info["peak_mib"] = _peak_mib(load)
    day = benchmark.pedantic(load, rounds=3, iterations=1)
    assert len(day.stop_times) > 0


def test_milan_service_day_cached(benchmark: Any, milan: Path, tmp_path: Path) -> None:
    def load() -> Any:
        return load_service_day(milan, MILAN_DATE, cache_dir=tmp_path)

    load()  # fill the cache
    benchmark.extra_info["peak_mib"] = _peak_mib(load)
    day = benchmark.pedantic(load, rounds=10, iterations=1)
    assert len(day.stop_times) > 0


def test_baywheels_cold(benchmark: Any, baywheels: Path) -> None:
    def load() -> Any:
        return load_gbfs(baywheels)

    benchmark.extra_info["peak_mib"] = _peak_mib(load)
    snap = benchmark.pedantic(load, rounds=5, iterations=1)
    assert len(snap.stations) == 496


def test_baywheels_cached(benchmark: Any, baywheels: Path, tmp_path: Path) -> None:
    def load() -> Any:
        return load_gbfs_cached(baywheels, cache_dir=tmp_path)

    load()
    benchmark.extra_info["peak_mib"] = _peak_mib(load)
    snap = benchmark.pedantic(load, rounds=20, iterations=1)
    assert len(snap.stations) == 496


def test_milan_osm_cold(benchmark: Any, dataset: Any) -> None:
    from maasmix.feeds.osm import load_osm

    path = dataset("osm-milan", "milan_italy_small.osm.pbf")
    net = benchmark.pedantic(lambda: load_osm(path), rounds=2, iterations=1)
    assert len(net.walk.edges) > 0
