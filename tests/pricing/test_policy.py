"""Policy constraints hold, infeasibility names its conflicts, surplus is computed right."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from maasmix.pricing.frontier import frontier
from maasmix.pricing.scenario import validate_scenario
from maasmix.pricing.solve.evaluate import check_policy, evaluate_menu
from maasmix.pricing.solve.infeasibility import find_conflicts
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.model import Requirements
from maasmix.pricing.solve.objectives import SolverOptions, optimise
from tests.pricing._scenarios import random_small, single_bundle


def _scenario(**policy: object) -> dict[str, object]:
    data = random_small(11, n_segments=2, n_bundles=4, n_levels=4, menu_size=2, offer=True)
    data["policy"].update(policy)  # type: ignore[union-attr]
    return data


@pytest.mark.parametrize("solver", ["ENUM", "SCIP"])
@pytest.mark.parametrize("objective", ["max_profit", "max_surplus", "min_subsidy"])
def test_every_policy_constraint_holds(objective: str, solver: str) -> None:
    data = _scenario(
        operator_floor="payg",
        operator_floors={"T": "none"},
        surplus_floors={"s0": 0.5},
        subsidy={
            "budget": 150000.0,
            "instruments": [
                {"kind": "mode_share", "modes": ["transit"], "share": 0.3},
                {"kind": "per_subscriber", "amount": 2.0, "segments": ["s1"]},
            ],
        },
    )
    scn = validate_scenario(data)
    inst = compile_instance(scn)
    opts = SolverOptions(name=solver)
    result = optimise(scn, objective=objective, min_uptake=0.05, options=opts)
    assert result.feasible, result.conflicts
    assert result.solve.status == "optimal"
    assert result.violations == []
    assert len(result.menu) <= 2
    assert result.subsidy_minor <= 15_000_000 + 1
    s0 = next(s for s in result.segments if s.segment == "s0")
    assert s0.cs_change_minor >= 50 - 1
    for op in result.operators:
        if op.floor_minor is not None:
            assert op.earnings_minor >= op.floor_minor - 1
    assert result.uptake >= 0.05 - 1e-6
    prices = {m.bundle: m.price_minor for m in result.menu}
    for hi, lo in inst.ladder:
        a, b = inst.bundles[hi].name, inst.bundles[lo].name
        if a in prices and b in prices:
            assert prices[a] >= prices[b]
    if objective != "max_profit":
        assert result.profit_minor >= -1


def test_infeasible_reports_conflicting_groups() -> None:
    # a subsidy budget of zero cannot pay for a required 30 % uptake of subsidised bundles
    scn = validate_scenario(
        _scenario(
            subsidy={"budget": 0.0, "instruments": [{"kind": "per_subscriber", "amount": 5.0}]}
        )
    )
    result = optimise(scn, objective="max_profit", min_uptake=0.3)
    assert not result.feasible
    assert result.solve.status == "infeasible"
    assert sorted(result.conflicts) == ["min_uptake", "subsidy_budget"]


def test_find_conflicts_empty_when_feasible() -> None:
    inst = compile_instance(validate_scenario(_scenario()))
    assert find_conflicts(inst, Requirements(min_uptake=1.0)) == []


def test_surplus_floor_against_profit_conflict() -> None:
    # surplus gains of EUR 500 a month per traveller cannot be bought at profit >= 0
    scn = validate_scenario(_scenario(surplus_floors={"s0": 500.0}))
    result = optimise(scn, objective="max_surplus")
    assert result.conflicts == ["surplus_floor:s0"] or sorted(result.conflicts) == [
        "min_profit",
        "surplus_floor:s0",
    ]


def test_consumer_surplus_is_area_under_demand() -> None:
    asc, beta = 1.5, 0.1
    inst = compile_instance(validate_scenario(single_bundle(asc, beta, step=1.0)))
    level = 20
    price = inst.prices[0][level] / 100  # EUR
    out = evaluate_menu(inst, {0: level})

    def demand(p: float) -> float:
        v = asc - beta * p
        return math.exp(v) / (1 + math.exp(v))

    area, _ = quad(demand, price, np.inf)
    assert out.cs_change[0] / 100 == pytest.approx(area, rel=1e-8)
    assert out.cs_change[0] == pytest.approx(-math.log(out.y0[0]) / inst.beta[0])


@pytest.mark.parametrize("solver", ["ENUM", "SCIP"])
def test_latent_classes_and_segment_floor_with_cuts(solver: str) -> None:
    data = _scenario(surplus_floors={"s1": 1.0})
    seg = data["segments"]["s1"]  # type: ignore[index]
    seg["classes"] = [
        {"name": "a", "weight": 0.5, "price_sensitivity": 0.04},
        {"name": "b", "weight": 0.5, "price_sensitivity": 0.2},
    ]
    scn = validate_scenario(data)
    inst = compile_instance(scn)
    result = optimise(scn, options=SolverOptions(name=solver))
    assert result.feasible and result.violations == []
    assert len(result.classes) == 3
    s1 = next(s for s in result.segments if s.segment == "s1")
    assert s1.cs_change_minor >= 100 - 1
    menu = {
        b: int(np.flatnonzero(inst.prices[b] == m.price_minor)[0])
        for b in range(len(inst.bundles))
        for m in result.menu
        if m.bundle == inst.bundles[b].name
    }
    assert check_policy(inst, evaluate_menu(inst, menu)) == []


def test_max_surplus_beats_max_profit_on_surplus() -> None:
    scn = validate_scenario(_scenario())
    top = optimise(scn, objective="max_profit")
    best = optimise(scn, objective="max_surplus")
    assert best.cs_change_minor >= top.cs_change_minor
    assert best.profit_minor >= -1
    assert best.solve.objective_value == pytest.approx(best.cs_change_minor, abs=1.0)


@pytest.mark.parametrize("solver", ["ENUM", "SCIP"])
def test_frontier_is_monotone_in_the_swept_bound(solver: str) -> None:
    scn = validate_scenario(_scenario())
    opts = SolverOptions(name=solver)
    front = frontier(scn, sweep="surplus", points=4, options=opts)
    assert len(front.points) == 4
    profits = [p.result.profit_minor for p in front.points if p.result.feasible]
    assert profits == sorted(profits, reverse=True)
    for p in front.points:
        if p.result.feasible:
            assert p.min_surplus_minor is not None
            assert p.result.cs_change_minor >= p.min_surplus_minor - 2
    sub = frontier(scn, sweep="subsidy", points=3, options=opts)
    for p in sub.points:
        assert p.max_subsidy_minor is not None
        assert p.result.subsidy_minor <= p.max_subsidy_minor + 1


@pytest.mark.parametrize("solver", ["ENUM", "SCIP"])
def test_surplus_frontier_on_a_one_class_scenario(solver: str) -> None:
    scn = validate_scenario(random_small(5, n_segments=1, n_bundles=3, n_levels=5, menu_size=2))
    front = frontier(scn, sweep="surplus", points=3, options=SolverOptions(name=solver))
    feasible = [p for p in front.points if p.result.feasible]
    assert len(feasible) == 3
    for p in feasible:
        assert p.min_surplus_minor is not None
        assert p.result.cs_change_minor >= p.min_surplus_minor - 2
    assert feasible[-1].result.cs_change_minor > feasible[0].result.cs_change_minor
