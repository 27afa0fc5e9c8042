"""`CompiledTimetable`: one service day in RAPTOR layout, as contiguous numpy arrays.

Trips are grouped into *route patterns*: trips with the identical stop sequence and the
identical pickup/drop-off permissions. A pattern is further split until no trip of it
overtakes another (FIFO: a later trip of a pattern never arrives or departs earlier than
an earlier one at any stop), so that "the earliest trip catchable at a stop" is a binary
search on that stop's departure column and it is also the earliest trip at every later
stop. Trips of one pattern are sorted by departure and numbered contiguously; their stop
times are stored row-major (trip by trip, stop by stop) in ``st_arr`` / ``st_dep``.

All times are int32 seconds after the service day's midnight (noon minus 12 h); trips of
the previous service day that run past midnight come from `feeds` already shifted by
-86400 s and are routable like any other trip.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix import defaults
from maasmix.engine.footpaths import Footpaths, build_footpaths
from maasmix.errors import FeedIntegrityError
from maasmix.feeds.gtfs.service_day import ServiceDay

IntArray = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]

#: The timetable arrays every RAPTOR-family kernel takes first, in this order (see
#: `CompiledTimetable.kernel_arrays`).
KERNEL_ARRAYS = (
    "pattern_stops_ptr",
    "pattern_stops",
    "pattern_board",
    "pattern_alight",
    "pattern_trips_ptr",
    "pattern_st_ptr",
    "st_arr",
    "st_dep",
    "stop_patterns_ptr",
    "stop_patterns",
    "stop_patterns_pos",
)


@dataclass(frozen=True, eq=False)
class CompiledTimetable:
    """A service day compiled for RAPTOR.

    Attributes
    ----------
    date, timezone
        The service date and the IANA timezone its clock times are in.
    stop_ids, stop_names : object arrays (S,)
        GTFS ids and names of every row of stops.txt (stations included; only stops that
        trips call at have patterns and footpaths).
    stop_lat, stop_lon : float64 (S,)
        WGS84 coordinates.
    stop_parent : int32 (S,)
        Index of the parent station, -1 when none.
    pattern_stops_ptr : int64 (P+1,)
        Stops of pattern ``p`` are ``pattern_stops[pattern_stops_ptr[p]:pattern_stops_ptr[p+1]]``.
    pattern_stops : int32
        Stop indices, pattern by pattern.
    pattern_board, pattern_alight : bool, aligned with ``pattern_stops``
        Whether riders may board (pickup_type != 1) / alight (drop_off_type != 1) there.
    pattern_trips_ptr : int32 (P+1,)
        Trips of pattern ``p`` are ``pattern_trips_ptr[p] .. pattern_trips_ptr[p+1]-1``,
        sorted by departure.
    pattern_st_ptr : int64 (P+1,)
        Offset of the first stop time of pattern ``p`` in ``st_arr``/``st_dep``; trip ``t``
        (the ``j``-th of its pattern, which has ``n`` stops) has its stop ``i`` at
        ``pattern_st_ptr[p] + j * n + i``.
    st_arr, st_dep : int32 (N,)
        Arrival and departure times, seconds after the service day's midnight.
    trip_pattern, trip_route : int32 (T,)
        Pattern and route index of each compiled trip.
    trip_keys, trip_ids, trip_headsigns : object arrays (T,)
        ServiceDay ``trip_key`` (unique per run), GTFS ``trip_id`` and headsign.
    route_ids, route_short_names, route_long_names : object arrays (R,)
    route_types : int32 (R,)
    stop_patterns_ptr : int64 (S+1,)
        Patterns calling at stop ``s``: ``stop_patterns[stop_patterns_ptr[s]:...[s+1]]``,
        with ``stop_patterns_pos`` the first position of ``s`` in each.
    footpaths : Footpaths
        Walking transfers between distinct stops (CSR by origin stop).
    st_seq : int32 (N,) or None
        GTFS ``stop_sequence`` of each stop time (what GTFS-Realtime stop time updates
        name); None in timetables built without it (e.g. the time-reversed copy).
    """

    date: dt.date
    timezone: str
    stop_ids: ObjArray
    stop_names: ObjArray
    stop_lat: FloatArray
    stop_lon: FloatArray
    stop_parent: IntArray
    pattern_stops_ptr: Int64Array
    pattern_stops: IntArray
    pattern_board: BoolArray
    pattern_alight: BoolArray
    pattern_trips_ptr: IntArray
    pattern_st_ptr: Int64Array
    st_arr: IntArray
    st_dep: IntArray
    trip_pattern: IntArray
    trip_route: IntArray
    trip_keys: ObjArray
    trip_ids: ObjArray
    trip_headsigns: ObjArray
    route_ids: ObjArray
    route_short_names: ObjArray
    route_long_names: ObjArray
    route_types: IntArray
    stop_patterns_ptr: Int64Array
    stop_patterns: IntArray
    stop_patterns_pos: IntArray
    footpaths: Footpaths
    st_seq: IntArray | None = None

    @property
    def n_stops(self) -> int:
        """Number of stops (all rows of stops.txt)."""
        return len(self.stop_ids)

    @property
    def n_patterns(self) -> int:
        """Number of route patterns (FIFO-split)."""
        return len(self.pattern_trips_ptr) - 1

    @property
    def n_trips(self) -> int:
        """Number of compiled trip runs."""
        return len(self.trip_pattern)

    @property
    def n_stop_times(self) -> int:
        """Number of compiled stop times."""
        return len(self.st_arr)

    @property
    def nbytes(self) -> int:
        """Bytes held by the numeric arrays (id/name strings not counted)."""
        total = 0
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and value.dtype != object:
                total += value.nbytes
        return total + self.footpaths.nbytes

    def kernel_arrays(self) -> tuple[npt.NDArray[np.generic], ...]:
        """The timetable and footpath arrays the kernels take first: `KERNEL_ARRAYS`,
        then the footpaths' ``ptr``, ``to`` and ``duration_s``."""
        fp = self.footpaths
        return (*(getattr(self, name) for name in KERNEL_ARRAYS), fp.ptr, fp.to, fp.duration_s)

    def stop_index(self, stop_id: str) -> int:
        """Index of a GTFS stop_id; raises KeyError when the feed has no such stop."""
        index = self._stop_lookup().get(str(stop_id))
        if index is None:
            raise KeyError(stop_id)
        return index

    def _stop_lookup(self) -> dict[str, int]:
        cached: dict[str, int] | None = self.__dict__.get("_lookup")
        if cached is None:
            cached = {str(s): i for i, s in enumerate(self.stop_ids)}
            object.__setattr__(self, "_lookup", cached)
        return cached

    def children(self, stop: int) -> IntArray:
        """Indices of the stops whose parent station is ``stop`` (empty when none)."""
        return np.flatnonzero(self.stop_parent == stop).astype(np.int32)

    def is_served(self, stop: int) -> bool:
        """Whether any pattern calls at ``stop``."""
        return bool(self.stop_patterns_ptr[stop + 1] > self.stop_patterns_ptr[stop])

    def trip_stop_times(self, trip: int) -> tuple[IntArray, IntArray, IntArray]:
        """(stops, arrivals, departures) of one compiled trip, in stop order."""
        p = int(self.trip_pattern[trip])
        a, b = int(self.pattern_stops_ptr[p]), int(self.pattern_stops_ptr[p + 1])
        n = b - a
        j = trip - int(self.pattern_trips_ptr[p])
        base = int(self.pattern_st_ptr[p]) + j * n
        return (
            self.pattern_stops[a:b],
            self.st_arr[base : base + n],
            self.st_dep[base : base + n],
        )

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_lookup", None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        state.setdefault("st_seq", None)  # pickled before the field existed
        self.__dict__.update(state)


