"""Rentals on crow-fly streets (Bay Area: GTFS + GBFS, no OSM): docked and free-floating
bikes as first mile, last mile and whole trip, every leg checked against the snapshot and
the crow-fly rules (straight line x detour, pick-up + distance / speed + drop-off), and the
docked whole trip against a brute force over every pair of stations."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from maasmix.engine.itinerary import Journey, Leg
from maasmix.engine.network import Network
from maasmix.engine.planner import PlanOptions
from maasmix.engine.rentals import RentalSystem
from maasmix.errors import FeedWarning
from maasmix.geodesy import haversine_m

pytestmark = pytest.mark.slow

SF = (-122.45, 37.74, -122.38, 37.80)
"""San Francisco (west, south, east, north): docks, free-floating bikes, BART."""

AT = dt.datetime(2019, 3, 5, 8, 0)
DEPART_S = 8 * 3600
OPT = PlanOptions()


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


@pytest.fixture(scope="module")
def docked_only(bay: Network) -> Network:
    """The same network and stations without the free-floating bikes."""
    (system,) = bay.rentals
    snapshot = dataclasses.replace(system.snapshot, vehicles=system.snapshot.vehicles.iloc[:0])
    rentals = [RentalSystem.build(bay.compiled, snapshot)]
    return Network(bay.compiled, rentals, min_transfer_s=bay.min_transfer_s)


def _pairs(n: int, seed: int) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    west, south, east, north = SF
    rng = np.random.default_rng(seed)
    lat = rng.uniform(south, north, (n, 2))
    lon = rng.uniform(west, east, (n, 2))
    return [((lat[i, 0], lon[i, 0]), (lat[i, 1], lon[i, 1])) for i in range(n)]


def _crow_m(net: Network, a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    return float(haversine_m(a_lat, a_lon, b_lat, b_lon)) * net.compiled.detour_factor


def _seconds_ok(duration_s: int, expected_s: float) -> bool:
    """A leg's whole seconds are its exact time rounded up (float noise aside)."""
    return math.ceil(expected_s - 1e-6) <= duration_s <= math.ceil(expected_s + 1e-6)


def _check_rental_leg(net: Network, leg: Leg) -> str:
    """Facts of one rental leg; returns ``"docked"`` or ``"free"``."""
    assert leg.rental is not None
    (r,) = [s for s in net.rentals if s.system_id == leg.rental.system_id]
    speed = r.types[r.station_type_id].speed_mps
    ride_m = _crow_m(net, leg.from_lat, leg.from_lon, leg.to_lat, leg.to_lon)
    assert leg.distance_m == pytest.approx(ride_m, abs=0.06)
    assert _seconds_ok(leg.end_s - leg.start_s, OPT.pickup_s + ride_m / speed + OPT.dropoff_s)
    if leg.rental.docked:
        i = int(np.flatnonzero(r.station_ids == leg.rental.from_station_id)[0])
        k = int(np.flatnonzero(r.station_ids == leg.rental.to_station_id)[0])
        assert i != k  # never back to the station it was taken from
        assert r.station_renting[i] and r.station_counts[r.station_type_id][i] > 0  # a bike
        assert r.station_returning[k] and r.station_docks[k] > 0  # a free dock
        assert (leg.from_lat, leg.from_lon) == (r.station_lat[i], r.station_lon[i])
        assert (leg.to_lat, leg.to_lon) == (r.station_lat[k], r.station_lon[k])
        return "docked"
    assert leg.rental.vehicle_id is not None and leg.rental.from_station_id is None
    v = int(np.flatnonzero(r.vehicle_ids == leg.rental.vehicle_id)[0])
    assert r.vehicle_usable[v]  # neither reserved nor disabled
    assert (leg.from_lat, leg.from_lon) == (r.vehicle_lat[v], r.vehicle_lon[v])
    rng = float(r.vehicle_range_m[v])
    assert not rng < ride_m * 1.1  # the range with its 10 % reserve (NaN: unpublished)
    return "free"


def _check_journey(net: Network, j: Journey) -> list[tuple[str, str]]:
    """Facts of every leg; returns (kind, role) of each rental leg, role one of
    ``whole``, ``first``, ``last``."""
    ws = net.compiled.walk_speed
    for a, b in zip(j.legs[:-1], j.legs[1:], strict=True):
        assert a.end_s <= b.start_s
        assert (a.to_lat, a.to_lon) == pytest.approx((b.from_lat, b.from_lon))
    transit = [i for i, leg in enumerate(j.legs) if leg.is_transit]
    out = []
    for i, leg in enumerate(j.legs):
        near = j.legs[max(i - 1, 0) : i + 2]
        if leg.mode == "WALK" and any(x.rental is not None for x in near):
            # to or from a rental: straight line x detour at walking speed
            walk_m = _crow_m(net, leg.from_lat, leg.from_lon, leg.to_lat, leg.to_lon)
            assert leg.distance_m == pytest.approx(walk_m, abs=0.06)
            assert _seconds_ok(leg.end_s - leg.start_s, walk_m / ws)
        if leg.rental is None:
            continue
        role = "whole" if not transit else ("first" if i < transit[0] else "last")
        out.append((_check_rental_leg(net, leg), role))
    return out


