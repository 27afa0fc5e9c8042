"""Independent references for the router tests, written straight from the semantics.

Built from the raw `ServiceDay` tables (no patterns, no FIFO split, no binary search, no
marking), with their own footpaths (all pairs of served stops, haversine, brute force):

- `csa_earliest_arrival`: a Connection Scan over all elementary connections sorted by
  departure; a footpath is relaxed after each improving ride arrival (so at most one
  footpath between rides), boarding needs ``ready <= departure`` where ready is the
  arrival plus ``slack`` after a ride and the bare arrival before the first one. The
  scan repeats until nothing changes, so ties between zero-duration connections can
  never hide an arrival. The loop is plain Python, compiled with numba for speed.
- `rounds_earliest_arrival`: Bellman-Ford over trips in numpy, one round per ride, for
  the ``max_transfers`` semantics (best arrival with at most ``k`` rides).

Times are int seconds after midnight; ``INF`` means unreachable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from maasmix.feeds.gtfs.service_day import ServiceDay

INF = 2147483647


@dataclass
class RefNetwork:
    stop_ids: np.ndarray
    # stop-time rows, trip-contiguous in stop_sequence order
    row_trip: np.ndarray
    row_pos: np.ndarray
    row_stop: np.ndarray
    row_arr: np.ndarray
    row_dep: np.ndarray
    row_board: np.ndarray
    row_alight: np.ndarray
    trip_start: np.ndarray
    # connections sorted by departure
    c_dep: np.ndarray
    c_arr: np.ndarray
    c_from: np.ndarray
    c_to: np.ndarray
    c_trip: np.ndarray
    c_pos: np.ndarray
    c_board: np.ndarray
    c_alight: np.ndarray
    # footpaths
    fp_from: np.ndarray
    fp_to: np.ndarray
    fp_dur: np.ndarray
    fp_ptr: np.ndarray

    def index(self, stop_id: str) -> int:
        return int(np.flatnonzero(self.stop_ids == stop_id)[0])


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def build(
    day: ServiceDay,
    *,
    max_walk_m: float = 500.0,
    walk_speed: float = 1.33,
    detour_factor: float = 1.3,
    transfers: bool = True,
) -> RefNetwork:
    stop_ids = day.stops["stop_id"].astype(str).to_numpy()
    pos_of = {s: i for i, s in enumerate(stop_ids)}
    st = day.stop_times.sort_values(["trip_key", "stop_sequence"], kind="stable")
    sizes = st.groupby("trip_key", sort=False).size()
    st = st[st["trip_key"].map(sizes) >= 2]
    trip_code = pd.factorize(st["trip_key"])[0]
    stop = np.array([pos_of[s] for s in st["stop_id"].astype(str)], dtype=np.int64)
    arr = st["arrival_s"].to_numpy(np.int64)
    dep = st["departure_s"].to_numpy(np.int64)
    board = st["pickup_type"].to_numpy() != 1
    alight = st["drop_off_type"].to_numpy() != 1
    starts = np.flatnonzero(np.r_[True, trip_code[1:] != trip_code[:-1]])
    pos = np.arange(len(st)) - np.repeat(starts, np.diff(np.r_[starts, len(st)]))
    nxt = np.r_[trip_code[1:] == trip_code[:-1], False]
    i = np.flatnonzero(nxt)
    order = np.argsort(dep[i], kind="stable")
    i = i[order]

    served = np.unique(stop)
    lat = day.stops["stop_lat"].to_numpy(float)
    lon = day.stops["stop_lon"].to_numpy(float)
    paths: dict[tuple[int, int], int] = {}
    if max_walk_m > 0:
        for a in served.tolist():
            # haversine from a to every served stop, one numpy row at a time
            p1, p2 = np.radians(lat[a]), np.radians(lat[served])
            h = (
                np.sin((p2 - p1) / 2) ** 2
                + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon[served] - lon[a]) / 2) ** 2
            )
            d = 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
            for b, dist in zip(served.tolist(), d.tolist(), strict=True):
                if b != a and dist <= max_walk_m:
                    paths[(a, b)] = math.ceil(round(dist * detour_factor / walk_speed, 6))
    if transfers:
        served_set = set(served.tolist())
        for row in day.transfers.itertuples(index=False):
            a = pos_of.get(str(row.from_stop_id), -1)
            b = pos_of.get(str(row.to_stop_id), -1)
            if a == b or a not in served_set or b not in served_set:
                continue
            if int(row.transfer_type) == 3:
                paths.pop((a, b), None)
            elif int(row.transfer_type) == 2:
                if int(row.min_transfer_time) >= 0:
                    paths[(a, b)] = int(row.min_transfer_time)
                elif (a, b) not in paths:
                    d = _haversine(lat[a], lon[a], lat[b], lon[b])
                    paths[(a, b)] = math.ceil(round(d * detour_factor / walk_speed, 6))
    keys = sorted(paths)
    fp_from = np.array([k[0] for k in keys], dtype=np.int64)
    fp_to = np.array([k[1] for k in keys], dtype=np.int64)
    fp_dur = np.array([paths[k] for k in keys], dtype=np.int64)
    fp_ptr = np.zeros(len(stop_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(fp_from, minlength=len(stop_ids)), out=fp_ptr[1:])
    return RefNetwork(
        stop_ids=stop_ids,
        row_trip=trip_code.astype(np.int64),
        row_pos=pos.astype(np.int64),
        row_stop=stop,
        row_arr=arr,
        row_dep=dep,
        row_board=board,
        row_alight=alight,
        trip_start=starts.astype(np.int64),
        c_dep=dep[i],
        c_arr=arr[i + 1],
        c_from=stop[i],
        c_to=stop[i + 1],
        c_trip=trip_code[i].astype(np.int64),
        c_pos=pos[i].astype(np.int64),
        c_board=board[i],
        c_alight=alight[i + 1],
        fp_from=fp_from,
        fp_to=fp_to,
        fp_dur=fp_dur,
        fp_ptr=fp_ptr,
    )


@njit(cache=True)
def _csa(
    c_dep: np.ndarray,
    c_arr: np.ndarray,
    c_from: np.ndarray,
    c_to: np.ndarray,
    c_trip: np.ndarray,
    c_pos: np.ndarray,
    c_board: np.ndarray,
    c_alight: np.ndarray,
    n_trips: int,
    fp_ptr: np.ndarray,
    fp_to: np.ndarray,
    fp_dur: np.ndarray,
    origins: np.ndarray,
    origin_times: np.ndarray,
    slack: int,
    n_stops: int,
) -> np.ndarray:
    big = 2147483647
    arrival = np.full(n_stops, big, dtype=np.int64)
    ready = np.full(n_stops, big, dtype=np.int64)
    ride = np.full(n_stops, big, dtype=np.int64)
    earliest = big
    for k in range(len(origins)):
        o = origins[k]
        t = origin_times[k]
        earliest = min(earliest, t)
        arrival[o] = min(arrival[o], t)
        ready[o] = min(ready[o], t)
        for e in range(fp_ptr[o], fp_ptr[o + 1]):
            q = fp_to[e]
            arrival[q] = min(arrival[q], t + fp_dur[e])
            ready[q] = min(ready[q], t + fp_dur[e])
    boarded_from = np.full(n_trips, big, dtype=np.int64)
    first = np.searchsorted(c_dep, earliest)
    changed = True
    while changed:
        changed = False
        for c in range(first, len(c_dep)):
            trip = c_trip[c]
            if boarded_from[trip] > c_pos[c]:
                if c_board[c] and ready[c_from[c]] <= c_dep[c]:
                    boarded_from[trip] = c_pos[c]
                    changed = True
                else:
                    continue
            if not c_alight[c]:
                continue
            s = c_to[c]
            a = c_arr[c]
            if a < ride[s]:
                ride[s] = a
                changed = True
                arrival[s] = min(arrival[s], a)
                ready[s] = min(ready[s], a + slack)
                for e in range(fp_ptr[s], fp_ptr[s + 1]):
                    q = fp_to[e]
                    arrival[q] = min(arrival[q], a + fp_dur[e])
                    ready[q] = min(ready[q], a + fp_dur[e] + slack)
    return arrival


def csa_earliest_arrival(
    net: RefNetwork, origins: list[int], origin_times: list[int], slack: int = 0
) -> np.ndarray:
    """Earliest arrival at every stop (int64, INF unreachable), unlimited rides."""
    return _csa(
        net.c_dep,
        net.c_arr,
        net.c_from,
        net.c_to,
        net.c_trip,
        net.c_pos,
        net.c_board,
        net.c_alight,
        int(net.row_trip.max()) + 1 if len(net.row_trip) else 0,
        net.fp_ptr,
        net.fp_to,
        net.fp_dur,
        np.asarray(origins, np.int64),
        np.asarray(origin_times, np.int64),
        int(slack),
        len(net.stop_ids),
    )


def rounds_earliest_arrival(
    net: RefNetwork,
    origins: list[int],
    origin_times: list[int],
    max_rides: int,
    slack: int = 0,
) -> np.ndarray:
    """Earliest arrival with at most ``max_rides`` rides: one numpy round per ride."""
    n = len(net.stop_ids)
    arrival = np.full(n, INF, dtype=np.int64)
    ready = np.full(n, INF, dtype=np.int64)
    for o, t in zip(origins, origin_times, strict=True):
        arrival[o] = min(arrival[o], t)
        ready[o] = min(ready[o], t)
    src = np.full(n, INF, dtype=np.int64)
    for o, t in zip(origins, origin_times, strict=True):
        src[o] = min(src[o], t)
    walked = _walk(net, src)
    arrival = np.minimum(arrival, walked)
    ready = np.minimum(ready, walked)
    big = np.iinfo(np.int64).max
    for _ in range(max_rides):
        can = net.row_board & (ready[net.row_stop] <= net.row_dep)
        first = np.minimum.reduceat(np.where(can, net.row_pos, big), net.trip_start)
        on = (net.row_pos > first[net.row_trip]) & net.row_alight
        ride = np.full(n, INF, dtype=np.int64)
        np.minimum.at(ride, net.row_stop[on], net.row_arr[on])
        walked = _walk(net, ride)
        best = np.minimum(ride, walked)
        new_ready = np.minimum(ready, np.where(best < INF, best + slack, INF))
        arrival = np.minimum(arrival, best)
        if np.array_equal(new_ready, ready):
            break
        ready = new_ready
    return arrival


def _walk(net: RefNetwork, at: np.ndarray) -> np.ndarray:
    out = np.full(len(at), INF, dtype=np.int64)
    src = at[net.fp_from]
    ok = src < INF
    np.minimum.at(out, net.fp_to[ok], src[ok] + net.fp_dur[ok])
    return out


_BIG = 1 << 40


def _seg_cummin(values: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Running minimum of ``values`` restarted at each new ``segment`` (sorted, >= 0)."""
    shifted = values - segment * _BIG
    return np.minimum.accumulate(shifted) + segment * _BIG


