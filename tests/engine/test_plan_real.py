"""Door-to-door plans on real feeds, checking facts about every result."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from maasmix import defaults
from maasmix.engine import TransitRouter
from maasmix.engine.network import Network, compile_network
from maasmix.engine.plan_access import walk_access
from maasmix.engine.plan_query import Query
from maasmix.engine.planner import Plan, PlanOptions
from maasmix.errors import FeedWarning, QueryError
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.osm import load_osm
from maasmix.geodesy import haversine_m
from tests.engine.builders import DATE, make_day

pytestmark = pytest.mark.slow

HELSINKI_OSM = (24.9360, 60.1650, 24.9525, 60.1785)
"""Inside the Helsinki OSM extract (west, south, east, north)."""


def _quiet() -> warnings.catch_warnings:  # type: ignore[type-arg]
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore", FeedWarning)
    return ctx


@pytest.fixture(scope="module")
def helsinki(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            osm=dataset("osm-helsinki", "Helsinki.osm.pbf"),
            gbfs=[dataset("gbfs-helsinki-hsl")],
            date="20220222",
            cache_dir=tmp_path_factory.mktemp("cache"),
        )


@pytest.fixture(scope="module")
def bay(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=[dataset("gtfs-bay-area", "bart.zip"), dataset("gtfs-bay-area", "caltrain.zip")],
            gbfs=[dataset("gbfs-bay-area-baywheels")],
            date="20190305",
            cache_dir=tmp_path_factory.mktemp("cache"),
        )


def _pairs(net: Network, n: int, seed: int, box: tuple[float, float, float, float] | None = None):  # type: ignore[no-untyped-def]
    west, south, east, north = box or net.compiled.bbox
    rng = np.random.default_rng(seed)
    lat = rng.uniform(south, north, (n, 2))
    lon = rng.uniform(west, east, (n, 2))
    return [((lat[i, 0], lon[i, 0]), (lat[i, 1], lon[i, 1])) for i in range(n)]


def _check_plan_facts(plan: Plan, net: Network) -> None:
    """Facts every plan must satisfy, whatever the city."""
    rentals = {r.system_id: r for r in net.rentals}
    tt = net.compiled.timetable
    stops = set(zip(tt.stop_lon.tolist(), tt.stop_lat.tolist(), strict=True))
    for j in plan.itineraries:
        assert j.departure_s <= j.arrival_s
        assert j.transfers == max(sum(1 for leg in j.legs if leg.is_transit) - 1, 0)
        for a, b in zip(j.legs[:-1], j.legs[1:], strict=True):
            assert a.end_s <= b.start_s
            assert not (a.mode == "WALK" and b.mode == "WALK" and a.end_s == b.start_s), j
        for leg in j.legs:
            assert leg.geometry, leg
            assert leg.geometry[0] == pytest.approx((leg.from_lon, leg.from_lat))
            assert leg.geometry[-1] == pytest.approx((leg.to_lon, leg.to_lat))
            if not leg.is_transit and plan.streets == "osm":
                # honest legs: the distance is the length of the geometry, a footpath
                # between two stops (a straight line) counted x the detour factor
                walked = _walked_length(leg.geometry, stops)
                assert leg.distance_m == pytest.approx(walked, rel=0.01, abs=1.0)
            if leg.rental is None:
                continue
            r = rentals[leg.rental.system_id]
            assert not leg.is_transit
            if leg.rental.from_station_id is not None:
                i = int(np.flatnonzero(r.station_ids == leg.rental.from_station_id)[0])
                assert r.station_renting[i]
                assert sum(int(c[i]) for c in r.station_counts.values()) > 0  # had a bike
            if leg.rental.to_station_id is not None:
                k = int(np.flatnonzero(r.station_ids == leg.rental.to_station_id)[0])
                assert r.station_returning[k] and r.station_docks[k] > 0  # had a free dock
            if leg.rental.vehicle_id is not None:
                v = int(np.flatnonzero(r.vehicle_ids == leg.rental.vehicle_id)[0])
                assert r.vehicle_usable[v]


def _length(geometry: tuple[tuple[float, float], ...]) -> float:
    """Haversine length of a (lon, lat) line, metres."""
    g = np.asarray(geometry, dtype=np.float64)
    if len(g) < 2:
        return 0.0
    return float(haversine_m(g[:-1, 1], g[:-1, 0], g[1:, 1], g[1:, 0]).sum())


def _walked_length(
    geometry: tuple[tuple[float, float], ...], stops: set[tuple[float, float]]
) -> float:
    """`_length` with each straight segment from a stop to another stop (a footpath, whose
    walking distance is crow-fly x the detour factor) counted x ``DETOUR_FACTOR``."""
    g = np.asarray(geometry, dtype=np.float64)
    if len(g) < 2:
        return 0.0
    seg = haversine_m(g[:-1, 1], g[:-1, 0], g[1:, 1], g[1:, 0])
    at_stop = np.array([tuple(p) in stops for p in geometry])
    footpath = at_stop[:-1] & at_stop[1:]
    return float(np.where(footpath, seg * defaults.DETOUR_FACTOR, seg).sum())


def test_helsinki_plans(helsinki: Network) -> None:
    at = dt.datetime(2022, 2, 22, 8, 15)
    seen: set[str] = set()
    rented = shaped = 0
    for origin, dest in _pairs(helsinki, 25, 1, HELSINKI_OSM):
        for arrive_by in (False, True):
            plan = helsinki.plan(origin, dest, at, arrive_by=arrive_by)
            assert plan.itineraries, (origin, dest)
            assert plan.streets == "osm"
            _check_plan_facts(plan, helsinki)
            seen |= {j.combination for j in plan.itineraries}
            rented += sum(any(leg.is_rental for leg in j.legs) for j in plan.itineraries)
            shaped += sum(
                len(leg.geometry) > len(leg.intermediate_stops) + 2
                for j in plan.itineraries
                for leg in j.legs
                if leg.is_transit
            )
            if arrive_by:
                assert all(j.arrival_s <= 8 * 3600 + 15 * 60 for j in plan.itineraries)
    assert {"WALK", "BICYCLE", "WALK+TRANSIT+WALK"} <= seen
    assert rented > 0
    assert shaped > 0  # transit legs drawn along shapes.txt, not only stop to stop
    assert any("snapshot" in n for n in plan.notices)  # the 2021 GBFS against a 2022 plan


def test_helsinki_transit_part_equals_stop_to_stop_raptor(helsinki: Network) -> None:
    router = TransitRouter(helsinki.compiled.timetable, min_transfer_s=helsinki.min_transfer_s)
    tt = helsinki.compiled.timetable
    compared = 0
    for origin, dest in _pairs(helsinki, 20, 5, HELSINKI_OSM):
        plan = helsinki.plan(origin, dest, "2022-02-22T08:30:00", modes="TRANSIT")
        q = Query(helsinki, origin, dest, PlanOptions())
        a_stops, a_secs = walk_access(q, False).arrays()
        e_stops, e_secs = walk_access(q, True).arrays()
        access = {str(tt.stop_ids[s]): int(x) for s, x in zip(a_stops, a_secs, strict=True)}
        egress = {str(tt.stop_ids[s]): int(x) for s, x in zip(e_stops, e_secs, strict=True)}
        ref = router.journeys(access, egress, 8 * 3600 + 30 * 60)
        ends = [
            (j.arrival_s + egress.get(j.legs[-1].to_stop_id, 0), j.rides) for j in ref if j.legs
        ]
        ref_best = min((a for a, rides in ends if rides), default=None)
        ours = [j.arrival_s for j in plan.itineraries if j.combination == "WALK+TRANSIT+WALK"]
        if ref_best is None:
            # RAPTOR's best goes without a ride (the same stop both ways); a transit plan
            # with less walking (McRAPTOR) may still be offered
            continue
        assert ours and min(ours) == ref_best
        compared += 1
    assert compared >= 5


def test_bay_area_crow_fly_with_docked_and_free_floating(bay: Network) -> None:
    box = (-122.45, 37.74, -122.38, 37.80)  # San Francisco, docks and bikes, BART
    at = dt.datetime(2019, 3, 5, 8, 0)
    kinds = {"docked": 0, "free": 0}
    for origin, dest in _pairs(bay, 15, 3, box):
        plan = bay.plan(origin, dest, at)
        assert plan.streets == "crow-fly"
        assert any("crow-fly" in n for n in plan.notices)
        _check_plan_facts(plan, bay)
        for j in plan.itineraries:
            for leg in j.legs:
                if leg.rental is not None:
                    kinds["docked" if leg.rental.docked else "free"] += 1
    # an SF trip to Oakland takes BART
    plan = bay.plan((37.7599, -122.4148), (37.8044, -122.2712), at, modes="WALK,TRANSIT")
    assert any(leg.mode == "SUBWAY" for j in plan.itineraries for leg in j.legs)
    assert kinds["docked"] + kinds["free"] > 0


def test_bay_area_point_far_outside(bay: Network) -> None:
    with pytest.raises(QueryError) as err:
        bay.plan((38.7, -122.4), (37.78, -122.41), "2019-03-05T08:00:00")  # 100 km north
    assert err.value.parameter == "from"


@pytest.fixture(scope="module")
def oslo(dataset: Callable[..., Path]) -> tuple[Network, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        streets = load_osm(dataset("osm-oslo-east", "oslo-east-filtered.osm.pbf"))
        snap = load_gbfs(dataset("gbfs-oslo-tier"))
    # TIER publishes only geofencing here: add its scooter type and scooters in east Oslo
    rng = np.random.default_rng(4)
    n = 400
    west, south, east, north = streets.bbox
    vehicles = pd.DataFrame(
        {
            "vehicle_id": [f"tier-{i}" for i in range(n)],
            "lat": rng.uniform(south, north, n),
            "lon": rng.uniform(west, east, n),
            "station_id": pd.Series([None] * n, dtype=object),
            "vehicle_type_id": ["YTI:VehicleType:escooter_oslo"] * n,
            "current_range_m": np.full(n, 20000.0),
            "is_reserved": pd.array([False] * n, dtype="boolean"),
            "is_disabled": pd.array([False] * n, dtype="boolean"),
            "pricing_plan_id": pd.Series([None] * n, dtype=object),
            "last_reported": pd.Series([pd.NaT] * n, dtype="datetime64[ns, UTC]"),
        }
    )
    types = pd.DataFrame(
        {
            "vehicle_type_id": ["YTI:VehicleType:escooter_oslo"],
            "form_factor": ["scooter_standing"],
            "propulsion_type": ["electric"],
            "max_range_m": [40000.0],
            "name": ["TIER scooter"],
            "pricing_plan_ids": [()],
            "default_pricing_plan_id": [None],
            "max_permitted_speed_kph": [np.nan],
        }
    )
    snap = dataclasses.replace(snap, vehicles=vehicles, vehicle_types=types)
    day = make_day(
        {"A": (59.90, 10.75), "B": (59.92, 10.78)},
        [("t1", "R", [("A", "08:00:00", "08:00:00"), ("B", "08:10:00", "08:10:00")])],
    )
    net = Network(compile_network(day, streets))
    net.add_gbfs(snap)
    return net, snap.geofencing_zones


def _rides_through(line: shapely.LineString, geoms: list[object], through_ok: np.ndarray) -> bool:
    """Whether more than 1 cm of ``line`` lies where riding through is forbidden: zones
    taken one by one in file order, each deciding the part of the line not yet decided
    (an independent reading of GBFS precedence, one shapely call per zone and leg)."""
    left = line
    deg_per_cm = 0.01 / 111_195.0 / np.cos(np.radians(59.9))  # a centimetre east-west
    for g, ok in zip(geoms, through_ok, strict=True):
        if left.is_empty:
            return False
        if not ok and left.intersection(g).length > deg_per_cm:
            return True
        left = left.difference(g)
    return False


def test_oslo_scooters_respect_geofencing(oslo: tuple[Network, pd.DataFrame]) -> None:
    net, zones = oslo
    typed = zones[zones["vehicle_type_ids"].map(lambda ids: "YTI:VehicleType:escooter_oslo" in ids)]
    first = typed.drop_duplicates("zone_id")  # the first rule of each zone for the type
    geoms = first["geometry"].tolist()
    end_ok = first["ride_end_allowed"].fillna(True).astype(bool).to_numpy()
    through_ok = first["ride_through_allowed"].fillna(True).astype(bool).to_numpy()

    def rule(x: np.ndarray, y: np.ndarray, flags: np.ndarray) -> np.ndarray:
        """The flag of the first zone (file order) containing each point; True outside."""
        out = np.ones(len(x), bool)
        decided = np.zeros(len(x), bool)
        for g, flag in zip(geoms, flags, strict=True):
            inside = shapely.contains_xy(g, x, y) & ~decided
            out[inside] = flag
            decided |= inside
        return out

    west, south, east, north = net.compiled.bbox
    box = (west + 0.02, south + 0.01, east - 0.02, north - 0.01)
    rides = 0
    at = dt.datetime.combine(DATE, dt.time(12))
    for origin, dest in _pairs(net, 40, 9, box):
        try:
            plan = net.plan(origin, dest, at, modes="WALK,SCOOTER_RENTAL")
        except QueryError:
            continue
        _check_plan_facts(plan, net)
        for j in plan.itineraries:
            for leg in j.legs:
                if leg.mode != "SCOOTER":
                    continue
                rides += 1
                assert rule(np.array([leg.to_lon]), np.array([leg.to_lat]), end_ok).all()
                # the street path ridden (every OSM node of its ways; the first and last
                # points are the vehicle and the parking place, linked crow-fly)
                inner = leg.geometry[1:-1]
                if len(inner) >= 2:
                    assert not _rides_through(shapely.LineString(inner), geoms, through_ok), (
                        leg.rental.vehicle_id
                    )
    assert rides >= 5


# ---------------------------------------------------------------- README example, honest legs

README_FROM, README_TO = (60.1699, 24.9384), (60.1841, 24.9501)
"""The README's Helsinki example; its destination lies 556 m beyond the OSM extract."""