def test_every_rental_leg_follows_the_rules(bay: Network, docked_only: Network) -> None:
    seen: set[tuple[str, str]] = set()
    # the free-floating bikes beat the docks nearly everywhere: docks alone on the same pairs
    for net in (bay, docked_only):
        for origin, dest in _pairs(12, 3):
            plan = net.plan(origin, dest, AT, filters=False)  # every candidate kept
            assert plan.streets == "crow-fly"
            for j in plan.itineraries:
                seen |= set(_check_journey(net, j))
    # docked and free-floating bikes, as first mile, last mile and whole trip
    assert seen == {(k, r) for k in ("docked", "free") for r in ("whole", "first", "last")}


def _brute_force_docked(net: Network, o: tuple[float, float], d: tuple[float, float]) -> float:
    """Seconds of the fastest walk -> docked bike -> walk from ``o`` to ``d`` over every
    pair of stations (a bike at the first, a free dock at the second, not the same one),
    with the plan's limits on walking and riding; inf when there is none."""
    (r,) = net.rentals
    det, ws = net.compiled.detour_factor, net.compiled.walk_speed
    speed = r.types[r.station_type_id].speed_mps
    starts = np.flatnonzero(r.station_renting & (r.station_counts[r.station_type_id] > 0))
    ends = np.flatnonzero(r.station_returning & (r.station_docks > 0))
    walk_a = haversine_m(o[0], o[1], r.station_lat[starts], r.station_lon[starts]) * det
    keep_a = (walk_a / ws <= OPT.max_walk_to_vehicle_s) & (walk_a <= OPT.max_walk_to_vehicle_m)
    walk_b = haversine_m(d[0], d[1], r.station_lat[ends], r.station_lon[ends]) * det
    keep_b = walk_b / ws <= OPT.max_access_walk_s
    s, e = starts[keep_a], ends[keep_b]
    if not len(s) or not len(e):
        return math.inf
    ride = det * haversine_m(
        r.station_lat[s][:, None],
        r.station_lon[s][:, None],
        r.station_lat[e][None, :],
        r.station_lon[e][None, :],
    )
    total = (
        (walk_a[keep_a] / ws)[:, None]
        + OPT.pickup_s
        + ride / speed
        + OPT.dropoff_s
        + (walk_b[keep_b] / ws)[None, :]
    )
    bad = (s[:, None] == e[None, :]) | (ride < 100.0) | (ride / speed > OPT.max_ride_s)
    return float(np.where(bad, np.inf, total).min())


def _is_docked_trip(j: Journey) -> bool:
    return any(leg.rental is not None and leg.rental.docked for leg in j.legs) and not any(
        leg.is_transit for leg in j.legs
    )


def test_docked_bike_trip_equals_brute_force(docked_only: Network) -> None:
    compared = fastest = 0
    for origin, dest in _pairs(40, 0):
        best = _brute_force_docked(docked_only, origin, dest)
        # the docked trip alone (no filter compares it with walking)
        alone = docked_only.plan(origin, dest, AT, modes="BICYCLE_RENTAL", filters=False)
        for j in alone.itineraries:
            _check_journey(docked_only, j)
        ours = [j.arrival_s - DEPART_S for j in alone.itineraries if _is_docked_trip(j)]
        if not np.isfinite(best):
            assert not ours
            continue
        compared += 1
        # three legs, each rounded up to whole seconds
        assert ours and best <= min(ours) <= best + 3, (origin, dest)
        # among every option, it is returned first whenever it is the fastest
        plan = docked_only.plan(origin, dest, AT, modes="WALK,TRANSIT,BICYCLE_RENTAL")
        for j in plan.itineraries:
            _check_journey(docked_only, j)
        others = [j.arrival_s - DEPART_S for j in plan.itineraries if not _is_docked_trip(j)]
        if best + 3 < min(others, default=math.inf):
            fastest += 1
            first = min(plan.itineraries, key=lambda j: j.arrival_s)
            assert _is_docked_trip(first) and first.arrival_s - DEPART_S == min(ours)
    assert compared >= 25 and fastest >= 10
