"""The realtime layer: GTFS-Realtime updates applied to a compiled service day.

A `RealtimeLayer` wraps the scheduled `CompiledTimetable` and holds one immutable
`RealtimeSnapshot`; `RealtimeLayer.apply` builds a new snapshot from the scheduled
timetable and the latest message of every source and replaces the reference in one
assignment, so a query that took ``layer.snapshot()`` runs on one consistent timetable
while updates are applied. `RealtimeLayer.reset` returns to the schedule. Nothing is
recompiled: the changed trips' stop times are replaced with numpy on the compiled arrays.

Semantics (GTFS-Realtime TripUpdates, FULL_DATASET; a DIFFERENTIAL message replaces the
trips, alerts and vehicles it names in its source's previous message):

- A trip update is matched to a compiled trip run by ``trip_id``; ``start_date`` picks
  the run of this service day or the previous one (runs past midnight); ``start_time``
  picks a frequency-based run. A trip id that matches nothing, or a stop time update
  that names no stop of its trip (by ``stop_sequence``, else ``stop_id``), is counted in
  the `RealtimeReport`, not an error.
- A stop time update gives the arrival and departure delay at its stop (``delay``, or
  ``time`` minus the scheduled time; a missing one takes the other's). That departure
  delay propagates downstream to every later stop until a stop gives its own; stops
  before the first update keep their schedule (or the trip-level ``delay`` when given).
  ``NO_DATA`` returns the stop, and the stops after it until the next update, to the
  schedule. ``SKIPPED`` stops keep the propagated times but cannot be boarded or
  alighted at. A ``CANCELED`` (or ``DELETED``) trip leaves the timetable.
- Times are kept monotonic along each trip (arrival >= previous departure, departure
  >= arrival): a time that would go back is moved up to the previous one.
- Patterns stay FIFO for RAPTOR: the trips of every pattern that changed are re-sorted,
  split by their skipped stops (boarding and alighting are per pattern) and split again
  wherever one now overtakes another (as `compile_timetable` does). Trip indices of the
  realtime timetable therefore differ from the schedule's: ``trip_scheduled`` maps back.
- ``ADDED``, ``UNSCHEDULED``, ``DUPLICATED`` and ``REPLACEMENT`` trips are counted as
  unsupported and left out.

Alerts and vehicle positions are carried on the snapshot for the legs (not used in
routing): `RealtimeSnapshot.leg` gives a ride's `LegRealtime` (scheduled times, delays,
state, alerts, vehicle). A `maasmix.engine.network.Network` holds the layers of its
timetables (`Network.apply_realtime`, `Network.realtime_from`, `Network.reset_realtime`)
and gives each plan one consistent view (`Network.live`).

Cost (Helsinki, 12,788 trip runs, 226,011 stop times; `benchmarks/test_bench_realtime.py`):
a message changing every trip applies in ~13-17 ms against ~155-170 ms to compile the
day (0.086-0.098 x), one changing 5 % in ~8 ms (0.05 x).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit

from maasmix.engine.timetable import CompiledTimetable, _stop_index
from maasmix.feeds.gtfs_rt.tables import (
    STOP_TIME_UPDATE_COLUMNS,
    TRIP_UPDATE_COLUMNS,
    VEHICLE_COLUMNS,
    Alert,
    RealtimeFeed,
    empty_table,
)

__all__ = [
    "STATE_NAMES",
    "TRIP_CANCELED",
    "TRIP_SCHEDULED",
    "TRIP_UPDATED",
    "LegRealtime",
    "RealtimeLayer",
    "RealtimeReport",
    "RealtimeSnapshot",
    "prefixed",
]

IntArray = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: ``RealtimeSnapshot.trip_state`` values and their OpenTripPlanner names.
TRIP_SCHEDULED, TRIP_UPDATED, TRIP_CANCELED = 0, 1, 2
STATE_NAMES = ("SCHEDULED", "UPDATED", "CANCELED")

_MISSING = np.iinfo(np.int64).min
_NO_VEHICLES = empty_table({**VEHICLE_COLUMNS, "trip": "int64"})
_SHIFT = np.int64(1) << 32
_UNSUPPORTED = ("ADDED", "UNSCHEDULED", "DUPLICATED", "REPLACEMENT", "NEW")
#: How many unknown trip ids a report lists (it counts them all).
_LIST_UNKNOWN = 20


@dataclass(frozen=True)
class RealtimeReport:
    """What applying the realtime messages did.

    Attributes
    ----------
    trip_updates
        Trip updates received (all sources).
    matched_trips, updated_trips, canceled_trips
        Trip runs matched; of them, with changed times or skipped stops; cancelled.
    skipped_stop_times
        Stop times marked SKIPPED.
    unknown_trips, unknown_trip_ids
        Trip updates matching no trip run of this or the previous service day, and the
        first few of their ids.
    other_days
        Trip updates for another service date (not applied).
    unknown_stops
        Stop time updates naming no stop of their trip.
    unsupported
        ADDED / UNSCHEDULED / DUPLICATED / REPLACEMENT trips (not applied).
    monotonic_repairs
        Stop times moved later to keep their trip monotonic.
    notices
        The messages' notices (stale feed, ...) and this step's.
    """

    trip_updates: int = 0
    matched_trips: int = 0
    updated_trips: int = 0
    canceled_trips: int = 0
    skipped_stop_times: int = 0
    unknown_trips: int = 0
    unknown_trip_ids: tuple[str, ...] = ()
    other_days: int = 0
    unknown_stops: int = 0
    unsupported: int = 0
    monotonic_repairs: int = 0
    notices: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class RealtimeSnapshot:
    """One consistent realtime state of a service day (immutable; see the module doc).

    Attributes
    ----------
    scheduled
        The compiled schedule.
    timetable
        The routable timetable with the updates applied (``scheduled`` itself when
        nothing changed).
    trip_scheduled : int32 (T',)
        For each trip of ``timetable``, its index in ``scheduled``.
    trip_state : int8 (T,)
        Per scheduled trip: `TRIP_SCHEDULED`, `TRIP_UPDATED` (realtime data received) or
        `TRIP_CANCELED`.
    arr_delay, dep_delay : int32 (N,)
        Per scheduled stop time: realtime minus scheduled time, seconds.
    skipped : bool (N,)
        Per scheduled stop time: SKIPPED.
    alerts
        ServiceAlerts of every source.
    vehicles : DataFrame
        VehiclePositions of every source (`maasmix.feeds.gtfs_rt.tables.VEHICLE_COLUMNS`)
        plus ``trip`` (int64, the scheduled trip index, -1 unmatched).
    feed_times
        Header timestamp (POSIX s, None unknown) of each source's latest message.
    created
        POSIX time the snapshot was built.
    report
        What the last application did.
    """

    scheduled: CompiledTimetable
    timetable: CompiledTimetable
    trip_scheduled: IntArray
    trip_state: npt.NDArray[np.int8]
    arr_delay: IntArray
    dep_delay: IntArray
    skipped: BoolArray
    alerts: tuple[Alert, ...] = ()
    vehicles: pd.DataFrame = field(default_factory=lambda: _NO_VEHICLES)
    feed_times: dict[str, int | None] = field(default_factory=dict)
    created: float = 0.0
    report: RealtimeReport = field(default_factory=RealtimeReport)

    @property
    def is_scheduled(self) -> bool:
        """Whether this snapshot is the plain schedule (no trip changed)."""
        return self.timetable is self.scheduled

    @property
    def is_live(self) -> bool:
        """Whether any realtime message is in force (else: the plain schedule)."""
        return bool(self.feed_times)

    @property
    def time(self) -> dt.datetime:
        """When the snapshot was built, an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.created, dt.UTC)

    @property
    def oldest_feed_time(self) -> int | None:
        """The oldest header timestamp among the sources (None: none known)."""
        known = [t for t in self.feed_times.values() if t is not None]
        return min(known) if known else None

    def reverse(self) -> CompiledTimetable:
        """The time-reversed copy of ``timetable`` for arrive-by searches (built once)."""
        cached: CompiledTimetable | None = self.__dict__.get("_reverse")
        if cached is None:
            from maasmix.engine.reversal import reverse_timetable

            cached = reverse_timetable(self.timetable)
            object.__setattr__(self, "_reverse", cached)
        return cached

    def trip_times(self, trip: int) -> dict[str, Any]:
        """Realtime facts of trip ``trip`` of ``timetable``.

        Returns ``state`` (a `STATE_NAMES` name), ``scheduled_arrival`` /
        ``scheduled_departure`` (int32 arrays, seconds), ``arrival_delay`` /
        ``departure_delay`` (int32 arrays, seconds) and ``skipped`` (bool array), all
        over the trip's stops in order.
        """
        s = int(self.trip_scheduled[trip])
        tt = self.scheduled
        _, arr, dep = tt.trip_stop_times(s)
        base = _trip_base(tt, s)
        n = len(arr)
        return {
            "state": STATE_NAMES[int(self.trip_state[s])],
            "scheduled_arrival": arr,
            "scheduled_departure": dep,
            "arrival_delay": self.arr_delay[base : base + n],
            "departure_delay": self.dep_delay[base : base + n],
            "skipped": self.skipped[base : base + n],
        }

    def alerts_for(
        self,
        *,
        route_id: str = "",
        trip_id: str = "",
        stop_ids: Iterable[str] = (),
        agency_id: str = "",
        at: int | None = None,
    ) -> list[Alert]:
        """Alerts whose informed entities select this route, trip, agency or one of
        ``stop_ids`` (an entity selecting a route and a stop needs both), active at POSIX
        second ``at`` (None: any time)."""
        stops = set(stop_ids)
        out: list[Alert] = []
        for alert in self.alerts:
            if at is not None and not alert.is_active(at):
                continue
            for e in alert.informed_entities:
                if not (e.agency_id or e.route_id or e.trip_id or e.stop_id):
                    continue
                if e.agency_id and e.agency_id != agency_id:
                    continue
                if e.route_id and e.route_id != route_id:
                    continue
                if e.trip_id and e.trip_id != trip_id:
                    continue
                if e.stop_id and e.stop_id not in stops:
                    continue
                out.append(alert)
                break
        return out

    def trip_of_key(self, trip_key: str) -> int:
        """Index in ``timetable`` of the trip run ``trip_key`` (-1: none, e.g. cancelled)."""
        lookup: dict[str, int] | None = self.__dict__.get("_keys")
        if lookup is None:
            lookup = {str(k): i for i, k in enumerate(self.timetable.trip_keys)}
            object.__setattr__(self, "_keys", lookup)
        return lookup.get(str(trip_key), -1)

    def leg(
        self,
        trip_key: str,
        from_stop_id: str,
        to_stop_id: str,
        start_s: int,
        *,
        agency_id: str = "",
        at: int | None = None,
    ) -> LegRealtime | None:
        """Realtime facts of a ride on ``trip_key`` boarding ``from_stop_id`` at
        ``start_s`` (its departure in ``timetable``) and alighting at ``to_stop_id``
        (the first call there after boarding). Alerts active at POSIX second ``at``
        (None: any). None when the trip or the stops are not in ``timetable``."""
        t = self.trip_of_key(trip_key)
        if t < 0:
            return None
        tt = self.timetable
        try:
            a, b = tt.stop_index(from_stop_id), tt.stop_index(to_stop_id)
        except KeyError:
            return None
        stops, _, dep = tt.trip_stop_times(t)
        board = np.flatnonzero((stops == a) & (dep == start_s))
        if not len(board):
            return None
        i = int(board[0])
        after = np.flatnonzero(stops[i + 1 :] == b)
        if not len(after):
            return None
        j = i + 1 + int(after[0])
        s = int(self.trip_scheduled[t])
        base = _trip_base(self.scheduled, s)
        state = STATE_NAMES[int(self.trip_state[s])]
        route = int(tt.trip_route[t])
        return LegRealtime(
            state=state,
            real_time=state != "SCHEDULED",
            scheduled_departure_s=int(self.scheduled.st_dep[base + i]),
            scheduled_arrival_s=int(self.scheduled.st_arr[base + j]),
            departure_delay_s=int(self.dep_delay[base + i]),
            arrival_delay_s=int(self.arr_delay[base + j]),
            alerts=tuple(
                self.alerts_for(
                    route_id=str(tt.route_ids[route]),
                    trip_id=str(tt.trip_ids[t]),
                    stop_ids=(from_stop_id, to_stop_id),
                    agency_id=agency_id,
                    at=at,
                )
            )
            if self.alerts
            else (),
            vehicle=self.vehicle_for(t),
        )

    def vehicle_for(self, trip: int) -> dict[str, Any] | None:
        """The latest VehiclePosition of trip ``trip`` of ``timetable`` (None: unknown)."""
        if not len(self.vehicles):
            return None
        s = int(self.trip_scheduled[trip])
        rows = self.vehicles[self.vehicles["trip"] == s]
        if rows.empty:
            return None
        return dict(rows.iloc[-1].to_dict())