def test_readme_example_legs_are_as_long_as_their_geometry(helsinki: Network) -> None:
    plan = helsinki.plan(README_FROM, README_TO, "2022-02-22T08:00")
    assert [j.combination for j in plan.itineraries] == ["BICYCLE", "WALK+TRANSIT+WALK", "WALK"]
    street = [leg for j in plan.itineraries for leg in j.legs if not leg.is_transit]
    for leg in street:
        assert leg.distance_m == pytest.approx(_length(leg.geometry), rel=0.01)
        speed = 1.33 if leg.mode == "WALK" else 5.0
        assert leg.duration_s == pytest.approx(leg.distance_m / speed, abs=1.0)
    transit = plan.itineraries[1]
    walks = [leg for leg in transit.legs if leg.mode == "WALK"]
    # the walk after the metro: 710 m in 535 s (was 154 m, the link to the street left out)
    assert [round(leg.distance_m or 0) for leg in walks] == [204, 710]
    assert [leg.duration_s for leg in walks] == [154, 535]
    assert plan.notices[0] == (
        "destination (60.184100, 24.950100) is 556 m from the nearest street of the network: "
        "joined to it by a straight line, walked at 1.33 m/s"
    )
    assert plan.notices[1].startswith(
        "itinerary 2 (WALK+TRANSIT+WALK) leaves at 08:01:26, 1 min after the requested time, "
        "to board its first ride (subway M1 at 08:04:00 from Rautatientori)"
    )


