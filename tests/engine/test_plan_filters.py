"""The itinerary filter chain (`maasmix.engine.plan_filters`): exactly which itinerary each
filter removes and which it keeps, on the synthetic street and on Helsinki."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from maasmix.engine.network import Network, compile_network
from maasmix.engine.planner import Plan
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.osm import load_osm
from tests.engine.builders import DATE, make_day
from tests.engine.plan_builders import LAT, bus_trips, lon_at, network, write_gbfs, write_street

AT = dt.datetime.combine(DATE, dt.time(8, 0))


def _net(tmp: Path, stops: dict[str, float], trips: list[Any], gbfs: Path | None = None) -> Network:
    """The synthetic street with ``stops`` {id: node position} and ``trips``."""
    street = load_osm(write_street(tmp / "street.osm"))
    day = make_day({s: (LAT, lon_at(x)) for s, x in stops.items()}, trips)
    net = Network(compile_network(day, street), min_transfer_s=0)
    if gbfs is not None:
        net.add_gbfs(load_gbfs(gbfs))
    return net


def _combos(plan: Plan) -> list[str]:
    return [j.combination for j in plan.itineraries]


def _removed(plan: Plan) -> list[tuple[str, str]]:
    return [(tag, j.combination) for tag, j in plan.filtered]


def test_walking_is_better_than_a_bike_ridden_away_from_the_goal(tmp_path: Path) -> None:
    # from node 10 to node 14 (400 m on foot); the only bikes stand at node 9.5 and return
    # at node 8: riding there and walking 600 m back arrives later and walks more
    gbfs = write_gbfs(tmp_path / "gbfs", stations=[("A", 9.5, 3, 5), ("Z", 8, 0, 5)])
    net = network(tmp_path, gbfs)
    o, d = (LAT, lon_at(10)), (LAT, lon_at(14))
    plan = net.plan(o, d, AT, modes="WALK,BICYCLE_RENTAL")
    assert _combos(plan) == ["WALK"]
    assert _removed(plan) == [("walking-is-better", "BICYCLE_RENTAL")]
    rented, walk = plan.filtered[0][1], plan.itineraries[0]
    assert [leg.to_name for leg in rented.legs] == ["Station A", "Station Z", "Destination"]
    assert rented.arrival_s > walk.arrival_s and rented.walk_s > walk.walk_s
    everything = net.plan(o, d, AT, modes="WALK,BICYCLE_RENTAL", filters=False)
    assert _combos(everything) == ["WALK", "BICYCLE_RENTAL"]
    assert everything.filtered == []


def test_rental_mostly_walking_is_removed(tmp_path: Path) -> None:
    # from node 4 to node 20: walk 600 m to the bikes at node 10, ride 200 m to node 12,
    # walk 800 m: 15 s faster than walking, but 1.4 km walked for 200 m ridden
    gbfs = write_gbfs(tmp_path / "gbfs", stations=[("A", 10, 3, 5), ("Z", 12, 2, 5)])
    net = network(tmp_path, gbfs)
    o, d = (LAT, lon_at(4)), (LAT, lon_at(20))
    plan = net.plan(o, d, AT, modes="WALK,BICYCLE,BICYCLE_RENTAL")
    assert _combos(plan) == ["BICYCLE", "WALK"]
    assert _removed(plan) == [("rental-mostly-walking", "BICYCLE_RENTAL")]
    rented, walk = plan.filtered[0][1], plan.itineraries[1]
    assert [round(leg.distance_m or 0) for leg in rented.legs] == [600, 200, 800]
    assert walk.arrival_s - rented.arrival_s == 15
    everything = net.plan(o, d, AT, modes="WALK,BICYCLE,BICYCLE_RENTAL", filters=False)
    assert _combos(everything) == ["BICYCLE", "BICYCLE_RENTAL", "WALK"]


def test_a_rental_to_the_same_bus_that_walks_more_adds_nothing(tmp_path: Path) -> None:
    # origin at node 3, the bus stop P at node 5 (200 m on foot); the bikes stand at node
    # 0 (300 m back) and return at node 5.5: both reach the 08:10 bus, the bike walks more
    gbfs = write_gbfs(tmp_path / "gbfs", stations=[("A", 0, 3, 5), ("S", 5.5, 0, 5)])
    net = network(tmp_path, gbfs, bus_trips())
    o, d = (LAT, lon_at(3)), (LAT, lon_at(26))
    plan = net.plan(o, d, AT, modes="WALK,TRANSIT,BICYCLE_RENTAL")
    assert _combos(plan) == ["WALK+TRANSIT+WALK", "WALK"]
    assert _removed(plan) == [("rental-adds-nothing", "BICYCLE_RENTAL+TRANSIT+WALK")]
    rented = plan.filtered[0][1]
    kept = plan.itineraries[0]
    bus = [leg.trip_key for leg in rented.legs if leg.is_transit]
    assert bus == [leg.trip_key for leg in kept.legs if leg.is_transit] == ["b1"]
    assert rented.arrival_s == kept.arrival_s and rented.walk_s > kept.walk_s
    everything = net.plan(o, d, AT, modes="WALK,TRANSIT,BICYCLE_RENTAL", filters=False)
    assert "BICYCLE_RENTAL+TRANSIT+WALK" in _combos(everything)


def test_near_duplicate_leaving_the_same_bus_one_stop_later(tmp_path: Path) -> None:
    # bus t1 calls at Q1 (node 24) at 08:16 and Q2 (node 25.3) at 08:17; the goal is at
    # node 25: leaving at Q1 arrives 7 s earlier and walks 53 s more than leaving at Q2.
    # A later bus t2 to Q3 at the goal itself walks least (it is protected)
    t1 = [("P", "08:10:00", "08:10:00"), ("Q1", "08:16:00", "08:16:00")]
    t1.append(("Q2", "08:17:00", "08:17:00"))
    t2 = [("P", "08:30:00", "08:30:00"), ("Q3", "08:36:00", "08:36:00")]
    net = _net(
        tmp_path, {"P": 5, "Q1": 24, "Q2": 25.3, "Q3": 25}, [("t1", "B", t1), ("t2", "C", t2)]
    )
    o, d = (LAT, lon_at(5)), (LAT, lon_at(25))

    def exits(plan: Plan) -> list[tuple[str | None, str]]:
        return [(j.legs[1].trip_key, j.legs[1].to_stop_id) for j in plan.itineraries if j.rides]

    everything = net.plan(o, d, AT, modes="TRANSIT", filters=False)
    assert exits(everything) == [("t1", "Q1"), ("t1", "Q2"), ("t2", "Q3")]
    a, b = everything.itineraries[0], everything.itineraries[1]
    assert (b.arrival_s - a.arrival_s, a.walk_s - b.walk_s) == (7, 53)
    plan = net.plan(o, d, AT, modes="TRANSIT")
    assert exits(plan) == [("t1", "Q1"), ("t2", "Q3")]
    assert _removed(plan) == [("near-duplicate", "WALK+TRANSIT+WALK")]
    assert plan.filtered[0][1].legs[1].to_stop_id == "Q2"
