"""Scaling curves: time and peak memory of the main operations against their input size.

Each benchmark records ``extra_info["scaling"]`` (the curve), ``["x"]`` (the input size),
``["x_label"]`` and ``["peak_alloc_mib"]`` (tracemalloc peak of one extra call: what the
operation allocates, numpy buffers included; RSS growth says little here, since freed
memory of the earlier sizes is reused);
``python -m benchmarks.report scaling RUN.json reports/scaling.png`` plots them from a
stored run (``make bench`` does). Inputs:

- **stop times** (synthetic grid timetables, `benchmarks.synthetic.service_day`, 50k to
  5 million stop times; the real feeds stop at 226k): compiling the timetable, 20
  point-to-point queries, 20 one-to-all queries;
- **street nodes** (synthetic OSM grids, `benchmarks.synthetic.write_grid_osm`, 2.5k to
  160k nodes): reading the extract into walk and bike graphs, and 10 one-to-all street
  searches on the compiled walking graph;
- **origins in a matrix** (Helsinki, 1 to 1,000 origins): one-to-all earliest arrivals
  from each origin (a travel-time matrix to every stop).

Bundle-design scaling (segments, bundles, price levels, menu size) is in
``test_bench_pricing.py::test_bench_scaling`` and ``benchmarks/pricing_scaling.py``.
The smoke run keeps the smallest size of each curve.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import synthetic
from benchmarks.workloads import FEEDS, SEED, transit_queries

STOP_TIMES = [50_000, 200_000, 1_000_000, 5_000_000]
GRID_SIDES = [50, 100, 200, 400]
ORIGINS = [1, 10, 100, 1000]
N_QUERIES = 20
_DAYS: dict[int, Any] = {}
_TIMETABLES: dict[int, Any] = {}


def _sizes(values: list[int], smoke: bool) -> list[int]:
    return values[:1] if smoke else values


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from benchmarks.conftest import _is_smoke

    smoke = _is_smoke(metafunc.config)
    for name, values in (("stop_times", STOP_TIMES), ("side", GRID_SIDES), ("origins", ORIGINS)):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, _sizes(values, smoke))


def _day(n: int) -> Any:
    if n not in _DAYS:
        _DAYS.clear()  # keep one size in memory at a time
        _TIMETABLES.clear()
        _DAYS[n] = synthetic.service_day(n)
    return _DAYS[n]


def _timetable(n: int) -> Any:
    from maasmix.engine import compile_timetable

    if n not in _TIMETABLES:
        _TIMETABLES[n] = compile_timetable(_day(n))
    return _TIMETABLES[n]


def _curve(
    benchmark: Any, curve: str, x: int, label: str, rounds: int, work: Callable[[], Any]
) -> None:
    """Label the benchmark as a point of a curve; memory: tracemalloc peak of one call
    of ``work`` (outside the timing: tracing slows Python code down)."""
    from benchmarks.conftest import _peak_python

    benchmark.extra_info.update(scaling=curve, x=x, x_label=label)
    benchmark.extra_info["peak_alloc_mib"] = _peak_python(work)
    if rounds == 1:
        benchmark.extra_info["check"] = False  # one round is a figure, not a check


def test_scaling_compile(benchmark: Any, stop_times: int) -> None:
    from maasmix.engine import compile_timetable

    day = _day(stop_times)
    rounds = 1 if stop_times >= 5_000_000 else 3 if stop_times >= 1_000_000 else 7
    _curve(
        benchmark,
        "compile timetable",
        len(day.stop_times),
        "stop times",
        rounds,
        lambda: compile_timetable(day),
    )
    tt = benchmark.pedantic(compile_timetable, args=(day,), rounds=rounds, iterations=1)
    _TIMETABLES[stop_times] = tt
    benchmark.extra_info.update(
        timetable_mib=round(tt.nbytes / 2**20, 1), stops=tt.n_stops, trips=tt.n_trips
    )


def _queries(stop_times: int) -> tuple[Any, list[Any]]:
    from maasmix.engine import TransitRouter

    tt = _timetable(stop_times)
    router = TransitRouter(tt)
    queries = transit_queries(tt, N_QUERIES)
    q = queries[0]
    router.journeys(q.origin, q.destination, q.departure_s)
    return router, queries


def test_scaling_point_to_point(benchmark: Any, stop_times: int) -> None:
    router, queries = _queries(stop_times)

    def work() -> Any:
        return [router.journeys(q.origin, q.destination, q.departure_s) for q in queries]

    _curve(benchmark, "20 point-to-point queries", stop_times, "stop times", 5, work)
    benchmark.pedantic(work, rounds=5, iterations=1)


def test_scaling_one_to_all(benchmark: Any, stop_times: int) -> None:
    router, queries = _queries(stop_times)

    def work() -> Any:
        return [router.earliest_arrival_array(q.origin, q.departure_s) for q in queries]

    _curve(benchmark, "20 one-to-all queries", stop_times, "stop times", 5, work)
    benchmark.pedantic(work, rounds=5, iterations=1)


@pytest.fixture(scope="module")
def grids(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    folder = tmp_path_factory.mktemp("grids")
    made: dict[int, Path] = {}

    def get(side: int) -> Path:
        if side not in made:
            made[side] = synthetic.write_grid_osm(folder / f"grid{side}.osm.pbf", side)
        return made[side]

    return get


def _load(path: Path) -> Any:
    from maasmix.errors import FeedWarning
    from maasmix.feeds.osm import load_osm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return load_osm(path)


def test_scaling_osm_load(benchmark: Any, side: int, grids: Callable[[int], Path]) -> None:
    path = grids(side)
    _curve(
        benchmark,
        "read OSM into street graphs",
        side * side,
        "OSM nodes (grid)",
        5,
        lambda: _load(path),
    )
    net = benchmark.pedantic(_load, args=(path,), rounds=5, iterations=1)
    benchmark.extra_info.update(walk_nodes=len(net.walk.nodes), walk_edges=len(net.walk.edges))


def test_scaling_street_search(benchmark: Any, side: int, grids: Callable[[int], Path]) -> None:
    from maasmix.engine.streets import compile_streets

    walk = compile_streets(_load(grids(side)).walk, "walk")
    sources = np.random.default_rng(SEED).integers(0, walk.n_nodes, size=10)
    cost = walk.edge_cost(1.33)
    walk.search([int(sources[0])], [0.0], np.inf, cost)  # numba warm-up

    def work() -> Any:
        return [walk.search([int(s)], [0.0], np.inf, cost) for s in sources]

    _curve(benchmark, "10 one-to-all street searches", walk.n_nodes, "street nodes (walk)", 5, work)
    benchmark.pedantic(work, rounds=5, iterations=1)


@pytest.fixture(scope="module")
def helsinki(dataset: Callable[..., Path]) -> Any:
    from maasmix.engine import TransitRouter

    folder, name, date, _ = FEEDS["helsinki"]
    return TransitRouter.from_gtfs(dataset(folder, name), date, use_cache=False)


def test_scaling_matrix_origins(benchmark: Any, origins: int, helsinki: Any) -> None:
    queries = transit_queries(helsinki.timetable, origins, seed=SEED + 1)
    helsinki.earliest_arrival_array(queries[0].origin, 8 * 3600)

    def matrix() -> Any:
        return np.stack([helsinki.earliest_arrival_array(q.origin, 8 * 3600) for q in queries])

    rounds = 5 if origins >= 1000 else 9
    _curve(benchmark, "travel-time matrix (Helsinki)", origins, "origins", rounds, matrix)
    result = benchmark.pedantic(matrix, rounds=rounds, iterations=1)
    assert result.shape[0] == origins
    benchmark.extra_info["matrix_shape"] = list(result.shape)
