"""Every frontier point against a brute force over every menu, evaluated here, apart from
the solvers: a point labelled optimal has the best profit of the menus that meet its caps,
a point labelled infeasible has no such menu, and the first point is ``optimise``'s."""

from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from maasmix.pricing.frontier import SUBSIDY_SLACK, SURPLUS_SLACK, Frontier, frontier
from maasmix.pricing.results import Result
from maasmix.pricing.scenario import Scenario, load_scenario, validate_scenario
from maasmix.pricing.solve.instance import Instance, compile_instance
from maasmix.pricing.solve.objectives import SolverOptions, optimise
from tests.pricing._scenarios import random_small

F = npt.NDArray[np.float64]
# the module (``maasmix.pricing.frontier`` as an attribute is the function)
frontier_module = importlib.import_module("maasmix.pricing.frontier")
EXAMPLES = Path(__file__).resolve().parents[2] / "pricing" / "examples"
#: Relative tolerance of the policy rows here (the exact searches use 1e-9 too).
TOL = 1e-9


@dataclass(frozen=True)
class Menus:
    """Every menu that meets the scenario's policy, with its exact figures (minor units)."""

    keys: list[tuple[tuple[str, int], ...]]
    profit: F
    subsidy: F
    surplus: F


def brute_force(inst: Instance) -> Menus:
    """Every menu of at most K bundles (one price each, price ladder kept), scored by the
    logit formulas written out here, with the policy's budget and floors checked."""
    n = inst.size
    n_b = len(inst.bundles)
    keys: list[tuple[tuple[str, int], ...]] = []
    profit, subsidy, surplus = [], [], []
    outside_earn = inst.payg_earn + np.einsum("ko,koj->kj", inst.offer_w, inst.offer_earn)
    ln_s0 = np.log1p(inst.e)
    for k in range(inst.menu_size + 1):
        for bundles in itertools.combinations(range(n_b), k):
            combos = list(itertools.product(*[range(len(inst.prices[b])) for b in bundles]))
            grid = np.array(combos, dtype=np.int64).reshape(len(combos), k)
            price = np.zeros((len(grid), k))
            w = np.zeros((len(grid), k, inst.n_classes))
            sub = np.zeros((k, inst.n_classes))
            cost = np.zeros((k, inst.n_classes))
            for i, b in enumerate(bundles):
                price[:, i] = inst.prices[b][grid[:, i]]
                w[:, i, :] = inst.w[b][:, grid[:, i]].T
                sub[i], cost[i] = inst.subsidy[:, b], inst.maas_cost[:, b]
            ok = np.ones(len(grid), dtype=bool)
            for hi, lo in inst.ladder if inst.price_ladder else []:
                if hi in bundles and lo in bundles:
                    ok &= price[:, bundles.index(hi)] >= price[:, bundles.index(lo)]
            s = 1.0 + inst.e[None, :] + w.sum(axis=1)  # (N, K)
            p_buy = w / s[:, None, :]  # (N, k, K)
            margin = price[:, :, None] + sub[None] - cost[None]
            m_profit = np.einsum("nik,k->n", p_buy * margin, n)
            m_subsidy = np.einsum("nik,k->n", p_buy * sub[None], n)
            cs_k = (np.log(s) - ln_s0[None, :]) / inst.beta[None, :]  # (N, K)
            m_surplus = cs_k @ n
            if inst.budget is not None:
                ok &= m_subsidy <= inst.budget + TOL * max(inst.total_size, inst.budget)
            for j, floor in enumerate(inst.operator_floor):
                if np.isnan(floor):
                    continue
                earn_b = np.zeros((k, inst.n_classes))
                for i, b in enumerate(bundles):
                    earn_b[i] = inst.bundle_earn[:, b, j]
                earn = (outside_earn[:, j][None, :] / s) @ n + np.einsum(
                    "nik,ik,k->n", p_buy, earn_b, n
                )
                ok &= earn >= floor - TOL * max(inst.total_size, abs(floor))
            for si, floor in enumerate(inst.surplus_floor):
                if np.isnan(floor):
                    continue
                members = inst.class_segment == si
                seg = cs_k[:, members] @ n[members] / n[members].sum()
                ok &= seg >= floor - TOL * max(1.0, abs(floor))
            names = [inst.bundles[b].name for b in bundles]
            for r in np.flatnonzero(ok):
                keys.append(tuple(sorted(zip(names, (int(x) for x in price[r]), strict=True))))
            profit.extend(m_profit[ok])
            subsidy.extend(m_subsidy[ok])
            surplus.extend(m_surplus[ok])
    return Menus(keys, np.array(profit), np.array(subsidy), np.array(surplus))


