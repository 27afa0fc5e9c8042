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
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.engine import _mcraptor_kernel as mk
from maasmix.engine.journeys import Journey, hhmmss, mc_journeys, raptor_journeys
from maasmix.engine.raptor import INF, one_to_all, point_to_point, range_query
from maasmix.engine.timetable import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_MAX_WALK_M,
    DEFAULT_WALK_SPEED,
    CompiledTimetable,
    compile_timetable,
)
from maasmix.feeds import FeedMissingError
from maasmix.feeds.service_day import ServiceDay

__all__ = [
    "DEFAULT_MAX_TRANSFERS",
    "QueryError",
    "StopsLike",
    "TimeLike",
    "TransitRouter",
    "parse_time",
]

TIMETABLE_CACHE_VERSION = 1
"""Bump when `CompiledTimetable` changes, so cached compiled timetables are rebuilt."""

DEFAULT_MAX_TRANSFERS = 8
TimeLike = str | int | np.integer
StopsLike = str | Sequence[str] | Mapping[str, int]


class QueryError(ValueError):
    """A query parameter that cannot be used: a bad time, a negative limit."""


def parse_time(value: TimeLike) -> int:
    """Seconds after the service day's midnight from "HH:MM[:SS]" or an int.

    Raises
    ------
    QueryError
        Not a time (e.g. "8h", "08:61", "").
    """
    if isinstance(value, bool):
        raise QueryError(f"not a time: {value!r}")
    if isinstance(value, int | np.integer):
        return int(value)
    text = str(value).strip()
    parts = text.split(":")
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
        h, m = int(parts[0]), int(parts[1])
        s = int(parts[2]) if len(parts) == 3 else 0
        if m < 60 and s < 60 and h < 48:
            return h * 3600 + m * 60 + s
    if text.lstrip("-").isdigit():
        return int(text)
    raise QueryError(f"not a time (HH:MM[:SS] or seconds): {value!r}")


