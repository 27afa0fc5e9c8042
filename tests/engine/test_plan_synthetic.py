"""Door-to-door plans on a synthetic street with exact answers."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
import shapely

from maasmix import defaults
from maasmix.engine.planner import Plan
from maasmix.errors import QueryError
from maasmix.geodesy import haversine_m
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, band, lon_at, network, write_gbfs

AT = dt.datetime.combine(DATE, dt.time(8, 0))
WALK = defaults.WALK_SPEED_MPS
PICK, DROP = defaults.RENTAL_PICKUP_S, defaults.RENTAL_DROPOFF_S


def metres(x0: float, x1: float) -> float:
    return float(haversine_m(LAT, lon_at(x0), LAT, lon_at(x1)))


def by_combination(plan: Plan) -> dict[str, object]:
    return {j.combination: j for j in plan.itineraries}


def rental_legs(plan: Plan, combination: str):  # type: ignore[no-untyped-def]
    journey = by_combination(plan)[combination]
    return [leg for leg in journey.legs if leg.is_rental]  # type: ignore[attr-defined]


def test_docked_bike_beats_walking_with_exact_times(tmp_path: Path) -> None:
    gbfs = write_gbfs(tmp_path / "gbfs", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    net = network(tmp_path, gbfs)
    plan = net.plan((LAT, lon_at(0)), (LAT, lon_at(30)), AT, modes="WALK,BICYCLE_RENTAL")
    combos = by_combination(plan)
    walk = combos["WALK"]
    rent = combos["BICYCLE_RENTAL"]
    assert walk.duration_s == math.ceil(metres(0, 30) / WALK)  # type: ignore[attr-defined]
    speed = defaults.RIDE_SPEED_MPS[("bicycle", "human")]
    w1 = math.ceil(metres(0, 1) / WALK)
    ride = math.ceil(w1 + PICK + metres(1, 29) / speed + DROP - w1)
    legs = rent.legs  # type: ignore[attr-defined]
    assert [leg.mode for leg in legs] == ["WALK", "BICYCLE", "WALK"]
    assert legs[0].duration_s == w1
    assert abs(legs[1].duration_s - ride) <= 1
    assert legs[2].duration_s == pytest.approx(metres(29, 30) / WALK, abs=1.0)
    assert legs[1].rental.from_station_id == "A" and legs[1].rental.to_station_id == "B"
    assert rent.arrival_s < walk.arrival_s  # type: ignore[attr-defined]
    assert plan.itineraries[0].combination == "BICYCLE_RENTAL"
    assert rent.transfers == 0  # type: ignore[attr-defined]


def test_empty_station_is_avoided(tmp_path: Path) -> None:
    gbfs = write_gbfs(
        tmp_path / "gbfs", stations=[("A", 1, 0, 5), ("A2", 3, 2, 5), ("B", 29, 2, 5)]
    )
    plan = network(tmp_path, gbfs).plan(
        (LAT, lon_at(0)), (LAT, lon_at(30)), AT, modes="BICYCLE_RENTAL"
    )
    (leg,) = rental_legs(plan, "BICYCLE_RENTAL")
    assert leg.rental.from_station_id == "A2"


def test_full_destination_dock_is_avoided(tmp_path: Path) -> None:
    gbfs = write_gbfs(
        tmp_path / "gbfs", stations=[("A", 1, 2, 5), ("B", 29, 2, 0), ("B2", 26, 2, 3)]
    )
    plan = network(tmp_path, gbfs).plan(
        (LAT, lon_at(0)), (LAT, lon_at(30)), AT, modes="BICYCLE_RENTAL"
    )
    (leg,) = rental_legs(plan, "BICYCLE_RENTAL")
    assert leg.rental.to_station_id == "B2"


def test_no_parking_zone_makes_the_rider_park_outside_and_walk(tmp_path: Path) -> None:
    zone = band(24.5, 30.5, {"ride_allowed": False, "ride_through_allowed": True}, "no parking")
    gbfs = write_gbfs(tmp_path / "gbfs", scooters=[("s1", 0.5)], zones=[zone])
    plan = network(tmp_path, gbfs).plan(
        (LAT, lon_at(0)), (LAT, lon_at(30)), AT, modes="SCOOTER_RENTAL"
    )
    journey = by_combination(plan)["SCOOTER_RENTAL"]
    modes = [leg.mode for leg in journey.legs]  # type: ignore[attr-defined]
    assert modes == ["WALK", "SCOOTER", "WALK"]
    ride = journey.legs[1]  # type: ignore[attr-defined]
    polygon = shapely.geometry.shape(zone["geometry"])
    assert not polygon.contains(shapely.Point(ride.to_lon, ride.to_lat))
    assert ride.to_lon == pytest.approx(lon_at(24))  # the last node before the zone
    assert ride.rental.vehicle_id == "s1"
    last = journey.legs[2]  # type: ignore[attr-defined]
    assert last.duration_s == pytest.approx(metres(24, 30) / WALK, abs=1.0)


def test_speed_limited_zone_lengthens_the_ride_by_the_expected_seconds(tmp_path: Path) -> None:
    origin, dest = (LAT, lon_at(0)), (LAT, lon_at(30))
    free = network(tmp_path / "a", write_gbfs(tmp_path / "a" / "gbfs", scooters=[("s1", 0)]))
    slow_zone = band(
        9.6, 20.4, {"ride_allowed": True, "ride_through_allowed": True, "maximum_speed_kph": 9}
    )
    slow = network(
        tmp_path / "b",
        write_gbfs(tmp_path / "b" / "gbfs", scooters=[("s1", 0)], zones=[slow_zone]),
    )
    (tmp_path / "a").mkdir(exist_ok=True)
    r_free = rental_legs(free.plan(origin, dest, AT, modes="SCOOTER_RENTAL"), "SCOOTER_RENTAL")[0]
    r_slow = rental_legs(slow.plan(origin, dest, AT, modes="SCOOTER_RENTAL"), "SCOOTER_RENTAL")[0]
    speed = defaults.RIDE_SPEED_MPS[("scooter_standing", "electric")]
    inside = metres(9.6, 20.4)  # the part of the street inside the zone, exactly
    expected = inside / (9 / 3.6) - inside / speed
    assert r_slow.duration_s - r_free.duration_s == pytest.approx(expected, abs=1.0)


@pytest.fixture
def bus_net(tmp_path: Path):  # type: ignore[no-untyped-def]
    gbfs = write_gbfs(tmp_path / "gbfs", stations=[("A", 0.5, 2, 5), ("S", 5.5, 0, 5)])
    return network(tmp_path, gbfs)


def test_arrive_by_returns_the_latest_departure_arriving_in_time(bus_net) -> None:  # type: ignore[no-untyped-def]
    origin, dest = (LAT, lon_at(4)), (LAT, lon_at(26))
    deadline = dt.datetime.combine(DATE, dt.time(8, 45))
    plan = bus_net.plan(origin, dest, deadline, arrive_by=True, modes="WALK,TRANSIT")
    transit = by_combination(plan)["WALK+TRANSIT+WALK"]
    access = math.ceil(metres(4, 5) / WALK)
    egress = math.ceil(metres(25, 26) / WALK)
    # buses at :00, :10, ... take 6 min: the 08:30 bus arrives 08:36, the 08:40 one at
    # 08:46, too late for 08:45
    bus = transit.legs[1]  # type: ignore[attr-defined]
    assert bus.start_s == 8 * 3600 + 30 * 60
    assert transit.departure_s == bus.start_s - access  # type: ignore[attr-defined]
    assert transit.arrival_s == bus.end_s + egress  # type: ignore[attr-defined]
    assert transit.arrival_s <= 8 * 3600 + 45 * 60  # type: ignore[attr-defined]
    # one second later, the forward plan misses that bus and arrives too late
    later = dt.datetime.combine(DATE, dt.time(0)) + dt.timedelta(seconds=transit.departure_s + 1)  # type: ignore[attr-defined]
    forward = bus_net.plan(origin, dest, later, modes="TRANSIT")
    best = min(j.arrival_s for j in forward.itineraries if "TRANSIT" in j.combination)
    assert best > 8 * 3600 + 45 * 60


def test_a_bike_leg_is_never_a_transfer(bus_net) -> None:  # type: ignore[no-untyped-def]
    plan = bus_net.plan((LAT, lon_at(0)), (LAT, lon_at(26)), AT, modes="TRANSIT,BICYCLE_RENTAL")
    rented = [j for j in plan.itineraries if any(leg.is_rental for leg in j.legs)]
    with_bus = [j for j in rented if any(leg.is_transit for leg in j.legs)]
    assert with_bus, [j.combination for j in plan.itineraries]
    for j in with_bus:
        assert j.rides == 1 and j.transfers == 0


@pytest.mark.parametrize(
    ("origin", "parameter"),
    [((91.0, 9.0), "from"), ((45.0, 181.0), "from"), ((45.9, 9.0), "from")],
)
def test_bad_coordinates(bus_net, origin, parameter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryError) as err:
        bus_net.plan(origin, (LAT, lon_at(3)), AT)
    assert err.value.parameter == parameter


def test_bad_mode_and_time(bus_net) -> None:  # type: ignore[no-untyped-def]
    o, d = (LAT, lon_at(0)), (LAT, lon_at(3))
    with pytest.raises(QueryError) as err:
        bus_net.plan(o, d, AT, modes="WALK,TELEPORT")
    assert err.value.parameter == "modes"
    before = dt.datetime.combine(DATE - dt.timedelta(days=1), dt.time(20, 0))
    with pytest.raises(QueryError) as err:
        bus_net.plan(o, d, before, arrive_by=True)
    assert err.value.parameter == "at"


def test_every_leg_geometry_starts_and_ends_at_its_places(bus_net) -> None:  # type: ignore[no-untyped-def]
    plan = bus_net.plan((LAT, lon_at(0)), (LAT, lon_at(26)), AT)
    assert plan.itineraries
    for j in plan.itineraries:
        for leg in j.legs:
            assert leg.geometry[0] == pytest.approx((leg.from_lon, leg.from_lat))
            assert leg.geometry[-1] == pytest.approx((leg.to_lon, leg.to_lat))
        assert np.all(np.diff([leg.start_s for leg in j.legs]) >= 0)


def test_pareto_over_walking_keeps_a_later_trip_with_less_walk(tmp_path: Path) -> None:
    from maasmix.engine.network import Network, compile_network
    from maasmix.feeds.osm import load_osm
    from tests.engine.builders import make_day
    from tests.engine.plan_builders import write_street

    stops = {"N": (LAT, lon_at(1)), "F": (LAT, lon_at(8)), "Q": (LAT, lon_at(25))}
    trips = [
        ("fast", "B1", [("F", "08:12:00", "08:12:00"), ("Q", "08:18:00", "08:18:00")]),
        ("near", "B2", [("N", "08:20:00", "08:20:00"), ("Q", "08:40:00", "08:40:00")]),
    ]
    street = load_osm(write_street(tmp_path / "street.osm"))
    net = Network(compile_network(make_day(stops, trips), street), min_transfer_s=0)
    plan = net.plan((LAT, lon_at(0)), (LAT, lon_at(25)), AT, modes="TRANSIT")
    rides = {leg.route_id for j in plan.itineraries for leg in j.legs if leg.is_transit}
    assert rides == {"B1", "B2"}  # the fast bus (more walking) and the near one (less)
    walks = {j.legs[1].route_id: j.walk_s for j in plan.itineraries}
    arrivals = {j.legs[1].route_id: j.arrival_s for j in plan.itineraries}
    assert walks["B2"] < walks["B1"] and arrivals["B2"] > arrivals["B1"]


def test_plan_converts_to_a_geodataframe(bus_net) -> None:  # type: ignore[no-untyped-def]
    plan = bus_net.plan((LAT, lon_at(0)), (LAT, lon_at(26)), AT)
    frame = plan.to_geodataframe()
    assert len(frame) == sum(len(j.legs) for j in plan.itineraries)
    assert frame.crs.to_epsg() == 4326
    assert set(frame.geometry.geom_type) == {"LineString"}
    assert {"itinerary", "leg", "mode", "start", "end", "distance_m"} <= set(frame.columns)
