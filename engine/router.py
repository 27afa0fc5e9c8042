"""`TransitRouter`: the public face of the transit router (RAPTOR family).

>>> router = TransitRouter.from_gtfs("milano_small_gtfs.zip", "20141020")
>>> router.earliest_arrivals("11", "08:00:00")            # Series: stop_id -> arrival s
>>> router.journeys("11", "200", "08:00:00")             # Pareto (arrival, transfers)
>>> router.mc_journeys("11", "200", "08:00:00")          # Pareto (arrival, transfers, walk)
>>> router.profile("11", "200", "08:00:00", "09:00:00")  # departure -> arrival, 1-min steps

Stops are GTFS stop_ids; a station (location_type 1) stands for all its child stops.
An origin may also be a mapping ``{stop_id: offset_s}`` (several origins, each reached
``offset_s`` seconds after the departure time). Times are "HH:MM[:SS]" (hours may
exceed 23) or int seconds after the service day's midnight.

Transfer semantics (router parameters): a trip can be boarded when the rider is at the
stop ``min_transfer_s`` seconds before it departs, except for the first trip of a
journey (at or before the departure suffices); footpaths (see `engine.footpaths`) are
walked at most once before the first ride, between two rides and after the last ride.
``slack_after_footpath=False`` (off by default) applies ``min_transfer_s`` only when
changing vehicles at the same stop, a footpath between two rides carrying its own time
instead, as nigiri (MOTIS) does; `mc_journeys` keeps the slack after footpaths.

Money: ``router.price(journey, compile_fares(read_fares(load_gtfs(path))))`` gives the
journey's fare (`maasmix.engine.fares`; Fares v1 and v2), reading the stops each ride
passes from this timetable so that zone rules see them; a door-to-door planner prices
its transit legs the same way.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix import defaults
from maasmix.engine.fares import (
    CompiledFares,
    Fare,
    FareLeg,
    journey_fare_legs,
    price_legs,
    trip_index,
)
from maasmix.engine.itinerary import Journey
from maasmix.engine.mcraptor import mc_search
from maasmix.engine.paths import mc_journeys, raptor_journeys
from maasmix.engine.raptor import INF, one_to_all, point_to_point, range_query
from maasmix.engine.timetable import CompiledTimetable, compile_timetable
from maasmix.errors import QueryError
from maasmix.feeds.compiled import load_compiled
from maasmix.feeds.gtfs import ServiceDay
from maasmix.servicetime import format_clock, parse_clock

__all__ = ["StopsLike", "TimeLike", "TransitRouter"]

TIMETABLE_CACHE_VERSION = 3
"""Bump when `CompiledTimetable` changes, so cached compiled timetables are rebuilt."""

TimeLike = str | int | np.integer
StopsLike = str | Sequence[str] | Mapping[str, int]

#: Longest access or egress offset of an origin or destination stop, seconds (one day).
MAX_OFFSET_S = 86_400

#: Most departures one profile query may ask for.
MAX_PROFILE_DEPARTURES = 24 * 3600


def _time(value: TimeLike, parameter: str) -> int:
    return parse_clock(int(value) if isinstance(value, np.integer) else value, parameter=parameter)


class TransitRouter:
    """Transit queries on one compiled service day.

    Parameters
    ----------
    timetable
        A `CompiledTimetable` (see `compile_timetable`).
    min_transfer_s
        Default minimum transfer time between two rides, seconds (0: boarding at or
        after the arrival is fine).
    slack_after_footpath
        True (default): ``min_transfer_s`` also applies after a footpath between two
        rides (arrival + walk + slack). False: only when changing vehicles at the same
        stop; a footpath carries its own time (nigiri/MOTIS's model). Used by
        `earliest_arrivals`, `journeys` and `profile`; `mc_journeys` always adds it.
    """

    def __init__(
        self,
        timetable: CompiledTimetable,
        *,
        min_transfer_s: int = defaults.MIN_TRANSFER_S,
        slack_after_footpath: bool = True,
    ) -> None:
        if min_transfer_s < 0:
            raise QueryError(f"min_transfer_s must be >= 0, got {min_transfer_s}")
        self.timetable = timetable
        self.min_transfer_s = int(min_transfer_s)
        self.slack_after_footpath = bool(slack_after_footpath)

    def __repr__(self) -> str:
        tt = self.timetable
        return (
            f"TransitRouter({tt.date.isoformat()}, stops={tt.n_stops}, "
            f"patterns={tt.n_patterns}, trips={tt.n_trips}, stop_times={tt.n_stop_times}, "
            f"footpaths={tt.footpaths.n})"
        )

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_service_day(
        cls,
        service_day: ServiceDay,
        *,
        max_walk_m: float = defaults.MAX_WALK_M,
        walk_speed: float = defaults.WALK_SPEED_MPS,
        detour_factor: float = defaults.DETOUR_FACTOR,
        min_transfer_s: int = defaults.MIN_TRANSFER_S,
        use_transfers_txt: bool = True,
        slack_after_footpath: bool = True,
    ) -> TransitRouter:
        """Compile ``service_day`` and wrap it (no disk cache)."""
        tt = compile_timetable(
            service_day,
            max_walk_m=max_walk_m,
            walk_speed=walk_speed,
            detour_factor=detour_factor,
            use_transfers_txt=use_transfers_txt,
        )
        return cls(tt, min_transfer_s=min_transfer_s, slack_after_footpath=slack_after_footpath)

    @classmethod
    def from_gtfs(
        cls,
        path: str | os.PathLike[str] | bytes,
        date: dt.date | str,
        *,
        max_walk_m: float = defaults.MAX_WALK_M,
        walk_speed: float = defaults.WALK_SPEED_MPS,
        detour_factor: float = defaults.DETOUR_FACTOR,
        min_transfer_s: int = defaults.MIN_TRANSFER_S,
        use_transfers_txt: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
    ) -> TransitRouter:
        """Load a GTFS feed (zip, folder, URL or zip bytes) for ``date`` and compile it.

        ``date`` is a `datetime.date` or "YYYYMMDD". The service day and the compiled
        timetable are cached on disk (``cache_dir``, default ``$MAASMIX_CACHE_DIR`` or
        ``~/.cache/maasmix``), keyed by the feed's content hash, the date and the
        footpath parameters; ``use_cache=False`` always rebuilds and writes nothing.

        Reading and caching are done by `maasmix.feeds.compiled.load_compiled`; this
        class only computes.

        Raises
        ------
        FeedError
            The feed cannot be read (see `maasmix.feeds.gtfs`).
        NoServiceError
            No trip runs on ``date`` (the error names the feed's service period).
        QueryError
            ``date`` is not a date.
        """
        params = {
            "max_walk_m": float(max_walk_m),
            "walk_speed": float(walk_speed),
            "detour_factor": float(detour_factor),
            "use_transfers_txt": bool(use_transfers_txt),
        }

        def compile_day(service_day: ServiceDay) -> CompiledTimetable:
            return compile_timetable(
                service_day,
                max_walk_m=max_walk_m,
                walk_speed=walk_speed,
                detour_factor=detour_factor,
                use_transfers_txt=use_transfers_txt,
            )

        tt = load_compiled(
            path,
            date,
            compile_day,
            kind="raptor-timetable",
            version=TIMETABLE_CACHE_VERSION,
            params=params,
            result_type=CompiledTimetable,
            cache_dir=cache_dir,
            use_cache=use_cache,
        )
        return cls(tt, min_transfer_s=min_transfer_s)

    # ------------------------------------------------------------------ resolution

    def stop_indices(self, stop_id: str) -> npt.NDArray[np.int32]:
        """Compiled indices of a stop_id (a station: its child stops).

        Raises
        ------
        QueryError
            The feed has no such stop_id.
        """
        tt = self.timetable
        try:
            i = tt.stop_index(stop_id)
        except KeyError:
            shown = str(stop_id)[:80]
            raise QueryError(f"unknown stop_id {shown!r}", parameter="stop_id") from None
        kids = tt.children(i)
        if len(kids) and not tt.is_served(i):
            return kids
        return np.array([i], dtype=np.int32)

    def _resolve(self, stops: StopsLike) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        if isinstance(stops, str):
            # one stop_id, the common query: resolved once per router (the kernels and
            # the journeys' reconstruction only read these arrays)
            cache: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]] = (
                self.__dict__.setdefault("_resolved", {})
            )
            hit = cache.get(stops)
            if hit is None:
                kids = self.stop_indices(stops).astype(np.int32, copy=True)
                hit = cache[stops] = (kids, np.zeros(len(kids), np.int32))
            return hit
        if isinstance(stops, Mapping):
            items: list[tuple[str, int]] = [(str(k), int(v)) for k, v in stops.items()]
        else:
            items = [(str(s), 0) for s in stops]
        if not items:
            raise QueryError("no stop given")
        idx: list[int] = []
        off: list[int] = []
        for stop_id, offset in items:
            if not 0 <= offset <= MAX_OFFSET_S:
                raise QueryError(
                    f"offset of {str(stop_id)[:80]!r} must lie within 0 .. {MAX_OFFSET_S} s, "
                    f"got {offset}",
                    parameter="offset",
                )
            for i in self.stop_indices(stop_id).tolist():
                idx.append(int(i))
                off.append(offset)
        return np.asarray(idx, np.int32), np.asarray(off, np.int32)

    def _slack(self, min_transfer_s: int | None) -> int:
        value = self.min_transfer_s if min_transfer_s is None else int(min_transfer_s)
        if value < 0:
            raise QueryError(f"min_transfer_s must be >= 0, got {value}")
        return value

    @staticmethod
    def _limit(max_transfers: int | None) -> int | None:
        if max_transfers is not None and max_transfers < 0:
            raise QueryError(f"max_transfers must be >= 0, got {max_transfers}")
        return max_transfers

    # ------------------------------------------------------------------ queries

    def earliest_arrival_array(
        self,
        origin: StopsLike,
        depart: TimeLike,
        max_transfers: int | None = None,
        *,
        min_transfer_s: int | None = None,
    ) -> npt.NDArray[np.int32]:
        """Like `earliest_arrivals`, as an int32 array over compiled stops (INF: unreached)."""
        o, off = self._resolve(origin)
        return one_to_all(
            self.timetable,
            o,
            _time(depart, "depart"),
            origin_offsets=off,
            max_transfers=self._limit(max_transfers),
            min_transfer_s=self._slack(min_transfer_s),
            slack_after_footpath=self.slack_after_footpath,
        )

    def earliest_arrivals(
        self,
        origin_stop_id: StopsLike,
        depart: TimeLike,
        max_transfers: int | None = None,
        *,
        min_transfer_s: int | None = None,
    ) -> pd.Series:
        """One-to-all earliest arrival.

        Parameters
        ----------
        origin_stop_id
            A stop_id, several, or ``{stop_id: offset_s}``.
        depart
            "HH:MM[:SS]" or seconds after the service day's midnight.
        max_transfers
            At most this many transfers (``max_transfers + 1`` rides); None: no limit.

        Returns
        -------
        Series
            int32 earliest arrival in seconds after the service day's midnight, indexed
            by GTFS ``stop_id`` (name "stop_id"), only reachable stops (the origins
            included), in stops.txt order.
        """
        arr = self.earliest_arrival_array(
            origin_stop_id, depart, max_transfers, min_transfer_s=min_transfer_s
        )
        reached = np.flatnonzero(arr < INF)
        return pd.Series(
            arr[reached],
            index=pd.Index(self.timetable.stop_ids[reached], name="stop_id"),
            name="arrival_s",
            dtype=np.int32,
        )

    def journeys(
        self,
        origin_stop_id: StopsLike,
        destination_stop_id: StopsLike,
        depart: TimeLike,
        *,
        max_transfers: int | None = defaults.MAX_TRANSFERS,
        min_transfer_s: int | None = None,
    ) -> list[Journey]:
        """Pareto-optimal journeys over (arrival time, transfers), fewest transfers first.

        A destination mapping ``{stop_id: egress_s}`` adds ``egress_s`` to the arrival at
        that stop when comparing journeys (the journey itself ends at the stop). A
        walk-only journey (origin and destination within one footpath) counts as 0
        transfers; origin == destination gives one journey without legs.
        """
        o, off = self._resolve(origin_stop_id)
        t, eg = self._resolve(destination_stop_id)
        res = point_to_point(
            self.timetable,
            o,
            t,
            _time(depart, "depart"),
            origin_offsets=off,
            target_egress=eg,
            max_transfers=self._limit(max_transfers),
            min_transfer_s=self._slack(min_transfer_s),
            slack_after_footpath=self.slack_after_footpath,
        )
        return raptor_journeys(self.timetable, res, t, eg)

    def mc_journeys(
        self,
        origin_stop_id: StopsLike,
        destination_stop_id: StopsLike,
        depart: TimeLike,
        *,
        max_transfers: int | None = defaults.MAX_TRANSFERS,
        min_transfer_s: int | None = None,
    ) -> list[Journey]:
        """McRAPTOR: Pareto-optimal journeys over (arrival, transfers, walking time)."""
        limit = self._limit(max_transfers)
        o, off = self._resolve(origin_stop_id)
        t, eg = self._resolve(destination_stop_id)
        labels = mc_search(
            self.timetable,
            o,
            off,
            t,
            eg,
            _time(depart, "depart"),
            max_rides=None if limit is None else limit + 1,
            min_transfer_s=self._slack(min_transfer_s),
        )
        return mc_journeys(self.timetable, labels, t, eg)

    def profile(
        self,
        origin_stop_id: StopsLike,
        destination_stop_id: StopsLike,
        window_start: TimeLike,
        window_end: TimeLike,
        *,
        step_s: int = defaults.PROFILE_STEP_S,
        max_transfers: int = defaults.MAX_TRANSFERS,
        min_transfer_s: int | None = None,
    ) -> pd.DataFrame:
        """Range query (rRAPTOR): earliest arrival for every departure in the window.

        Departures are ``window_start, window_start + step_s, ..., <= window_end``.

        Returns
        -------
        DataFrame
            One row per departure: ``departure_s`` (int32), ``departure`` ("HH:MM:SS"),
            ``arrival_s`` (Int32, <NA> when the destination is unreachable),
            ``arrival``, ``duration_s`` (Int32), ``transfers`` (Int8: fewest transfers
            reaching the destination that early).
        """
        start, end = _time(window_start, "window_start"), _time(window_end, "window_end")
        if end < start:
            raise QueryError("window_end is before window_start")
        if step_s <= 0:
            raise QueryError(f"step_s must be > 0, got {step_s}")
        if (end - start) // step_s > MAX_PROFILE_DEPARTURES:
            raise QueryError("too many departures in the window")
        limit = self._limit(max_transfers)
        o, off = self._resolve(origin_stop_id)
        t, eg = self._resolve(destination_stop_id)
        departures = np.arange(start, end + 1, step_s, dtype=np.int32)
        deps, best = range_query(
            self.timetable,
            o,
            t,
            departures,
            origin_offsets=off,
            target_egress=eg,
            max_transfers=defaults.MAX_TRANSFERS if limit is None else limit,
            min_transfer_s=self._slack(min_transfer_s),
            slack_after_footpath=self.slack_after_footpath,
        )
        final = best[-1]
        reached = final < INF
        # fewest rides achieving the final arrival, then transfers = rides - 1 (>= 0)
        rides = np.argmax(best == final[None, :], axis=0)
        transfers = np.maximum(rides - 1, 0)
        arrival = pd.array(np.where(reached, final, 0), dtype="Int32")
        arrival[~reached] = pd.NA
        duration = pd.array(np.where(reached, final - deps, 0), dtype="Int32")
        duration[~reached] = pd.NA
        trans = pd.array(transfers.astype(np.int8), dtype="Int8")
        trans[~reached] = pd.NA
        return pd.DataFrame(
            {
                "departure_s": deps,
                "departure": [format_clock(int(d)) for d in deps],
                "arrival_s": arrival,
                "arrival": [
                    format_clock(int(a)) if r else None for a, r in zip(final, reached, strict=True)
                ],
                "duration_s": duration,
                "transfers": trans,
            }
        )

    # ------------------------------------------------------------------ fares

    def fare_legs(self, journey: Journey) -> list[FareLeg]:
        """The transit legs of ``journey`` as fare records, every stop ridden past
        included (read from this timetable; see `maasmix.engine.fares`)."""
        trips = self.__dict__.get("_trip_index")
        if trips is None:
            trips = trip_index(self.timetable)
            self.__dict__["_trip_index"] = trips
        return journey_fare_legs(self.timetable, journey, trips=trips)

    def price(
        self,
        journey: Journey,
        fares: CompiledFares,
        *,
        rider_category: str | None = None,
        fare_media: str | None = None,
        active_services: Sequence[str] | None = None,
    ) -> Fare:
        """The fare of a journey found by this router (``fares``: `compile_fares` of the
        same feed's `maasmix.feeds.fares.read_fares`); leg indices index ``journey.legs``.

        Raises
        ------
        QueryError
            Unknown rider category or fare medium.
        """
        positions = [i for i, leg in enumerate(journey.legs) if leg.is_transit]
        return price_legs(
            fares,
            self.fare_legs(journey),
            rider_category=rider_category,
            fare_media=fare_media,
            active_services=active_services,
            positions=positions,
        )
