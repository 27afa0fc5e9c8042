"""Bundle-design benchmarks: the 8 x 31 x 25, K = 3 case, a 10-point frontier, scaling.

Run with ``make bench``. Each case records the solver status and gap in
``benchmark.extra_info`` (a case that hits its time limit reports its gap).
"""

from __future__ import annotations

from typing import Any

import pytest

from pricing.frontier import frontier
from pricing.instance import compile_instance
from pricing.model import build_model, solve_model
from pricing.objectives import SolverOptions
from pricing.synthetic import synthetic_scenario

TIME_LIMIT_S = 60.0


def _solve(n_s: int, n_b: int, n_l: int, k: int, solver: str = "SCIP") -> Any:
    inst = compile_instance(synthetic_scenario(n_s, n_b, n_l, k))
    return solve_model(build_model(inst, solver=solver), time_limit_s=TIME_LIMIT_S)


def test_bench_8x31x25_k3(benchmark: Any) -> None:
    raw = benchmark.pedantic(_solve, args=(8, 31, 25, 3), rounds=1, iterations=1)
    benchmark.extra_info.update(status=raw.status, gap=raw.gap, objective=raw.objective)
    assert raw.menu is not None


def test_bench_frontier_10_points(benchmark: Any) -> None:
    scn = synthetic_scenario(4, 15, 10, 2)
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
    raw = benchmark.pedantic(_solve, args=(n_s, n_b, n_l, k), rounds=1, iterations=1)
    benchmark.extra_info.update(status=raw.status, gap=raw.gap)
    assert raw.menu is not None