def compile_timetable(
    service_day: ServiceDay,
    *,
    max_walk_m: float = defaults.MAX_WALK_M,
    walk_speed: float = defaults.WALK_SPEED_MPS,
    detour_factor: float = defaults.DETOUR_FACTOR,
    use_transfers_txt: bool = True,
) -> CompiledTimetable:
    """Compile a `ServiceDay` into RAPTOR arrays.

    Parameters
    ----------
    service_day
        The timetable of one service date (see `feeds.service_day`).
    max_walk_m, walk_speed, detour_factor
        Footpaths join every two distinct served stops within ``max_walk_m`` metres
        crow-fly and last ``ceil(distance * detour_factor / walk_speed)`` seconds
        (``max_walk_m=0``: no distance-based footpaths).
    use_transfers_txt
        Apply transfers.txt rows (type 2 adds/overrides a footpath, type 3 removes one).

    Raises
    ------
    FeedIntegrityError
        A stop time names a stop that stops.txt lacks.
    """
    stops = service_day.stops
    stop_ids = stops["stop_id"].astype(str).to_numpy(dtype=object)
    stop_index = pd.Index(stop_ids)
    if not stop_index.is_unique:
        dup = stop_index[stop_index.duplicated()][0]
        raise FeedIntegrityError(f"duplicate stop_id {dup!r}", file="stops.txt", field="stop_id")
    parent = stops["parent_station"].fillna("").astype(str).to_numpy()
    stop_parent = stop_index.get_indexer(parent).astype(np.int32)

    routes = service_day.routes
    route_ids = routes["route_id"].astype(str).to_numpy(dtype=object)
    route_index = pd.Index(route_ids)

    st = service_day.stop_times
    trips = service_day.trips
    st_stop = stop_index.get_indexer(st["stop_id"].astype(str)).astype(np.int32)
    if (st_stop < 0).any():
        bad = st["stop_id"].to_numpy()[np.flatnonzero(st_stop < 0)[0]]
        raise FeedIntegrityError(
            f"stop time refers to unknown stop {bad!r}", file="stop_times.txt", field="stop_id"
        )
    trip_codes, trip_uniques = pd.factorize(st["trip_key"], sort=False)
    order = np.lexsort((st["stop_sequence"].to_numpy(), trip_codes))
    if not np.array_equal(order, np.arange(len(order))):
        st_stop = st_stop[order]
        trip_codes = trip_codes[order]
    arr = st["arrival_s"].to_numpy(dtype=np.int32)[order] if len(order) else np.empty(0, np.int32)
    dep = st["departure_s"].to_numpy(dtype=np.int32)[order] if len(order) else np.empty(0, np.int32)
    seq = (
        st["stop_sequence"].to_numpy(dtype=np.int32)[order] if len(order) else np.empty(0, np.int32)
    )
    board = st["pickup_type"].to_numpy()[order] != 1
    alight = st["drop_off_type"].to_numpy()[order] != 1

    trips_by_key = trips.set_index(trips["trip_key"].astype(str))
    trip_meta = trips_by_key.reindex(pd.Index(trip_uniques).astype(str))
    meta_route = route_index.get_indexer(trip_meta["route_id"].fillna("").astype(str)).astype(
        np.int32
    )
    if (meta_route < 0).any():
        bad = trip_uniques[int(np.flatnonzero(meta_route < 0)[0])]
        raise FeedIntegrityError(
            f"trip {bad!r} has an unknown route or no trips.txt row",
            file="trips.txt",
            field="route_id",
        )

    bounds = np.flatnonzero(np.diff(trip_codes)) + 1
    starts = np.concatenate(([0], bounds)).astype(np.int64) if len(trip_codes) else np.empty(0)
    ends = (
        np.concatenate((bounds, [len(trip_codes)])).astype(np.int64) if len(trip_codes) else starts
    )

    groups: dict[bytes, list[int]] = {}
    for t in range(len(starts)):
        a, b = int(starts[t]), int(ends[t])
        if b - a < 2:
            continue
        key = st_stop[a:b].tobytes() + board[a:b].tobytes() + alight[a:b].tobytes()
        groups.setdefault(key, []).append(t)

    p_stops: list[IntArray] = []
    p_board: list[BoolArray] = []
    p_alight: list[BoolArray] = []
    p_trips: list[list[int]] = []
    for members in groups.values():
        a0, b0 = int(starts[members[0]]), int(ends[members[0]])
        n = b0 - a0
        idx = starts[np.asarray(members)][:, None] + np.arange(n)[None, :]
        m_arr, m_dep = arr[idx], dep[idx]
        sort = np.lexsort((m_arr[:, -1], m_dep[:, 0]))
        for sub in _fifo_split(m_arr[sort], m_dep[sort]):
            p_stops.append(st_stop[a0:b0])
            p_board.append(board[a0:b0])
            p_alight.append(alight[a0:b0])
            p_trips.append([members[int(sort[i])] for i in sub])

    n_pat = len(p_stops)
    sizes = np.array([len(s) for s in p_stops], dtype=np.int64)
    counts = np.array([len(t) for t in p_trips], dtype=np.int64)
    pattern_stops_ptr = np.zeros(n_pat + 1, np.int64)
    np.cumsum(sizes, out=pattern_stops_ptr[1:])
    pattern_trips_ptr = np.zeros(n_pat + 1, np.int64)
    np.cumsum(counts, out=pattern_trips_ptr[1:])
    pattern_st_ptr = np.zeros(n_pat + 1, np.int64)
    np.cumsum(sizes * counts, out=pattern_st_ptr[1:])

    trip_order = np.array([t for ts in p_trips for t in ts], dtype=np.int64)
    if len(trip_order):
        row_idx = np.concatenate(
            [
                (starts[np.asarray(ts)][:, None] + np.arange(len(s))[None, :]).ravel()
                for s, ts in zip(p_stops, p_trips, strict=True)
            ]
        )
    else:
        row_idx = np.empty(0, np.int64)
    trip_pattern = np.repeat(np.arange(n_pat, dtype=np.int32), counts)

    def _cat(parts: list[npt.NDArray[np.generic]], dtype: type) -> npt.NDArray[np.generic]:
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)

    pattern_stops = _cat(list(p_stops), np.int32)
    compiled_stop = pattern_stops.astype(np.int64)
    stop_patterns_ptr, stop_patterns, stop_patterns_pos = _stop_index(
        len(stop_ids), pattern_stops_ptr, compiled_stop
    )
    served = np.zeros(len(stop_ids), dtype=bool)
    served[pattern_stops] = True

    headsign_col = trip_meta.get("headsign", None)
    footpaths = build_footpaths(
        stops["stop_lat"].to_numpy(dtype=np.float64),
        stops["stop_lon"].to_numpy(dtype=np.float64),
        served,
        stop_index,
        stop_parent,
        service_day.transfers if use_transfers_txt else None,
        max_walk_m=max_walk_m,
        walk_speed=walk_speed,
        detour_factor=detour_factor,
    )
    return CompiledTimetable(
        date=service_day.date,
        timezone=service_day.timezone,
        stop_ids=stop_ids,
        stop_names=stops["stop_name"].fillna("").astype(str).to_numpy(dtype=object),
        stop_lat=stops["stop_lat"].to_numpy(dtype=np.float64),
        stop_lon=stops["stop_lon"].to_numpy(dtype=np.float64),
        stop_parent=stop_parent,
        pattern_stops_ptr=pattern_stops_ptr,
        pattern_stops=pattern_stops.astype(np.int32),
        pattern_board=_cat(list(p_board), np.bool_).astype(np.bool_),
        pattern_alight=_cat(list(p_alight), np.bool_).astype(np.bool_),
        pattern_trips_ptr=pattern_trips_ptr.astype(np.int32),
        pattern_st_ptr=pattern_st_ptr,
        st_arr=np.ascontiguousarray(arr[row_idx], dtype=np.int32),
        st_dep=np.ascontiguousarray(dep[row_idx], dtype=np.int32),
        trip_pattern=trip_pattern,
        trip_route=meta_route[trip_order].astype(np.int32),
        trip_keys=np.asarray(trip_uniques, dtype=object)[trip_order].astype(str).astype(object),
        trip_ids=trip_meta["trip_id"].fillna("").astype(str).to_numpy(dtype=object)[trip_order],
        trip_headsigns=(
            headsign_col.fillna("").astype(str).to_numpy(dtype=object)[trip_order]
            if headsign_col is not None
            else np.full(len(trip_order), "", dtype=object)
        ),
        route_ids=route_ids,
        route_short_names=_str_col(routes, "route_short_name"),
        route_long_names=_str_col(routes, "route_long_name"),
        route_types=routes["route_type"].fillna(3).to_numpy(dtype=np.int32),
        stop_patterns_ptr=stop_patterns_ptr,
        stop_patterns=stop_patterns,
        stop_patterns_pos=stop_patterns_pos,
        footpaths=footpaths,
        st_seq=np.ascontiguousarray(seq[row_idx], dtype=np.int32),
    )


