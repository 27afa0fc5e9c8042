"""Bundle-design benchmarks: the exact branch and bound against the old methods.

Run with ``make bench``. Each case runs the new method (``BNB``, the branch and bound of
`pricing.solve.branch_bound`) and the methods it replaces (``ENUM``, the exhaustive search, and
the MIP with ``SCIP``) in the same session, so their ratio is measured under the same
machine load. Every case records solver, status, gap and objective in
``benchmark.extra_info``; a method that stops at its time limit is recorded as such.

Aims (issue 13): 8 x 31 x 25, K = 4 proven optimal under 10 s; the 10-point surplus
frontier at 8 x 31 x 25, K = 3 under 3 s; the 107-bundle city-scale set (8 segments x 3
latent classes, 25 prices, K = 4) proven under 60 s.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from maasmix.pricing.frontier import frontier
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.kernels import load_kernels
from maasmix.pricing.solve.objectives import SolverOptions, solve_requirements
from maasmix.pricing.solve.rows import Requirements
from maasmix.pricing.synthetic import city_scale_scenario, synthetic_scenario

TIME_LIMIT_S = 60.0
Rounds = Callable[[int], int]

#: the searches run on numba's threads and the frontier on worker threads: wall clock
pytestmark = pytest.mark.bench_timer("wall")


@pytest.fixture(autouse=True, scope="module")
def _compiled_kernels() -> None:
    """Compile (or load) the numba kernels before anything is timed."""
    load_kernels()


def _solve(inst: Any, solver: str, time_limit_s: float | None = None) -> Any:
    """Solve with the module's ``TIME_LIMIT_S`` read at call time (the smoke run cuts it)."""
    opts = SolverOptions(name=solver, time_limit_s=time_limit_s or TIME_LIMIT_S)
    return solve_requirements(inst, "max_profit", Requirements(), opts).solve


def _record(benchmark: Any, info: Any) -> None:
    benchmark.extra_info.update(
        load=os.getloadavg()[0],
        solver=info.solver,
        status=info.status,
        gap=info.gap,
        objective=info.objective_value,
        nodes=info.nodes,
        stopped=info.stopped,
    )


@pytest.mark.parametrize("solver", ["BNB", "ENUM", "SCIP"])
def test_bench_8x31x25_k3(benchmark: Any, solver: str) -> None:
    inst = compile_instance(synthetic_scenario(8, 31, 25, 3))
    info = benchmark.pedantic(_solve, args=(inst, solver), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info.status in ("optimal", "feasible")


@pytest.mark.parametrize("solver", ["BNB", "ENUM", "SCIP"])
def test_bench_8x31x25_k4(benchmark: Any, solver: str, bench_rounds: Rounds) -> None:
    """12.4 billion menus: the exhaustive search and SCIP stop at their limit."""
    inst = compile_instance(synthetic_scenario(8, 31, 25, 4))
    info = benchmark.pedantic(_solve, args=(inst, solver), rounds=bench_rounds(1), iterations=1)
    _record(benchmark, info)
    assert info.status in ("optimal", "feasible")
    if solver == "BNB":
        assert info.status == "optimal"


@pytest.mark.parametrize(
    ("solver", "workers", "sweep"),
    [
        ("BNB", 2, "surplus"),
        ("BNB", 1, "surplus"),
        ("ENUM", 1, "surplus"),
        ("BNB", 2, "subsidy"),
        ("BNB", 1, "subsidy"),
    ],
)
def test_bench_frontier_10_points_8x31x25_k3(
    benchmark: Any, solver: str, workers: int, sweep: str, bench_smoke: bool, bench_rounds: Rounds
) -> None:
    """``workers``: points solved at once in threads (1: one after the other, each search
    on numba's threads, as before points ran in parallel)."""
    if bench_smoke and (solver, workers, sweep) != ("BNB", 2, "surplus"):
        pytest.skip("smoke run: one frontier (the quick set's) covers the path")
    scn = synthetic_scenario(8, 31, 25, 3)
    opts = SolverOptions(name=solver, time_limit_s=TIME_LIMIT_S)
    front = benchmark.pedantic(
        lambda: frontier(scn, sweep=sweep, points=10, options=opts, workers=workers),
        rounds=bench_rounds(1),
        iterations=1,
    )
    benchmark.extra_info.update(
        load=os.getloadavg()[0],
        statuses=[p.result.solve.status for p in front.points],
        gaps=[p.result.solve.gap for p in front.points],
        profits=[p.result.profit_minor for p in front.points],
        distinct=len(front.distinct()),
    )
    assert len(front.points) == 10
    if solver == "BNB" and not bench_smoke:  # the smoke run's 3 s limit may stop a point
        assert all(p.result.solve.status == "optimal" for p in front.points)


@pytest.mark.parametrize("k", [3, 4])
def test_bench_city_scale_107_bundles(benchmark: Any, k: int) -> None:
    """107 generated bundles x 25 prices, 8 segments x 3 latent classes (24 classes)."""
    inst = compile_instance(city_scale_scenario(menu_size=k))
    info = benchmark.pedantic(_solve, args=(inst, "BNB"), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info.status in ("optimal", "feasible")


@pytest.mark.parametrize(
    ("n_s", "n_b", "n_l", "k"),
    [
        (8, 31, 25, 1),
        (8, 31, 25, 2),
        (8, 31, 25, 5),
        (8, 31, 25, 6),
        (8, 8, 25, 4),
        (8, 16, 25, 4),
        (8, 63, 25, 4),
        (8, 31, 10, 4),
    ],
)
def test_bench_scaling(benchmark: Any, n_s: int, n_b: int, n_l: int, k: int) -> None:
    inst = compile_instance(synthetic_scenario(n_s, n_b, n_l, k))
    info = benchmark.pedantic(_solve, args=(inst, "AUTO"), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info.status in ("optimal", "feasible")