def test_points_beyond_the_streets_link_crow_fly_up_to_the_limit(helsinki: Network) -> None:
    walk = helsinki.compiled.walk
    assert walk is not None
    near = (60.1940, 24.9500)  # beyond the extract's north edge
    node, dist = walk.nearest([near[0]], [near[1]])
    metres = float(dist[0])
    assert 1000 < metres < 2000
    plan = helsinki.plan(README_FROM, near, "2022-02-22T08:00", modes="WALK")
    assert plan.notices[0].startswith(f"destination (60.194000, 24.950000) is {metres:.0f} m")
    (leg,) = plan.itineraries[0].legs
    assert leg.distance_m == pytest.approx(_length(leg.geometry), rel=0.01)
    assert leg.geometry[-2] == pytest.approx((walk.lon[node[0]], walk.lat[node[0]]))
    far = (60.2100, 24.9500)
    with pytest.raises(QueryError) as err:
        helsinki.plan(far, README_TO, "2022-02-22T08:00")
    assert err.value.parameter == "from"
    assert "km from the nearest street of the network (at most 2 km: max_link_m)" in str(err.value)
    with pytest.raises(QueryError) as tight:
        helsinki.plan(README_FROM, near, "2022-02-22T08:00", max_link_m=500)
    assert tight.value.parameter == "to"


