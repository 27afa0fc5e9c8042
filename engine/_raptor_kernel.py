"""numba kernels of round-based public transit routing (RAPTOR and rRAPTOR).

Labels, per round ``k`` (``k`` rides so far) and stop, all int32 seconds:

- ``ride[k, s]``: earliest arrival at ``s`` getting off a trip, with at most ``k`` rides;
- ``anyb[k, s]``: earliest arrival at ``s`` by any means (ride, or ride + one footpath);
  without ``walk_reaches_target`` the rows ``k >= 1`` (and ``ride``'s) count only
  arrivals after at least one ride;
- ``ready[k, s]``: earliest time a trip departing from ``s`` can be boarded: the
  arrival plus ``slack`` (the minimum transfer time) after a ride (after a ride and a
  footpath: plus ``walk_slack``, by default the same), the bare arrival before the first
  ride (at an origin or after the initial footpath).

All rows are cumulative over rounds (row ``k`` <= row ``k-1``; from row 1 on without
``walk_reaches_target``), which is what makes the range (rRAPTOR) variant correct when
labels are kept from one departure to the next (later departures first). Footpaths are
relaxed only from stops just reached by a ride, so a journey has at most one footpath
before the first ride, between two rides and after the last ride. Records of the last
improvement in each round (``rec_*``) allow the journeys to be reconstructed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF: int = 2147483647


@njit(cache=True)
def _grow(a: np.ndarray, rows: int, fill: int) -> np.ndarray:
    out = np.full((rows, a.shape[1]), fill, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


@njit(cache=True)
def _earliest_trip(
    st_dep: np.ndarray, base: int, n: int, i: int, lo: int, hi: int, ready: int
) -> int:
    """First trip ``j`` in ``[lo, hi)`` of a pattern whose departure at ``i`` is >= ready."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if st_dep[base + mid * n + i] >= ready:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(cache=True)
