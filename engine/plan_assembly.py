"""Itinerary assembly: street pieces placed in time as legs, street-only journeys, a
transit journey joined to its access and egress legs, transit legs given their shape
geometry, intermediate stops and distance, and the mode combination of a journey."""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from maasmix.engine.itinerary import Journey, Leg, StopCall
from maasmix.engine.plan_query import RENTAL_MODE, Piece, Query
from maasmix.engine.timetable import CompiledTimetable
from maasmix.geodesy import haversine_m
from maasmix.servicetime import service_datetime

if TYPE_CHECKING:
    from maasmix.engine.network import CompiledNetwork
    from maasmix.engine.realtime import LegRealtime

__all__ = [
    "combination",
    "enrich_transit",
    "finish",
    "footpath_geometry",
    "leg_from_piece",
    "merge_walks",
    "street_journey",
    "transit_itinerary",
]

#: A shape is drawn between two stops only if both lie within this of it, metres.
SHAPE_SNAP_M = 150.0

#: A ride's geometry, intermediate stops, metres and agency (`enrich_transit`).
_Ride = tuple[tuple[tuple[float, float], ...], tuple[StopCall, ...], float, str | None]

#: What `enrich_transit` found for a ride (geometry, intermediate stops, metres, agency),
#: per timetable, keyed by the ride (trip, stops, times, route, whether the timetable is
#: the network's own): the same ride in another plan is not drawn again. At most
#: `RIDE_CACHE_SIZE` rides per timetable (emptied when full; a few kB each).
_RIDES: weakref.WeakKeyDictionary[CompiledTimetable, dict[tuple[object, ...], _Ride]] = (
    weakref.WeakKeyDictionary()
)
RIDE_CACHE_SIZE = 2048

#: `_shape_geometry`'s answers per network, keyed by (shape, first stop, last stop): the
#: trips of a route share their shape, so a stretch is measured once. At most
#: `SHAPE_CACHE_SIZE` stretches per network (emptied when full).
SHAPE_CACHE_SIZE = 4096
_SHAPES: weakref.WeakKeyDictionary[
    CompiledNetwork, dict[tuple[int, int, int], tuple[tuple[float, float], ...] | None]
] = weakref.WeakKeyDictionary()


# ---------------------------------------------------------------------- assembly


def leg_from_piece(p: Piece, start_s: int) -> Leg:
    return Leg(
        mode=p.mode,
        from_stop_id=p.start.id,
        from_name=p.start.name,
        from_lat=p.start.lat,
        from_lon=p.start.lon,
        to_stop_id=p.end.id,
        to_name=p.end.name,
        to_lat=p.end.lat,
        to_lon=p.end.lon,
        start_s=start_s,
        end_s=start_s + p.duration_s,
        distance_m=p.distance_m,
        from_kind=p.start.kind,
        to_kind=p.end.kind,
        rental=p.rental,
        draw=p.geometry,
    )


def street_journey(
    q: Query, pieces: list[Piece], when_s: int, arrive_by: bool, label: str
) -> Journey:
    total = sum(p.duration_s for p in pieces)
    t = when_s - total if arrive_by else when_s
    legs = []
    for p in pieces:
        legs.append(leg_from_piece(p, t))
        t += p.duration_s
    dep = legs[0].start_s if legs else when_s
    arr = legs[-1].end_s if legs else when_s
    return Journey(tuple(legs), dep, arr, q.tt.date, q.tt.timezone, label)


def _trip_lookup(tt: CompiledTimetable) -> dict[str, int]:
    cached: dict[str, int] | None = tt.__dict__.get("_trip_lookup")
    if cached is None:
        cached = {str(k): i for i, k in enumerate(tt.trip_keys)}
        object.__setattr__(tt, "_trip_lookup", cached)
    return cached


def enrich_transit(q: Query, tt: CompiledTimetable, leg: Leg) -> Leg:
    own = tt is q.cn.timetable
    key: tuple[object, ...] = (leg.trip_key, leg.from_stop_id, leg.to_stop_id, leg.start_s)
    key += (leg.end_s, leg.route_id, own)
    rides = _RIDES.get(tt)
    if rides is None:
        rides = _RIDES[tt] = {}
    ride = rides.get(key)
    if ride is None:
        ride = _ride(q, tt, leg)
        if ride is None:
            return leg
        if len(rides) >= RIDE_CACHE_SIZE:
            rides.clear()
        rides[key] = ride
    geometry, calls, metres, agency = ride
    return replace(
        leg,
        geometry=geometry,
        intermediate_stops=calls,
        distance_m=metres,
        agency_id=agency or None,
        realtime=_leg_realtime(q, tt, leg, agency or ""),
    )


