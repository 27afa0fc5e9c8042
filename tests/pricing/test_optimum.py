"""The optimiser's answers against the Lambert-W closed form and brute-force enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.special import lambertw

from maasmix.pricing.scenario import validate_scenario
from maasmix.pricing.solve.enumeration import enumerate_menus
from maasmix.pricing.solve.evaluate import check_policy, evaluate_menu
from maasmix.pricing.solve.instance import Instance, compile_instance
from maasmix.pricing.solve.model import build_model, solve_model
from maasmix.pricing.solve.objectives import optimise
from tests.pricing._scenarios import random_small, single_bundle


@pytest.mark.parametrize(("asc", "beta"), [(2.0, 0.1), (0.5, 0.05), (4.0, 0.2), (-1.0, 0.08)])
def test_single_bundle_price_matches_lambert_w(asc: float, beta: float) -> None:
    scn = validate_scenario(single_bundle(asc, beta))
    result = optimise(scn)
    assert result.solve.status == "optimal"
    p_star = (1.0 + lambertw(math.exp(asc - 1.0)).real) / beta  # EUR
    price = result.menu[0].price_minor / 100
    assert abs(price - p_star) <= 0.5


def _brute_force(inst: Instance) -> tuple[float, dict[int, int]]:
    """Best profit over every menu of <= K bundles and every price combination."""
    n_b = len(inst.bundles)
    best = (0.0, {})  # offering nothing: profit 0, always feasible
    for r in range(1, inst.menu_size + 1):
        for subset in itertools.combinations(range(n_b), r):
            for levels in itertools.product(*(range(len(inst.prices[b])) for b in subset)):
                menu = dict(zip(subset, levels, strict=True))
                price = {b: float(inst.prices[b][li]) for b, li in menu.items()}
                # the price ladder, checked directly
                if any(
                    hi in menu and lo in menu and price[hi] < price[lo] for hi, lo in inst.ladder
                ):
                    continue
                # logit probabilities, directly
                w = np.stack([inst.w[b][:, li] for b, li in menu.items()], axis=1)  # (K, r)
                denom = 1.0 + inst.e + w.sum(axis=1)
                prob = w / denom[:, None]
                margin = np.stack(
                    [price[b] + inst.subsidy[:, b] - inst.maas_cost[:, b] for b in menu], axis=1
                )
                profit = float(inst.size @ (prob * margin).sum(axis=1))
                subsidy = float(inst.size @ (prob * inst.subsidy[:, list(menu)]).sum(axis=1))
                if inst.budget is not None and subsidy > inst.budget + 1e-6:
                    continue
                out = evaluate_menu(inst, menu)
                floors_ok = all(
                    np.isnan(f) or out.earnings[j] >= f - 1e-6
                    for j, f in enumerate(inst.operator_floor)
                )
                if floors_ok and profit > best[0] + 1e-9:
                    best = (profit, menu)
    return best


CASES = [
    # seed, segments, bundles, levels, K, floors, budget, offer
    (1, 1, 2, 3, 1, False, None, False),
    (2, 1, 3, 4, 2, False, None, True),
    (3, 2, 3, 3, 2, False, None, False),
    (4, 2, 4, 3, 2, True, None, True),
    (5, 2, 4, 5, 2, False, 2000.0, False),
    (6, 1, 4, 4, 3, True, 500.0, True),
    (7, 2, 2, 5, 2, True, None, False),
    (8, 2, 4, 4, 1, False, None, True),
]


@pytest.mark.parametrize(
    ("seed", "segs", "bundles", "levels", "k", "floors", "budget", "offer"), CASES
)
def test_optimum_equals_brute_force(
    seed: int,
    segs: int,
    bundles: int,
    levels: int,
    k: int,
    floors: bool,
    budget: float | None,
    offer: bool,
) -> None:
    scn = validate_scenario(
        random_small(
            seed,
            n_segments=segs,
            n_bundles=bundles,
            n_levels=levels,
            menu_size=k,
            floors=floors,
            budget=budget,
            offer=offer,
        )
    )
    inst = compile_instance(scn)
    best, _ = _brute_force(inst)
    raw = solve_model(build_model(inst), time_limit_s=30)
    assert raw.status == "optimal"
    assert raw.menu is not None
    exact = evaluate_menu(inst, raw.menu)
    assert exact.profit == pytest.approx(best, rel=1e-6, abs=1e-3)
    assert raw.objective == pytest.approx(exact.profit, rel=1e-6, abs=1e-3)
    assert check_policy(inst, exact) == []
    searched = enumerate_menus(inst)
    assert searched.status == "optimal"
    assert searched.menu is not None
    assert searched.objective == pytest.approx(best, rel=1e-9, abs=1e-6)
    assert check_policy(inst, evaluate_menu(inst, searched.menu)) == []


def test_hand_check_example_numbers() -> None:
    from maasmix.pricing.scenario import example_path, load_scenario

    result = optimise(load_scenario(example_path("hand_check")))
    assert [(m.bundle, m.price_minor) for m in result.menu] == [("Transit + Bike", 9000)]
    assert result.profit_minor == 204817  # EUR 2048.17, as in the file's comments
    assert result.subscribers == pytest.approx(1000 * math.exp(-2.5) / (1 + math.exp(-2.5)))