@dataclass(frozen=True)
class LegRealtime:
    """What is live about one transit leg (OpenTripPlanner's leg fields in brackets).

    Attributes
    ----------
    state
        ``SCHEDULED`` (no realtime data for the trip) or ``UPDATED`` [realtimeState].
    real_time
        Whether the trip has realtime data [realTime].
    scheduled_departure_s, scheduled_arrival_s
        The timetable's times at the boarding and alighting stops, seconds after the
        service day's midnight [scheduledStartTime / scheduledEndTime].
    departure_delay_s, arrival_delay_s
        Realtime minus scheduled, seconds [departureDelay / arrivalDelay].
    alerts
        Active alerts selecting the leg's route, trip, agency, boarding or alighting stop.
    vehicle
        The trip's latest VehiclePosition (``lat``, ``lon``, ``occupancy_status``, ...),
        None when unknown.
    """

    state: str
    real_time: bool
    scheduled_departure_s: int
    scheduled_arrival_s: int
    departure_delay_s: int
    arrival_delay_s: int
    alerts: tuple[Alert, ...] = ()
    vehicle: dict[str, Any] | None = None


# ---------------------------------------------------------------------- the layer


class RealtimeLayer:
    """Holds the realtime snapshot of one compiled service day (thread-safe).

    ``apply`` and ``reset`` are serialised by a lock and replace the snapshot reference
    in one assignment; ``snapshot()`` never blocks.
    """

    def __init__(self, scheduled: CompiledTimetable) -> None:
        self.scheduled = scheduled
        self._index = _TripIndex(scheduled)
        self._lock = threading.Lock()
        self._feeds: dict[str, RealtimeFeed] = {}
        self._current = _schedule_snapshot(scheduled)

    def snapshot(self) -> RealtimeSnapshot:
        """The current snapshot: hold it for the whole of a query."""
        return self._current

    def apply(self, feed: RealtimeFeed, *, source: str = "default") -> RealtimeReport:
        """Apply ``feed`` as the latest message of ``source`` and swap the snapshot in.

        The messages of the other sources stay in force. On any error the previous
        snapshot is kept.
        """
        with self._lock:
            feeds = dict(self._feeds)
            previous = feeds.get(source)
            feeds[source] = (
                _merge_differential(previous, feed)
                if previous is not None and feed.incrementality == "DIFFERENTIAL"
                else feed
            )
            snap = _build_snapshot(self.scheduled, self._index, feeds)
            self._feeds = feeds
            self._current = snap
            return snap.report

    def reset(self) -> None:
        """Back to the schedule: every source's messages dropped."""
        with self._lock:
            self._feeds = {}
            self._current = _schedule_snapshot(self.scheduled)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def sources(self) -> dict[str, RealtimeFeed]:
        """The latest message of each source."""
        return dict(self._feeds)


