"""Choice on planned itineraries, checked by hand (`maasmix.pricing.demand.choice`).

Money in cents; the value of time is EUR 36 an hour = 1 cent a second, walking and
waiting weigh like riding and transfers cost nothing, so an itinerary's generalised
cost is its seconds plus its cents.

Person A (weight 10) makes trip 1 twenty times a month:

=====  ==============  ======  =====  =================  ============
cand   what            time s  cents  units              cost paying
=====  ==============  ======  =====  =================  ============
0      walk            1800    0      -                  1800
1      transit         1000    300    transit 1          1300  <- payg
2      bike rental     1200    200    bike 20 minutes    1400
=====  ==============  ======  =====  =================  ============

Person B (weight 5) makes trip 2 four times a month: walk 900 s, or transit 700 s for
300 cents (1000): B walks paying as you go.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from maasmix.pricing.demand.choice import Evaluation, evaluate, params_from
from maasmix.pricing.demand.planning import candidate_columns

MODES = ("transit", "bike")
PARAMS = params_from(36.0, 1.0, 1.0, 0.0, None, 100)


def _cand(row: int, cand: int, main: str, time_s: float, **kw: float) -> dict[str, object]:
    rec: dict[str, object] = {c: 0.0 for c in candidate_columns(MODES)}
    rec.update(row=row, cand=cand, combination=main.upper(), main=main, time_s=time_s)
    rec.update(transfers=0, fallback=False, co2e_g=kw.pop("co2e_g", 0.0))
    rec.update(kw)
    return rec


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    cands = pd.DataFrame(
        [
            _cand(1, 0, "walk", 1800),
            _cand(1, 1, "transit", 1000, **{"units:transit": 1, "money:transit": 300}, co2e_g=50),
            _cand(1, 2, "bicycle_rental", 1200, **{"units:bike": 20, "money:bike": 200}),
            _cand(2, 0, "walk", 900),
            _cand(2, 1, "transit", 700, **{"units:transit": 1, "money:transit": 300}, co2e_g=30),
        ]
    )
    trips = pd.DataFrame(
        {
            "row": [1, 2],
            "person_id": ["A", "B"],
            "weight": [10.0, 5.0],
            "trips_per_month": [20.0, 4.0],
        }
    )
    return cands, trips


def _top(ev: Evaluation, product: str) -> dict[int, int]:
    """The itinerary taken by the largest share of each trip."""
    chosen = ev.chosen[product].sort_values(["row", "share"], ascending=[True, False])
    return dict(chosen.drop_duplicates("row")[["row", "cand"]].itertuples(index=False))


def _run(products: dict[str, dict[str, float]], params=PARAMS) -> Evaluation:  # type: ignore[no-untyped-def]
    cands, trips = _tables()
    return evaluate(cands, trips, products, MODES, params)


def test_pay_as_you_go_choices_usage_and_spend() -> None:
    ev = _run({})
    assert _top(ev, "") == {1: 1, 2: 0}
    a, b = 0, 1
    assert ev.units[0, a].tolist() == [20.0, 0.0]  # 20 transit trips, no bike
    assert ev.units[0, b].tolist() == [0.0, 0.0]
    assert ev.cost[0].tolist() == [20 * 1300.0, 4 * 900.0]
    assert ev.spend[0].tolist() == [20 * 300.0, 0.0]
    assert ev.co2e_g[0].tolist() == [20 * 50.0, 0.0]


def test_unlimited_transit_saves_exactly_the_fares_of_the_transit_trips() -> None:
    ev = _run({"T": {"transit": math.inf}})
    # A keeps transit and saves 20 fares; B now rides (700 s < 900 s) and gains 200 s x 4
    assert ev.value("T").tolist() == [20 * 300.0, 4 * 200.0]
    assert _top(ev, "T") == {1: 1, 2: 1}
    assert ev.spend[1].tolist() == [0.0, 0.0]
    assert ev.units[1, :, 0].tolist() == [20.0, 4.0]


def test_bike_minutes_move_exactly_the_trips_where_the_bike_becomes_best() -> None:
    # 60 free minutes a month: the bike (1200 s, free) beats transit (1300) on 3 of A's
    # 20 trips; the other 17 pay 200 cents for the bike, so transit stays best for them.
    ev = _run({"B60": {"bike": 60.0}})
    p = ev.products.index("B60")
    assert ev.units[p, 0].tolist() == pytest.approx([17.0, 60.0])
    shares = ev.chosen["B60"].set_index(["row", "cand"])["share"].to_dict()
    assert shares == pytest.approx({(1, 1): 17 / 20, (1, 2): 3 / 20, (2, 0): 1.0})
    assert ev.value("B60")[0] == pytest.approx(3 * 100.0)
    assert ev.spend[p, 0] == pytest.approx(17 * 300.0)
    # person B never uses a bike: nothing changes for B
    assert ev.value("B60")[1] == 0.0
    # unlimited bike: every trip of A by bike
    ev = _run({"Bu": {"bike": math.inf}})
    assert ev.units[1, 0].tolist() == [0.0, 400.0]
    assert ev.value("Bu")[0] == pytest.approx(20 * 100.0)


def test_usage_with_a_bundle_is_the_sum_over_chosen_itineraries() -> None:
    cands, trips = _tables()
    ev = _run({"T": {"transit": math.inf}, "Bu": {"bike": math.inf}, "B60": {"bike": 60.0}})
    freq = trips.set_index("row")["trips_per_month"]
    person = trips.set_index("row")["person_id"]
    for p, name in enumerate(ev.products):
        chosen = ev.chosen[name]
        for i, mode in enumerate(MODES):
            keys = list(zip(chosen["row"], chosen["cand"], strict=True))
            picked = cands.set_index(["row", "cand"]).loc[keys, f"units:{mode}"]
            per_person: dict[str, float] = {}
            for (row, _), units, share in zip(keys, picked, chosen["share"], strict=True):
                per_person[person[row]] = (
                    per_person.get(person[row], 0.0) + freq[row] * units * share
                )
            got = dict(zip(ev.persons, ev.units[p, :, i], strict=True))
            assert got == pytest.approx({k: per_person.get(k, 0.0) for k in got})


def test_bundles_the_same_for_a_person_are_evaluated_once() -> None:
    # "bike 60 + transit" and "bike 300 + transit" differ only in bike minutes, which
    # person B's itineraries never use: for B they are one evaluation
    ev = _run({"x": {"transit": math.inf, "bike": 60.0}, "y": {"transit": math.inf, "bike": 300.0}})
    assert ev.evaluations_shared >= 1
    p, q = ev.products.index("x"), ev.products.index("y")
    assert ev.cost[p, 1] == ev.cost[q, 1]


def test_logit_choice_tends_to_the_cheapest_and_values_are_logsums() -> None:
    sharp = params_from(36.0, 1.0, 1.0, 0.0, 50.0, 100)  # 0.5 per cent
    ev = _run({"T": {"transit": math.inf}}, sharp)
    assert _top(ev, "") == {1: 1, 2: 0}
    assert ev.value("T")[0] == pytest.approx(20 * 300.0, rel=1e-3)
    soft = params_from(36.0, 1.0, 1.0, 0.0, 0.5, 100)  # 0.005 per cent
    ev = _run({}, soft)
    z = np.exp(-0.005 * np.array([1800.0, 1300.0, 1400.0]))
    expected = -np.log(z.sum()) / 0.005
    assert ev.cost[0, 0] == pytest.approx(20 * expected)
    assert ev.units[0, 0, 0] == pytest.approx(20 * z[1] / z.sum())
