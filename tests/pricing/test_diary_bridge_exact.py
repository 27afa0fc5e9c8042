"""Exact values where the diary bridge once went wrong unnoticed: an allowance is each
person's own (`maasmix.pricing.demand.choice`), an arrive-by trip is timed from its
departure to the requested arrival and a car candidate's time is its distance at its speed
plus access (`maasmix.pricing.demand.planning`)."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from maasmix.engine.itinerary import Journey, Leg
from maasmix.engine.plan_money import ItineraryMoney, LegMoney
from maasmix.geodesy import EARTH_RADIUS_M
from maasmix.pricing.demand.choice import evaluate, params_from
from maasmix.pricing.demand.leg_mapping import leg_mapping
from maasmix.pricing.demand.planning import PlanSpec, candidate_columns, plan_trips
from maasmix.pricing.scenario import CarOption, example_path, load_scenario

MODES = ("transit", "bike")
#: EUR 36 an hour = 1 cent a second; walking and waiting weigh like riding
CHEAPEST = params_from(36.0, 1.0, 1.0, 0.0, None, 100)
LOGIT = params_from(36.0, 1.0, 1.0, 0.0, 0.5, 100)


def _cand(row: int, cand: int, main: str, time_s: float, **kw: float) -> dict[str, object]:
    rec: dict[str, object] = {c: 0.0 for c in candidate_columns(MODES)}
    rec.update(row=row, cand=cand, combination=main.upper(), main=main, time_s=time_s)
    rec.update(transfers=0, fallback=False)
    rec.update(kw)
    return rec


def _trip(row: int) -> list[dict[str, object]]:
    """Walk 1800 s; transit 1000 s for 300 cents (1300: best paying); a rented bike
    1200 s for 200 cents and 20 minutes (1200 when the minutes are free)."""
    return [
        _cand(row, 0, "walk", 1800),
        _cand(row, 1, "transit", 1000, **{"units:transit": 1, "money:transit": 300}),
        _cand(row, 2, "bicycle_rental", 1200, **{"units:bike": 20, "money:bike": 200}),
    ]


def _values(persons: list[tuple[str, int, float]], params: Any) -> dict[str, float]:
    """Value per person of 60 bike minutes a month; ``persons``: (id, row, trips a month)."""
    cands = pd.DataFrame([rec for _, row, _ in persons for rec in _trip(row)])
    trips = pd.DataFrame(
        {
            "row": [row for _, row, _ in persons],
            "person_id": [pid for pid, _, _ in persons],
            "weight": [1.0] * len(persons),
            "trips_per_month": [freq for _, _, freq in persons],
        }
    )
    ev = evaluate(cands, trips, {"B60": {"bike": 60.0}}, MODES, params)
    return dict(zip(ev.persons, ev.value("B60").tolist(), strict=True))


@pytest.mark.parametrize("params", [CHEAPEST, LOGIT], ids=["cheapest", "logit"])
def test_each_person_has_their_own_allowance(params: Any) -> None:
    a, c = ("A", 1, 20.0), ("C", 2, 10.0)
    together = _values([a, c], params)
    # the logit's covered share is a fixed point found to 1e-9 per step
    rel = 1e-9 if params is CHEAPEST else 1e-6
    assert together["A"] == pytest.approx(_values([a], params)["A"], rel=rel)
    assert together["C"] == pytest.approx(_values([c], params)["C"], rel=rel)
    if params is CHEAPEST:
        # 60 minutes = 3 trips by the free bike, each 100 cents better than transit
        assert together == {"A": pytest.approx(300.0), "C": pytest.approx(300.0)}


# ------------------------------------------------------------------- planning a trip

SCENARIO = load_scenario(example_path("demo_diary"))
DATE = dt.date(2026, 3, 10)
ORIGIN, DEST = (60.17, 24.93), (60.19, 24.93)


def _spec(car: CarOption | None = None) -> PlanSpec:
    return PlanSpec(
        mapping=leg_mapping(SCENARIO),
        currency="EUR",
        rates_minor={"transit": 310.0, "bike": 6.7, "scooter": 30.0},
        modes=("WALK", "TRANSIT"),
        car=car,
        car_g_per_km=170.0,
        assume_available=True,
        num_itineraries=3,
        diary_file="diary.csv",
    )


def _walk(start_s: int, end_s: int) -> tuple[Journey, ItineraryMoney]:
    leg = Leg(
        "WALK",
        "",
        "home",
        ORIGIN[0],
        ORIGIN[1],
        "",
        "work",
        DEST[0],
        DEST[1],
        start_s,
        end_s,
        distance_m=2000.0,
    )
    money = LegMoney(0, (), True, (), (), (), "", 0.0, None, 2000.0)
    return (
        Journey((leg,), start_s, end_s, DATE, "Europe/Helsinki", "WALK"),
        ItineraryMoney((money,), (), (), (), (), (), True, 0.0),
    )


class _Network:
    """What `plan_trips` asks of a network: its date and one plan per query."""

    date = DATE

    def __init__(self, journeys: list[tuple[Journey, ItineraryMoney]]) -> None:
        self.journeys = journeys
        self.asked: list[dict[str, Any]] = []

    def plan(self, o: Any, d: Any, when: dt.datetime, **kw: Any) -> SimpleNamespace:
        self.asked.append({"when": when, **kw})
        return SimpleNamespace(
            itineraries=[j for j, _ in self.journeys], money=[m for _, m in self.journeys]
        )


def _trips(time_s: int, arrive_by: bool, mode_today: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": [7],
            "origin_lat": [ORIGIN[0]],
            "origin_lon": [ORIGIN[1]],
            "destination_lat": [DEST[0]],
            "destination_lon": [DEST[1]],
            "time_s": [time_s],
            "arrive_by": [arrive_by],
            "mode_today": [mode_today],
            "rider_category": [None],
        }
    )


def test_an_arrive_by_trip_that_arrives_early_counts_its_wait() -> None:
    # leave 8:00, walk 20 minutes, arrive 8:20 for an 8:30 appointment
    net = _Network([_walk(8 * 3600, 8 * 3600 + 1200)])
    cands, unplanned = plan_trips(net, _trips(8 * 3600 + 1800, True), _spec())  # type: ignore[arg-type]
    assert net.asked[0]["arrive_by"] is True
    assert unplanned == []
    row = cands.iloc[0]
    assert row["time_s"] == 1800.0  # requested arrival - departure
    assert row["wait_s"] == 600.0  # the ten minutes early
    assert row["walk_s"] == 1200.0


def test_a_depart_at_trip_counts_its_wait_before_leaving() -> None:
    # asked to leave at 7:50; the itinerary leaves at 8:00 and arrives 8:20
    net = _Network([_walk(8 * 3600, 8 * 3600 + 1200)])
    cands, _ = plan_trips(net, _trips(8 * 3600 - 600, False), _spec())  # type: ignore[arg-type]
    assert net.asked[0]["arrive_by"] is False
    assert cands.iloc[0]["time_s"] == 1800.0  # arrival - requested departure
    assert cands.iloc[0]["wait_s"] == 600.0


def test_a_car_candidate_takes_its_distance_at_its_speed_plus_access() -> None:
    car = CarOption(cost_per_km=0.25, parking=2.0, speed_kmh=30.0, detour=1.2, access_min=4.0)
    net = _Network([_walk(8 * 3600, 8 * 3600 + 1200)])
    cands, _ = plan_trips(net, _trips(8 * 3600, False, "car"), _spec(car))  # type: ignore[arg-type]
    row = cands[cands["combination"] == "CAR"].iloc[0]
    # ORIGIN and DEST on one meridian: the great-circle distance is R x the latitude difference
    km = EARTH_RADIUS_M * math.radians(DEST[0] - ORIGIN[0]) * 1.2 / 1000.0
    assert km == pytest.approx(2.6687, abs=1e-4)
    assert row["time_s"] == pytest.approx(km / 30.0 * 3600.0 + 4 * 60.0, rel=1e-12)
    assert row["time_s"] == pytest.approx(560.24, abs=0.01)
    assert row["walk_s"] == 240.0
    assert row["co2e_g"] == pytest.approx(km * 170.0, rel=1e-12)
    # the demo scenario ignores car legs: the car's money is "other", in cents
    assert row["other_minor"] == pytest.approx(round(100 * (0.25 * km + 2.0)), abs=1.0)
