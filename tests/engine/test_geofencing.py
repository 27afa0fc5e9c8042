"""Exact geofencing on a synthetic street: edge geometry against zone polygons, zone
precedence, speed limits by length inside, time windows, station parking; vehicle range."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from maasmix import defaults
from maasmix.engine.network import Network
from maasmix.engine.planner import Plan, plan
from maasmix.geodesy import haversine_m
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, band, lon_at, network, write_gbfs

AT = dt.datetime.combine(DATE, dt.time(8, 0))
SPEED = defaults.RIDE_SPEED_MPS[("scooter_standing", "electric")]
ORIGIN, DEST = (LAT, lon_at(0)), (LAT, lon_at(30))


def metres(x0: float, x1: float) -> float:
    return float(haversine_m(LAT, lon_at(x0), LAT, lon_at(x1)))


def polygon(ring: list[tuple[float, float]], rules: dict[str, Any], **props: Any) -> dict[str, Any]:
    """A feature of one polygon given as (node position, metres north of the street)."""
    coords = [[lon_at(x), LAT + north / 111_195.0] for x, north in ring]
    coords.append(coords[0])
    return {
        "type": "Feature",
        "properties": {"name": "zone", "rules": [rules], **props},
        "geometry": {"type": "Polygon", "coordinates": [coords]},
    }


def scooter_plan(net: Network, when: dt.datetime = AT, to: float = 30) -> Plan:
    return plan(net, ORIGIN, (LAT, lon_at(to)), when, modes="SCOOTER_RENTAL")


def ride_leg(p: Plan):  # type: ignore[no-untyped-def]
    (journey,) = [j for j in p.itineraries if j.combination == "SCOOTER_RENTAL"]
    (leg,) = [leg for leg in journey.legs if leg.is_rental]
    return leg


def edge(net: Network, a: int, b: int) -> int:
    bike = net.compiled.bike
    assert bike is not None
    lon_a, lon_b = lon_at(a), lon_at(b)
    hit = np.flatnonzero(
        np.isclose(bike.lon[bike.src], lon_a, atol=1e-9)
        & np.isclose(bike.lon[bike.to], lon_b, atol=1e-9)
    )
    assert len(hit) == 1
    return int(hit[0])


NO_RIDE = {"ride_allowed": False, "ride_through_allowed": False}


def test_an_edge_clipping_a_zone_corner_is_forbidden(tmp_path: Path) -> None:
    # a triangle whose lowest corner dips 5 m across the street between nodes 10.3 and
    # 10.4: both ends (10, 11) and the midpoint (10.5) of the edge lie outside
    corner = polygon([(10.35, -5.0), (10.1, 60.0), (10.6, 60.0)], NO_RIDE)
    net = network(tmp_path, write_gbfs(tmp_path / "gbfs", scooters=[("s1", 0.5)], zones=[corner]))
    system = net.rentals[0]
    geo = system.geo("scooter", AT.replace(tzinfo=dt.UTC))
    assert geo.edge_cost is not None
    e = edge(net, 10, 11)
    assert np.isinf(geo.edge_cost[e]) and np.isinf(geo.edge_cost[edge(net, 11, 10)])
    assert np.isinf(geo.edge_cost).sum() == 2  # nothing else is forbidden
    _, _, through, _ = geo.point_rules(
        np.array([LAT, LAT, LAT]), np.array([lon_at(10), lon_at(10.5), lon_at(11)])
    )
    assert through.all()  # what the midpoint-and-ends test saw
    ride = ride_leg(scooter_plan(net, to=14))
    assert ride.to_lon == pytest.approx(lon_at(10))  # the ride stops before the edge
    assert max(x for x, _ in ride.geometry) <= lon_at(10) + 1e-9


def test_a_speed_zone_covering_half_an_edge_adds_exactly_the_expected_seconds(
    tmp_path: Path,
) -> None:
    slow = band(
        10.5, 11, {"ride_allowed": True, "ride_through_allowed": True, "maximum_speed_kph": 9}
    )
    # the zone's edges on the 1e-7 degree grid of the OSM file: it ends exactly at node 11
    ring = slow["geometry"]["coordinates"][0][0]
    for point in ring:
        point[0] = round(point[0], 7)
    mid = ring[0][0]
    free = network(tmp_path / "a", write_gbfs(tmp_path / "a" / "gbfs", scooters=[("s1", 0)]))
    net = network(
        tmp_path / "b", write_gbfs(tmp_path / "b" / "gbfs", scooters=[("s1", 0)], zones=[slow])
    )
    geo = net.rentals[0].geo("scooter")
    e = edge(net, 10, 11)
    bike = net.compiled.bike
    assert bike is not None
    a, b = bike.lon[bike.src[e]], bike.lon[bike.to[e]]
    share = (b - mid) / (b - a)
    assert share == pytest.approx(0.5, abs=1e-3)
    half = bike.length_m[e] * share
    expected = (bike.length_m[e] - half) / SPEED + half / (9 / 3.6)
    assert geo.edge_cost is not None
    assert geo.edge_cost[e] == pytest.approx(expected, rel=1e-9)
    others = np.arange(bike.n_edges) != e
    others &= np.arange(bike.n_edges) != edge(net, 11, 10)
    assert np.allclose(geo.edge_cost[others], bike.length_m[others] / SPEED)
    extra = half / (9 / 3.6) - half / SPEED  # 10 s
    d_free = ride_leg(scooter_plan(free)).duration_s
    d_slow = ride_leg(scooter_plan(net)).duration_s
    assert d_slow - d_free == pytest.approx(extra, abs=1.0)


def test_the_first_zone_in_file_order_wins(tmp_path: Path) -> None:
    allow = band(12, 14, {"ride_allowed": True, "ride_through_allowed": True})
    forbid = band(11, 15, NO_RIDE)
    # allow first: only the parts of the forbidding zone outside it block the ride
    net = network(
        tmp_path / "a",
        write_gbfs(tmp_path / "a" / "gbfs", scooters=[("s1", 0.5)], zones=[allow, forbid]),
    )
    geo = net.rentals[0].geo("scooter")
    assert geo.edge_cost is not None
    assert np.isfinite(geo.edge_cost[edge(net, 12, 13)])
    assert np.isinf(geo.edge_cost[edge(net, 11, 12)])
    # forbid first: it wins everywhere it covers
    net2 = network(
        tmp_path / "b",
        write_gbfs(tmp_path / "b" / "gbfs", scooters=[("s1", 0.5)], zones=[forbid, allow]),
    )
    geo2 = net2.rentals[0].geo("scooter")
    assert geo2.edge_cost is not None
    assert np.isinf(geo2.edge_cost[edge(net2, 12, 13)])


def test_zone_time_windows_apply_at_the_planned_time(tmp_path: Path) -> None:
    rome = dt.timezone(dt.timedelta(hours=1))
    start = dt.datetime.combine(DATE, dt.time(9, 0), tzinfo=rome)
    end = dt.datetime.combine(DATE, dt.time(10, 0), tzinfo=rome)
    closed = band(14.5, 15.5, NO_RIDE)
    closed["properties"]["start"] = int(start.timestamp())
    closed["properties"]["end"] = int(end.timestamp())
    net = network(tmp_path, write_gbfs(tmp_path / "gbfs", scooters=[("s1", 0.5)], zones=[closed]))
    before = ride_leg(scooter_plan(net, AT, to=18))
    during = ride_leg(scooter_plan(net, dt.datetime.combine(DATE, dt.time(9, 30)), to=18))
    after = ride_leg(scooter_plan(net, dt.datetime.combine(DATE, dt.time(10, 0)), to=18))
    assert before.to_lon == pytest.approx(lon_at(18))
    assert during.to_lon == pytest.approx(lon_at(14))
    assert after.to_lon == pytest.approx(lon_at(18))


def test_station_parking_ends_the_ride_at_a_station_inside_the_zone(tmp_path: Path) -> None:
    zone = band(
        20.5, 31, {"ride_allowed": True, "ride_through_allowed": True, "station_parking": True}
    )
    gbfs = write_gbfs(
        tmp_path / "gbfs", stations=[("S", 27, 0, 5)], scooters=[("s1", 0.5)], zones=[zone]
    )
    ride = ride_leg(scooter_plan(network(tmp_path, gbfs)))
    assert ride.rental.to_station_id == "S"
    assert (ride.to_lat, ride.to_lon) == pytest.approx((LAT, lon_at(27)))


def test_global_rules_apply_outside_all_zones(tmp_path: Path) -> None:
    # a GBFS 3.0-like reading: outside every zone riding is forbidden; one corridor allows it
    net = network(tmp_path, write_gbfs(tmp_path / "gbfs", scooters=[("s1", 0.5)]))
    system = net.rentals[0]
    import pandas as pd

    glob = pd.DataFrame(
        {
            "vehicle_type_ids": [()],
            "ride_start_allowed": pd.array([True], dtype="boolean"),
            "ride_end_allowed": pd.array([True], dtype="boolean"),
            "ride_through_allowed": pd.array([True], dtype="boolean"),
            "station_parking": pd.array([False], dtype="boolean"),
            "maximum_speed_kph": [9.0],
        }
    )
    import dataclasses

    system.snapshot = dataclasses.replace(system.snapshot, geofencing_global_rules=glob)
    system._geo.clear()
    geo = system.geo("scooter")
    bike = net.compiled.bike
    assert bike is not None and geo.edge_cost is not None
    assert np.allclose(geo.edge_cost, bike.length_m / (9 / 3.6))


def test_a_vehicle_with_too_short_a_range_gives_way_to_the_next_usable_one(tmp_path: Path) -> None:
    # s1 is nearest but holds 500 m of range; s2, 150 m farther, can make the 2.8 km ride
    gbfs = write_gbfs(tmp_path / "gbfs", scooters=[("s1", 0.5, 500.0), ("s2", 2.0, 15000.0)])
    net = network(tmp_path, gbfs)
    ride = ride_leg(scooter_plan(net))
    assert ride.rental.vehicle_id == "s2"
    assert ride.to_lon == pytest.approx(lon_at(30))
    # the short-range scooter still serves a short ride (300 m)
    short = plan(net, ORIGIN, (LAT, lon_at(3.5)), AT, modes="SCOOTER_RENTAL")
    (j,) = [j for j in short.itineraries if j.combination == "SCOOTER_RENTAL"]
    (leg,) = [leg for leg in j.legs if leg.is_rental]
    assert leg.rental.vehicle_id == "s1"
    assert leg.distance_m * defaults.RANGE_RESERVE <= 500.0
    assert j.legs[0].to_stop_id == "s1"


def test_an_edge_whose_way_bends_into_a_zone_is_forbidden(tmp_path: Path) -> None:
    """One way of three OSM nodes, the middle one 50 m north of the chord: the graph has
    one edge per direction, its ends and its chord outside a small no-ride zone around
    the bend; only the way's polyline enters it."""
    from maasmix.engine.network import compile_network
    from maasmix.feeds.gbfs import load_gbfs
    from maasmix.feeds.osm import load_osm
    from tests.engine.builders import make_day

    north = 50.0 / 111_195.0
    pts = [(LAT, lon_at(0)), (LAT + north, lon_at(0.5)), (LAT, lon_at(1)), (LAT, lon_at(2))]
    nodes = "\n".join(
        f'  <node id="{i + 1}" lat="{la:.7f}" lon="{lo:.7f}" version="1"/>'
        for i, (la, lo) in enumerate(pts)
    )
    osm = tmp_path / "bend.osm"
    osm.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        f"{nodes}\n"
        '  <way id="1" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
        '<tag k="highway" v="residential"/></way>\n'
        '  <way id="2" version="1"><nd ref="3"/><nd ref="4"/>'
        '<tag k="highway" v="residential"/></way>\n</osm>\n'
    )
    zone = polygon([(0.4, 40.0), (0.6, 40.0), (0.6, 60.0), (0.4, 60.0)], NO_RIDE)
    gbfs = write_gbfs(tmp_path / "gbfs", scooters=[("s1", 0)], zones=[zone])
    day = make_day(
        {"P": (LAT, lon_at(0)), "Q": (LAT, lon_at(2))},
        [("t", "B", [("P", "08:00:00", "08:00:00"), ("Q", "08:05:00", "08:05:00")])],
    )
    net = Network(compile_network(day, load_osm(osm)))
    net.add_gbfs(load_gbfs(gbfs))
    bike = net.compiled.bike
    assert bike is not None and bike.n_nodes == 3 and bike.n_edges == 4
    geo = net.rentals[0].geo("scooter")
    assert geo.edge_cost is not None
    bent = np.isclose(np.minimum(bike.lon[bike.src], bike.lon[bike.to]), lon_at(0), atol=1e-9)
    assert bent.sum() == 2
    assert np.isinf(geo.edge_cost[bent]).all() and np.isfinite(geo.edge_cost[~bent]).all()
    # the LineStrings cut are each edge's polyline from tail to head (both directions)
    import shapely

    from maasmix.engine.geofencing import edge_lines

    lines = edge_lines(bike, 2.0, 3.0)
    for e in range(bike.n_edges):
        want = np.asarray(bike.edge_coordinates(e)) * [2.0, 3.0]
        np.testing.assert_allclose(shapely.get_coordinates(lines[e]), want)
    assert max(len(bike.edge_coordinates(e)) for e in range(bike.n_edges)) == 3
    # the chord's midpoint, the ends: all outside (what a point test would have seen)
    _, _, through, _ = geo.point_rules(
        np.array([LAT, LAT, LAT]), np.array([lon_at(0), lon_at(0.5), lon_at(1)])
    )
    assert through.all()