def _ride(q: Query, tt: CompiledTimetable, leg: Leg) -> _Ride | None:
    """A ride's geometry (the trip's shape between its stops, else the stops), its
    intermediate stops, its length in metres and its agency (None: trip unknown)."""
    trip = _trip_lookup(tt).get(str(leg.trip_key))
    if trip is None:
        return None
    stops, arr, dep = tt.trip_stop_times(trip)
    a = tt.stop_index(leg.from_stop_id)
    b = tt.stop_index(leg.to_stop_id)
    i0 = next((i for i in range(len(stops)) if stops[i] == a and dep[i] == leg.start_s), 0)
    i1 = next(
        (i for i in range(i0 + 1, len(stops)) if stops[i] == b and arr[i] == leg.end_s),
        len(stops) - 1,
    )
    calls = tuple(
        StopCall(
            str(tt.stop_ids[s]),
            str(tt.stop_names[s]),
            float(tt.stop_lat[s]),
            float(tt.stop_lon[s]),
            int(arr[i]),
            int(dep[i]),
        )
        for i, s in enumerate(stops.tolist())
        if i0 < i < i1
    )
    path = stops[i0 : i1 + 1]
    geometry = _shape_geometry(q.cn, trip, tt, int(stops[i0]), int(stops[i1]))
    if geometry is None:
        geometry = tuple((float(tt.stop_lon[s]), float(tt.stop_lat[s])) for s in path.tolist())
    line = np.asarray(geometry, dtype=np.float64)
    metres = (
        float(haversine_m(line[:-1, 1], line[:-1, 0], line[1:, 1], line[1:, 0]).sum())
        if len(line) > 1
        else 0.0
    )
    route = tt.route_ids.tolist().index(leg.route_id) if leg.route_id is not None else -1
    agency = str(q.cn.route_agency_ids[route]) if route >= 0 else None
    return geometry, calls, round(metres, 1), agency


def _leg_realtime(q: Query, tt: CompiledTimetable, leg: Leg, agency: str) -> LegRealtime | None:
    """The ride's live facts (None while no GTFS-Realtime message is applied)."""
    snap = q.live.snapshot
    if not snap.is_live or tt is not snap.timetable or leg.trip_key is None:
        return None
    at = int(service_datetime(tt.date, tt.timezone, leg.start_s).timestamp())
    return snap.leg(
        leg.trip_key, leg.from_stop_id, leg.to_stop_id, leg.start_s, agency_id=agency, at=at
    )


def _shape_geometry(
    cn: CompiledNetwork, trip: int, tt: CompiledTimetable, a: int, b: int
) -> tuple[tuple[float, float], ...] | None:
    """The trip's shapes.txt polyline between stops ``a`` and ``b`` (nearest shape points,
    in order), with the stops at both ends; None without a usable shape."""
    if cn.trip_shape is None or cn.shape_ptr is None or tt is not cn.timetable:
        return None
    assert cn.shape_lat is not None and cn.shape_lon is not None
    k = int(cn.trip_shape[trip])
    if k < 0:
        return None
    shapes = _SHAPES.get(cn)
    if shapes is None:
        shapes = _SHAPES[cn] = {}
    key = (k, a, b)
    if key in shapes:
        return shapes[key]
    if len(shapes) >= SHAPE_CACHE_SIZE:
        shapes.clear()
    found = shapes[key] = _shape_stretch(cn, k, tt, a, b)
    return found


def _shape_stretch(
    cn: CompiledNetwork, k: int, tt: CompiledTimetable, a: int, b: int
) -> tuple[tuple[float, float], ...] | None:
    """Shape ``k`` between stops ``a`` and ``b`` (see `_shape_geometry`)."""
    assert cn.shape_ptr is not None and cn.shape_lat is not None and cn.shape_lon is not None
    lo, hi = int(cn.shape_ptr[k]), int(cn.shape_ptr[k + 1])
    lat, lon = cn.shape_lat[lo:hi], cn.shape_lon[lo:hi]
    if len(lat) < 2:
        return None
    da = haversine_m(tt.stop_lat[a], tt.stop_lon[a], lat, lon)
    i0 = int(np.argmin(da))
    db = haversine_m(tt.stop_lat[b], tt.stop_lon[b], lat[i0:], lon[i0:])
    i1 = i0 + int(np.argmin(db))
    if da[i0] > SHAPE_SNAP_M or db[i1 - i0] > SHAPE_SNAP_M:
        return None
    inner = list(zip(lon[i0 : i1 + 1].tolist(), lat[i0 : i1 + 1].tolist(), strict=True))
    start = (float(tt.stop_lon[a]), float(tt.stop_lat[a]))
    end = (float(tt.stop_lon[b]), float(tt.stop_lat[b]))
    return (start, *inner, end)


