"""The exhaustive menu search against the MIP, a direct count, and its time limit."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from maasmix.pricing.scenario import validate_scenario
from maasmix.pricing.solve import branch_bound, enumeration
from maasmix.pricing.solve.enumeration import enumerate_menus, menu_count
from maasmix.pricing.solve.evaluate import check_policy, evaluate_menu
from maasmix.pricing.solve.instance import Instance, compile_instance
from maasmix.pricing.solve.model import build_model, solve_model
from maasmix.pricing.solve.objectives import SolverOptions, optimise
from maasmix.pricing.solve.rows import Requirements
from maasmix.pricing.synthetic import synthetic_scenario
from tests.pricing._scenarios import random_small


def _instance(seed: int, **policy: object) -> Instance:
    data = random_small(seed, n_segments=2, n_bundles=4, n_levels=5, menu_size=2, offer=True)
    data["policy"].update(policy)  # type: ignore[union-attr]
    seg = data["segments"]["s1"]  # type: ignore[index]
    seg["classes"] = [
        {"name": "a", "weight": 0.3, "price_sensitivity": 0.05},
        {"name": "b", "weight": 0.7, "price_sensitivity": 0.15},
    ]
    return compile_instance(validate_scenario(data))


REQUIREMENTS = [
    ("max_profit", Requirements()),
    ("max_profit", Requirements(min_uptake=400.0)),
    ("max_profit", Requirements(min_surplus=50_000.0)),
    ("min_subsidy", Requirements(min_uptake=300.0, min_profit=0.0)),
    ("max_surplus", Requirements(min_profit=0.0)),
    ("max_surplus", Requirements(min_profit=2_000_000.0, max_subsidy=1e9)),
]


@pytest.mark.parametrize("seed", [3, 4])
@pytest.mark.parametrize(("kind", "req"), REQUIREMENTS)
def test_search_and_mip_agree(seed: int, kind: str, req: Requirements) -> None:
    inst = _instance(
        seed,
        operator_floor="payg",
        operator_floors={"T": "none"},
        surplus_floors={"s1": 0.2},
        subsidy={"instruments": [{"kind": "mode_share", "modes": ["transit"], "share": 0.2}]},
    )
    searched = enumerate_menus(inst, req, kind)
    # the limit only guards a stuck solver: a busy machine must not turn "optimal" into "feasible"
    mip = solve_model(build_model(inst, req, objective=kind), time_limit_s=300)
    assert searched.status == mip.status
    if mip.status != "optimal":
        return
    assert searched.objective == pytest.approx(mip.objective, rel=1e-6, abs=1e-2)
    assert searched.gap == 0.0
    assert searched.menu is not None
    out = evaluate_menu(inst, searched.menu)
    assert check_policy(inst, out, **_named(req), tol=1e-6) == []


def _named(req: Requirements) -> dict[str, float | None]:
    return {
        "min_uptake": req.min_uptake,
        "max_subsidy": req.max_subsidy,
        "min_profit": req.min_profit,
        "min_surplus": req.min_surplus,
    }


def test_infeasible_requirement_is_reported_infeasible() -> None:
    inst = _instance(3)
    raw = enumerate_menus(inst, Requirements(min_uptake=1e12))
    assert raw.status == "infeasible"
    assert raw.menu is None


@pytest.mark.parametrize(("n_b", "n_l", "k"), [(3, 2, 1), (4, 3, 2), (5, 2, 3), (4, 4, 4)])
def test_menu_count_matches_direct_count(n_b: int, n_l: int, k: int) -> None:
    inst = compile_instance(synthetic_scenario(1, n_b, n_l, k))
    kept = len(inst.bundles)  # equivalent candidates are merged
    direct = sum(n_l**r * len(list(itertools.combinations(range(kept), r))) for r in range(k + 1))
    assert menu_count(inst) == direct


def test_ladder_and_menu_size_hold_without_other_rows() -> None:
    inst = compile_instance(synthetic_scenario(2, 12, 6, 3))
    raw = enumerate_menus(inst)
    assert raw.status == "optimal" and raw.menu is not None
    assert 0 < len(raw.menu) <= 3
    price = {b: inst.prices[b][li] for b, li in raw.menu.items()}
    for hi, lo in inst.ladder:
        if hi in price and lo in price:
            assert price[hi] >= price[lo]


def test_time_limit_returns_best_so_far_without_bound() -> None:
    inst = compile_instance(synthetic_scenario(4, 31, 12, 3))
    raw = enumerate_menus(inst, time_limit_s=0.0)
    assert raw.status == "feasible"
    assert raw.gap is None and raw.bound is None
    assert raw.menu is not None
    assert check_policy(inst, evaluate_menu(inst, raw.menu)) == []


@pytest.mark.parametrize("task_menus", [3_000_000, 7])
@pytest.mark.parametrize("menu_size", [1, 2, 3, 4])
@pytest.mark.parametrize(("kind", "req"), REQUIREMENTS[:4])
def test_compiled_search_equals_numpy_search(
    menu_size: int, kind: str, req: Requirements, task_menus: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's first-pair tasks (K >= 3), split into longer prefixes when a task
    scores ``task_menus`` menus unfinished, cover every menu the numpy search scores."""
    monkeypatch.setattr(enumeration, "_TASK_MENUS", task_menus)
    data = random_small(7, n_segments=2, n_bundles=4, n_levels=4, menu_size=menu_size)
    data["policy"].update(operator_floor="payg", operator_floors={"T": "none"})  # type: ignore[union-attr]
    inst = compile_instance(validate_scenario(data))
    fast = enumerate_menus(inst, req, kind, compiled=True)
    slow = enumerate_menus(inst, req, kind, compiled=False)
    assert fast.status == slow.status
    assert fast.menu == slow.menu
    if slow.objective is not None:
        assert fast.objective == pytest.approx(slow.objective, rel=1e-12)