def _key(result: Result) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((m.bundle, m.price_minor) for m in result.menu))


def check_frontier(front: Frontier, inst: Instance, menus: Menus, top: Result) -> None:
    """Each point against the brute force under its documented caps."""
    scale = inst.total_size
    index = {key: i for i, key in enumerate(menus.keys)}
    assert front.points, "a feasible scenario has frontier points"
    first = front.points[0].result
    assert first.solve.status == top.solve.status == "optimal"
    assert _key(first) == _key(top) and first.profit_minor == top.profit_minor
    for i, p in enumerate(front.points):
        meets = np.ones(len(menus.keys), dtype=bool)
        if p.max_subsidy_minor is not None:
            cap = p.max_subsidy_minor + SUBSIDY_SLACK * scale
            meets &= menus.subsidy <= cap + TOL * max(scale, abs(cap))
        if p.min_surplus_minor is not None:
            floor = p.min_surplus_minor - SURPLUS_SLACK * scale
            meets &= menus.surplus >= floor - TOL * max(scale, abs(floor))
        status = p.result.solve.status
        where = f"point {i} ({front.sweep}: {p.max_subsidy_minor}, {p.min_surplus_minor})"
        assert status in ("optimal", "infeasible"), where
        if status == "infeasible":
            assert not meets.any(), f"{where} labelled infeasible but a menu meets its caps"
            continue
        assert meets.any(), where
        mine = index[_key(p.result)]
        assert meets[mine], f"{where}: its own menu breaks its caps"
        best = float(menus.profit[meets].max())
        assert menus.profit[mine] == pytest.approx(best, rel=1e-9, abs=1e-6), where


def _random_case(seed: int, menu_size: int) -> Scenario:
    """Two segments (one of two latent classes), a pass to compete with; operator floors
    on odd seeds, a surplus floor on seeds divisible by 3."""
    data: dict[str, Any] = random_small(
        seed,
        n_segments=2,
        n_bundles=menu_size + 1,
        n_levels=3,
        menu_size=menu_size,
        floors=seed % 2 == 1,
        offer=True,
    )
    rng = np.random.default_rng(seed + 100)
    data["segments"]["s1"]["classes"] = [
        {"name": "a", "weight": 0.5, "price_sensitivity": float(rng.uniform(0.03, 0.06))},
        {"name": "b", "weight": 0.5, "price_sensitivity": float(rng.uniform(0.12, 0.2))},
    ]
    if seed % 3 == 0:
        data["policy"]["surplus_floors"] = {"s0": 0.5}
    return validate_scenario(data)


SWEEPS = ("subsidy", "surplus", "both")


@pytest.mark.parametrize("name", ["interior_check", "hand_check", "demo_city"])
def test_frontier_of_every_typed_example_equals_the_brute_force(name: str) -> None:
    scn = load_scenario(EXAMPLES / f"{name}.yaml")
    inst = compile_instance(scn)
    menus = brute_force(inst)
    top = optimise(scn)
    for sweep in SWEEPS:
        check_frontier(frontier(scn, sweep=sweep, points=4), inst, menus, top)


