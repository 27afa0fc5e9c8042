"""The planner's earliest arrival against an independent door-to-door reference.

`tests.engine.reference_door` builds its own walking graph from the ``.osm.pbf``
(scipy's Dijkstra), its own service day from the GTFS zip (pandas) and its own
Connection Scan, from the planner's documented rules and `maasmix.defaults`. Every
query of seeded random coordinate pairs at several departure times must give the same
earliest arrival to the second with the planner's default options (its selection keeps
the fastest journey whatever ``num_itineraries``; its filters never remove it), or be
refused by both: Helsinki and Milan with OSM, the Bay Area crow-fly (no OSM) without and
with Bay Wheels rentals (docked and free-floating as the whole trip, first and last
mile), where every rental leg is also checked against the GBFS facts.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from maasmix import defaults
from maasmix.engine.network import Network
from maasmix.engine.planner import Plan
from maasmix.errors import FeedWarning, QueryError
from tests.engine.reference_door import (
    Bikeshare,
    DoorReference,
    GtfsDay,
    WalkGraph,
    haversine,
)

pytestmark = pytest.mark.slow

TIMES = ("07:30", "12:10", "17:45")
"""Departure times of every pair (local time of the service day)."""

PAIRS = 100
"""Random coordinate pairs per city (each planned at every one of `TIMES`)."""


def _network(gtfs: list[Path], osm: Path | None, date: str, cache: Path) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(gtfs=gtfs, osm=osm, date=date, cache_dir=cache)


def _in_box(box: tuple[float, float, float, float], seed: int) -> np.ndarray:
    """`PAIRS` (origin, destination) pairs uniform in ``box``: float64 (PAIRS, 2, 2) of
    (lat, lon)."""
    west, south, east, north = box
    rng = np.random.default_rng(seed)
    return np.stack(
        [rng.uniform(south, north, (PAIRS, 2)), rng.uniform(west, east, (PAIRS, 2))], axis=2
    )


def _compare(
    net: Network,
    ref: DoorReference,
    date: str,
    points: np.ndarray,
    bikeshare: Bikeshare | None = None,
    check: Callable[[Plan], list[str]] | None = None,
) -> tuple[list[str], dict[str, int]]:
    """Plan the pairs of ``points`` (see `_in_box`) at `TIMES`; the mismatches (one line
    each) and the count of each kind of reference answer. With ``bikeshare``: rentals
    too (``BICYCLE_RENTAL``), and ``check`` runs on every plan (its findings are
    mismatches too)."""
    modes = "WALK,TRANSIT" + (",BICYCLE_RENTAL" if bikeshare is not None else "")
    lat, lon = points[:, :, 0], points[:, :, 1]
    day = dt.date.fromisoformat(f"{date[:4]}-{date[4:6]}-{date[6:]}")
    bad: list[str] = []
    kinds = {"walk": 0, "transit": 0, "rental": 0, "none": 0, "refused": 0}
    for i in range(len(points)):
        o, d = (float(lat[i, 0]), float(lon[i, 0])), (float(lat[i, 1]), float(lon[i, 1]))
        for hhmm in TIMES:
            when_s = int(hhmm[:2]) * 3600 + int(hhmm[3:]) * 60
            want = ref.earliest_arrival(o, d, when_s, bikeshare)
            try:
                plan = net.plan(o, d, f"{day.isoformat()}T{hhmm}", modes=modes)
                got: int | str | None = min((j.arrival_s for j in plan.itineraries), default=None)
                if check is not None:
                    bad += [f"from {o} to {d} at {hhmm}: {x}" for x in check(plan)]
            except QueryError:
                got = "refused"
            expect: int | str | None = "refused" if want.refused else want.arrival
            kinds[want.how.split(",")[0]] += 1
            if got != expect:
                bad.append(
                    f"from {o} to {d} at {hhmm}: planner {got}, reference {expect} "
                    f"({want.how}; zero-ride walk via stops {want.zero_ride})"
                )
    return bad, kinds


@pytest.fixture(scope="module")
def helsinki(
    dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Network, DoorReference]:
    gtfs = [dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")]
    osm = dataset("osm-helsinki", "Helsinki.osm.pbf")
    ref = DoorReference(GtfsDay.read(gtfs, dt.date(2022, 2, 22)), WalkGraph.from_pbf(osm))
    return _network(gtfs, osm, "20220222", tmp_path_factory.mktemp("cache")), ref


@pytest.fixture(scope="module")
def milan(
    dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Network, DoorReference]:
    gtfs = [dataset("gtfs-milan", "milano_small_gtfs.zip")]
    osm = dataset("osm-milan", "milan_italy_small.osm.pbf")
    ref = DoorReference(GtfsDay.read(gtfs, dt.date(2014, 10, 20)), WalkGraph.from_pbf(osm))
    return _network(gtfs, osm, "20141020", tmp_path_factory.mktemp("cache")), ref


def test_helsinki_walk_transit_equals_reference(helsinki: tuple[Network, DoorReference]) -> None:
    net, ref = helsinki
    box = (24.9360, 60.1650, 24.9525, 60.1785)
    bad, kinds = _compare(net, ref, "20220222", _in_box(box, seed=7))
    assert kinds["transit"] >= 100, kinds  # the queries do exercise transit
    assert not bad, "\n".join(bad)


def test_milan_walk_transit_equals_reference(milan: tuple[Network, DoorReference]) -> None:
    net, ref = milan
    graph = ref.graph
    assert graph is not None
    lat, lon = graph.lat[graph.snap], graph.lon[graph.snap]  # the central 60 % of streets
    west, east = (float(x) for x in np.quantile(lon, [0.2, 0.8]))
    south, north = (float(x) for x in np.quantile(lat, [0.2, 0.8]))
    bad, kinds = _compare(net, ref, "20141020", _in_box((west, south, east, north), seed=11))
    assert kinds["transit"] >= 30, kinds
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def bay_area(
    dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Network, DoorReference]:
    gtfs = [dataset("gtfs-bay-area", "bart.zip"), dataset("gtfs-bay-area", "caltrain.zip")]
    ref = DoorReference(GtfsDay.read(gtfs, dt.date(2019, 3, 5)), None)
    return _network(gtfs, None, "20190305", tmp_path_factory.mktemp("cache")), ref


@pytest.fixture(scope="module")
def baywheels(dataset: Callable[..., Path]) -> Bikeshare:
    return Bikeshare.read(dataset("gbfs-bay-area-baywheels"))


@pytest.fixture(scope="module")
def bay_area_rentals(
    dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> Network:
    gtfs = [dataset("gtfs-bay-area", "bart.zip"), dataset("gtfs-bay-area", "caltrain.zip")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=gtfs,
            gbfs=[dataset("gbfs-bay-area-baywheels")],
            date="20190305",
            cache_dir=tmp_path_factory.mktemp("cache"),
        )


def _near_stops(ref: DoorReference, seed: int, spread_deg: float = 0.006) -> np.ndarray:
    """`PAIRS` pairs, each point within ``spread_deg`` of a random served stop (a crow-fly
    city's stations are kilometres apart: uniform points would rarely reach transit)."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(ref.day.stop_ids), (PAIRS, 2))
    lat = ref.day.lat[pick] + rng.uniform(-spread_deg, spread_deg, (PAIRS, 2))
    lon = ref.day.lon[pick] + rng.uniform(-spread_deg, spread_deg, (PAIRS, 2))
    return np.stack([lat, lon], axis=2)


def test_bay_area_crow_fly_walk_transit_equals_reference(
    bay_area: tuple[Network, DoorReference],
) -> None:
    net, ref = bay_area
    bad, kinds = _compare(net, ref, "20190305", _near_stops(ref, seed=5))
    assert kinds["transit"] >= 100, kinds
    assert not bad, "\n".join(bad)


def _local(bs: Bikeshare, seed: int) -> np.ndarray:
    """`PAIRS` // 2 pairs: an origin within 0.005 degrees of a random station, a
    destination within 0.03 degrees of the origin (a bike trip's length)."""
    rng = np.random.default_rng(seed)
    n = PAIRS // 2
    pick = rng.integers(0, len(bs.st_id), n)
    o_lat = bs.st_lat[pick] + rng.uniform(-0.005, 0.005, n)
    o_lon = bs.st_lon[pick] + rng.uniform(-0.005, 0.005, n)
    lat = np.column_stack([o_lat, o_lat + rng.uniform(-0.03, 0.03, n)])
    lon = np.column_stack([o_lon, o_lon + rng.uniform(-0.03, 0.03, n)])
    return np.stack([lat, lon], axis=2)


def _rental_facts(bs: Bikeshare) -> Callable[[Plan], list[str]]:
    """Facts on every rental leg of a crow-fly plan: the vehicle is free (or the station
    renting with a bike), the return station is another one with a free dock, the
    distance is crow-fly x the detour factor and the ride time is pick-up + distance /
    speed + drop-off, rounded up (Bay Wheels publishes no range: nothing to exceed)."""
    renting = set(bs.st_id[bs.renting].tolist())
    returning = set(bs.st_id[bs.returning].tolist())
    free = set(bs.v_id.tolist())

    def check(plan: Plan) -> list[str]:
        out: list[str] = []
        for j in plan.itineraries:
            for leg in j.legs:
                if leg.rental is None:
                    continue
                r = leg.rental
                metres = (
                    float(haversine(leg.from_lat, leg.from_lon, leg.to_lat, leg.to_lon))
                    * defaults.DETOUR_FACTOR
                )
                ride = defaults.RENTAL_PICKUP_S + metres / bs.speed + defaults.RENTAL_DROPOFF_S
                facts = {
                    "vehicle free": r.vehicle_id is None or r.vehicle_id in free,
                    "station renting": r.vehicle_id is not None or r.from_station_id in renting,
                    "dock free": r.vehicle_id is not None or r.to_station_id in returning,
                    "another station": r.vehicle_id is not None
                    or r.to_station_id != r.from_station_id,
                    "distance crow-fly x detour": abs((leg.distance_m or 0.0) - metres) <= 0.051,
                    "ride = pick-up + distance / speed + drop-off": leg.duration_s
                    == int(np.ceil(ride)),
                    "ride within MAX_RIDE_S": metres / bs.speed <= defaults.MAX_RIDE_S,
                }
                out += [
                    f"rental leg {r.vehicle_id or r.from_station_id} -> "
                    f"{r.to_station_id or 'parked'} ({leg.distance_m} m, {leg.duration_s} s): "
                    f"not {fact}"
                    for fact, ok in facts.items()
                    if not ok
                ]
        return out

    return check


def test_bay_area_crow_fly_rentals_equal_reference(
    bay_area: tuple[Network, DoorReference], bay_area_rentals: Network, baywheels: Bikeshare
) -> None:
    _, ref = bay_area
    bad, kinds = _compare(
        bay_area_rentals,
        ref,
        "20190305",
        np.concatenate([_near_stops(ref, seed=9)[: PAIRS // 2], _local(baywheels, seed=9)]),
        bikeshare=baywheels,
        check=_rental_facts(baywheels),
    )
    assert not bad, "\n".join(bad)
    assert kinds["rental"] >= 30 and kinds["transit"] >= 30, kinds
