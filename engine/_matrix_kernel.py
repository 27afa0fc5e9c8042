"""numba kernel of the travel-time matrix: range RAPTOR from one origin, read at destinations.

The rounds are those of `engine._raptor_kernel.raptor` (same labels ``anyb``, ``ready``,
``ride``; at most one footpath before the first ride, between rides and after the last;
``slack`` between rides, none before the first), run for the departures of a window
latest first with the labels kept (rRAPTOR): after departure ``tau`` the labels are the
earliest arrivals of a traveller leaving the origin at ``tau``. Labels later than
``tau + horizon`` are never set (no destination can use them). After each departure the
best arrival at every stop (at most ``max_rounds`` rides) is read at every destination
through its egress stops (CSR ``eg_ptr``/``eg_stop``/``eg_secs``), and compared with the
destination's time without a ride ``direct``. With a vehicle among the access or
egress modes (``walk_reaches_target=False``, as in the planner's `engine.raptor`), the
arrivals of round 0 (the access and footpaths, no ride) are not carried into round 1
and are never read at the destinations: an egress (a shared vehicle, one's own bike)
joins only a journey that rode transit, so a stop reached on foot never chains a rental
access into a rental egress or stretches the walk to a vehicle; journeys without a ride
are the caller's ``direct``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from maasmix.engine._raptor_kernel import INF, _earliest_trip


@njit(cache=True)
def range_matrix(
    pattern_stops_ptr: np.ndarray,
    pattern_stops: np.ndarray,
    pattern_board: np.ndarray,
    pattern_alight: np.ndarray,
    pattern_trips_ptr: np.ndarray,
    pattern_st_ptr: np.ndarray,
    st_arr: np.ndarray,
    st_dep: np.ndarray,
    stop_patterns_ptr: np.ndarray,
    stop_patterns: np.ndarray,
    stop_patterns_pos: np.ndarray,
    fp_ptr: np.ndarray,
    fp_to: np.ndarray,
    fp_dur: np.ndarray,
    origins: np.ndarray,
    origin_offsets: np.ndarray,
    departures: np.ndarray,
    max_rounds: int,
    slack: int,
    horizon: int,
    eg_ptr: np.ndarray,
    eg_stop: np.ndarray,
    eg_secs: np.ndarray,
    direct: np.ndarray,
    keep_stops: bool,
    walk_reaches_target: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Travel seconds ``times[dest, d]`` for each departure ``departures[d]`` (decreasing).

    ``INF`` when a destination is not reached within ``horizon`` seconds. With
    ``keep_stops``, also ``stops[d, s]``: the earliest arrival at stop ``s`` (absolute
    seconds, ``INF`` beyond the horizon), else an empty array. ``walk_reaches_target``
    (walking access and egress only): round 0 is carried into round 1 and read at the
    destinations (a walk through stops is a walk).
    """
    n_stops = len(stop_patterns_ptr) - 1
    n_pat = len(pattern_trips_ptr) - 1
    n_dep = len(departures)
    n_dest = len(eg_ptr) - 1
    rows = max_rounds + 1
    anyb = np.full((rows, n_stops), INF, dtype=np.int32)
    ready = np.full((rows, n_stops), INF, dtype=np.int32)
    ride = np.full((rows, n_stops), INF, dtype=np.int32)
    times = np.full((n_dest, n_dep), INF, dtype=np.int32)
    stops_out = np.full((n_dep if keep_stops else 0, n_stops), INF, dtype=np.int32)

    marked = np.zeros(n_stops, dtype=np.bool_)
    mark_list = np.empty(n_stops, dtype=np.int32)
    ride_marked = np.zeros(n_stops, dtype=np.bool_)
    ride_list = np.empty(n_stops, dtype=np.int32)
    qpos = np.full(n_pat, -1, dtype=np.int32)
    qlist = np.empty(n_pat, dtype=np.int32)

    for d in range(n_dep):
        tau = departures[d]
        limit = tau + horizon
        n_marked = 0
        for oi in range(len(origins)):
            o = origins[oi]
            a = tau + origin_offsets[oi]
            if a > limit:
                continue
            if a < anyb[0, o]:
                anyb[0, o] = a
            if a < ride[0, o]:
                ride[0, o] = a
                if a < ready[0, o]:
                    ready[0, o] = a
                    if not marked[o]:
                        marked[o] = True
                        mark_list[n_marked] = o
                        n_marked += 1
                for e in range(fp_ptr[o], fp_ptr[o + 1]):
                    q = fp_to[e]
                    w = a + fp_dur[e]
                    if w <= limit and w < anyb[0, q]:
                        anyb[0, q] = w
                        if w < ready[0, q]:
                            ready[0, q] = w
                            if not marked[q]:
                                marked[q] = True
                                mark_list[n_marked] = q
                                n_marked += 1
        k = 0
        while n_marked > 0 and k < max_rounds:
            k += 1
            for s in range(n_stops):
                if (k > 1 or walk_reaches_target) and anyb[k - 1, s] < anyb[k, s]:
                    anyb[k, s] = anyb[k - 1, s]
                if ready[k - 1, s] < ready[k, s]:
                    ready[k, s] = ready[k - 1, s]
                if (k > 1 or walk_reaches_target) and ride[k - 1, s] < ride[k, s]:
                    ride[k, s] = ride[k - 1, s]
            n_q = 0
            for mi in range(n_marked):
                s = mark_list[mi]
                marked[s] = False
                for e in range(stop_patterns_ptr[s], stop_patterns_ptr[s + 1]):
                    p = stop_patterns[e]
                    pos = stop_patterns_pos[e]
                    if qpos[p] < 0:
                        qlist[n_q] = p
                        n_q += 1
                        qpos[p] = pos
                    elif pos < qpos[p]:
                        qpos[p] = pos
            n_marked = 0
            n_ride = 0
            for qi in range(n_q):
                p = qlist[qi]
                pos0 = qpos[p]
                qpos[p] = -1
                ps0 = pattern_stops_ptr[p]
                n = pattern_stops_ptr[p + 1] - ps0
                t0 = pattern_trips_ptr[p]
                nt = pattern_trips_ptr[p + 1] - t0
                base = pattern_st_ptr[p]
                cur = -1
                for i in range(pos0, n):
                    s = pattern_stops[ps0 + i]
                    if cur >= 0 and pattern_alight[ps0 + i]:
                        a = st_arr[base + cur * n + i]
                        if a <= limit and a < ride[k, s]:
                            ride[k, s] = a
                            if not ride_marked[s]:
                                ride_marked[s] = True
                                ride_list[n_ride] = s
                                n_ride += 1
                            if a < anyb[k, s]:
                                anyb[k, s] = a
                            r = a + slack
                            if r < ready[k, s]:
                                ready[k, s] = r
                                if not marked[s]:
                                    marked[s] = True
                                    mark_list[n_marked] = s
                                    n_marked += 1
                    if pattern_board[ps0 + i]:
                        rdy = ready[k - 1, s]
                        if rdy < INF:
                            if cur < 0:
                                j = _earliest_trip(st_dep, base, n, i, 0, nt, rdy)
                                if j < nt:
                                    cur = j
                            elif cur > 0 and rdy <= st_dep[base + (cur - 1) * n + i]:
                                cur = _earliest_trip(st_dep, base, n, i, 0, cur, rdy)
            for ri in range(n_ride):
                s = ride_list[ri]
                ride_marked[s] = False
                a = ride[k, s]
                for e in range(fp_ptr[s], fp_ptr[s + 1]):
                    q = fp_to[e]
                    w = a + fp_dur[e]
                    if w <= limit and w < anyb[k, q]:
                        anyb[k, q] = w
                        r = w + slack
                        if r < ready[k, q]:
                            ready[k, q] = r
                            if not marked[q]:
                                marked[q] = True
                                mark_list[n_marked] = q
                                n_marked += 1
        for mi in range(n_marked):
            marked[mark_list[mi]] = False
        # rounds not run for this departure still hold fewer rides: carry them forward
        for kk in range(k + 1, rows):
            for s in range(n_stops):
                if (kk > 1 or walk_reaches_target) and anyb[kk - 1, s] < anyb[kk, s]:
                    anyb[kk, s] = anyb[kk - 1, s]
                if ready[kk - 1, s] < ready[kk, s]:
                    ready[kk, s] = ready[kk - 1, s]
                if (kk > 1 or walk_reaches_target) and ride[kk - 1, s] < ride[kk, s]:
                    ride[kk, s] = ride[kk - 1, s]
        best = anyb[rows - 1]
        if keep_stops:  # the earliest arrival by any means, round 0's included
            for s in range(n_stops):
                x = anyb[0, s]
                stops_out[d, s] = x if x < best[s] else best[s]
        for t in range(n_dest):
            v = direct[t]
            if rows == 1 and not walk_reaches_target:  # no ride allowed: no stop to read
                times[t, d] = v if v <= horizon else INF
                continue
            for e in range(eg_ptr[t], eg_ptr[t + 1]):
                a = best[eg_stop[e]]
                if a < INF:
                    w = a + eg_secs[e] - tau
                    if w < v:
                        v = w
            times[t, d] = v if v <= horizon else INF
    return times, stops_out