def test_a_short_range_vehicle_still_serves_a_last_mile_it_can_ride(tmp_path: Path) -> None:
    # bus P (node 5) -> Q (node 25); a scooter at Q with 1 km of range, the destination
    # 500 m beyond: the last mile is within its range
    gbfs = write_gbfs(tmp_path / "gbfs", scooters=[("low", 25.2, 1000.0)])
    net = network(tmp_path, gbfs)
    p = plan(net, (LAT, lon_at(4)), (LAT, lon_at(30)), AT, modes="WALK,TRANSIT,SCOOTER_RENTAL")
    combos = {j.combination: j for j in p.itineraries}
    last = combos["WALK+TRANSIT+SCOOTER_RENTAL"]
    (leg,) = [leg for leg in last.legs if leg.is_rental]
    assert leg.rental.vehicle_id == "low"
    assert leg.distance_m * defaults.RANGE_RESERVE <= 1000.0
    # with 300 m of range it cannot make that ride: no scooter last mile then
    gbfs2 = write_gbfs(tmp_path / "b" / "gbfs", scooters=[("low", 25.2, 300.0)])
    net2 = network(tmp_path / "b", gbfs2)
    p2 = plan(net2, (LAT, lon_at(4)), (LAT, lon_at(30)), AT, modes="WALK,TRANSIT,SCOOTER_RENTAL")
    assert all(
        leg.distance_m * defaults.RANGE_RESERVE <= 300.0
        for j in p2.itineraries
        for leg in j.legs
        if leg.is_rental
    )


