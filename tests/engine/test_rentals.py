"""Which shared vehicles and stations a plan may use, on the synthetic street (100 m
between nodes): reserved vehicles, the range reserve, the station a docked ride ends at."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from maasmix import defaults
from maasmix.engine.itinerary import Leg
from maasmix.engine.network import Network, compile_network
from maasmix.engine.planner import Plan, plan
from maasmix.errors import FeedWarning
from maasmix.feeds.gbfs import load_gbfs
from maasmix.geodesy import haversine_m
from tests.engine.builders import DATE, make_day
from tests.engine.plan_builders import LAT, band, bus_trips, lon_at, network, write_gbfs

AT = dt.datetime.combine(DATE, dt.time(8, 0))
SCOOTER_MPS = defaults.RIDE_SPEED_MPS[("scooter_standing", "electric")]


def _reserve(folder: Path, vehicle_ids: set[str]) -> Path:
    """Mark ``vehicle_ids`` reserved in the folder's free_bike_status.json."""
    path = folder / "free_bike_status.json"
    doc = json.loads(path.read_text())
    for bike in doc["data"]["bikes"]:
        bike["is_reserved"] = bike["bike_id"] in vehicle_ids
    path.write_text(json.dumps(doc))
    return folder


def _rental_legs(p: Plan, combination: str) -> list[Leg]:
    (journey,) = [j for j in p.itineraries if j.combination == combination]
    return [leg for leg in journey.legs if leg.is_rental]


def test_reserved_scooter_is_not_used(tmp_path: Path) -> None:
    gbfs = write_gbfs(tmp_path / "gbfs", scooters=[("s1", 1), ("s2", 2)])
    net = network(tmp_path, _reserve(gbfs, {"s1"}))
    (system,) = net.rentals
    assert system.vehicle_ids.tolist() == ["s1", "s2"]
    assert system.vehicle_usable.tolist() == [False, True]
    p = plan(net, (LAT, lon_at(0)), (LAT, lon_at(30)), AT, modes="SCOOTER_RENTAL")
    (leg,) = _rental_legs(p, "SCOOTER_RENTAL")
    assert leg.rental is not None and leg.rental.vehicle_id == "s2"  # the nearest is reserved
    assert leg.distance_m == pytest.approx(2800.0, abs=0.5)


def test_without_reservation_the_nearest_scooter_is_used(tmp_path: Path) -> None:
    net = network(tmp_path, write_gbfs(tmp_path / "gbfs", scooters=[("s1", 1), ("s2", 2)]))
    p = plan(net, (LAT, lon_at(0)), (LAT, lon_at(30)), AT, modes="SCOOTER_RENTAL")
    (leg,) = _rental_legs(p, "SCOOTER_RENTAL")
    assert leg.rental is not None and leg.rental.vehicle_id == "s1"


@pytest.mark.parametrize(("range_m", "vehicle"), [(3000.0, "s2"), (3200.0, "s1")])
def test_range_reserve_decides_the_scooter(tmp_path: Path, range_m: float, vehicle: str) -> None:
    # s1's ride to node 30 is 2,900 m: 3,000 m of range is not enough with the 10 % reserve
    # (3,190 m needed), 3,200 m is
    gbfs = write_gbfs(tmp_path / "gbfs", scooters=[("s1", 1, range_m), ("s2", 2)])
    net = network(tmp_path, gbfs)
    p = plan(net, (LAT, lon_at(0)), (LAT, lon_at(30)), AT, modes="SCOOTER_RENTAL")
    (leg,) = _rental_legs(p, "SCOOTER_RENTAL")
    assert leg.rental is not None and leg.rental.vehicle_id == vehicle
    ride_m = 2900.0 if vehicle == "s1" else 2800.0
    assert leg.distance_m == pytest.approx(ride_m, abs=0.5)