def _schedule_snapshot(tt: CompiledTimetable) -> RealtimeSnapshot:
    n = tt.n_stop_times
    return RealtimeSnapshot(
        scheduled=tt,
        timetable=tt,
        trip_scheduled=np.arange(tt.n_trips, dtype=np.int32),
        trip_state=np.zeros(tt.n_trips, np.int8),
        arr_delay=np.zeros(n, np.int32),
        dep_delay=np.zeros(n, np.int32),
        skipped=np.zeros(n, bool),
        created=time.time(),
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one after the other (empty ones left out, so they change no dtype)."""
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else frames[0].iloc[:0].copy()


def _merge_differential(previous: RealtimeFeed, feed: RealtimeFeed) -> RealtimeFeed:
    """``previous`` with the trips, alerts and vehicles that ``feed`` names replaced."""
    named = set(feed.trip_updates["trip_id"])
    keep = ~previous.trip_updates["trip_id"].isin(named).to_numpy()
    old_rows = np.flatnonzero(keep)
    renumber = np.full(len(keep), -1, np.int64)
    renumber[old_rows] = np.arange(len(old_rows))
    old_stu = previous.stop_time_updates
    old_stu = old_stu[keep[old_stu["update"].to_numpy()]].copy() if len(old_stu) else old_stu.copy()
    old_stu["update"] = renumber[old_stu["update"].to_numpy()]
    new_stu = feed.stop_time_updates.copy()
    new_stu["update"] = new_stu["update"].to_numpy() + len(old_rows)
    alert_ids = {a.alert_id for a in feed.alerts}
    vehicles_named = set(feed.vehicles["entity_id"])
    old_veh = previous.vehicles[~previous.vehicles["entity_id"].isin(vehicles_named)]
    return replace(
        feed,
        trip_updates=_concat([previous.trip_updates[keep], feed.trip_updates]),
        stop_time_updates=_concat([old_stu, new_stu]),
        alerts=tuple(a for a in previous.alerts if a.alert_id not in alert_ids) + feed.alerts,
        vehicles=_concat([old_veh, feed.vehicles]),
    )


def prefixed(feed: RealtimeFeed, prefix: str) -> RealtimeFeed:
    """``feed`` with its trip, route, stop and agency ids prefixed (a network of several
    GTFS feeds prefixes each feed's ids with ``"label:"``)."""
    from maasmix.feeds.gtfs_rt.tables import InformedEntity

    def ids(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
        out = frame.copy()
        for c in columns:
            values = out[c].astype(object)
            out[c] = values.where(values == "", prefix + values.astype(str))
        return out

    def entity(e: InformedEntity) -> InformedEntity:
        def p(x: str) -> str:
            return prefix + x if x else x

        return replace(
            e,
            agency_id=p(e.agency_id),
            route_id=p(e.route_id),
            trip_id=p(e.trip_id),
            stop_id=p(e.stop_id),
        )

    return replace(
        feed,
        trip_updates=ids(feed.trip_updates, ("trip_id", "route_id")),
        stop_time_updates=ids(feed.stop_time_updates, ("stop_id",)),
        vehicles=ids(feed.vehicles, ("trip_id", "route_id", "stop_id")),
        alerts=tuple(
            replace(a, informed_entities=tuple(entity(e) for e in a.informed_entities))
            for a in feed.alerts
        ),
    )


# ---------------------------------------------------------------------- matching


def _trip_base(tt: CompiledTimetable, trip: int) -> int:
    p = int(tt.trip_pattern[trip])
    n = int(tt.pattern_stops_ptr[p + 1] - tt.pattern_stops_ptr[p])
    return int(tt.pattern_st_ptr[p]) + (trip - int(tt.pattern_trips_ptr[p])) * n


def _ranges(starts: Int64Array, lengths: Int64Array) -> Int64Array:
    """Concatenated ``arange(s, s + n)`` for every (s, n), in numpy."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, np.int64)
    before = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) + np.repeat(starts - before, lengths)


class _TripIndex:
    """Lookups from GTFS-Realtime ids to one scheduled timetable (built once)."""

    def __init__(self, tt: CompiledTimetable) -> None:
        self.tt = tt
        p = tt.trip_pattern.astype(np.int64)
        sizes = np.diff(tt.pattern_stops_ptr)
        n = sizes[p]
        j = np.arange(tt.n_trips, dtype=np.int64) - tt.pattern_trips_ptr[p].astype(np.int64)
        self.trip_n: Int64Array = n.astype(np.int64)
        self.trip_base: Int64Array = tt.pattern_st_ptr[p] + j * n
        n_st = tt.n_stop_times
        self.st_trip: Int64Array = np.repeat(np.arange(tt.n_trips, dtype=np.int64), n)
        pos = np.arange(n_st, dtype=np.int64) - np.repeat(self.trip_base, n)
        self.st_stop: Int64Array = tt.pattern_stops[
            np.repeat(tt.pattern_stops_ptr[p], n) + pos
        ].astype(np.int64)
        self.seq_key: Int64Array | None = (
            self.st_trip * _SHIFT + tt.st_seq.astype(np.int64) if tt.st_seq is not None else None
        )
        stop_key = self.st_trip * _SHIFT + self.st_stop
        self.stop_order: Int64Array = np.argsort(stop_key, kind="stable")
        self.stop_key_sorted: Int64Array = stop_key[self.stop_order]
        self.stops = pd.Index(tt.stop_ids.astype(str))
        keys = tt.trip_keys.astype(str)
        day = np.where(np.char.endswith(keys.astype("U"), "@-1"), -1, 0).astype(np.int64)
        self.trip_day = day
        first_dep = tt.st_dep[self.trip_base].astype(np.int64) if n_st else np.empty(0, np.int64)
        start = first_dep - day * 86_400
        ids = tt.trip_ids.astype(str).astype(object)
        codes, uniques = pd.factorize(ids)
        codes = codes.astype(np.int64)
        self.ids = pd.Index(uniques)
        # per trip_id code and day: its one run (-1: none, -2: several, by start time)
        self.single: dict[int, Int64Array] = {}
        for d in (0, -1):
            sel = np.flatnonzero(day == d)
            one = np.full(len(uniques), -1, np.int64)
            one[codes[sel]] = sel
            one[np.bincount(codes[sel], minlength=len(uniques)) > 1] = -2
            self.single[d] = one
        run_key = _run_key(codes, day, start)
        order = np.argsort(run_key, kind="stable")
        self.run_keys: Int64Array = run_key[order]
        self.run_trips: Int64Array = order.astype(np.int64)
        date = tt.date
        tz = zoneinfo.ZoneInfo(tt.timezone)
        noon = dt.datetime(date.year, date.month, date.day, 12, tzinfo=tz)
        self.midnight = int(noon.timestamp()) - 12 * 3600
        yesterday = date - dt.timedelta(days=1)
        self.date_str = {0: date.strftime("%Y%m%d"), -1: yesterday.strftime("%Y%m%d")}

    def match(self, trips: pd.DataFrame) -> tuple[Int64Array, BoolArray]:
        """Scheduled trip index of each trip update row (-1: none), and whether the row
        is for another service date."""
        m = len(trips)
        ids = trips["trip_id"].to_numpy(dtype=object)
        dates = trips["start_date"].to_numpy(dtype=object)
        out = np.full(m, -1, np.int64)
        day = np.zeros(m, np.int64)
        other = np.zeros(m, bool)
        if m:
            given = dates != ""
            is_prev = dates == self.date_str[-1]
            day[is_prev] = -1
            other = given & ~is_prev & (dates != self.date_str[0])
            code = self.ids.get_indexer(ids).astype(np.int64)
            times = (
                _int(trips, "start_time_s")
                if "start_time_s" in trips
                else _clock_seconds(trips["start_time"].to_numpy(dtype=object))
            )
            for d in (0, -1):  # without a start_date: today's run, else yesterday's
                rows = np.flatnonzero((code >= 0) & ~other & ((day == d) | ~given) & (out < 0))
                run = self.single[d][code[rows]]
                ok = run >= 0
                out[rows[ok]] = run[ok]
                several = rows[run == -2]
                if len(several):
                    key = _run_key(
                        code[several],
                        np.full(len(several), d, np.int64),
                        np.where(times[several] >= 0, times[several], -1),
                    )
                    k = np.minimum(np.searchsorted(self.run_keys, key), len(self.run_keys) - 1)
                    hit = (self.run_keys[k] == key) & (key >= 0)
                    out[several[hit]] = self.run_trips[k[hit]]
        return out, other

    def positions(
        self, trip: Int64Array, seq: Int64Array, stop_id: npt.NDArray[np.object_]
    ) -> Int64Array:
        """Scheduled stop-time position of each stop time update (-1: no such stop)."""
        out = np.full(len(trip), -1, np.int64)
        if not len(trip):
            return out
        named = stop_id != ""
        stop = np.full(len(trip), -1, np.int64)
        if named.any():
            stop[named] = self.stops.get_indexer(stop_id[named]).astype(np.int64)
        by_seq = seq != _MISSING
        if self.seq_key is not None and by_seq.any():
            key = trip[by_seq] * _SHIFT + seq[by_seq]
            g = np.searchsorted(self.seq_key, key)
            g = np.minimum(g, len(self.seq_key) - 1)
            found = self.seq_key[g] == key
            # a stop_id given with the sequence must agree with it
            found &= ~named[by_seq] | (self.st_stop[g] == stop[by_seq])
            out[np.flatnonzero(by_seq)[found]] = g[found]
        by_stop = (~by_seq | (self.seq_key is None)) & (stop >= 0)
        if by_stop.any() and len(self.stop_key_sorted):
            key = trip[by_stop] * _SHIFT + stop[by_stop]
            k = np.searchsorted(self.stop_key_sorted, key)
            k = np.minimum(k, len(self.stop_key_sorted) - 1)
            found = self.stop_key_sorted[k] == key
            out[np.flatnonzero(by_stop)[found]] = self.stop_order[k[found]]
        return out


def _run_key(code: Int64Array, day: Int64Array, start: Int64Array) -> Int64Array:
    """(trip_id code, day, start s) as one int64 (negative when ``start`` is -1)."""
    key = (code << np.int64(24)) + ((day + 1) << np.int64(23)) + start
    return np.where(start >= 0, key, -1)


def _clock_seconds(texts: npt.NDArray[np.object_]) -> Int64Array:
    """Seconds of "HH:MM:SS" strings (-1 where not of that form), in numpy."""
    if not len(texts):
        return np.empty(0, np.int64)
    chars = texts.astype("U9")  # one more than needed: longer strings are refused
    codes = chars.view(np.uint32).reshape(len(texts), 9).astype(np.int64) - 48
    digits = codes[:, [0, 1, 3, 4, 6, 7]]
    ok = (
        (codes[:, 8] == -48)  # exactly 8 characters (U9 pads with NUL)
        & (codes[:, 2] == ord(":") - 48)
        & (codes[:, 5] == ord(":") - 48)
        & ((digits >= 0) & (digits <= 9)).all(axis=1)
    )
    seconds = (
        (digits[:, 0] * 10 + digits[:, 1]) * 3600
        + (digits[:, 2] * 10 + digits[:, 3]) * 60
        + digits[:, 4] * 10
        + digits[:, 5]
    )
    return np.where(ok, seconds, -1)


def _is(column: pd.Series, names: tuple[str, ...]) -> BoolArray:
    """Whether each value of an enum column (categorical or str) is one of ``names``."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        table = np.zeros(len(column.cat.categories) + 1, bool)  # code -1 (NaN): last
        wanted = column.cat.categories.get_indexer(list(names))
        table[wanted[wanted >= 0]] = True
        return table[column.cat.codes.to_numpy()]
    return np.isin(column.to_numpy(dtype=object), names)


def _int(frame: pd.DataFrame, column: str) -> Int64Array:
    return frame[column].to_numpy(dtype=np.int64, na_value=_MISSING)


# ---------------------------------------------------------------------- applying


def _build_snapshot(
    tt: CompiledTimetable, index: _TripIndex, feeds: dict[str, RealtimeFeed]
) -> RealtimeSnapshot:
    items = list(feeds.values())
    notices = [f"{src}: {n}" for src, f in feeds.items() for n in f.notices]
    if len(items) == 1:
        trips, stus = items[0].trip_updates, items[0].stop_time_updates
    else:
        trips_parts, stu_parts, offset = [], [], 0
        for f in items:
            trips_parts.append(f.trip_updates)
            part = f.stop_time_updates.copy()
            part["update"] = part["update"].to_numpy() + offset
            stu_parts.append(part)
            offset += len(f.trip_updates)
        trips = _concat(trips_parts) if trips_parts else empty_table(TRIP_UPDATE_COLUMNS)
        stus = _concat(stu_parts) if stu_parts else empty_table(STOP_TIME_UPDATE_COLUMNS)
    applied = _apply_trip_updates(tt, index, trips, stus)
    vehicles = _vehicles(index, [f.vehicles for f in items])
    return replace(
        applied,
        alerts=tuple(a for f in items for a in f.alerts),
        vehicles=vehicles,
        feed_times={src: f.timestamp for src, f in feeds.items()},
        report=replace(applied.report, notices=tuple(notices) + applied.report.notices),
    )


def _vehicles(index: _TripIndex, parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return _NO_VEHICLES
    frame = _concat(parts).copy()
    trip, _ = index.match(frame[["trip_id", "start_date", "start_time"]])
    frame["trip"] = trip
    return frame


def _apply_trip_updates(
    tt: CompiledTimetable, index: _TripIndex, trips: pd.DataFrame, stus: pd.DataFrame
) -> RealtimeSnapshot:
    n_trips, n_st = tt.n_trips, tt.n_stop_times
    trip_of, other = index.match(trips)
    unsupported = np.flatnonzero(_is(trips["schedule_relationship"], _UNSUPPORTED))
    unknown = (trip_of < 0) & ~other
    unknown[unsupported] = False
    unknown_ids = [str(x) for x in trips["trip_id"].to_numpy(dtype=object)[unknown][:_LIST_UNKNOWN]]
    trip_of[unsupported] = -1
    cancel = _is(trips["schedule_relationship"], ("CANCELED", "DELETED"))
    # one update per trip run: the last one wins
    last_row = np.full(n_trips, -1, np.int64)
    matched = np.flatnonzero(trip_of >= 0)
    np.maximum.at(last_row, trip_of[matched], matched)
    rows = last_row[last_row >= 0]
    cancel_rows = rows[cancel[rows]]
    update_rows = rows[~cancel[rows]]
    state = np.zeros(n_trips, np.int8)
    state[trip_of[update_rows]] = TRIP_UPDATED
    state[trip_of[cancel_rows]] = TRIP_CANCELED
    canceled = state == TRIP_CANCELED

    # stop time updates of the updated trips, mapped to scheduled stop-time positions
    row_ok = np.zeros(len(trips), bool)
    row_ok[update_rows] = True
    upd = stus["update"].to_numpy(dtype=np.int64)
    keep = row_ok[upd] if len(upd) else np.zeros(0, bool)
    s_trip = trip_of[upd[keep]]
    g = index.positions(
        s_trip, _int(stus, "stop_sequence")[keep], stus["stop_id"].to_numpy(dtype=object)[keep]
    )
    unknown_stops = int((g < 0).sum())
    notices: list[str] = []
    if tt.st_seq is None and unknown_stops:
        notices.append(
            "the timetable was compiled without stop_sequence (an old cache): stop time "
            "updates naming only a stop_sequence cannot be placed; rebuild it"
        )
    found = g >= 0
    g = g[found]
    srel = stus["schedule_relationship"]
    no_data = _is(srel, ("NO_DATA",))[keep][found]
    skip = _is(srel, ("SKIPPED",))[keep][found]
    ad = _int(stus, "arrival_delay")[keep][found]
    at = _int(stus, "arrival_time")[keep][found]
    dd = _int(stus, "departure_delay")[keep][found]
    dt_ = _int(stus, "departure_time")[keep][found]
    sched_arr = tt.st_arr[g].astype(np.int64)
    sched_dep = tt.st_dep[g].astype(np.int64)
    ad = np.where(
        ad != _MISSING, ad, np.where(at != _MISSING, at - index.midnight - sched_arr, _MISSING)
    )
    dd = np.where(
        dd != _MISSING, dd, np.where(dt_ != _MISSING, dt_ - index.midnight - sched_dep, _MISSING)
    )
    ad = np.where(ad != _MISSING, ad, dd)
    dd = np.where(dd != _MISSING, dd, ad)
    ad[no_data] = 0
    dd[no_data] = 0
    given = ~skip & (ad != _MISSING)

    arr_delay = np.zeros(n_st, np.int32)
    dep_delay = np.zeros(n_st, np.int32)
    skipped = np.zeros(n_st, bool)
    skipped[g[skip]] = True
    trip_delay = _int(trips, "delay")
    changed_trips = np.flatnonzero(state == TRIP_UPDATED)
    init_by_trip = np.zeros(n_trips, np.int64)
    td = trip_delay[update_rows]
    init_by_trip[trip_of[update_rows]] = np.where(td != _MISSING, td, 0)
    new_arr = tt.st_arr.copy()
    new_dep = tt.st_dep.copy()
    order = np.argsort(g[given], kind="stable")
    moved = np.zeros(n_trips, bool)
    repairs = _propagate(
        tt.st_arr,
        tt.st_dep,
        changed_trips,
        index.trip_base,
        index.trip_n,
        init_by_trip,
        g[given][order],
        ad[given][order],
        dd[given][order],
        new_arr,
        new_dep,
        arr_delay,
        dep_delay,
        moved,
    )
    moved[index.st_trip[g[skip]]] = True
    moved |= canceled
    report = RealtimeReport(
        trip_updates=len(trips),
        matched_trips=len(rows),
        updated_trips=int((moved & ~canceled).sum()),
        canceled_trips=int(canceled.sum()),
        skipped_stop_times=int(skipped.sum()),
        unknown_trips=int(unknown.sum()),
        unknown_trip_ids=tuple(unknown_ids),
        other_days=int(other.sum()),
        unknown_stops=unknown_stops,
        unsupported=len(unsupported),
        monotonic_repairs=repairs,
        notices=tuple(notices),
    )
    if not moved.any():
        timetable, trip_scheduled = tt, np.arange(n_trips, dtype=np.int32)
    else:
        timetable, trip_scheduled = _rebuild(tt, index, new_arr, new_dep, skipped, moved, canceled)
    return RealtimeSnapshot(
        scheduled=tt,
        timetable=timetable,
        trip_scheduled=trip_scheduled,
        trip_state=state,
        arr_delay=arr_delay,
        dep_delay=dep_delay,
        skipped=skipped,
        created=time.time(),
        report=report,
    )


@njit(cache=True)
def _propagate(
    sched_arr: np.ndarray,
    sched_dep: np.ndarray,
    trips: np.ndarray,
    base: np.ndarray,
    n: np.ndarray,
    init: np.ndarray,
    upd_pos: np.ndarray,
    upd_ad: np.ndarray,
    upd_dd: np.ndarray,
    new_arr: np.ndarray,
    new_dep: np.ndarray,
    arr_delay: np.ndarray,
    dep_delay: np.ndarray,
    moved: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """New times of ``trips`` (ascending) from the given delays at ``upd_pos``
    (ascending scheduled positions): each update's departure delay carries downstream
    until the next; times pushed up where they would go back. Returns the pushes."""
    u = 0
    repairs = 0
    n_upd = len(upd_pos)
    for k in range(len(trips)):
        t = trips[k]
        b = base[t]
        carry = init[t]
        prev = -(1 << 40)
        for i in range(b, b + n[t]):
            while u < n_upd and upd_pos[u] < i:
                u += 1
            if u < n_upd and upd_pos[u] == i:
                a = sched_arr[i] + upd_ad[u]
                d = sched_dep[i] + upd_dd[u]
                carry = upd_dd[u]
            else:
                a = sched_arr[i] + carry
                d = sched_dep[i] + carry
            if a < prev:
                a = prev
                repairs += 1
            if d < a:
                d = a
                repairs += 1
            prev = d
            new_arr[i] = a
            new_dep[i] = d
            arr_delay[i] = a - sched_arr[i]
            dep_delay[i] = d - sched_dep[i]
            if a != sched_arr[i] or d != sched_dep[i]:
                moved[t] = True
    return repairs


# ---------------------------------------------------------------------- re-layout

_SKIP_WEIGHTS = np.random.default_rng(20_221).integers(1, 1 << 62, size=1 << 12, dtype=np.int64)


@njit(cache=True)
def _fifo_subgroups(
    arr: np.ndarray, dep: np.ndarray, base: np.ndarray, n: np.ndarray, first: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Greedy overtaking-free split, as `timetable._fifo_split`: trip ``k`` (in sorted
    order; ``first[k]`` starts a new group) joins the first subgroup of its group whose
    last trip it never precedes at any stop."""
    m = len(base)
    sub = np.zeros(m, np.int64)
    last = np.zeros(m, np.int64)
    n_open = 0
    for k in range(m):
        if first[k]:
            n_open = 0
        placed = -1
        for g in range(n_open):
            lt = last[g]
            ok = True
            for i in range(n[k]):
                if arr[base[k] + i] < arr[base[lt] + i] or dep[base[k] + i] < dep[base[lt] + i]:
                    ok = False
                    break
            if ok:
                placed = g
                break
        if placed < 0:
            placed = n_open
            n_open += 1
        last[placed] = k
        sub[k] = placed
    return sub


def _argsort_by(*keys: Int64Array) -> Int64Array:
    """Stable argsort by ``keys`` (non-negative int64, most significant first): one
    composite key when their bits fit in 62, else `numpy.lexsort`."""
    if not len(keys[0]):
        return np.empty(0, np.int64)
    bits = [max(int(k.max()), 0).bit_length() for k in keys]
    if sum(bits) > 62:
        return np.lexsort(keys[::-1])
    composite = np.zeros(len(keys[0]), np.int64)
    for key, width in zip(keys, bits, strict=True):
        composite = (composite << np.int64(width)) | key
    return np.argsort(composite, kind="stable")


@njit(cache=True)
def _gather_trips(
    base: np.ndarray, n: np.ndarray, arr: np.ndarray, dep: np.ndarray, seq: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The stop times of the trips at ``base`` (``n`` each), one after the other."""
    total = 0
    for k in range(len(base)):
        total += n[k]
    out_arr = np.empty(total, arr.dtype)
    out_dep = np.empty(total, dep.dtype)
    out_seq = np.empty(total, seq.dtype)
    j = 0
    for k in range(len(base)):
        b = base[k]
        for i in range(n[k]):
            out_arr[j] = arr[b + i]
            out_dep[j] = dep[b + i]
            out_seq[j] = seq[b + i]
            j += 1
    return out_arr, out_dep, out_seq


def _rebuild(
    tt: CompiledTimetable,
    index: _TripIndex,
    new_arr: IntArray,
    new_dep: IntArray,
    skipped: BoolArray,
    moved: BoolArray,
    canceled: BoolArray,
) -> tuple[CompiledTimetable, IntArray]:
    """A timetable with the new times, the cancelled trips left out, and every pattern
    with a moved trip re-sorted and split (skips, overtaking)."""
    n_trips = tt.n_trips
    pattern = tt.trip_pattern.astype(np.int64)
    affected_pat = np.zeros(tt.n_patterns, bool)
    affected_pat[pattern[moved]] = True
    kept = ~canceled
    aff = np.flatnonzero(affected_pat[pattern] & kept)
    # skip signature of each trip (0: no skipped stop), as a dense rank
    sig = np.zeros(n_trips, np.int64)
    sk = np.flatnonzero(skipped)
    if len(sk):
        pos = sk - index.trip_base[index.st_trip[sk]]
        np.add.at(sig, index.st_trip[sk], _SKIP_WEIGHTS[pos % len(_SKIP_WEIGHTS)])
        with_skips = np.flatnonzero(sig)
        sig[with_skips] = np.unique(sig[with_skips], return_inverse=True)[1] + 1
    base = index.trip_base
    n = index.trip_n
    time_shift = np.int64(1) << 18  # times are > -2^18 s (yesterday's runs) and < 2^19 s
    first_dep = new_dep[base[aff]].astype(np.int64) + time_shift
    last_arr = new_arr[base[aff] + n[aff] - 1].astype(np.int64) + time_shift
    order = aff[_argsort_by(pattern[aff], sig[aff], first_dep, last_arr)]
    starts_group = np.ones(len(order), bool)
    if len(order):
        starts_group[1:] = (pattern[order][1:] != pattern[order][:-1]) | (
            sig[order][1:] != sig[order][:-1]
        )
    sub_sorted = _fifo_subgroups(new_arr, new_dep, base[order], n[order], starts_group)
    sub = np.zeros(n_trips, np.int64)
    rank = np.arange(n_trips, dtype=np.int64)
    sub[order] = sub_sorted
    rank[order] = np.arange(len(order))
    alive = np.flatnonzero(kept)
    perm = alive[_argsort_by(pattern[alive], sig[alive], sub[alive], rank[alive])]
    p_, s_, u_ = pattern[perm], sig[perm], sub[perm]
    new_pat_start = np.ones(len(perm), bool)
    new_pat_start[1:] = (p_[1:] != p_[:-1]) | (s_[1:] != s_[:-1]) | (u_[1:] != u_[:-1])
    heads = np.flatnonzero(new_pat_start)
    n_pat = len(heads)
    counts = np.diff(np.append(heads, len(perm))).astype(np.int64)
    old_pat = p_[heads]
    sizes = np.diff(tt.pattern_stops_ptr)[old_pat]
    pattern_stops_ptr = np.zeros(n_pat + 1, np.int64)
    np.cumsum(sizes, out=pattern_stops_ptr[1:])
    pattern_trips_ptr = np.zeros(n_pat + 1, np.int64)
    np.cumsum(counts, out=pattern_trips_ptr[1:])
    pattern_st_ptr = np.zeros(n_pat + 1, np.int64)
    np.cumsum(sizes * counts, out=pattern_st_ptr[1:])
    p_idx = _ranges(tt.pattern_stops_ptr[old_pat], sizes)
    rep = perm[heads]  # the first trip of each new pattern gives its skips
    rep_skip = skipped[_ranges(base[rep], n[rep])]
    pattern_stops = tt.pattern_stops[p_idx]
    st_arr, st_dep, st_seq = _gather_trips(
        base[perm],
        n[perm],
        new_arr,
        new_dep,
        tt.st_seq if tt.st_seq is not None else new_arr,
    )
    stop_patterns_ptr, stop_patterns, stop_patterns_pos = _stop_index(
        tt.n_stops, pattern_stops_ptr, pattern_stops.astype(np.int64)
    )
    new = replace(
        tt,
        pattern_stops_ptr=pattern_stops_ptr,
        pattern_stops=pattern_stops,
        pattern_board=tt.pattern_board[p_idx] & ~rep_skip,
        pattern_alight=tt.pattern_alight[p_idx] & ~rep_skip,
        pattern_trips_ptr=pattern_trips_ptr.astype(np.int32),
        pattern_st_ptr=pattern_st_ptr,
        st_arr=st_arr,
        st_dep=st_dep,
        trip_pattern=np.repeat(np.arange(n_pat, dtype=np.int32), counts),
        trip_route=tt.trip_route[perm],
        trip_keys=tt.trip_keys[perm],
        trip_ids=tt.trip_ids[perm],
        trip_headsigns=tt.trip_headsigns[perm],
        stop_patterns_ptr=stop_patterns_ptr,
        stop_patterns=stop_patterns,
        stop_patterns_pos=stop_patterns_pos,
        st_seq=st_seq if tt.st_seq is not None else None,
    )
    new.__dict__.pop("_lookup", None)
    if "_lookup" in tt.__dict__:
        object.__setattr__(new, "_lookup", tt.__dict__["_lookup"])  # same stops
    return new, perm.astype(np.int32)