def test_a_time_without_trips_says_so(helsinki: Network) -> None:
    plan = helsinki.plan(README_FROM, README_TO, "2022-02-23T08:00", modes="WALK,TRANSIT")
    assert [j.combination for j in plan.itineraries] == ["WALK"]
    assert any(
        n.startswith("the network holds the timetable of the service day 2022-02-22 only")
        for n in plan.notices
    )
    assert any(
        n.startswith("no transit trip of the service day 2022-02-22 leaves after 32:00:00")
        for n in plan.notices
    )


# ---------------------------------------------------------------- the filter chain on Helsinki


def _trips(j: object) -> list[str]:
    return [str(leg.trip_key) for leg in j.legs if leg.is_transit]  # type: ignore[attr-defined]


def test_helsinki_filter_walking_and_cycling_are_better(helsinki: Network) -> None:
    o, d = (60.16754, 24.94248), (60.16813, 24.94988)
    plan = helsinki.plan(o, d, "2022-02-22T08:00")
    assert [j.combination for j in plan.itineraries] == ["BICYCLE", "WALK"]
    bike, walk = plan.itineraries
    assert (bike.arrival_s, walk.arrival_s, walk.walk_s) == (28925, 29145, 345)
    removed = [(tag, j.combination, _trips(j), j.arrival_s, j.walk_s) for tag, j in plan.filtered]
    tram, metro = ["1002_20220204_Ti_2_1217#3"], ["31M1_20220204_Ti_1_0750#17"]
    assert removed == [
        # tram 1007 (29208) is found since a stop reached without a ride no longer hides
        # a ride reaching it later (29230 by tram 1002 before)
        ("cycling-is-better", "BICYCLE+TRANSIT+WALK", ["1007_20220204_Ti_2_0722#2"], 29208, 108),
        # walking arrives 85 s earlier and walks 17 s more than the tram: within 60 s
        ("walking-is-better", "WALK+TRANSIT+WALK", tram, 29230, 328),
        ("cycling-is-better", "BICYCLE+TRANSIT+BICYCLE", metro, 29239, 0),
        ("walking-is-better", "BICYCLE_RENTAL", [], 29449, 425),
        (
            "walking-is-better",
            "BICYCLE_RENTAL+TRANSIT+WALK",
            ["1002_20220204_Ti_1_0750#5"],
            29762,
            500,
        ),
    ]
    everything = helsinki.plan(o, d, "2022-02-22T08:00", filters=False)
    assert [j.combination for j in everything.itineraries] == [
        "BICYCLE",
        "WALK",
        "BICYCLE+TRANSIT+WALK",
        "WALK+TRANSIT+WALK",
        "BICYCLE+TRANSIT+BICYCLE",
        "BICYCLE_RENTAL",
    ]