def test_crow_fly_rides_never_cross_a_no_ride_zone(tmp_path: Path) -> None:
    """Without an OSM extract a ride is a straight line: one crossing a no-ride band is
    not planned, one beside it is."""
    from maasmix.engine.network import compile_network
    from maasmix.feeds.gbfs import load_gbfs
    from tests.engine.builders import make_day
    from tests.engine.plan_builders import bus_trips

    day = make_day({"P": (LAT, lon_at(5)), "Q": (LAT, lon_at(25))}, bus_trips())
    wall = band(14, 16, NO_RIDE)

    def crow(zones: list[dict[str, Any]], name: str) -> Network:
        net = Network(compile_network(day, None), min_transfer_s=0)
        net.add_gbfs(load_gbfs(write_gbfs(tmp_path / name, scooters=[("s1", 0.5)], zones=zones)))
        return net

    open_net, walled = crow([], "open"), crow([wall], "walled")
    assert open_net.compiled.crow_fly
    across = scooter_plan(open_net, to=30)
    assert ride_leg(across).rental.vehicle_id == "s1"
    blocked = scooter_plan(walled, to=30)
    assert not [j for j in blocked.itineraries if j.combination == "SCOOTER_RENTAL"]
    short = scooter_plan(walled, to=12)  # stops short of the band
    assert ride_leg(short).to_lon == pytest.approx(lon_at(12))
