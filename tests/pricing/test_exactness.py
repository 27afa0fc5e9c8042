"""Exact methods agree; the MIP's claims are checked; hand-computed figures; policy checks."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from maasmix.pricing.frontier import FrontierPoint, _dominated
from maasmix.pricing.scenario import example_path, load_scenario, validate_scenario
from maasmix.pricing.solve import model as mip
from maasmix.pricing.solve.branch_bound import branch_and_bound
from maasmix.pricing.solve.enumeration import enumerate_menus
from maasmix.pricing.solve.evaluate import check_policy, evaluate_menu
from maasmix.pricing.solve.instance import Instance, compile_instance
from maasmix.pricing.solve.model import RawSolve, build_model, solve_model, verify_solve
from maasmix.pricing.solve.objectives import SolverOptions, optimise
from maasmix.pricing.solve.rows import Requirements
from tests.pricing._scenarios import random_small
from tests.pricing.test_enumeration import _instance

INTERIOR = example_path("interior_check")


def _issue_case() -> Instance:
    """The setup of issue 13: SCIP claimed 26,932,001 optimal; the optimum is 27,942,069."""
    return _instance(
        4,
        operator_floor="payg",
        operator_floors={"T": "none"},
        surplus_floors={"s1": 0.2},
        subsidy={"instruments": [{"kind": "mode_share", "modes": ["transit"], "share": 0.4}]},
    )


def test_scip_no_longer_claims_a_worse_menu_optimal() -> None:
    inst = _issue_case()
    req = Requirements(min_profit=0.0)
    exact = enumerate_menus(inst, req, "max_surplus")
    assert exact.status == "optimal" and exact.objective is not None
    assert round(exact.objective) == 27_942_069
    assert exact.menu == {2: 0, 3: 1}
    assert branch_and_bound(inst, req, "max_surplus").objective == pytest.approx(exact.objective)
    for solver in ("SCIP", "CBC"):
        mm = build_model(inst, req, solver=solver, objective="max_surplus")
        assert mm.numerics.safe, mm.numerics.describe()
        assert mm.numerics.smallest >= mip.SAFE_MIN
        raw = verify_solve(mm, solve_model(mm, time_limit_s=30), req)
        assert raw.status == "optimal", raw.note
        assert raw.objective == pytest.approx(exact.objective, rel=1e-7)


def test_a_wrong_optimal_claim_is_reported_uncertain_with_the_better_menu() -> None:
    inst = _issue_case()
    req = Requirements(min_profit=0.0)
    mm = build_model(inst, req, objective="max_surplus")
    # what SCIP used to say: b0@38, b2@38 optimal with a zero gap
    claim = RawSolve("SCIP", "optimal", 26_932_001.0, 26_932_001.0, 0.0, 1.0, {0: 0, 2: 0}, 2)
    raw = verify_solve(mm, claim, req)
    assert raw.status == "uncertain"
    assert raw.bound is None
    assert raw.menu == {2: 0, 3: 1}
    assert round(raw.objective or 0) == 27_942_069
    assert "not trusted" in raw.note


def test_an_unsafe_model_is_never_optimal() -> None:
    inst = _issue_case()
    mm = build_model(inst, Requirements(), objective="max_profit")
    mm.numerics = replace(mm.numerics, unsafe=3)
    raw = verify_solve(mm, solve_model(mm, time_limit_s=30), Requirements())
    assert raw.status == "uncertain"
    assert raw.bound is None
    assert "numerically unsafe" in raw.note


def test_cut_loop_stopped_early_is_not_optimal(monkeypatch: pytest.MonkeyPatch) -> None:
    inst = _issue_case()
    req = Requirements(min_profit=0.0)
    monkeypatch.setattr(mip, "_MAX_CUT_ROUNDS", 1)
    raw = solve_model(build_model(inst, req, objective="max_surplus"), time_limit_s=30)
    assert raw.cut_rounds == 1
    assert raw.status == "feasible"
    assert "did not converge" in raw.note


def _random(seed: int, share: float, per_sub: bool) -> Instance:
    data = random_small(seed, n_segments=2, n_bundles=3, n_levels=4, menu_size=2, offer=True)
    rng = np.random.default_rng(seed)
    data["segments"]["s1"]["classes"] = [
        {"name": "a", "weight": 0.5, "price_sensitivity": float(rng.uniform(0.03, 0.06))},
        {"name": "b", "weight": 0.5, "price_sensitivity": float(rng.uniform(0.12, 0.2))},
    ]
    instruments: list[dict[str, object]] = [
        {"kind": "mode_share", "modes": ["transit"], "share": share}
    ]
    if per_sub:
        instruments.append({"kind": "per_subscriber", "amount": 4.0, "segments": ["s1"]})
    data["policy"].update(
        {
            "operator_floor": "payg",
            "operator_floors": {"T": "none"},
            "surplus_floors": {"s1": 0.1},
            "subsidy": {"instruments": instruments},
        }
    )
    return compile_instance(validate_scenario(data))


OBJECTIVE_CASES = [
    ("max_profit", Requirements()),
    ("max_surplus", Requirements(min_profit=0.0)),
    ("min_subsidy", Requirements(min_uptake=200.0, min_profit=0.0)),
]


def _cross_check(seed: int, share: float, per_sub: bool, kind: str, req: Requirements) -> None:
    inst = _random(seed, share, per_sub)
    answers = {
        "ENUM": enumerate_menus(inst, req, kind),
        "BNB": branch_and_bound(inst, req, kind),
    }
    for solver in ("SCIP", "CBC"):
        mm = build_model(inst, req, solver=solver, objective=kind)
        answers[solver] = verify_solve(mm, solve_model(mm, time_limit_s=20), req)
    assert answers["ENUM"].status == answers["BNB"].status
    optimal = {k: v for k, v in answers.items() if v.status == "optimal"}
    values = [v.objective for v in optimal.values()]
    assert all(v is not None for v in values)
    # whenever two exact methods both claim optimal they agree
    for v in values:
        assert v == pytest.approx(values[0], rel=1e-6, abs=1.0), {
            k: (r.status, r.objective, r.menu) for k, r in answers.items()
        }
    for name, raw in answers.items():
        if raw.status == "infeasible":
            assert answers["ENUM"].status == "infeasible", name


@pytest.mark.parametrize(("kind", "req"), OBJECTIVE_CASES)
@pytest.mark.parametrize(("seed", "share", "per_sub"), [(21, 0.4, False), (22, 0.1, True)])
def test_search_branch_and_bound_scip_and_cbc_agree(
    seed: int, share: float, per_sub: bool, kind: str, req: Requirements
) -> None:
    _cross_check(seed, share, per_sub, kind, req)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "req"), OBJECTIVE_CASES)
@pytest.mark.parametrize("seed", range(30, 40))
def test_cross_check_over_many_seeds(seed: int, kind: str, req: Requirements) -> None:
    _cross_check(seed, [0.0, 0.2, 0.4, 0.6][seed % 4], seed % 2 == 0, kind, req)


# ------------------------------------------------------------ hand-computed figures


def test_interior_optimum_figures_by_hand() -> None:
    """pricing/examples/interior_check.yaml: every figure is in the file's comments."""
    result = optimise(load_scenario(INTERIOR))
    assert result.solve.status == "optimal"
    # not the corner (most inclusive bundle at its top price) that hand_check has
    assert [(m.bundle, m.price_minor) for m in result.menu] == [("Transit", 5000)]
    p = math.exp(-2.6) / (1 + math.exp(-2.6))
    assert result.subscribers == pytest.approx(1000 * p)
    assert result.profit_minor == 96794  # 1000 * P * (50 + 12 - 48) EUR
    assert result.subsidy_minor == 82966  # 1000 * P * 0.25 * 2.00 * 24
    assert result.sales_minor == 345692
    assert result.menu[0].subsidy_minor == 82966
    earnings = {o.operator: (o.earnings_minor, o.baseline_earnings_minor) for o in result.operators}
    assert earnings["City Transit"] == (4903206, 5000000)  # 1000 (P 36 + (1 - P) 50) EUR
    assert earnings["BikeCo"] == (240000, 240000)
    inst = compile_instance(load_scenario(INTERIOR))
    assert inst.maas_cost[0].tolist() == [4800.0, 5400.0]
    assert inst.subsidy[0].tolist() == [1200.0, 1200.0]


