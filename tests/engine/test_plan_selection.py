"""Which itineraries a plan returns: the protected best ones first, then the rest by
arrival (`maasmix.engine.plan_selection`)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from maasmix import defaults
from maasmix.engine import paths
from maasmix.engine.itinerary import Journey, Leg
from maasmix.engine.network import Network, compile_network
from maasmix.engine.plan_selection import pareto, protected, ranked, select
from maasmix.feeds.osm import load_osm
from maasmix.geodesy import haversine_m
from tests.engine.builders import DATE, make_day
from tests.engine.plan_builders import LAT, LON0, lon_at, write_street

AT = dt.datetime.combine(DATE, dt.time(8, 0))
WALK = defaults.WALK_SPEED_MPS


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def chains_network(tmp: Path, chains: int = 8) -> Network:
    """Stop A (street node 5) to stop B (node 25) by ``chains`` separate chains of trips:
    chain k rides k trips (through its own stops, far off the street, so no footpath
    joins two chains), leaves A at 08:10 and reaches B at 08:50 minus 3 min per extra
    ride: the more rides, the earlier the arrival."""
    stops = {"A": (LAT, lon_at(5)), "B": (LAT, lon_at(25))}
    trips = []
    for k in range(1, chains + 1):
        names = ["A"] + [f"M{k}_{i}" for i in range(1, k)] + ["B"]
        for i in range(1, k):
            stops[f"M{k}_{i}"] = (LAT + 0.02 * k, LON0 + 0.02 * i)
        t0, t1 = 8 * 3600 + 600, 8 * 3600 + 3000 - 180 * (k - 1)
        times = [t0 + (t1 - t0) * i // k for i in range(k + 1)]
        for i in range(k):
            a, b = _hms(times[i]), _hms(times[i + 1])
            trips.append((f"c{k}r{i}", f"R{k}", [(names[i], a, a), (names[i + 1], b, b)]))
    street = load_osm(write_street(tmp / "street.osm"))
    return Network(compile_network(make_day(stops, trips), street), min_transfer_s=0)


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory) -> Network:
    return chains_network(tmp_path_factory.mktemp("chains"))


def test_fastest_with_most_rides_is_kept_among_eight_pareto_members(chains: Network) -> None:
    plan = chains.plan((LAT, lon_at(4)), (LAT, lon_at(26)), AT, modes="TRANSIT")
    rides = [j.rides for j in plan.itineraries]
    # protected: the fastest (8 rides) and the fewest transfers (1 ride); the 4 places
    # left go to the next fastest Pareto members (7, 6, 5, 4 rides); ordered by arrival
    assert rides == [8, 7, 6, 5, 4, 1]
    egress = math.ceil(float(haversine_m(LAT, lon_at(25), LAT, lon_at(26))) / WALK)
    assert plan.itineraries[0].arrival_s == 8 * 3600 + 3000 - 180 * 7 + egress
    assert plan.itineraries[-1].arrival_s == 8 * 3600 + 3000 + egress
    assert [j.arrival_s for j in plan.itineraries] == sorted(j.arrival_s for j in plan.itineraries)


def test_num_itineraries_caps_the_rest_never_the_protected(chains: Network) -> None:
    one = chains.plan((LAT, lon_at(4)), (LAT, lon_at(26)), AT, modes="TRANSIT", num_itineraries=1)
    assert [j.rides for j in one.itineraries] == [8, 1]
    three = chains.plan((LAT, lon_at(4)), (LAT, lon_at(26)), AT, modes="TRANSIT", num_itineraries=3)
    assert [j.rides for j in three.itineraries] == [8, 7, 1]
    every = chains.plan(
        (LAT, lon_at(4)), (LAT, lon_at(26)), AT, modes="TRANSIT", num_itineraries=20
    )
    assert [j.rides for j in every.itineraries] == [8, 7, 6, 5, 4, 3, 2, 1]


# ---------------------------------------------------------------- hand-made candidates


def _journey(dep: int, arr: int, rides: int, walk: int, label: str = "") -> Journey:
    """A journey leaving at ``dep``, arriving at ``arr``: ``walk`` seconds of walking,
    then ``rides`` bus rides sharing the rest of the time."""
    legs = [Leg("WALK", "", "o", 0.0, 0.0, "s0", "s0", 0.0, 0.0, dep, dep + walk)]
    t = dep + walk
    step = (arr - t) // max(rides, 1)
    for r in range(rides):
        end = arr if r == rides - 1 else t + step
        legs.append(Leg("BUS", f"s{r}", "", 0.0, 0.0, f"s{r + 1}", "", 0.0, 0.0, t, end))
        t = end
    if rides == 0:
        legs[0] = Leg("WALK", "", "o", 0.0, 0.0, "", "d", 0.0, 0.0, dep, arr)
    return Journey(tuple(legs), dep, arr, DATE, "Europe/Rome", label)


def test_protected_depart_at_and_arrive_by() -> None:
    c = [
        _journey(100, 2000, 1, 300),  # 0: fewest transfers, later
        _journey(100, 1500, 3, 300),  # 1: fastest
        _journey(100, 1800, 2, 60),  # 2: least walking
        _journey(100, 1500, 4, 300),  # 3: as fast, more transfers
        _journey(400, 2100, 2, 200),  # 4: latest departure
    ]
    assert protected(c, arrive_by=False) == [1, 0, 2]
    assert protected(c, arrive_by=True) == [4, 0, 2]
    cost = {0: 300.0, 1: 500.0, 2: 900.0, 3: 100.0, 4: float("inf")}
    by_id = {id(j): cost[i] for i, j in enumerate(c)}
    assert protected(c, False, lambda j: {"EUR": by_id[id(j)]}) == [1, 0, 2, 3]


def test_pareto_and_rest_by_arrival() -> None:
    c = [
        _journey(0, 1000, 1, 100),  # 0
        _journey(0, 900, 2, 100),  # 1
        _journey(0, 800, 3, 100),  # 2
        _journey(0, 800, 3, 100),  # 3: same key as 2
        _journey(0, 950, 2, 100),  # 4: dominated by 1
        _journey(0, 700, 4, 100),  # 5
    ]
    assert pareto(c, False) == [0, 1, 2, 5]
    order = ranked(c, False)
    assert order[:4] == [5, 2, 1, 0]
    keep = protected(c, False)
    assert keep == [5, 0]
    assert select(keep, order, 3) == [5, 0, 2]
    assert select(keep, order, 3, flagged={2}) == [5, 0, 1]
    assert select(keep, [4, 3, 1], 3) == [5, 0, 4]
    assert select(keep, order, 1) == [5, 0]


def test_small_pareto_sets_equal_the_vectorised_filter() -> None:
    rng = np.random.default_rng(3)
    for _ in range(500):
        n, d = int(rng.integers(1, 25)), int(rng.integers(2, 4))
        points = [tuple(int(v) for v in row) for row in rng.integers(0, 5, (n, d))]
        assert paths._pareto_small(points) == _vectorised(points)


def _vectorised(points: list[tuple[int, ...]]) -> list[int]:
    small = paths._PARETO_SMALL
    try:
        paths._PARETO_SMALL = 0
        return paths._pareto_indices(points)
    finally:
        paths._PARETO_SMALL = small
