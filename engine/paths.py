"""Rebuilding journeys from a search: RAPTOR's per-round records and McRAPTOR's labels.

Walking before the first ride is scheduled to end when that ride departs; walking after
a ride starts when the rider gets off. Both searches end in `Journey` objects (see
`maasmix.engine.itinerary`), Pareto-filtered on the criteria of the search.

A query builds a few legs; the timetable's names, coordinates and offsets are read from
Python lists made once per timetable (`_lookup`), not from numpy scalars leg by leg.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from maasmix.engine.itinerary import Journey, Leg, transit_mode
from maasmix.engine.mcraptor import McLabels
from maasmix.engine.raptor import INF, RaptorResult
from maasmix.engine.timetable import CompiledTimetable

__all__ = ["mc_journeys", "pareto_filter", "raptor_journeys"]


@dataclass(frozen=True, eq=False)
class _Lookup:
    """A timetable's per-leg facts as Python lists (stops, routes, trips, patterns,
    footpaths), built once per timetable."""

    stop_ids: list[str]
    stop_names: list[str]
    stop_lat: list[float]
    stop_lon: list[float]
    route_ids: list[str]
    route_short: list[str]
    route_long: list[str]
    route_types: list[int]
    route_modes: list[str]
    trip_route: list[int]
    trip_pattern: list[int]
    trip_ids: list[str]
    trip_keys: list[str]
    headsigns: list[str]
    ps_ptr: list[int]
    pt_ptr: list[int]
    pst_ptr: list[int]
    pattern_stops: list[int]
    pattern_alight: list[bool]
    fp_ptr: list[int]
    fp_to: list[int]
    fp_dur: list[int]
    fp_dist: list[float]  # metres, rounded to 0.1 m as legs state them


_LOOKUPS: weakref.WeakKeyDictionary[CompiledTimetable, _Lookup] = weakref.WeakKeyDictionary()


def _lookup(tt: CompiledTimetable) -> _Lookup:
    found = _LOOKUPS.get(tt)
    if found is None:
        fp = tt.footpaths
        types = [int(x) for x in tt.route_types.tolist()]
        found = _Lookup(
            stop_ids=[str(x) for x in tt.stop_ids.tolist()],
            stop_names=[str(x) for x in tt.stop_names.tolist()],
            stop_lat=[float(x) for x in tt.stop_lat.tolist()],
            stop_lon=[float(x) for x in tt.stop_lon.tolist()],
            route_ids=[str(x) for x in tt.route_ids.tolist()],
            route_short=[str(x) for x in tt.route_short_names.tolist()],
            route_long=[str(x) for x in tt.route_long_names.tolist()],
            route_types=types,
            route_modes=[transit_mode(t) for t in types],
            trip_route=[int(x) for x in tt.trip_route.tolist()],
            trip_pattern=[int(x) for x in tt.trip_pattern.tolist()],
            trip_ids=[str(x) for x in tt.trip_ids.tolist()],
            trip_keys=[str(x) for x in tt.trip_keys.tolist()],
            headsigns=[str(x) for x in tt.trip_headsigns.tolist()],
            ps_ptr=[int(x) for x in tt.pattern_stops_ptr.tolist()],
            pt_ptr=[int(x) for x in tt.pattern_trips_ptr.tolist()],
            pst_ptr=[int(x) for x in tt.pattern_st_ptr.tolist()],
            pattern_stops=[int(x) for x in tt.pattern_stops.tolist()],
            pattern_alight=[bool(x) for x in tt.pattern_alight.tolist()],
            fp_ptr=[int(x) for x in fp.ptr.tolist()],
            fp_to=[int(x) for x in fp.to.tolist()],
            fp_dur=[int(x) for x in fp.duration_s.tolist()],
            fp_dist=[round(float(x), 1) for x in fp.distance_m.tolist()],
        )
        _LOOKUPS[tt] = found
    return found


#: A leg's fields at their defaults; `_leg` fills in the given ones (the same leg as
#: ``Leg(**fields)``, without the frozen dataclass's per-field ``__setattr__``).
_LEG_DEFAULTS: dict[str, object] = dict(Leg("", "", "", 0.0, 0.0, "", "", 0.0, 0.0, 0, 0).__dict__)


def _leg(fields: dict[str, object]) -> Leg:
    leg = object.__new__(Leg)
    d = leg.__dict__
    d.update(_LEG_DEFAULTS)
    d.update(fields)
    return leg


def _ride_leg(tt: CompiledTimetable, trip: int, board_pos: int, alight_pos: int) -> Leg:
    lk = _lookup(tt)
    p = lk.trip_pattern[trip]
    ps0 = lk.ps_ptr[p]
    n = lk.ps_ptr[p + 1] - ps0
    base = lk.pst_ptr[p] + (trip - lk.pt_ptr[p]) * n
    a = lk.pattern_stops[ps0 + board_pos]
    b = lk.pattern_stops[ps0 + alight_pos]
    r = lk.trip_route[trip]
    return _leg(
        {
            "mode": lk.route_modes[r],
            "from_stop_id": lk.stop_ids[a],
            "from_name": lk.stop_names[a],
            "from_lat": lk.stop_lat[a],
            "from_lon": lk.stop_lon[a],
            "to_stop_id": lk.stop_ids[b],
            "to_name": lk.stop_names[b],
            "to_lat": lk.stop_lat[b],
            "to_lon": lk.stop_lon[b],
            "start_s": int(tt.st_dep[base + board_pos]),
            "end_s": int(tt.st_arr[base + alight_pos]),
            "route_id": lk.route_ids[r],
            "route_short_name": lk.route_short[r],
            "route_long_name": lk.route_long[r],
            "route_type": lk.route_types[r],
            "trip_id": lk.trip_ids[trip],
            "trip_key": lk.trip_keys[trip],
            "headsign": lk.headsigns[trip],
            "stops": alight_pos - board_pos,
        }
    )


def _alight_pos(tt: CompiledTimetable, trip: int, board_pos: int, stop: int, arrival: int) -> int:
    lk = _lookup(tt)
    p = lk.trip_pattern[trip]
    ps0 = lk.ps_ptr[p]
    n = lk.ps_ptr[p + 1] - ps0
    base = lk.pst_ptr[p] + (trip - lk.pt_ptr[p]) * n
    arr = tt.st_arr
    stops, alight = lk.pattern_stops, lk.pattern_alight
    for i in range(board_pos + 1, n):
        if stops[ps0 + i] == stop and alight[ps0 + i] and int(arr[base + i]) == arrival:
            return i
    raise RuntimeError("inconsistent RAPTOR records: alighting stop not on the trip")


def _footpath(lk: _Lookup, a: int, b: int) -> int:
    """Index of the footpath from stop ``a`` to stop ``b``."""
    try:
        return lk.fp_to.index(b, lk.fp_ptr[a], lk.fp_ptr[a + 1])
    except ValueError:
        raise RuntimeError("inconsistent records: no footpath between the stops") from None


def _walk_leg(tt: CompiledTimetable, a: int, b: int, start: int) -> Leg:
    lk = _lookup(tt)
    e = _footpath(lk, a, b)
    return _leg(
        {
            "mode": "WALK",
            "from_stop_id": lk.stop_ids[a],
            "from_name": lk.stop_names[a],
            "from_lat": lk.stop_lat[a],
            "from_lon": lk.stop_lon[a],
            "to_stop_id": lk.stop_ids[b],
            "to_name": lk.stop_names[b],
            "to_lat": lk.stop_lat[b],
            "to_lon": lk.stop_lon[b],
            "start_s": start,
            "end_s": start + lk.fp_dur[e],
            "distance_m": lk.fp_dist[e],
        }
    )


# steps: ("ride", trip, board_pos, alight_pos) | ("walk", from_stop, to_stop, 0); in order
Step = tuple[str, int, int, int]


def _assemble(tt: CompiledTimetable, steps: list[Step], origin_time: int) -> Journey:
    legs: list[Leg] = []
    t = origin_time
    nxt: Leg | None = None
    for idx, (kind, x, y, z) in enumerate(steps):
        if kind == "ride":
            leg = nxt if nxt is not None else _ride_leg(tt, x, y, z)
            nxt = None
        elif idx == 0 and len(steps) > 1:
            # walking to the first ride ends when it departs
            nxt = _ride_leg(tt, *steps[1][1:])
            lk = _lookup(tt)
            leg = _walk_leg(tt, x, y, nxt.start_s - lk.fp_dur[_footpath(lk, x, y)])
        else:
            leg = _walk_leg(tt, x, y, t)
        legs.append(leg)
        t = leg.end_s
    dep = legs[0].start_s if legs else origin_time
    arr = legs[-1].end_s if legs else origin_time
    return Journey(tuple(legs), dep, arr, tt.date, tt.timezone)


def raptor_journeys(
    tt: CompiledTimetable, res: RaptorResult, targets: np.ndarray, egress: np.ndarray
) -> list[Journey]:
    """The journeys of each round that improved the arrival at the targets."""
    found: list[tuple[int, int, Journey]] = []  # (arrival + egress, transfers, journey)
    prev = INF
    for k, value in enumerate(res.dest[: res.last_round + 1].tolist()):
        if value >= prev or value >= INF:
            continue
        prev = value
        steps, origin_time = _raptor_steps(tt, res, k, targets, egress, value)
        rides = sum(1 for step in steps if step[0] == "ride")
        found.append((value, max(rides - 1, 0), _assemble(tt, steps, origin_time)))
    if len(found) > 1:
        keep = _pareto_indices([(v, x) for v, x, _ in found])
        best = sorted((found[i] for i in keep), key=lambda f: (f[1], f[2].arrival_s))
        return [j for _, _, j in best]
    return [j for _, _, j in found]


def _raptor_steps(
    tt: CompiledTimetable,
    res: RaptorResult,
    k: int,
    targets: np.ndarray,
    egress: np.ndarray,
    value: int,
) -> tuple[list[Step], int]:
    stop, mode = -1, ""
    if len(targets) <= 4:  # a stop or station: scalar reads beat gathering
        rides = [int(res.rec_ride[k, t]) for t in targets.tolist()]
        walks = [int(res.rec_walk[k, t]) for t in targets.tolist()]
        trips = [int(res.rec_trip[k, t]) for t in targets.tolist()]
    else:
        rides = res.rec_ride[k, targets].tolist()
        walks = res.rec_walk[k, targets].tolist()
        trips = res.rec_trip[k, targets].tolist()
    for t, e, ride, walk, trip in zip(
        targets.tolist(), egress.tolist(), rides, walks, trips, strict=True
    ):
        if ride < INF and ride + e == value and (k > 0 or trip < 0):
            stop, mode = t, "ride"
            break
        if walk < INF and walk + e == value:
            stop, mode = t, "walk"
    if stop < 0:
        raise RuntimeError("inconsistent RAPTOR records: no label at the target")
    lk = _lookup(tt)
    steps: list[Step] = []
    slack = res.slack
    rec_ride, rec_walk, rec_trip = res.rec_ride, res.rec_walk, res.rec_trip
    while True:
        if mode == "walk":
            src = int(res.rec_from[k, stop])
            steps.append(("walk", src, stop, 0))
            stop, mode = src, "ride"
            continue
        trip = int(rec_trip[k, stop])
        if k == 0 or trip < 0:
            origin_time = int(rec_ride[0, stop])
            break
        board = int(res.rec_board[k, stop])
        alight = _alight_pos(tt, trip, board, stop, int(rec_ride[k, stop]))
        steps.append(("ride", trip, board, alight))
        p = lk.trip_pattern[trip]
        ps0 = lk.ps_ptr[p]
        board_stop = lk.pattern_stops[ps0 + board]
        n = lk.ps_ptr[p + 1] - ps0
        dep = int(tt.st_dep[lk.pst_ptr[p] + (trip - lk.pt_ptr[p]) * n + board])
        found = False
        for j in range(k - 1, -1, -1):
            pad = slack if j > 0 else 0
            wpad = res.walk_slack if j > 0 else 0
            r = int(rec_ride[j, board_stop])
            w = int(rec_walk[j, board_stop])
            if r < INF and r + pad <= dep and (j > 0 or int(rec_trip[0, board_stop]) < 0):
                k, stop, mode, found = j, board_stop, "ride", True
                break
            if w < INF and w + wpad <= dep:
                k, stop, mode, found = j, board_stop, "walk", True
                break
        if not found:
            raise RuntimeError("inconsistent RAPTOR records: no label to board from")
    steps.reverse()
    return steps, origin_time


def mc_journeys(
    tt: CompiledTimetable,
    labels: McLabels,
    targets: np.ndarray,
    egress: np.ndarray,
    egress_walk: np.ndarray | None = None,
) -> list[Journey]:
    """Journeys of the McRAPTOR labels that reached a target, Pareto over 3 criteria
    (arrival plus egress; transfers; walking plus ``egress_walk``, default none)."""
    eg = dict(zip(targets.tolist(), egress.tolist(), strict=True))
    ew = (
        dict(zip(targets.tolist(), egress_walk.tolist(), strict=True))
        if egress_walk is not None
        else {}
    )
    candidates: list[tuple[int, int, int, int]] = []
    for lab in labels.target_labels.tolist():
        stop = labels.stop(lab)
        arrival = labels.arrival(lab) + eg.get(stop, 0)
        walk = labels.walk_s(lab) + ew.get(stop, 0)
        candidates.append((arrival, labels.rides(lab), walk, lab))
    keep = _pareto_indices([(c[0], max(c[1] - 1, 0), c[2]) for c in candidates])
    out = []
    for i in keep:
        chain, origin_time = labels.chain(candidates[i][3])
        steps: list[Step] = [
            ("walk", a, stop, 0)
            if kind == "walk"
            else ("ride", a, board, _alight_pos(tt, a, board, stop, arrival))
            for kind, a, board, stop, arrival in chain
        ]
        out.append(_assemble(tt, steps, origin_time))
    out.sort(key=lambda j: (j.transfers, j.arrival_s, j.walk_s))
    return out


#: `_pareto_indices` compares this many points at a time against all (bounds memory).
_PARETO_BLOCK = 1024

#: `_pareto_indices` of at most this many points compares them in plain Python.
_PARETO_SMALL = 24


def _pareto_indices(points: list[tuple[int, ...]]) -> list[int]:
    """Indices of the points no other point dominates (<= in every criterion, < in one),
    in input order; of equal points the first is kept. Vectorised: a query's McRAPTOR
    labels are compared all against all in blocks."""
    if not points:
        return []
    if len(points) <= _PARETO_SMALL:
        return _pareto_small(points)
    p = np.asarray(points, dtype=np.int64)
    dominated = np.zeros(len(p), dtype=bool)
    for start in range(0, len(p), _PARETO_BLOCK):
        block = p[start : start + _PARETO_BLOCK]
        le = np.all(p[None, :, :] <= block[:, None, :], axis=2)
        lt = np.any(p[None, :, :] < block[:, None, :], axis=2)
        dominated[start : start + len(block)] = np.any(le & lt, axis=1)
    candidates = np.flatnonzero(~dominated)
    _, first = np.unique(p[candidates], axis=0, return_index=True)
    return sorted(int(i) for i in candidates[first])


def _pareto_small(points: list[tuple[int, ...]]) -> list[int]:
    """`_pareto_indices` of a few points by plain comparison (numpy's set-up costs more
    than the comparisons below `_PARETO_SMALL` points)."""
    keep: list[int] = []
    seen: set[tuple[int, ...]] = set()
    for i, p in enumerate(points):
        if p in seen:
            continue
        if any(q != p and all(a <= b for a, b in zip(q, p, strict=True)) for q in points):
            continue
        keep.append(i)
        seen.add(p)
    return keep


def pareto_filter(journeys: list[Journey]) -> list[Journey]:
    """Pareto-optimal journeys over (arrival, transfers), one per distinct pair, sorted by
    transfers."""
    keep = _pareto_indices([(j.arrival_s, j.transfers) for j in journeys])
    return sorted((journeys[i] for i in keep), key=lambda j: (j.transfers, j.arrival_s))