def footpath_geometry(leg: Leg) -> Leg:
    return replace(leg, geometry=((leg.from_lon, leg.from_lat), (leg.to_lon, leg.to_lat)))


def transit_itinerary(
    before: list[Piece], j: Journey, after: list[Piece], tt: CompiledTimetable, label: str
) -> Journey:
    """The transit journey ``j`` with its access legs ``before`` (ending when its first
    ride boards) and egress legs ``after`` (starting when it arrives); footpaths between
    stops get straight geometry, empty walks are dropped."""
    legs: list[Leg] = []
    cur = j.departure_s - sum(p.duration_s for p in before)
    for p in before:
        legs.append(leg_from_piece(p, cur))
        cur += p.duration_s
    for leg in j.legs:
        legs.append(leg if leg.is_transit else footpath_geometry(leg))
    cur = j.arrival_s
    for p in after:
        legs.append(leg_from_piece(p, cur))
        cur += p.duration_s
    legs = [
        leg
        for leg in legs
        if not (
            leg.mode == "WALK"
            and leg.duration_s == 0
            and leg.from_lat == leg.to_lat
            and leg.from_lon == leg.to_lon
        )
    ]
    return Journey(tuple(legs), legs[0].start_s, legs[-1].end_s, tt.date, tt.timezone, label)


def combination(j: Journey) -> str:
    """The mode combination of a journey from its legs: rentals named by vehicle, transit
    collapsed to TRANSIT, walks between other legs left out."""
    parts: list[str] = []
    for leg in j.legs:
        if leg.is_transit:
            name = "TRANSIT"
        elif leg.rental is not None:
            name = RENTAL_MODE.get(leg.mode, "RENTAL")
        else:
            name = leg.mode
        if parts and parts[-1] == name:
            continue
        parts.append(name)
    if len(parts) > 1:
        core = [p for p in parts if p != "WALK"]
        if parts[0] == "WALK" and "TRANSIT" in parts and parts[1] == "TRANSIT":
            core.insert(0, "WALK")
        if parts[-1] == "WALK" and "TRANSIT" in parts and parts[-2] == "TRANSIT":
            core.append("WALK")
        parts = [p for i, p in enumerate(core) if i == 0 or core[i - 1] != p] or ["WALK"]
    return "+".join(parts)


def finish(q: Query, j: Journey) -> Journey:
    """A chosen journey as returned: its mode combination, its transit legs with shape
    geometry, intermediate stops and distance (`enrich_transit`), and walks that follow
    each other without a wait merged into one (`merge_walks`)."""
    legs = [
        enrich_transit(q, q.cn.timetable, leg) if leg.is_transit else leg.drawn() for leg in j.legs
    ]
    return replace(j, combination=combination(j), legs=merge_walks(legs))


def merge_walks(legs: list[Leg]) -> tuple[Leg, ...]:
    """``legs`` with each run of walking legs that follow each other without a wait (an
    access walk and a footpath between stops, ...) as one walk: from the first's start
    to the last's end, distances added, geometries joined."""
    out: list[Leg] = []
    for leg in legs:
        prev = out[-1] if out else None
        if (
            prev is not None
            and leg.mode == "WALK"
            and prev.mode == "WALK"
            and prev.end_s == leg.start_s
        ):
            geometry = prev.geometry + (
                leg.geometry[1:]
                if prev.geometry and leg.geometry and prev.geometry[-1] == leg.geometry[0]
                else leg.geometry
            )
            out[-1] = replace(
                prev,
                to_stop_id=leg.to_stop_id,
                to_name=leg.to_name,
                to_lat=leg.to_lat,
                to_lon=leg.to_lon,
                to_kind=leg.to_kind,
                end_s=leg.end_s,
                distance_m=round((prev.distance_m or 0.0) + (leg.distance_m or 0.0), 1),
                geometry=geometry,
            )
            continue
        out.append(leg)
    return tuple(out)