def _str_col(frame: pd.DataFrame, column: str) -> ObjArray:
    if column not in frame:
        return np.full(len(frame), "", dtype=object)
    return frame[column].fillna("").astype(str).to_numpy(dtype=object)


def _fifo_split(arr: IntArray, dep: IntArray) -> list[list[int]]:
    """Split trips (rows, sorted by first departure) into overtaking-free groups.

    A trip joins the first group whose last trip it neither overtakes nor ties badly
    with: arrival and departure at every stop no earlier than that trip's.
    """
    groups: list[list[int]] = []
    last_arr: list[IntArray] = []
    last_dep: list[IntArray] = []
    for i in range(arr.shape[0]):
        for g in range(len(groups)):
            if bool(np.all(arr[i] >= last_arr[g])) and bool(np.all(dep[i] >= last_dep[g])):
                groups[g].append(i)
                last_arr[g] = arr[i]
                last_dep[g] = dep[i]
                break
        else:
            groups.append([i])
            last_arr.append(arr[i])
            last_dep.append(dep[i])
    return groups


def _stop_index(
    n_stops: int, pattern_stops_ptr: Int64Array, pattern_stops: Int64Array
) -> tuple[Int64Array, IntArray, IntArray]:
    """CSR stop -> (pattern, first position of the stop in it)."""
    n_pat = len(pattern_stops_ptr) - 1
    sizes = np.diff(pattern_stops_ptr)
    pat_of = np.repeat(np.arange(n_pat, dtype=np.int64), sizes)
    pos = np.arange(len(pattern_stops), dtype=np.int64) - np.repeat(pattern_stops_ptr[:-1], sizes)
    # keep the first occurrence of each (stop, pattern) pair
    order = np.lexsort((pos, pat_of, pattern_stops))
    s, p, q = pattern_stops[order], pat_of[order], pos[order]
    keep = np.ones(len(s), dtype=bool)
    if len(s):
        keep[1:] = (s[1:] != s[:-1]) | (p[1:] != p[:-1])
    s, p, q = s[keep], p[keep], q[keep]
    ptr = np.zeros(n_stops + 1, np.int64)
    np.cumsum(np.bincount(s, minlength=n_stops), out=ptr[1:])
    return ptr, p.astype(np.int32), q.astype(np.int32)