def test_docked_ride_never_ends_where_it_started(tmp_path: Path) -> None:
    # origin at node 10, A (a bike, docks) at node 11, C (docks only) at node 13, the
    # destination at node 12: the only ride is A -> C and a walk back; ending at A itself
    # (a ride of 0 m) is no ride at all
    gbfs = write_gbfs(tmp_path / "gbfs", stations=[("A", 11, 1, 5), ("C", 13, 0, 5)])
    net: Network = network(tmp_path, gbfs)
    # slower than walking: the filter chain would drop it (filters=False keeps it)
    p = plan(net, (LAT, lon_at(10)), (LAT, lon_at(12)), AT, modes="BICYCLE_RENTAL", filters=False)
    walk_to, ride, walk_back = _rental_journey_legs(p)
    assert ride.rental is not None
    assert (ride.rental.from_station_id, ride.rental.to_station_id) == ("A", "C")
    assert ride.distance_m == pytest.approx(200.0, abs=0.5)
    speed = defaults.RIDE_SPEED_MPS[("bicycle", "human")]
    expected = defaults.RENTAL_PICKUP_S + 200.0 / speed + defaults.RENTAL_DROPOFF_S
    assert ride.end_s - ride.start_s == int(np.ceil(expected))
    assert walk_to.distance_m == pytest.approx(100.0, abs=0.5)
    assert walk_back.distance_m == pytest.approx(100.0, abs=0.5)


def _rental_journey_legs(p: Plan) -> list[Leg]:
    (journey,) = [j for j in p.itineraries if any(leg.is_rental for leg in j.legs)]
    return list(journey.legs)