def _pareto2(stop: np.ndarray, arr: np.ndarray, walk: np.ndarray) -> np.ndarray:
    """Indices of the labels Pareto-optimal over (arrival, walk) at their stop."""
    if not len(stop):
        return np.empty(0, np.int64)
    order = np.lexsort((walk, arr, stop))
    s, w = stop[order], walk[order]
    best = _seg_cummin(w, s)
    before = np.empty(len(order), np.int64)
    before[0] = _BIG
    before[1:] = best[:-1]
    before[1:][s[1:] != s[:-1]] = _BIG  # first label of each stop
    return order[w < before]


def mc_pareto(
    net: RefNetwork,
    origins: list[int],
    origin_times: list[int],
    origin_walk: list[int],
    targets: list[int],
    egress: list[int],
    egress_walk: list[int],
    max_rides: int,
    slack: int = 0,
) -> set[tuple[int, int, int]]:
    """Pareto set of (arrival + egress, rides, walk + egress walk) at the targets.

    Semantics, straight from the definitions: at most one footpath between two rides (and
    one from the origin before the first); boarding a trip needs ``ready <= departure``,
    ready being the arrival plus ``slack`` after a ride and the bare arrival before the
    first one; walking counts the origin walk, every footpath and the egress walk. Rounds
    are rides; per round and stop the labels are Pareto over (arrival, walk), separately
    for labels that arrived riding (which may walk on) and walking (which may not). Every
    trip is tried from every label (no earliest-trip shortcut), in numpy.
    """
    o = np.asarray(origins, np.int64)
    ride_stop, ride_arr = o.copy(), np.asarray(origin_times, np.int64)
    ride_walk = np.asarray(origin_walk, np.int64)
    keep = _pareto2(ride_stop, ride_arr, ride_walk)
    ride_stop, ride_arr, ride_walk = ride_stop[keep], ride_arr[keep], ride_walk[keep]
    tgt = {int(t): (int(e), int(w)) for t, e, w in zip(targets, egress, egress_walk, strict=True)}
    found: list[tuple[int, int, int]] = []
    n_rows = len(net.row_stop)
    for k in range(max_rides + 1):
        # footpaths from the labels that arrived riding (or at an origin)
        cnt = net.fp_ptr[ride_stop + 1] - net.fp_ptr[ride_stop]
        lab = np.repeat(np.arange(len(ride_stop)), cnt)
        first = np.repeat(net.fp_ptr[ride_stop], cnt)
        off = np.arange(len(lab)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        e = first + off
        walk_stop = net.fp_to[e]
        walk_arr = ride_arr[lab] + net.fp_dur[e]
        walk_walk = ride_walk[lab] + net.fp_dur[e]
        keep = _pareto2(walk_stop, walk_arr, walk_walk)
        walk_stop, walk_arr, walk_walk = walk_stop[keep], walk_arr[keep], walk_walk[keep]
        stop = np.concatenate([ride_stop, walk_stop])
        arr = np.concatenate([ride_arr, walk_arr])
        walk = np.concatenate([ride_walk, walk_walk])
        for s, a, w in zip(stop.tolist(), arr.tolist(), walk.tolist(), strict=True):
            if s in tgt:
                found.append((a + tgt[s][0], k, w + tgt[s][1]))
        if k == max_rides or not len(stop):
            break
        ready = arr + (slack if k > 0 else 0)
        # per row: least walk of a label at its stop ready by its departure
        order = np.lexsort((ready, stop))
        ls, lr, lw = stop[order], ready[order], walk[order]
        prefmin = _seg_cummin(lw, ls)
        key = ls * _BIG + lr
        q = np.searchsorted(key, net.row_stop * _BIG + net.row_dep, side="right") - 1
        ok = (q >= 0) & net.row_board
        ok &= ls[np.maximum(q, 0)] == net.row_stop
        board = np.where(ok, prefmin[np.maximum(q, 0)], _BIG // 4)
        # least walk boarded at an earlier position of the same trip
        trip_seg = np.concatenate([[0], np.cumsum(net.row_trip[1:] != net.row_trip[:-1])])
        seen = _seg_cummin(board, trip_seg)
        on = np.full(n_rows, _BIG // 4, np.int64)
        same = np.zeros(n_rows, bool)
        same[1:] = net.row_trip[1:] == net.row_trip[:-1]
        on[1:] = np.where(same[1:], seen[:-1], _BIG // 4)
        alight = net.row_alight & (on < _BIG // 4)
        ride_stop = net.row_stop[alight]
        ride_arr = net.row_arr[alight]
        ride_walk = on[alight]
        keep = _pareto2(ride_stop, ride_arr, ride_walk)
        ride_stop, ride_arr, ride_walk = ride_stop[keep], ride_arr[keep], ride_walk[keep]
    out: set[tuple[int, int, int]] = set()
    for p in set(found):
        if not any(q != p and q[0] <= p[0] and q[1] <= p[1] and q[2] <= p[2] for q in found):
            out.add(p)
    return out