def test_helsinki_filter_rental_adds_nothing_on_the_readme_example(helsinki: Network) -> None:
    plan = helsinki.plan(README_FROM, README_TO, "2022-02-22T08:00")
    assert [(tag, j.combination) for tag, j in plan.filtered] == [
        ("cycling-is-better", "BICYCLE+TRANSIT+BICYCLE"),
        ("cycling-is-better", "BICYCLE+TRANSIT+WALK"),
        ("rental-adds-nothing", "BICYCLE_RENTAL+TRANSIT+WALK"),
    ]
    # the own bike with the metro arrives 60 s after the bike all the way (29,363 s)
    bike, metro = plan.itineraries[0], plan.filtered[0][1]
    assert (bike.combination, bike.arrival_s, metro.arrival_s) == ("BICYCLE", 29303, 29363)
    rented = plan.filtered[2][1]
    assert [(leg.mode, leg.to_name) for leg in rented.legs] == [
        ("WALK", "Erottajan aukio"),
        ("BICYCLE", "Vanha kirkkopuisto"),
        ("WALK", "Rautatientori"),
        ("BUS", "Hakaniemi"),
        ("WALK", "Destination"),
    ]
    assert _trips(rented) == ["1071_20220204_Ti_1_1327#5"]
    assert (rented.arrival_s, rented.walk_s) == (30677, 1434)
    # the same bus 71 reached on foot from the origin: the same arrival, 154 s walked
    # instead of 997 s there
    kept = plan.itineraries[1]
    assert kept.legs[0].to_name == "Rautatientori" and kept.legs[0].duration_s == 154


