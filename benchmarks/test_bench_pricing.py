"""Bundle-design benchmarks: the 8 x 31 x 25, K = 3 case, a 10-point frontier, scaling.

Run with ``make bench``. The base case runs twice in the same session, by exhaustive menu
search (``ENUM``, proven optimal) and by the MIP with SCIP (stops at the time limit and
reports its gap), so their ratio is measured on the same machine load. Each case records
the solver, status and gap in ``benchmark.extra_info``.
"""

from __future__ import annotations

from typing import Any

import pytest

from maasmix.pricing.enumeration import enumerate_menus
from maasmix.pricing.frontier import frontier
from maasmix.pricing.instance import compile_instance
from maasmix.pricing.objectives import SolverOptions, solve_requirements
from maasmix.pricing.rows import Requirements
from maasmix.pricing.synthetic import synthetic_scenario

TIME_LIMIT_S = 60.0


@pytest.fixture(autouse=True, scope="module")
def _compiled_search() -> None:
    """Compile (or load) the search kernel before anything is timed."""
    enumerate_menus(compile_instance(synthetic_scenario(2, 4, 3, 2)))


def _solve(n_s: int, n_b: int, n_l: int, k: int, solver: str = "AUTO") -> Any:
    inst = compile_instance(synthetic_scenario(n_s, n_b, n_l, k))
    opts = SolverOptions(name=solver, time_limit_s=TIME_LIMIT_S)
    return solve_requirements(inst, "max_profit", Requirements(), opts).solve


def _record(benchmark: Any, info: Any) -> None:
    benchmark.extra_info.update(
        solver=info.solver, status=info.status, gap=info.gap, objective=info.objective_value
    )


@pytest.mark.parametrize("solver", ["ENUM", "SCIP"])
def test_bench_8x31x25_k3(benchmark: Any, solver: str) -> None:
    info = benchmark.pedantic(_solve, args=(8, 31, 25, 3, solver), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info.status in ("optimal", "feasible")


def test_bench_frontier_10_points_8x31x25_k3(benchmark: Any) -> None:
    scn = synthetic_scenario(8, 31, 25, 3)
    opts = SolverOptions(time_limit_s=TIME_LIMIT_S)
    front = benchmark.pedantic(
        lambda: frontier(scn, sweep="surplus", points=10, options=opts), rounds=1, iterations=1
    )
    benchmark.extra_info.update(
        statuses=[p.result.solve.status for p in front.points],
        gaps=[p.result.solve.gap for p in front.points],
    )
    assert len(front.points) == 10


@pytest.mark.parametrize(
    ("n_s", "n_b", "n_l", "k"),
    [
        (2, 31, 25, 3),
        (4, 31, 25, 3),
        (8, 8, 25, 3),
        (8, 16, 25, 3),
        (8, 31, 5, 3),
        (8, 31, 10, 3),
        (8, 31, 25, 1),
        (8, 31, 25, 2),
    ],
)
def test_bench_scaling(benchmark: Any, n_s: int, n_b: int, n_l: int, k: int) -> None:
    info = benchmark.pedantic(_solve, args=(n_s, n_b, n_l, k), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info.status in ("optimal", "feasible")
