"""Frontier points solved in threads equal the points solved one after the other."""

from __future__ import annotations

import pytest

from maasmix.pricing.frontier import frontier
from maasmix.pricing.solve.branch_bound import RootCache, branch_and_bound
from maasmix.pricing.solve.enumeration import enumerate_menus
from maasmix.pricing.solve.instance import compile_instance
from maasmix.pricing.solve.objectives import SolverOptions
from maasmix.pricing.solve.rows import Requirements
from maasmix.pricing.synthetic import synthetic_scenario


def _summary(front: object) -> list[tuple[object, ...]]:
    return [
        (p["status"], p["profit_minor"], p["subsidy_minor"], p["cs_change_minor"], str(p["menu"]))
        for p in front.to_dict()["points"]  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("sweep", ["surplus", "subsidy"])
def test_threaded_points_equal_sequential_points(sweep: str) -> None:
    scn = synthetic_scenario(3, 6, 5, 3)
    opts = SolverOptions(name="BNB")
    one = frontier(scn, sweep=sweep, points=5, options=opts, workers=1)
    two = frontier(scn, sweep=sweep, points=5, options=opts, workers=2)
    assert _summary(one) == _summary(two)
    assert all(p.result.solve.status == "optimal" for p in two.points)
    assert not two.interrupted and len(two.points) == two.planned == 5


def test_threaded_points_equal_the_exhaustive_search() -> None:
    scn = synthetic_scenario(3, 6, 5, 3)
    inst = compile_instance(scn)
    front = frontier(scn, sweep="surplus", points=4, options=SolverOptions(name="BNB"), workers=2)
    for p in front.points:
        req = Requirements(min_surplus=p.min_surplus_minor - 1e-6 * inst.total_size)
        exact = enumerate_menus(inst, req, "max_profit")
        assert p.result.solve.objective_value == pytest.approx(exact.objective, rel=1e-9)


def test_stopped_threaded_sweep_keeps_finished_points_in_order() -> None:
    scn = synthetic_scenario(3, 6, 5, 3)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 40

    front = frontier(
        scn, sweep="surplus", points=8, options=SolverOptions(name="BNB"), workers=2, stop=stop
    )
    eps = [p.min_surplus_minor for p in front.points]
    assert eps == sorted(eps)  # a prefix of the sweep, loosest first
    assert front.planned == 8
    assert front.interrupted == (len(front.points) < 8)


@pytest.mark.parametrize("req_kind", ["surplus", "subsidy"])
def test_root_cache_gives_the_same_answer(req_kind: str) -> None:
    inst = compile_instance(synthetic_scenario(3, 6, 5, 3))
    cache = RootCache()
    n = inst.total_size
    for eps in (0.0, 0.5, 1.0, 2.0):
        req = (
            Requirements(min_surplus=eps * n)
            if req_kind == "surplus"
            else Requirements(max_subsidy=eps * n)
        )
        plain = branch_and_bound(inst, req, parallel=False)
        cached = branch_and_bound(inst, req, cache=cache, parallel=False)
        exact = enumerate_menus(inst, req, "max_profit")
        assert cached.status == plain.status == exact.status
        if exact.objective is not None:
            assert cached.objective == pytest.approx(exact.objective, rel=1e-9, abs=1e-6)
    assert cache.hits > 0


@pytest.mark.parametrize("seed", range(4))
def test_chord_multipliers_keep_the_optimum(seed: int) -> None:
    """Known menus that beat the incumbent but break the row (the profit optimum, for a
    surplus floor) add a chord objective system; the optimum stays the exhaustive one."""
    import numpy as np

    from maasmix.pricing.solve.branch_bound import _rows, add_chord_system, build_systems
    from maasmix.pricing.solve.menus import build_problem, local_search

    inst = compile_instance(synthetic_scenario(3, 6, 5, 3, seed=seed))
    top = enumerate_menus(inst, Requirements(), "max_profit")
    assert top.menu is not None
    high = enumerate_menus(inst, Requirements(min_profit=0.0), "max_surplus")
    assert high.objective is not None
    added = 0
    for frac in (0.3, 0.7, 0.95):
        # the surplus floor between the profit optimum's and the most there is
        req = Requirements(min_surplus=frac * high.objective)
        exact = enumerate_menus(inst, req, "max_profit")
        found = branch_and_bound(inst, req, incumbents=[top.menu], parallel=False)
        assert found.status == exact.status
        if exact.objective is not None:
            assert found.objective == pytest.approx(exact.objective, rel=1e-9, abs=1e-6)
        prob = build_problem(inst, req, "max_profit")
        if not _rows(prob) or exact.menu is None:
            continue
        sizes = np.bincount(prob.bundle, minlength=len(inst.bundles))
        bstart = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        w_t = np.ascontiguousarray(prob.w.T)
        systems = build_systems(prob, bstart, w_t, np.ones(prob.n_items, dtype=bool))
        start = local_search(prob, [])
        assert start is not None
        chord = add_chord_system(prob, systems, [prob.items_of(top.menu)], start[0])
        assert len(chord.const) in (len(systems.const), len(systems.const) + 1)
        assert chord.is_obj.sum() == len(chord.lam)
        added += len(chord.const) - len(systems.const)
    assert added > 0