def test_interior_check_first_point_is_the_optimum_not_a_rounded_cap() -> None:
    """The issue's case: a cap of the optimum's rounded subsidy (82,966 against 82,966.10)
    excluded the optimum and labelled a 640.28 menu optimal."""
    scn = load_scenario(EXAMPLES / "interior_check.yaml")
    front = frontier(scn, sweep="subsidy", points=3)
    first = front.points[0]
    assert first.max_subsidy_minor == pytest.approx(82_966.104412, abs=1e-5)
    assert first.result.profit_minor == 96_794
    assert [(m.bundle, m.price_minor) for m in first.result.menu] == [("Transit", 5000)]


@pytest.mark.parametrize("solver", ["AUTO", "BNB"])
@pytest.mark.parametrize("menu_size", [2, 3])
@pytest.mark.parametrize("seed", [0, 3, 4, 7])
def test_frontier_of_random_cases_equals_the_brute_force(
    seed: int, menu_size: int, solver: str
) -> None:
    scn = _random_case(seed, menu_size)
    inst = compile_instance(scn)
    menus = brute_force(inst)
    opts = SolverOptions(name=solver, time_limit_s=20)
    top = optimise(scn, options=opts)
    for sweep in SWEEPS:
        workers = 2 if solver == "BNB" else 1
        front = frontier(scn, sweep=sweep, points=4, options=opts, workers=workers)
        check_frontier(front, inst, menus, top)


def test_brute_force_agrees_with_optimise() -> None:
    """The test's own evaluation finds the optimum ``optimise`` proves."""
    scn = _random_case(1, 3)
    menus = brute_force(compile_instance(scn))
    top = optimise(scn)
    assert round(float(menus.profit.max())) == top.profit_minor
    assert menus.keys[int(np.argmax(menus.profit))] == _key(top)


@pytest.mark.parametrize("claim", ["infeasible", "worse menu optimal"])
def test_a_point_a_seen_menu_beats_is_never_optimal_or_infeasible(
    claim: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first point solved (the second of the sweep) gets a wrong answer from the
    solver: no menu, or the most-surplus anchor's menu, both labelled as proven. The next
    point's menu meets its caps with more profit, so the sweep must not keep the claim."""
    scn = _random_case(0, 2)
    inst = compile_instance(scn)
    menus = brute_force(inst)
    real = frontier_module.solve_requirements
    calls: list[Result] = []

    def wrong(*args: Any, **kwargs: Any) -> Result:
        res = real(*args, **kwargs)
        req = args[2]
        if req.min_surplus is None or req.min_profit is not None:
            return res  # an anchor
        calls.append(res)
        if len(calls) > 1:
            return res
        if claim == "infeasible":
            info = replace(res.solve, status="infeasible", objective_value=None)
            return replace(res, feasible=False, menu=[], solve=info)
        anchor = real(args[0], "max_surplus", replace(req, min_surplus=None, min_profit=0.0))
        return replace(anchor, solve=res.solve)

    monkeypatch.setattr(frontier_module, "solve_requirements", wrong)
    front = frontier(scn, sweep="surplus", points=4, options=SolverOptions(name="ENUM"))
    assert len(calls) == 3
    told = front.points[1].result
    assert told.feasible and told.solve.status == "feasible"
    assert told.solve.best_bound is None
    assert "seen in the sweep" in told.solve.note
    i = menus.keys.index(_key(told))
    assert front.points[1].min_surplus_minor is not None
    floor = front.points[1].min_surplus_minor - SURPLUS_SLACK * inst.total_size
    assert menus.surplus[i] >= floor
    # the replacement is the next point's menu, strictly better than the wrong claim
    assert _key(told) == _key(front.points[2].result)
    anchor = front.anchors["max_surplus"]
    assert told.profit_minor > anchor.profit_minor
    assert told.profit_minor < calls[0].profit_minor  # not the optimum: only what was seen
    for p in front.points[2:]:
        assert p.result.solve.status == "optimal"