def test_per_subscriber_subsidy_reaches_only_its_target_segments() -> None:
    data = random_small(3, n_segments=2, n_bundles=3, n_levels=3, menu_size=2)
    data["policy"]["subsidy"] = {
        "instruments": [
            {"kind": "per_subscriber", "amount": 5.0, "segments": ["s1"]},
            {"kind": "mode_share", "modes": ["transit"], "share": 0.5},
        ]
    }
    inst = compile_instance(validate_scenario(data))
    s0, s1 = inst.segments.index("s0"), inst.segments.index("s1")
    for k, cls in enumerate(inst.classes):
        for b, bundle in enumerate(inst.bundles):
            used = min(bundle.level("transit"), cls.usage("transit", included=True))
            share = 0.5 * 120 * used if bundle.level("transit") > 0 else 0.0
            target = 500.0 if inst.class_segment[k] == s1 else 0.0
            assert inst.subsidy[k, b] == pytest.approx(share + target)
    assert inst.class_segment.tolist().count(s0) >= 1


# ------------------------------------------------------------ one violation per rule


def _interior(**policy: object) -> Instance:
    import yaml

    data = yaml.safe_load(INTERIOR.read_text(encoding="utf-8"))
    data["policy"].update(policy)
    return compile_instance(validate_scenario(data))


