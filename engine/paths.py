"""Rebuilding journeys from a search: RAPTOR's per-round records and McRAPTOR's labels.

Walking before the first ride is scheduled to end when that ride departs; walking after
a ride starts when the rider gets off. Both searches end in `Journey` objects (see
`maasmix.engine.itinerary`), Pareto-filtered on the criteria of the search.
"""

from __future__ import annotations

import numpy as np

from maasmix.engine.itinerary import Journey, Leg, transit_mode
from maasmix.engine.mcraptor import McLabels
from maasmix.engine.raptor import INF, RaptorResult
from maasmix.engine.timetable import CompiledTimetable

__all__ = ["mc_journeys", "pareto_filter", "raptor_journeys"]


def _ride_leg(tt: CompiledTimetable, trip: int, board_pos: int, alight_pos: int) -> Leg:
    p = int(tt.trip_pattern[trip])
    ps0 = int(tt.pattern_stops_ptr[p])
    n = int(tt.pattern_stops_ptr[p + 1]) - ps0
    j = trip - int(tt.pattern_trips_ptr[p])
    base = int(tt.pattern_st_ptr[p]) + j * n
    a = int(tt.pattern_stops[ps0 + board_pos])
    b = int(tt.pattern_stops[ps0 + alight_pos])
    r = int(tt.trip_route[trip])
    route_type = int(tt.route_types[r])
    return Leg(
        mode=transit_mode(route_type),
        from_stop_id=str(tt.stop_ids[a]),
        from_name=str(tt.stop_names[a]),
        from_lat=float(tt.stop_lat[a]),
        from_lon=float(tt.stop_lon[a]),
        to_stop_id=str(tt.stop_ids[b]),
        to_name=str(tt.stop_names[b]),
        to_lat=float(tt.stop_lat[b]),
        to_lon=float(tt.stop_lon[b]),
        start_s=int(tt.st_dep[base + board_pos]),
        end_s=int(tt.st_arr[base + alight_pos]),
        route_id=str(tt.route_ids[r]),
        route_short_name=str(tt.route_short_names[r]),
        route_long_name=str(tt.route_long_names[r]),
        route_type=route_type,
        trip_id=str(tt.trip_ids[trip]),
        trip_key=str(tt.trip_keys[trip]),
        headsign=str(tt.trip_headsigns[trip]),
        stops=alight_pos - board_pos,
    )


def _alight_pos(tt: CompiledTimetable, trip: int, board_pos: int, stop: int, arrival: int) -> int:
    stops, arr, _ = tt.trip_stop_times(trip)
    p = int(tt.trip_pattern[trip])
    ps0 = int(tt.pattern_stops_ptr[p])
    for i in range(board_pos + 1, len(stops)):
        if int(stops[i]) == stop and int(arr[i]) == arrival and tt.pattern_alight[ps0 + i]:
            return i
    raise RuntimeError("inconsistent RAPTOR records: alighting stop not on the trip")


def _walk_leg(tt: CompiledTimetable, a: int, b: int, start: int) -> Leg:
    fp = tt.footpaths
    lo, hi = int(fp.ptr[a]), int(fp.ptr[a + 1])
    hit = np.flatnonzero(fp.to[lo:hi] == b)
    if not len(hit):
        raise RuntimeError("inconsistent records: no footpath between the stops")
    e = lo + int(hit[0])
    dur = int(fp.duration_s[e])
    return Leg(
        mode="WALK",
        from_stop_id=str(tt.stop_ids[a]),
        from_name=str(tt.stop_names[a]),
        from_lat=float(tt.stop_lat[a]),
        from_lon=float(tt.stop_lon[a]),
        to_stop_id=str(tt.stop_ids[b]),
        to_name=str(tt.stop_names[b]),
        to_lat=float(tt.stop_lat[b]),
        to_lon=float(tt.stop_lon[b]),
        start_s=start,
        end_s=start + dur,
        distance_m=round(float(fp.distance_m[e]), 1),
    )


# steps: ("ride", trip, board_pos, alight_pos) | ("walk", from_stop, to_stop, 0); in order
Step = tuple[str, int, int, int]


def _assemble(tt: CompiledTimetable, steps: list[Step], origin_time: int) -> Journey:
    legs: list[Leg] = []
    t = origin_time
    for idx, (kind, x, y, z) in enumerate(steps):
        if kind == "ride":
            leg = _ride_leg(tt, x, y, z)
        else:
            leg = _walk_leg(tt, x, y, t)
            if idx == 0 and idx + 1 < len(steps):
                nxt = _ride_leg(tt, *steps[idx + 1][1:])
                leg = _walk_leg(tt, x, y, nxt.start_s - leg.duration_s)
        legs.append(leg)
        t = leg.end_s
    dep = legs[0].start_s if legs else origin_time
    arr = legs[-1].end_s if legs else origin_time
    return Journey(tuple(legs), dep, arr, tt.date, tt.timezone)


def raptor_journeys(
    tt: CompiledTimetable, res: RaptorResult, targets: np.ndarray, egress: np.ndarray
) -> list[Journey]:
    """The journeys of each round that improved the arrival at the targets."""
    found: list[tuple[int, Journey]] = []
    prev = INF
    for k in range(res.last_round + 1):
        value = int(res.dest[k])
        if value >= prev or value >= INF:
            continue
        prev = value
        steps, origin_time = _raptor_steps(tt, res, k, targets, egress, value)
        found.append((value, _assemble(tt, steps, origin_time)))
    keep = _pareto_indices([(v, j.transfers) for v, j in found])
    return sorted((found[i][1] for i in keep), key=lambda j: (j.transfers, j.arrival_s))


def _raptor_steps(
    tt: CompiledTimetable,
    res: RaptorResult,
    k: int,
    targets: np.ndarray,
    egress: np.ndarray,
    value: int,
) -> tuple[list[Step], int]:
    stop, mode = -1, ""
    for t, e in zip(targets.tolist(), egress.tolist(), strict=True):
        ride = int(res.rec_ride[k, t])
        walk = int(res.rec_walk[k, t])
        if ride < INF and ride + e == value and (k > 0 or int(res.rec_trip[k, t]) < 0):
            stop, mode = t, "ride"
            break
        if walk < INF and walk + e == value:
            stop, mode = t, "walk"
    if stop < 0:
        raise RuntimeError("inconsistent RAPTOR records: no label at the target")
    steps: list[Step] = []
    slack = res.slack
    while True:
        if mode == "walk":
            src = int(res.rec_from[k, stop])
            steps.append(("walk", src, stop, 0))
            stop, mode = src, "ride"
            continue
        trip = int(res.rec_trip[k, stop])
        if k == 0 or trip < 0:
            origin_time = int(res.rec_ride[0, stop])
            break
        board = int(res.rec_board[k, stop])
        alight = _alight_pos(tt, trip, board, stop, int(res.rec_ride[k, stop]))
        steps.append(("ride", trip, board, alight))
        p = int(tt.trip_pattern[trip])
        board_stop = int(tt.pattern_stops[int(tt.pattern_stops_ptr[p]) + board])
        _, _, deps = tt.trip_stop_times(trip)
        dep = int(deps[board])
        found = False
        for j in range(k - 1, -1, -1):
            pad = slack if j > 0 else 0
            wpad = res.walk_slack if j > 0 else 0
            r = int(res.rec_ride[j, board_stop])
            w = int(res.rec_walk[j, board_stop])
            if r < INF and r + pad <= dep and (j > 0 or int(res.rec_trip[0, board_stop]) < 0):
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