def test_stop_is_polled_inside_one_first_item() -> None:
    """K = 4 over 63 bundles: the first item alone leads to billions of menus; a stop
    request is answered after a chunk of its first pairs, not after the whole subtree."""
    inst = compile_instance(synthetic_scenario(4, 63, 25, 4))
    polls: list[int] = []
    explored: list[int] = []

    def stop() -> bool:
        polls.append(1)
        return len(polls) >= 3

    raw = enumerate_menus(
        inst, time_limit_s=600, stop=stop, compiled=True,
        progress=lambda p: explored.append(p.explored),
    )  # fmt: skip
    assert raw.status == "feasible" and raw.stopped == "interrupted"
    sizes = [len(p) for p in inst.prices]
    first_subtree = menu_count(inst) - enumeration.count_menus([sizes[0] - 1, *sizes[1:]], 4)
    assert 0 < len(explored) <= 2
    assert explored[-1] < first_subtree


def test_auto_counts_small_cases_out_and_bounds_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scn = synthetic_scenario(2, 6, 4, 2)
    small = optimise(scn, options=SolverOptions(name="AUTO", time_limit_s=20))
    assert small.solve.solver.startswith(enumeration.SOLVER_NAME)
    assert "numpy" in small.solve.solver  # no compiled kernel for a toy case
    monkeypatch.setattr("maasmix.pricing.solve.objectives.NUMPY_WORK", 10)
    large = optimise(scn, options=SolverOptions(name="AUTO", time_limit_s=20))
    assert large.solve.solver == branch_bound.SOLVER_NAME
    assert large.solve.status == "optimal"
    assert large.profit_minor == small.profit_minor


def test_unknown_solver_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown solver 'HIGHS'"):
        SolverOptions(name="HIGHS")


@pytest.mark.slow
def test_benchmark_case_within_scip_bounds() -> None:
    """8 x 31 x 25, K = 3: SCIP's incumbent <= the searched optimum <= SCIP's bound."""
    inst = compile_instance(synthetic_scenario(8, 31, 25, 3))
    searched = enumerate_menus(inst)
    assert searched.status == "optimal" and searched.objective is not None
    mip = solve_model(build_model(inst), time_limit_s=15)
    assert mip.objective is not None and mip.bound is not None
    assert mip.objective <= searched.objective * (1 + 1e-9)
    assert searched.objective <= mip.bound * (1 + 1e-9)
    disabled = enumerate_menus(inst, replace(Requirements(), disabled=frozenset({"price_ladder"})))
    assert disabled.objective is not None and disabled.objective >= searched.objective