def test_stations_alone_take_the_network_timezone(tmp_path: Path) -> None:
    folder = write_gbfs(tmp_path / "registry", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    for path in folder.iterdir():
        if path.name != "station_information.json":
            path.unlink()
    with pytest.warns(FeedWarning, match=r"only station_information\.json"):
        snapshot = load_gbfs(folder)
    assert snapshot.system.timezone == "Etc/UTC"
    net = network(tmp_path, None)
    system = net.add_gbfs(snapshot)
    assert net.timezone == "Europe/Rome"
    assert system.snapshot.system.timezone == "Europe/Rome"
    assert system.last_updated == snapshot.system.last_updated  # the same instant
    assert system.last_updated.isoformat() == "2024-03-05T09:00:00+01:00"
    assert not system.has_status
    # a system that publishes its timezone keeps it
    own = write_gbfs(tmp_path / "own", stations=[("A", 1, 3, 5)])
    doc = json.loads((own / "system_information.json").read_text())
    doc["data"]["timezone"] = "Europe/Oslo"
    (own / "system_information.json").write_text(json.dumps(doc))
    assert net.add_gbfs(load_gbfs(own)).snapshot.system.timezone == "Europe/Oslo"


# ------------------------------------------------------------ crow-fly streets (no OSM)

NO_THROUGH = {"vehicle_type_ids": ["bike", "scooter"], "ride_through_allowed": False}
NO_RIDE = band(27, 28, NO_THROUGH)
"""A band across the street between nodes 27 and 28 that no bike or scooter rides through."""


def _crow_network(tmp: Path, gbfs: Path) -> Network:
    """The synthetic stops and bus (P at node 5 -> Q at node 25) without any street."""
    day = make_day({"P": (LAT, lon_at(5)), "Q": (LAT, lon_at(25))}, bus_trips())
    net = Network(compile_network(day, None), min_transfer_s=0)
    net.add_gbfs(load_gbfs(gbfs))
    assert net.compiled.crow_fly and net.compiled.detour_factor == defaults.DETOUR_FACTOR
    return net


def _crow_m(x0: float, x1: float) -> float:
    return float(haversine_m(LAT, lon_at(x0), LAT, lon_at(x1))) * defaults.DETOUR_FACTOR


def _ride_s(metres: float, speed: float) -> int:
    return int(np.ceil(defaults.RENTAL_PICKUP_S + metres / speed + defaults.RENTAL_DROPOFF_S))


@pytest.mark.parametrize("zones", [[], [NO_RIDE]], ids=["open", "no-ride band"])
def test_crow_fly_last_mile(tmp_path: Path, zones: list[dict[str, object]]) -> None:
    # off the bus at Q (node 25): a bike at A (25.5) docked at C (29.5), or scooter s1
    # (26) parked at the destination (node 30); straight lines x the detour factor
    gbfs = write_gbfs(
        tmp_path / "gbfs",
        stations=[("A", 25.5, 1, 5), ("C", 29.5, 0, 5)],
        scooters=[("s1", 26)],
        zones=zones,
    )
    net = _crow_network(tmp_path, gbfs)
    at = dt.datetime.combine(DATE, dt.time(7, 55))
    docked = plan(net, (LAT, lon_at(5)), (LAT, lon_at(30)), at, modes="WALK,TRANSIT,BICYCLE_RENTAL")
    free = plan(net, (LAT, lon_at(5)), (LAT, lon_at(30)), at, modes="WALK,TRANSIT,SCOOTER_RENTAL")
    rented = [j for p in (docked, free) for j in p.itineraries if any(x.is_rental for x in j.legs)]
    if zones:  # both rides would cross the band
        assert rented == []
        return
    bus, walk_to, ride, walk_from = _rental_journey_legs(docked)
    assert bus.mode == "BUS" and bus.end_s == 8 * 3600 + 6 * 60
    assert ride.rental is not None
    assert (ride.rental.from_station_id, ride.rental.to_station_id) == ("A", "C")
    assert ride.distance_m == pytest.approx(_crow_m(25.5, 29.5), abs=0.06)
    speed = defaults.RIDE_SPEED_MPS[("bicycle", "human")]
    assert ride.end_s - ride.start_s == _ride_s(_crow_m(25.5, 29.5), speed)
    assert walk_to.distance_m == pytest.approx(_crow_m(25, 25.5), abs=0.06)
    assert walk_from.distance_m == pytest.approx(_crow_m(29.5, 30), abs=0.06)
    bus, walk_to, ride = _rental_journey_legs(free)
    assert ride.rental is not None and ride.rental.vehicle_id == "s1"
    assert (ride.to_lat, ride.to_lon) == (LAT, lon_at(30))  # parked at the destination
    assert ride.distance_m == pytest.approx(_crow_m(26, 30), abs=0.06)
    assert ride.end_s - ride.start_s == _ride_s(_crow_m(26, 30), SCOOTER_MPS)


@pytest.mark.parametrize("zones", [[], [band(8, 12, NO_THROUGH)]], ids=["open", "no-ride band"])
def test_crow_fly_docked_whole_trip(tmp_path: Path, zones: list[dict[str, object]]) -> None:
    gbfs = write_gbfs(tmp_path / "gbfs", stations=[("A", 1, 1, 5), ("C", 20, 0, 5)], zones=zones)
    net = _crow_network(tmp_path, gbfs)
    p = plan(net, (LAT, lon_at(0)), (LAT, lon_at(21)), AT, modes="BICYCLE_RENTAL")
    if zones:  # the straight ride from A to C crosses the band
        assert p.itineraries == []
        return
    walk_to, ride, walk_from = _rental_journey_legs(p)
    assert ride.rental is not None
    assert (ride.rental.from_station_id, ride.rental.to_station_id) == ("A", "C")
    speed = defaults.RIDE_SPEED_MPS[("bicycle", "human")]
    assert ride.distance_m == pytest.approx(_crow_m(1, 20), abs=0.06)
    assert ride.end_s - ride.start_s == _ride_s(_crow_m(1, 20), speed)
    assert walk_to.distance_m == pytest.approx(_crow_m(0, 1), abs=0.06)
    assert walk_from.distance_m == pytest.approx(_crow_m(20, 21), abs=0.06)
    assert walk_to.start_s == 8 * 3600 and walk_from.end_s == p.itineraries[0].arrival_s