def test_helsinki_filter_rental_mostly_walking(helsinki: Network) -> None:
    o, d = (60.16759, 24.94924), (60.16758, 24.93735)
    plan = helsinki.plan(o, d, "2022-02-22T08:00")
    assert [j.combination for j in plan.itineraries] == ["BICYCLE", "WALK+TRANSIT+WALK", "WALK"]
    assert [(tag, j.combination) for tag, j in plan.filtered] == [
        ("cycling-is-better", "BICYCLE+TRANSIT+WALK"),
        ("cycling-is-better", "BICYCLE+TRANSIT+BICYCLE"),
        ("rental-mostly-walking", "BICYCLE_RENTAL"),
        ("walking-is-better", "BICYCLE_RENTAL+TRANSIT+WALK"),
        ("walking-is-better", "WALK+TRANSIT+BICYCLE_RENTAL"),
        ("walking-is-better", "BICYCLE_RENTAL+TRANSIT+BICYCLE_RENTAL"),
    ]
    rented = plan.filtered[2][1]
    # 492 m ridden between 356 m and 404 m of walking
    assert [round(leg.distance_m or 0) for leg in rented.legs] == [356, 492, 404]
    assert rented.legs[1].rental is not None
    assert rented.legs[1].from_name == "Erottajan aukio"
    # the bike to a tram arrives 401 s after the tram reached on foot, walking 203 s more
    other, kept = plan.filtered[3][1], plan.itineraries[1]
    assert (other.arrival_s - kept.arrival_s, other.walk_s - kept.walk_s) == (401, 203)


def test_helsinki_filter_near_duplicate(helsinki: Network) -> None:
    o, d = (60.16899, 24.94674), (60.17785, 24.93853)
    plan = helsinki.plan(o, d, "2022-02-22T08:00")
    dupes = [j for tag, j in plan.filtered if tag == "near-duplicate"]
    assert len(dupes) == 1
    dupe = dupes[0]
    twin = next(j for j in plan.itineraries if _trips(j) == _trips(dupe))
    assert _trips(dupe) == ["1004S_20220214_Ti_1_1320#0"]
    # the same tram left one stop later: 13 s later, 47 s less walking
    assert (dupe.arrival_s - twin.arrival_s, twin.walk_s - dupe.walk_s) == (13, 47)
    assert twin.legs[1].to_name != dupe.legs[1].to_name
    everything = helsinki.plan(o, d, "2022-02-22T08:00", filters=False)
    assert any(
        _trips(j) == _trips(dupe) and j.arrival_s == dupe.arrival_s for j in everything.itineraries
    )
