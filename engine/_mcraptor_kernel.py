"""numba kernel of McRAPTOR: Pareto sets over (arrival, rides, walking time).

Labels live in one int32 pool (one row per label, fields below). Every stop
has two bags, kept as linked lists through the pool with dominated labels unlinked:

- the *ride bag*: labels that got off a trip at the stop (and the origin labels),
  Pareto over (arrival, walking time); footpaths are relaxed only from these, so a
  journey has at most one footpath between two rides;
- the *any bag*: every label at the stop, Pareto over (arrival, ready time, walking
  time), where ready is the arrival plus the minimum transfer time after a ride (the
  bare arrival before the first ride). Labels new to it board trips in the next round.

Rounds count rides; labels are never compared across a larger round (rounds only
grow), which makes the result Pareto-optimal over the three criteria. Target pruning
drops a label when a label already at a target arrives (plus its egress time) no later
with no more walking (plus its egress walk) than the label could at best: its own
arrival and walking plus the least egress time and egress walk of any target.

Every buffer (the pool, the route bag, the lists of new ride labels and target labels) is
allocated once with ``capacity`` rows and never replaced inside the search: an array
variable that a loop may rebind costs numba a reference count update (an atomic
instruction) at every block of that loop, which took more than half of the search's
time. A search that would need more labels stops and returns ``n_labels = -1``; the
caller runs it again with a larger capacity (`engine.mcraptor.mc_search`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from maasmix.engine._raptor_kernel import INF, _earliest_trip

F_ARR = 0
F_WALK = 1
F_READY = 2
F_ROUND = 3
F_KIND = 4  # 0 origin, 1 ride, 2 walk
F_PREV = 5
F_TRIP = 6
F_BOARD = 7  # pattern position boarded (ride)
F_STOP = 8
F_NEXT_RIDE = 9
F_NEXT_ANY = 10
F_NEXT_BOARD = 11
N_FIELDS = 12


@njit(cache=True)
def _dominated_at_target(
    pool: np.ndarray,
    any_head: np.ndarray,
    targets: np.ndarray,
    egress: np.ndarray,
    egress_walk: np.ndarray,
    a: int,
    w: int,
) -> bool:
    # a journey ending at target ti arrives at arr + egress having walked walk +
    # egress_walk; a label (a, w) can only end later and having walked more
    for ti in range(len(targets)):
        e = any_head[targets[ti]]
        while e >= 0:
            if pool[e, F_ARR] + egress[ti] <= a and pool[e, F_WALK] + egress_walk[ti] <= w:
                return True
            e = pool[e, F_NEXT_ANY]
    return False


@njit(cache=True)
def _target_threshold(
    pool: np.ndarray,
    any_head: np.ndarray,
    targets: np.ndarray,
    egress: np.ndarray,
    egress_walk: np.ndarray,
    a: int,
    w: int,
) -> int:
    # the least d for which a label (a + d, w + d) is dominated at a target, as
    # `_dominated_at_target` decides it: d at least both gaps to some target label
    best = INF
    for ti in range(len(targets)):
        e = any_head[targets[ti]]
        while e >= 0:
            gap_a = pool[e, F_ARR] + egress[ti] - a
            gap_w = pool[e, F_WALK] + egress_walk[ti] - w
            d = gap_a if gap_a > gap_w else gap_w
            if d < best:
                best = d
            e = pool[e, F_NEXT_ANY]
    return best


@njit(cache=True)
def _ride_dominated(pool: np.ndarray, ride_head: np.ndarray, s: int, a: int, w: int) -> bool:
    e = ride_head[s]
    while e >= 0:
        if pool[e, F_ARR] <= a and pool[e, F_WALK] <= w:
            return True
        e = pool[e, F_NEXT_RIDE]
    return False


@njit(cache=True)
def _any_dominated(pool: np.ndarray, any_head: np.ndarray, s: int, a: int, r: int, w: int) -> bool:
    e = any_head[s]
    while e >= 0:
        if pool[e, F_ARR] <= a and pool[e, F_READY] <= r and pool[e, F_WALK] <= w:
            return True
        e = pool[e, F_NEXT_ANY]
    return False


@njit(cache=True)
def _add_ride(pool: np.ndarray, ride_head: np.ndarray, s: int, lab: int) -> None:
    a, w = pool[lab, F_ARR], pool[lab, F_WALK]
    prev = -1
    e = ride_head[s]
    while e >= 0:
        nxt = pool[e, F_NEXT_RIDE]
        if a <= pool[e, F_ARR] and w <= pool[e, F_WALK]:
            if prev < 0:
                ride_head[s] = nxt
            else:
                pool[prev, F_NEXT_RIDE] = nxt
        else:
            prev = e
        e = nxt
    pool[lab, F_NEXT_RIDE] = ride_head[s]
    ride_head[s] = lab


@njit(cache=True)
def _add_any(pool: np.ndarray, any_head: np.ndarray, s: int, lab: int) -> None:
    a, r, w = pool[lab, F_ARR], pool[lab, F_READY], pool[lab, F_WALK]
    prev = -1
    e = any_head[s]
    while e >= 0:
        nxt = pool[e, F_NEXT_ANY]
        if a <= pool[e, F_ARR] and r <= pool[e, F_READY] and w <= pool[e, F_WALK]:
            if prev < 0:
                any_head[s] = nxt
            else:
                pool[prev, F_NEXT_ANY] = nxt
        else:
            prev = e
        e = nxt
    pool[lab, F_NEXT_ANY] = any_head[s]
    any_head[s] = lab


@njit(cache=True)
def mcraptor(
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
    depart: int,
    max_rounds: int,
    slack: int,
    origin_walk: np.ndarray,
    target_walk: np.ndarray,
    max_arrival: int,
    capacity: int,
    fp_rest_min: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """McRAPTOR from ``origins`` leaving at ``depart``; at most ``max_rounds`` rides.

    ``origin_walk[i]`` is the walking already done on reaching origin ``i`` (its access
    walk; 0 for stop-to-stop queries), the starting value of the walking criterion;
    ``target_walk[i]`` the walking still to do after target ``i`` (its egress walk),
    counted when target labels prune others. ``max_arrival``: a label whose arrival
    plus the least egress time is later is dropped (no journey arriving after it is
    wanted). ``capacity``: the most labels the search may make. ``fp_rest_min``: per
    footpath, the shortest duration of it and the ones after it in its stop's list
    (`engine.raptor`'s suffix minima): a label's footpath loop stops once no footpath
    left can escape the arrival bound or the target labels.

    Returns ``(pool, target_labels, n_labels)``: the label pool (rows ``< n_labels``)
    and the ids of every label that reached a target (to be Pareto-filtered);
    ``n_labels = -1`` (and empty arrays) when ``capacity`` labels were not enough.
    """
    n_stops = len(stop_patterns_ptr) - 1
    n_pat = len(pattern_trips_ptr) - 1
    cap = max(capacity, 1)
    pool = np.empty((cap, N_FIELDS), dtype=np.int32)
    n_lab = 0
    ride_head = np.full(n_stops, -1, dtype=np.int32)
    any_head = np.full(n_stops, -1, dtype=np.int32)
    board_head = np.full(n_stops, -1, dtype=np.int32)
    # every journey still ends at some target: at least the least egress time and walk
    min_eg = 0
    min_ew = 0
    if len(targets):
        min_eg = target_egress.min()
        min_ew = target_walk.min()
    is_target = np.zeros(n_stops, dtype=np.bool_)
    for ti in range(len(targets)):
        is_target[targets[ti]] = True
    target_labels = np.empty(cap, dtype=np.int32)
    n_tl = 0
    marked = np.zeros(n_stops, dtype=np.bool_)
    mark_list = np.empty(n_stops, dtype=np.int32)
    n_marked = 0
    new_rides = np.empty(cap, dtype=np.int32)
    cur_board = np.empty(n_stops, dtype=np.int32)
    qpos = np.full(n_pat, -1, dtype=np.int32)
    qlist = np.empty(n_pat, dtype=np.int32)
    # the route bag of the pattern being scanned (at most one entry per label)
    rb_trip = np.empty(cap, dtype=np.int32)
    rb_pos = np.empty(cap, dtype=np.int32)
    rb_walk = np.empty(cap, dtype=np.int32)
    rb_prev = np.empty(cap, dtype=np.int32)

    # round 0: origin labels, then one footpath from each
    n_origin_labels = 0
    for oi in range(len(origins)):
        o = origins[oi]
        a = depart + origin_offsets[oi]
        if _ride_dominated(pool, ride_head, o, a, origin_walk[oi]):
            continue
        if n_lab >= cap:
            return pool[:0].copy(), target_labels[:0].copy(), -1
        lab = n_lab
        pool[lab, F_NEXT_RIDE] = -1
        pool[lab, F_NEXT_ANY] = -1
        pool[lab, F_NEXT_BOARD] = -1
        n_lab += 1
        pool[lab, F_ARR] = a
        pool[lab, F_WALK] = origin_walk[oi]
        pool[lab, F_READY] = a
        pool[lab, F_ROUND] = 0
        pool[lab, F_KIND] = 0
        pool[lab, F_PREV] = -1
        pool[lab, F_TRIP] = -1
        pool[lab, F_BOARD] = -1
        pool[lab, F_STOP] = o
        _add_ride(pool, ride_head, o, lab)
        new_rides[n_origin_labels] = lab
        n_origin_labels += 1
        if not _any_dominated(pool, any_head, o, a, a, 0):
            _add_any(pool, any_head, o, lab)
            pool[lab, F_NEXT_BOARD] = board_head[o]
            board_head[o] = lab
            if is_target[o]:
                target_labels[n_tl] = lab
                n_tl += 1
            if not marked[o]:
                marked[o] = True
                mark_list[n_marked] = o
                n_marked += 1
    n_new_rides = n_origin_labels
    k = 0
    while True:
        # footpaths from the ride labels of round k (origins in round 0)
        for ri in range(n_new_rides):
            src = new_rides[ri]
            s = pool[src, F_STOP]
            a0 = pool[src, F_ARR]
            w0 = pool[src, F_WALK]
            # a footpath of `limit` seconds or more is dropped: it arrives after
            # max_arrival, or a target label dominates it (the checks made one by one
            # before, as one bound per label; the same labels)
            d_max = max_arrival - min_eg - a0 + 1
            d_target = _target_threshold(
                pool, any_head, targets, target_egress, target_walk, a0 + min_eg, w0 + min_ew
            )
            limit = d_max if d_max < d_target else d_target
            for e in range(fp_ptr[s], fp_ptr[s + 1]):
                if fp_rest_min[e] >= limit:
                    break
                if fp_dur[e] >= limit:
                    continue
                q = fp_to[e]
                a = a0 + fp_dur[e]
                w = w0 + fp_dur[e]
                r = a + slack if k > 0 else a
                if _any_dominated(pool, any_head, q, a, r, w):
                    continue
                if n_lab >= cap:
                    return pool[:0].copy(), target_labels[:0].copy(), -1
                lab = n_lab
                pool[lab, F_NEXT_RIDE] = -1
                pool[lab, F_NEXT_ANY] = -1
                pool[lab, F_NEXT_BOARD] = -1
                n_lab += 1
                pool[lab, F_ARR] = a
                pool[lab, F_WALK] = w
                pool[lab, F_READY] = r
                pool[lab, F_ROUND] = k
                pool[lab, F_KIND] = 2
                pool[lab, F_PREV] = src
                pool[lab, F_TRIP] = -1
                pool[lab, F_BOARD] = -1
                pool[lab, F_STOP] = q
                _add_any(pool, any_head, q, lab)
                pool[lab, F_NEXT_BOARD] = board_head[q]
                board_head[q] = lab
                if is_target[q]:
                    target_labels[n_tl] = lab
                    n_tl += 1
                    # the new target label bounds the rest of this loop too
                    for ti in range(len(targets)):
                        if targets[ti] == q:
                            gap_a = a + target_egress[ti] - a0 - min_eg
                            gap_w = w + target_walk[ti] - w0 - min_ew
                            d = gap_a if gap_a > gap_w else gap_w
                            if d < limit:
                                limit = d
                if not marked[q]:
                    marked[q] = True
                    mark_list[n_marked] = q
                    n_marked += 1
        if n_marked == 0 or (max_rounds >= 0 and k >= max_rounds):
            break
        k += 1
        # queue the patterns through the marked stops; take their boarding lists
        n_q = 0
        cur_board[:] = board_head
        for mi in range(n_marked):
            s = mark_list[mi]
            marked[s] = False
            board_head[s] = -1
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
        n_new_rides = 0
        for qi in range(n_q):
            p = qlist[qi]
            pos0 = qpos[p]
            qpos[p] = -1
            ps0 = pattern_stops_ptr[p]
            n = pattern_stops_ptr[p + 1] - ps0
            t0 = pattern_trips_ptr[p]
            nt = pattern_trips_ptr[p + 1] - t0
            base = pattern_st_ptr[p]
            n_rb = 0
            for i in range(pos0, n):
                s = pattern_stops[ps0 + i]
                if n_rb > 0 and pattern_alight[ps0 + i]:
                    for bi in range(n_rb):
                        a = st_arr[base + rb_trip[bi] * n + i]
                        w = rb_walk[bi]
                        if a + min_eg > max_arrival:
                            continue
                        if _ride_dominated(pool, ride_head, s, a, w):
                            continue
                        if _dominated_at_target(
                            pool,
                            any_head,
                            targets,
                            target_egress,
                            target_walk,
                            a + min_eg,
                            w + min_ew,
                        ):
                            continue
                        if n_lab >= cap:
                            return pool[:0].copy(), target_labels[:0].copy(), -1
                        lab = n_lab
                        pool[lab, F_NEXT_RIDE] = -1
                        pool[lab, F_NEXT_ANY] = -1
                        pool[lab, F_NEXT_BOARD] = -1
                        n_lab += 1
                        pool[lab, F_ARR] = a
                        pool[lab, F_WALK] = w
                        pool[lab, F_READY] = a + slack
                        pool[lab, F_ROUND] = k
                        pool[lab, F_KIND] = 1
                        pool[lab, F_PREV] = rb_prev[bi]
                        pool[lab, F_TRIP] = t0 + rb_trip[bi]
                        pool[lab, F_BOARD] = rb_pos[bi]
                        pool[lab, F_STOP] = s
                        _add_ride(pool, ride_head, s, lab)
                        new_rides[n_new_rides] = lab
                        n_new_rides += 1
                        if not _any_dominated(pool, any_head, s, a, a + slack, w):
                            _add_any(pool, any_head, s, lab)
                            pool[lab, F_NEXT_BOARD] = board_head[s]
                            board_head[s] = lab
                            if is_target[s]:
                                target_labels[n_tl] = lab
                                n_tl += 1
                            if not marked[s]:
                                marked[s] = True
                                mark_list[n_marked] = s
                                n_marked += 1
                if pattern_board[ps0 + i]:
                    e = cur_board[s]
                    while e >= 0:
                        j = _earliest_trip(st_dep, base, n, i, 0, nt, pool[e, F_READY])
                        w = pool[e, F_WALK]
                        if j < nt:
                            dominated = False
                            for bi in range(n_rb):
                                if rb_trip[bi] <= j and rb_walk[bi] <= w:
                                    dominated = True
                                    break
                            if not dominated:
                                keep = 0
                                for bi in range(n_rb):
                                    if not (j <= rb_trip[bi] and w <= rb_walk[bi]):
                                        rb_trip[keep] = rb_trip[bi]
                                        rb_pos[keep] = rb_pos[bi]
                                        rb_walk[keep] = rb_walk[bi]
                                        rb_prev[keep] = rb_prev[bi]
                                        keep += 1
                                n_rb = keep
                                if n_rb >= cap:
                                    return pool[:0].copy(), target_labels[:0].copy(), -1
                                rb_trip[n_rb] = j
                                rb_pos[n_rb] = i
                                rb_walk[n_rb] = w
                                rb_prev[n_rb] = e
                                n_rb += 1
                        e = pool[e, F_NEXT_BOARD]
    return pool[:n_lab].copy(), target_labels[:n_tl].copy(), n_lab


__all__ = [
    "F_ARR",
    "F_BOARD",
    "F_KIND",
    "F_PREV",
    "F_ROUND",
    "F_STOP",
    "F_TRIP",
    "F_WALK",
    "INF",
    "mcraptor",
]