def raptor(
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
    targets: np.ndarray,
    target_egress: np.ndarray,
    departures: np.ndarray,
    max_rounds: int,
    slack: int,
    record: bool,
    walk_reaches_target: bool = True,
    walk_slack: int = -1,
    fp_rest_min: np.ndarray | None = None,
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    int,
]:
    """(r)RAPTOR from ``origins`` (offsets in s) for each departure, latest first.

    ``departures`` must be sorted in decreasing order; labels are kept between them.
    ``max_rounds`` is the maximum number of rides (``< 0``: unlimited).
    ``walk_reaches_target``: whether round 0 (the origins and footpaths, no ride) may
    reach the targets; False leaves ``dest[0]`` at ``INF`` so that a ride-less walk never
    prunes the rides (a door-to-door planner plans that walk on its own).
    ``walk_slack``: the slack before boarding after a ride and a footpath (``< 0``: the
    same ``slack`` as at the stop ridden to; 0: the footpath's time replaces the
    minimum transfer time, as in nigiri/MOTIS).
    ``fp_rest_min`` (optional, per footpath): the shortest duration of this footpath
    and the ones after it in its stop's list; relaxing a stop's footpaths after a ride
    then stops once none of the rest can arrive before the best arrival at the
    targets (the same labels and order as without it, fewer footpaths looked at).

    Returns ``(anyb, ready, ride, rec_ride, rec_trip, rec_board, rec_walk, rec_from,
    dest, last_round)`` where ``dest[k, d]`` is the best ``arrival + egress`` over the
    targets with at most ``k`` rides for departure ``d`` (rows past the last round
    processed for ``d`` are filled forward), and ``last_round`` the last round processed
    for the last departure (``anyb[last_round]`` holds its earliest arrivals).
    """
    fp_slack = slack if walk_slack < 0 else walk_slack
    n_stops = len(stop_patterns_ptr) - 1
    n_pat = len(pattern_trips_ptr) - 1
    n_dep = len(departures)
    cap = 9 if max_rounds < 0 or max_rounds > 8 else max_rounds + 1
    anyb = np.full((cap, n_stops), INF, dtype=np.int32)
    ready = np.full((cap, n_stops), INF, dtype=np.int32)
    ride = np.full((cap, n_stops), INF, dtype=np.int32)
    rcap = cap if record else 1
    rn = n_stops if record else 1
    rec_ride = np.full((rcap, rn), INF, dtype=np.int32)
    rec_trip = np.full((rcap, rn), -1, dtype=np.int32)
    rec_board = np.full((rcap, rn), -1, dtype=np.int32)
    rec_walk = np.full((rcap, rn), INF, dtype=np.int32)
    rec_from = np.full((rcap, rn), -1, dtype=np.int32)
    dest = np.full((cap, max(n_dep, 1)), INF, dtype=np.int32)
    dest_cur = np.full(cap, INF, dtype=np.int32)

    egress = np.full(n_stops, INF, dtype=np.int32)
    for i in range(len(targets)):
        if target_egress[i] < egress[targets[i]]:
            egress[targets[i]] = target_egress[i]

    marked = np.zeros(n_stops, dtype=np.bool_)
    mark_list = np.empty(n_stops, dtype=np.int32)
    ride_marked = np.zeros(n_stops, dtype=np.bool_)
    ride_list = np.empty(n_stops, dtype=np.int32)
    qpos = np.full(n_pat, -1, dtype=np.int32)
    qlist = np.empty(n_pat, dtype=np.int32)
    last_round = 0

    for d in range(n_dep):
        tau = departures[d]
        n_marked = 0
        # round 0: the origins and the footpaths from them
        for oi in range(len(origins)):
            o = origins[oi]
            a = tau + origin_offsets[oi]
            if a < anyb[0, o]:
                anyb[0, o] = a
                if walk_reaches_target and egress[o] < INF and a + egress[o] < dest_cur[0]:
                    dest_cur[0] = a + egress[o]
            if a < ride[0, o]:
                ride[0, o] = a
                if record:
                    rec_ride[0, o] = a
                    rec_trip[0, o] = -1
                if a < ready[0, o]:
                    ready[0, o] = a
                    if not marked[o]:
                        marked[o] = True
                        mark_list[n_marked] = o
                        n_marked += 1
                for e in range(fp_ptr[o], fp_ptr[o + 1]):
                    q = fp_to[e]
                    w = a + fp_dur[e]
                    if w < anyb[0, q]:
                        anyb[0, q] = w
                        if record:
                            rec_walk[0, q] = w
                            rec_from[0, q] = o
                        if walk_reaches_target and egress[q] < INF and w + egress[q] < dest_cur[0]:
                            dest_cur[0] = w + egress[q]
                        if w < ready[0, q]:
                            ready[0, q] = w
                            if not marked[q]:
                                marked[q] = True
                                mark_list[n_marked] = q
                                n_marked += 1
        dest[0, d] = dest_cur[0]
        k = 0
        while n_marked > 0 and (max_rounds < 0 or k < max_rounds):
            k += 1
            if k >= anyb.shape[0]:
                rows = 2 * anyb.shape[0]
                anyb = _grow(anyb, rows, INF)
                ready = _grow(ready, rows, INF)
                ride = _grow(ride, rows, INF)
                if record:
                    rec_ride = _grow(rec_ride, rows, INF)
                    rec_trip = _grow(rec_trip, rows, -1)
                    rec_board = _grow(rec_board, rows, -1)
                    rec_walk = _grow(rec_walk, rows, INF)
                    rec_from = _grow(rec_from, rows, -1)
                dest = _grow(dest, rows, INF)
                new_cur = np.full(rows, INF, dtype=np.int32)
                new_cur[: len(dest_cur)] = dest_cur
                dest_cur = new_cur
            # without walk_reaches_target, arrivals of round 0 (no ride) are not carried
            # into round 1: a ride (+ footpath) reaching a stop later than the walk from
            # the origin is still the only way on to the targets from there
            # (row-wise minima written branch-free, so that they vectorise)
            if k > 1 or walk_reaches_target:
                for s in range(n_stops):
                    x, y = anyb[k - 1, s], anyb[k, s]
                    anyb[k, s] = x if x < y else y
                    x, y = ride[k - 1, s], ride[k, s]
                    ride[k, s] = x if x < y else y
            for s in range(n_stops):
                x, y = ready[k - 1, s], ready[k, s]
                ready[k, s] = x if x < y else y
            if dest_cur[k - 1] < dest_cur[k]:
                dest_cur[k] = dest_cur[k - 1]
            # collect the patterns through the marked stops, from their first marked position
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
                board_pos = -1
                for i in range(pos0, n):
                    s = pattern_stops[ps0 + i]
                    if cur >= 0 and pattern_alight[ps0 + i]:
                        a = st_arr[base + cur * n + i]
                        if a < ride[k, s] and a < dest_cur[k]:
                            ride[k, s] = a
                            if record:
                                rec_ride[k, s] = a
                                rec_trip[k, s] = t0 + cur
                                rec_board[k, s] = board_pos
                            if not ride_marked[s]:
                                ride_marked[s] = True
                                ride_list[n_ride] = s
                                n_ride += 1
                            if a < anyb[k, s]:
                                anyb[k, s] = a
                                if egress[s] < INF and a + egress[s] < dest_cur[k]:
                                    dest_cur[k] = a + egress[s]
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
                                    board_pos = i
                            elif cur > 0 and rdy <= st_dep[base + (cur - 1) * n + i]:
                                cur = _earliest_trip(st_dep, base, n, i, 0, cur, rdy)
                                board_pos = i
            # at most one footpath after each ride
            for ri in range(n_ride):
                s = ride_list[ri]
                ride_marked[s] = False
                a = ride[k, s]
                for e in range(fp_ptr[s], fp_ptr[s + 1]):
                    if fp_rest_min is not None and a + fp_rest_min[e] >= dest_cur[k]:
                        break  # this footpath and the stop's next ones reach no target sooner
                    w = a + fp_dur[e]
                    q = fp_to[e]
                    if w < anyb[k, q] and w < dest_cur[k]:
                        anyb[k, q] = w
                        if record:
                            rec_walk[k, q] = w
                            rec_from[k, q] = s
                        if egress[q] < INF and w + egress[q] < dest_cur[k]:
                            dest_cur[k] = w + egress[q]
                        r = w + fp_slack
                        if r < ready[k, q]:
                            ready[k, q] = r
                            if not marked[q]:
                                marked[q] = True
                                mark_list[n_marked] = q
                                n_marked += 1
            dest[k, d] = dest_cur[k]
        for mi in range(n_marked):
            marked[mark_list[mi]] = False
        for kk in range(k + 1, dest.shape[0]):
            v = dest_cur[kk]
            if dest[kk - 1, d] < v:
                v = dest[kk - 1, d]
            dest[kk, d] = v
        last_round = k
    return (
        anyb,
        ready,
        ride,
        rec_ride,
        rec_trip,
        rec_board,
        rec_walk,
        rec_from,
        dest,
        last_round,
    )
