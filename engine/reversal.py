"""The time-reversed timetable: arrive-by searches with the forward RAPTOR kernel.

Negate every time, run every pattern backwards (its last stop first, boarding where the
forward trip lets riders alight and vice versa), list its trips in reverse order, and
turn every footpath around. A forward search on that timetable from the destination's
egress stops, leaving at ``-deadline``, is a backward search on the real one: its
arrival at the origin's access stops, negated, is the *latest departure* that still
arrives by the deadline, for each number of rides. The transfer rules mirror exactly: the
real last ride needs no slack before the egress, as the forward first ride needs none
after the access; a transfer needs ``min_transfer_s`` either way. FIFO patterns stay
FIFO, so the kernel's binary searches hold.
"""

from __future__ import annotations

import numpy as np

from maasmix.engine.footpaths import Footpaths
from maasmix.engine.timetable import CompiledTimetable, _stop_index

__all__ = ["reverse_timetable"]


def reverse_timetable(tt: CompiledTimetable) -> CompiledTimetable:
    """The time-reversed copy of ``tt`` (see the module docstring).

    Trip ``t'`` of the result is trip ``reverse_trip[t']`` of ``tt`` where trips are
    reversed within each pattern; ids, names and routes follow their trips.
    """
    n_pat = tt.n_patterns
    sizes = np.diff(tt.pattern_stops_ptr)
    counts = np.diff(tt.pattern_trips_ptr).astype(np.int64)
    # pattern stops reversed within each pattern
    pos = np.arange(len(tt.pattern_stops), dtype=np.int64)
    start = np.repeat(tt.pattern_stops_ptr[:-1], sizes)
    end = np.repeat(tt.pattern_stops_ptr[1:], sizes)
    flip = start + (end - 1 - pos)
    p_stops = tt.pattern_stops[flip]
    p_board = tt.pattern_alight[flip]
    p_alight = tt.pattern_board[flip]
    # stop times: trip j' = m-1-j, stop i' = n-1-i, arr' = -dep, dep' = -arr
    st_src = np.empty(len(tt.st_arr), np.int64)
    trip_src = np.empty(tt.n_trips, np.int64)
    for p in range(n_pat):
        n, m = int(sizes[p]), int(counts[p])
        base = int(tt.pattern_st_ptr[p])
        t0 = int(tt.pattern_trips_ptr[p])
        if n == 0 or m == 0:
            continue
        grid = base + np.arange(m)[:, None] * n + np.arange(n)[None, :]
        st_src[base : base + n * m] = grid[::-1, ::-1].ravel()
        trip_src[t0 : t0 + m] = np.arange(t0 + m - 1, t0 - 1, -1)
    st_arr = (-tt.st_dep[st_src]).astype(np.int32)
    st_dep = (-tt.st_arr[st_src]).astype(np.int32)
    sp_ptr, sp, sp_pos = _stop_index(tt.n_stops, tt.pattern_stops_ptr, p_stops.astype(np.int64))
    fp = tt.footpaths
    src = np.repeat(np.arange(tt.n_stops, dtype=np.int64), np.diff(fp.ptr))
    dst = fp.to.astype(np.int64)
    order = np.lexsort((src, dst))
    ptr = np.zeros(tt.n_stops + 1, np.int64)
    np.cumsum(np.bincount(dst, minlength=tt.n_stops), out=ptr[1:])
    footpaths = Footpaths(
        ptr, src[order].astype(np.int32), fp.duration_s[order], fp.distance_m[order]
    )
    return CompiledTimetable(
        date=tt.date,
        timezone=tt.timezone,
        stop_ids=tt.stop_ids,
        stop_names=tt.stop_names,
        stop_lat=tt.stop_lat,
        stop_lon=tt.stop_lon,
        stop_parent=tt.stop_parent,
        pattern_stops_ptr=tt.pattern_stops_ptr,
        pattern_stops=p_stops.astype(np.int32),
        pattern_board=p_board,
        pattern_alight=p_alight,
        pattern_trips_ptr=tt.pattern_trips_ptr,
        pattern_st_ptr=tt.pattern_st_ptr,
        st_arr=np.ascontiguousarray(st_arr),
        st_dep=np.ascontiguousarray(st_dep),
        trip_pattern=tt.trip_pattern[trip_src],
        trip_route=tt.trip_route[trip_src],
        trip_keys=tt.trip_keys[trip_src],
        trip_ids=tt.trip_ids[trip_src],
        trip_headsigns=tt.trip_headsigns[trip_src],
        route_ids=tt.route_ids,
        route_short_names=tt.route_short_names,
        route_long_names=tt.route_long_names,
        route_types=tt.route_types,
        stop_patterns_ptr=sp_ptr,
        stop_patterns=sp,
        stop_patterns_pos=sp_pos,
        footpaths=footpaths,
    )