class TransitRouter:
    """Transit queries on one compiled service day.

    Parameters
    ----------
    timetable
        A `CompiledTimetable` (see `compile_timetable`).
    min_transfer_s
        Default minimum transfer time between two rides, seconds (0: boarding at or
        after the arrival is fine).
    """

    def __init__(self, timetable: CompiledTimetable, *, min_transfer_s: int = 0) -> None:
        if min_transfer_s < 0:
            raise QueryError(f"min_transfer_s must be >= 0, got {min_transfer_s}")
        self.timetable = timetable
        self.min_transfer_s = int(min_transfer_s)

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
        max_walk_m: float = DEFAULT_MAX_WALK_M,
        walk_speed: float = DEFAULT_WALK_SPEED,
        detour_factor: float = DEFAULT_DETOUR_FACTOR,
        min_transfer_s: int = 0,
        use_transfers_txt: bool = True,
    ) -> TransitRouter:
        """Compile ``service_day`` and wrap it (no disk cache)."""
        tt = compile_timetable(
            service_day,
            max_walk_m=max_walk_m,
            walk_speed=walk_speed,
            detour_factor=detour_factor,
            use_transfers_txt=use_transfers_txt,
        )
        return cls(tt, min_transfer_s=min_transfer_s)

    @classmethod
    def from_gtfs(
        cls,
        path: str | os.PathLike[str] | bytes,
        date: dt.date | str,
        *,
        max_walk_m: float = DEFAULT_MAX_WALK_M,
        walk_speed: float = DEFAULT_WALK_SPEED,
        detour_factor: float = DEFAULT_DETOUR_FACTOR,
        min_transfer_s: int = 0,
        use_transfers_txt: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
        use_cache: bool = True,
    ) -> TransitRouter:
        """Load a GTFS feed (zip, folder, URL or zip bytes) for ``date`` and compile it.

        ``date`` is a `datetime.date` or "YYYYMMDD". The service day and the compiled
        timetable are cached on disk (``cache_dir``, default ``$MAASMIX_CACHE_DIR`` or
        ``~/.cache/maasmix``), keyed by the feed's content hash, the date and the
        footpath parameters; ``use_cache=False`` always rebuilds and writes nothing.

        Raises
        ------
        FeedError
            The feed cannot be read (see `feeds.gtfs`), or no trip runs on ``date``
            (`FeedMissingError`, naming the feed's service dates).
        QueryError
            ``date`` is not a date.
        """
        from maasmix.feeds._cache import DiskCache, content_hash, make_key
        from maasmix.feeds.gtfs import load_gtfs, load_service_day, parse_service_date

        try:
            day = parse_service_date(date)
        except ValueError as exc:
            raise QueryError(str(exc)) from None
        params = {
            "date": day.isoformat(),
            "max_walk_m": float(max_walk_m),
            "walk_speed": float(walk_speed),
            "detour_factor": float(detour_factor),
            "use_transfers_txt": bool(use_transfers_txt),
        }

        def build() -> CompiledTimetable:
            if use_cache:
                service_day = load_service_day(path, day, cache_dir=cache_dir)
            else:
                service_day = load_gtfs(path).service_day(day)
            if service_day.trips.empty:
                dates = load_gtfs(path).service_dates()
                span = f"{dates[0]:%Y%m%d}..{dates[-1]:%Y%m%d}" if dates else "no dates"
                raise FeedMissingError(
                    f"no trip runs on {day:%Y%m%d} (the feed's service dates: {span})",
                    file=_label(path),
                )
            return compile_timetable(
                service_day,
                max_walk_m=max_walk_m,
                walk_speed=walk_speed,
                detour_factor=detour_factor,
                use_transfers_txt=use_transfers_txt,
            )

        content: str | None = None
        if isinstance(path, bytes):
            content = content_hash(path)
        elif Path(path).exists():
            content = content_hash(Path(path))
        if not use_cache or content is None:
            return cls(build(), min_transfer_s=min_transfer_s)
        key = make_key(content, "raptor-timetable", params, TIMETABLE_CACHE_VERSION)
        tt = DiskCache(cache_dir).get_or_build(key, build)
        if not isinstance(tt, CompiledTimetable):
            tt = build()
        return cls(tt, min_transfer_s=min_transfer_s)

    # ------------------------------------------------------------------ resolution

    def stop_indices(self, stop_id: str) -> npt.NDArray[np.int32]:
        """Compiled indices of a stop_id (a station: its child stops).

        Raises
        ------
        FeedMissingError
            No such stop_id in stops.txt.
        """
        tt = self.timetable
        try:
            i = tt.stop_index(stop_id)
        except KeyError:
            raise FeedMissingError(
                f"unknown stop_id {stop_id!r}", file="stops.txt", field="stop_id"
            ) from None
        kids = tt.children(i)
        if len(kids) and not tt.is_served(i):
            return kids
        return np.array([i], dtype=np.int32)

    def _resolve(self, stops: StopsLike) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        if isinstance(stops, str):
            items: list[tuple[str, int]] = [(stops, 0)]
        elif isinstance(stops, Mapping):
            items = [(str(k), int(v)) for k, v in stops.items()]
        else:
            items = [(str(s), 0) for s in stops]
        if not items:
            raise QueryError("no stop given")
        idx: list[int] = []
        off: list[int] = []
        for stop_id, offset in items:
            if offset < 0:
                raise QueryError(f"offset of {stop_id!r} must be >= 0 s, got {offset}")
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
            parse_time(depart),
            origin_offsets=off,
            max_transfers=self._limit(max_transfers),
            min_transfer_s=self._slack(min_transfer_s),
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
        max_transfers: int | None = DEFAULT_MAX_TRANSFERS,
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
            parse_time(depart),
            origin_offsets=off,
            target_egress=eg,
            max_transfers=self._limit(max_transfers),
            min_transfer_s=self._slack(min_transfer_s),
        )
        return raptor_journeys(self.timetable, res, t, eg)

    def mc_journeys(
        self,
        origin_stop_id: StopsLike,
        destination_stop_id: StopsLike,
        depart: TimeLike,
        *,
        max_transfers: int | None = DEFAULT_MAX_TRANSFERS,
        min_transfer_s: int | None = None,
    ) -> list[Journey]:
        """McRAPTOR: Pareto-optimal journeys over (arrival, transfers, walking time)."""
        limit = self._limit(max_transfers)
        o, off = self._resolve(origin_stop_id)
        t, eg = self._resolve(destination_stop_id)
        tt = self.timetable
        fp = tt.footpaths
        pool, labels, _ = mk.mcraptor(
            tt.pattern_stops_ptr,
            tt.pattern_stops,
            tt.pattern_board,
            tt.pattern_alight,
            tt.pattern_trips_ptr,
            tt.pattern_st_ptr,
            tt.st_arr,
            tt.st_dep,
            tt.stop_patterns_ptr,
            tt.stop_patterns,
            tt.stop_patterns_pos,
            fp.ptr,
            fp.to,
            fp.duration_s,
            o,
            off,
            t,
            eg,
            parse_time(depart),
            -1 if limit is None else limit + 1,
            self._slack(min_transfer_s),
        )
        return mc_journeys(tt, pool, labels, t, eg)

    def profile(
        self,
        origin_stop_id: StopsLike,
        destination_stop_id: StopsLike,
        window_start: TimeLike,
        window_end: TimeLike,
        *,
        step_s: int = 60,
        max_transfers: int = DEFAULT_MAX_TRANSFERS,
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
        start, end = parse_time(window_start), parse_time(window_end)
        if end < start:
            raise QueryError("window_end is before window_start")
        if step_s <= 0:
            raise QueryError(f"step_s must be > 0, got {step_s}")
        if (end - start) // step_s > 24 * 3600:
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
            max_transfers=DEFAULT_MAX_TRANSFERS if limit is None else limit,
            min_transfer_s=self._slack(min_transfer_s),
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
                "departure": [hhmmss(int(d)) for d in deps],
                "arrival_s": arrival,
                "arrival": [
                    hhmmss(int(a)) if r else None for a, r in zip(final, reached, strict=True)
                ],
                "duration_s": duration,
                "transfers": trans,
            }
        )


def _label(path: str | os.PathLike[str] | bytes) -> str:
    return "<bytes>" if isinstance(path, bytes) else str(path)