def test_check_policy_names_every_broken_rule_with_its_amount() -> None:
    transit_at_50 = {0: 1}
    inst = _interior()
    out = evaluate_menu(inst, transit_at_50)
    assert check_policy(inst, out) == []
    p = math.exp(-2.6) / (1 + math.exp(-2.6))
    cases = {
        "subsidy_budget": (
            _interior(subsidy={**_subsidy(), "budget": 500.0}),
            1000 * p * 1200 - 50000,
        ),
        "operator_floor:City Transit": (
            _interior(operator_floors={"City Transit": "payg"}),
            5_000_000 - 1000 * (p * 3600 + (1 - p) * 5000),
        ),
        "surplus_floor:residents": (
            _interior(surplus_floors={"residents": 10.0}),
            1000 - (-math.log(1 - p) / 0.001),
        ),
    }
    for group, (case, amount) in cases.items():
        found = check_policy(case, evaluate_menu(case, transit_at_50))
        assert [v.group for v in found] == [group]
        assert found[0].amount == pytest.approx(amount, rel=1e-9)
    surplus = 1000 * (-math.log(1 - p) / 0.001)
    required = {
        "min_uptake": (dict(min_uptake=100.0), 100.0 - 1000 * p),
        "max_subsidy": (dict(max_subsidy=50_000.0), 1000 * p * 1200 - 50000),
        "min_profit": (dict(min_profit=100_000.0), 100_000 - 1000 * p * 1400),
        "min_surplus": (dict(min_surplus=100_000.0), 100_000 - surplus),
    }
    for group, (kwargs, amount) in required.items():
        found = check_policy(inst, out, **kwargs)  # type: ignore[arg-type]
        assert [v.group for v in found] == [group]
        assert found[0].amount == pytest.approx(amount, rel=1e-9)
    # two bundles where one is allowed, the more inclusive one priced below the other
    both = check_policy(inst, evaluate_menu(inst, {0: 1, 1: 0}))
    assert [(v.group, v.amount) for v in both] == [("menu_size", 1.0), ("price_ladder", 1000.0)]


def _subsidy() -> dict[str, object]:
    return {"instruments": [{"kind": "mode_share", "modes": ["transit"], "share": 0.25}]}


# ------------------------------------------------------------ frontier flags


def test_frontier_flags_dominated_points_and_repeated_menus() -> None:
    base = optimise(load_scenario(INTERIOR))
    other = optimise(load_scenario(INTERIOR), objective="max_surplus")
    assert other.menu != base.menu
    worse = replace(
        other,
        profit_minor=base.profit_minor - 10,
        subsidy_minor=base.subsidy_minor + 10,
        cs_change_minor=base.cs_change_minor - 10,
    )
    points = [FrontierPoint(None, None, base), FrontierPoint(None, None, worse)]
    points.append(FrontierPoint(None, None, base))
    flagged = _dominated(points)
    assert [p.dominated for p in flagged] == [False, True, False]
    assert [p.same_as for p in flagged] == [None, None, 0]
    better = replace(other, profit_minor=base.profit_minor + 10)
    flagged = _dominated([FrontierPoint(None, None, base), FrontierPoint(None, None, better)])
    assert [p.dominated for p in flagged] == [False, False]  # better profit, worse elsewhere


def test_interior_optimum_by_every_solver() -> None:
    for solver in ("ENUM", "BNB", "SCIP", "CBC"):
        result = optimise(load_scenario(INTERIOR), options=SolverOptions(name=solver))
        assert result.solve.status == "optimal", (solver, result.solve.note)
        assert [(m.bundle, m.price_minor) for m in result.menu] == [("Transit", 5000)]
