"""The branch and bound equals the exhaustive search; limits, stops and bounds are honest."""

from __future__ import annotations

import numpy as np
import pytest

from maasmix.pricing.scenario import validate_scenario
from maasmix.pricing.solve.branch_bound import branch_and_bound
from maasmix.pricing.solve.enumeration import enumerate_menus
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.menus import SearchProgress
from maasmix.pricing.solve.rows import Requirements
from maasmix.pricing.synthetic import synthetic_scenario
from tests.pricing._scenarios import random_small


def _random(seed: int) -> tuple[object, list[tuple[str, Requirements]]]:
    rng = np.random.default_rng(seed)
    data = random_small(
        seed,
        n_segments=int(rng.integers(1, 3)),
        n_bundles=int(rng.integers(2, 5)),
        n_levels=int(rng.integers(2, 6)),
        menu_size=int(rng.integers(1, 5)),
        floors=bool(rng.integers(0, 2)),
        budget=float(rng.choice([500.0, 3000.0])) if rng.random() < 0.4 else None,
        offer=bool(rng.integers(0, 2)),
    )
    if rng.random() < 0.5:  # latent classes
        data["segments"]["s0"]["classes"] = [
            {"name": "a", "weight": 0.4, "price_sensitivity": 0.04},
            {"name": "b", "weight": 0.6, "price_sensitivity": 0.16},
        ]
    if rng.random() < 0.4:
        data["policy"]["surplus_floors"] = {"s0": float(rng.uniform(0, 2))}
    inst = compile_instance(validate_scenario(data))
    n = inst.total_size
    return inst, [
        ("max_profit", Requirements()),
        ("max_profit", Requirements(min_uptake=0.1 * n)),
        ("max_profit", Requirements(max_subsidy=0.5 * n)),
        ("max_profit", Requirements(min_surplus=0.5 * n)),
        ("min_subsidy", Requirements(min_uptake=0.05 * n, min_profit=0.0)),
        ("max_surplus", Requirements(min_profit=0.0)),
        ("feasibility", Requirements(min_uptake=0.2 * n)),
    ]


@pytest.mark.parametrize("seed", range(12))
def test_equals_the_exhaustive_search_on_random_cases(seed: int) -> None:
    inst, cases = _random(seed)
    for kind, req in cases:
        exact = enumerate_menus(inst, req, kind)  # type: ignore[arg-type]
        found = branch_and_bound(inst, req, kind)  # type: ignore[arg-type]
        assert found.status == exact.status, (kind, req)
        if kind != "feasibility" and exact.objective is not None:
            assert found.objective == pytest.approx(exact.objective, rel=1e-9, abs=1e-6)
            assert found.gap == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(12, 60))
def test_equals_the_exhaustive_search_on_many_random_cases(seed: int) -> None:
    test_equals_the_exhaustive_search_on_random_cases(seed)


@pytest.mark.parametrize(
    ("args", "kw"),
    [((4, 12, 8, 4), {"classes_per_segment": 3}), ((6, 31, 6, 3), {"operator_floor": "payg"})],
)
def test_equals_the_exhaustive_search_on_synthetic_cases(
    args: tuple[int, int, int, int], kw: dict[str, object]
) -> None:
    inst = compile_instance(synthetic_scenario(*args, **kw))  # type: ignore[arg-type]
    n = inst.total_size
    for kind, req in [
        ("max_profit", Requirements()),
        ("max_profit", Requirements(min_surplus=3000 * n)),
        ("max_surplus", Requirements(min_profit=0.0)),
    ]:
        exact = enumerate_menus(inst, req, kind)
        found = branch_and_bound(inst, req, kind)
        assert found.status == exact.status == "optimal" or found.status == exact.status
        if exact.objective is not None:
            assert found.objective == pytest.approx(exact.objective, rel=1e-9)


def test_time_limit_gives_a_feasible_menu_and_a_valid_bound() -> None:
    inst = compile_instance(synthetic_scenario(8, 31, 25, 3))
    seen: list[SearchProgress] = []
    stopped = branch_and_bound(inst, time_limit_s=0.0, progress=seen.append)
    assert stopped.status in ("feasible", "optimal")
    assert stopped.menu is not None and stopped.bound is not None
    full = branch_and_bound(inst)
    assert full.status == "optimal" and full.objective is not None
    assert stopped.objective is not None and stopped.objective <= full.objective + 1e-6
    assert stopped.bound >= full.objective - 1e-6  # the bound of the unfinished search holds
    if stopped.status == "feasible":
        assert stopped.stopped == "time_limit" and stopped.gap is not None


def test_stop_request_ends_the_search_with_its_best_menu() -> None:
    inst = compile_instance(synthetic_scenario(8, 31, 25, 3))
    raw = branch_and_bound(inst, stop=lambda: True)
    assert raw.menu is not None
    assert raw.status in ("feasible", "optimal")
    if raw.status == "feasible":
        assert raw.stopped == "interrupted"


def test_known_bound_reached_ends_the_search() -> None:
    inst = compile_instance(synthetic_scenario(4, 12, 8, 3))
    full = branch_and_bound(inst)
    assert full.objective is not None
    again = branch_and_bound(inst, hint=full.menu, known_bound=full.objective)
    assert again.status == "optimal" and again.nodes == 0
    assert again.objective == pytest.approx(full.objective)
