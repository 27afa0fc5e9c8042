"""GTFS Schedule feeds: `load_gtfs` reads and validates one, `GtfsFeed` answers about it.

Example::

    feed = load_gtfs("milano_small_gtfs.zip")   # zip path, folder, http(s) URL or zip bytes
    day = feed.service_day("20141020")          # feeds.service_day.ServiceDay
    day = load_service_day("milano_small_gtfs.zip", "20141020")   # same, cached on disk

Reading: every ``*.txt`` file is read as strings (`feeds._csv`, which repairs BOMs,
stray spaces, trailing empty columns, mixed line ends with a `FeedWarning`), then the
core tables are parsed and validated (`feeds._gtfs_core`) and compiled into arrays.
A problem raises a `feeds.FeedError` subclass naming file, line (header = line 1) and
field:

- `FeedMissingError`: path absent; a required file (agency, stops, routes, trips,
  stop_times, and calendar or calendar_dates) or required column absent.
- `FeedFormatError`: not a zip / truncated zip, bad CSV, unparsable time, number,
  date, latitude/longitude out of range, a trip's first or last stop without a time.
- `FeedIntegrityError`: unknown stop_id / trip_id / route_id / service_id, duplicate
  primary key (stop_id, route_id, trip_id, (trip_id, stop_sequence), ...), times
  running backwards within a trip.

Members a load does not need are not read: ``shapes.txt`` (listed in `LAZY_TABLES`) is
read the first time ``feed.tables["shapes"]`` is asked for, and the summary counts its
rows from a stream; every read stays within `maasmix.feeds.limits`.

GTFS-Flex trips (stop_times rows with a location group, zone or pickup window instead
of a stop and times) are validated and kept in `GtfsFeed.tables` but are not part of
any `ServiceDay` (they have no timetable to route on).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from maasmix.errors import FeedFormatError, FeedMissingError
from maasmix.feeds.cache import DiskCache, make_key
from maasmix.feeds.gtfs._core import CoreTables, build_core
from maasmix.feeds.gtfs._csv import CsvTable, count_csv_rows, read_csv_table
from maasmix.feeds.gtfs._read import (
    Members,
    ResolvedSource,
    Source,
    read_source,
    resolve_source,
)
from maasmix.feeds.gtfs._schema import CALENDAR_FILES, FARE_FILES, REQUIRED_COLUMNS, REQUIRED_FILES
from maasmix.feeds.gtfs._service import active_services, build_service_day, service_dates
from maasmix.feeds.gtfs.service_day import ServiceDay
from maasmix.servicetime import parse_service_date

__all__ = [
    "LAZY_TABLES",
    "SERVICE_DAY_CACHE_VERSION",
    "GtfsFeed",
    "load_gtfs",
    "load_service_day",
]

SERVICE_DAY_CACHE_VERSION = 3
"""Bump when `ServiceDay` construction changes, so cached entries are rebuilt."""

DateLike = dt.date | str

LAZY_TABLES: tuple[str, ...] = ("shapes",)
"""Tables no load needs: read on first access to ``GtfsFeed.tables[name]``, not before."""


class _Tables(Mapping[str, pd.DataFrame]):
    """Read-only ``{table name: frame}``; the `LAZY_TABLES` are read on first access."""

    def __init__(self, read: Mapping[str, CsvTable], members: Members | None) -> None:
        self._read = dict(read)
        self._members = members
        lazy = [] if members is None else [n for n in LAZY_TABLES if f"{n}.txt" in members]
        self._names = sorted(set(self._read) | set(lazy))
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:  # picklable (a lock is not)
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def table(self, name: str) -> CsvTable:
        if name not in self._read:
            if name not in self._names or self._members is None:
                raise KeyError(name)
            with self._lock:
                if name not in self._read:
                    file = f"{name}.txt"
                    self._read[name] = _checked(name, read_csv_table(file, self._members[file]))
        return self._read[name]

    def rows(self, name: str) -> int:
        """Rows of a table, counted from a stream when it has not been read."""
        if name in self._read:
            return len(self._read[name].frame)
        if name not in self._names or self._members is None:
            return 0
        file = f"{name}.txt"
        return count_csv_rows(file, self._members.chunks(file))

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.table(name).frame

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


class GtfsFeed:
    """A loaded, validated GTFS feed.

    Attributes
    ----------
    source : str
        The path or URL it was read from.
    files : tuple of str
        The ``*.txt`` files present, sorted (e.g. ``("agency.txt", ...)``).
    tables : Mapping[str, DataFrame]
        Every table read, keyed by name without ``.txt``; all columns ``str`` exactly as
        in the file after quirk repair (blank = ``""``). Fares v1/v2, shapes, transfers
        and parent stations are here as read.
    timezone : str
        IANA timezone of the first agency.
    """

    def __init__(
        self,
        source: str,
        tables: Mapping[str, CsvTable],
        core: CoreTables,
        members: Members | None = None,
    ) -> None:
        self.source = source
        self._tables = _Tables(tables, members)
        self.files: tuple[str, ...] = tuple(f"{name}.txt" for name in self._tables)
        self.tables: Mapping[str, pd.DataFrame] = self._tables
        self._core = core
        self.timezone = core.timezone

    def __repr__(self) -> str:
        return (
            f"GtfsFeed({self.source!r}, stops={len(self._core.stops)}, "
            f"trips={len(self._core.trips)}, stop_times={len(self.tables['stop_times'])})"
        )

    def line_numbers(self, table: str) -> np.ndarray:
        """Line number in the file (header = 1) of each row of ``tables[table]``."""
        return self._tables.table(table).lines

    def service_dates(self) -> list[dt.date]:
        """Every date on which at least one service_id runs, ascending."""
        return service_dates(self._core)

    def service_ids_on(self, date: DateLike) -> set[str]:
        """The service_ids running on ``date`` (calendar plus/minus calendar_dates)."""
        return active_services(self._core, parse_service_date(date))

    def service_day(self, date: DateLike) -> ServiceDay:
        """The timetable of ``date`` (see `feeds.service_day.ServiceDay` for the columns).

        Includes frequency-based runs expanded one row per departure and the runs of the
        previous date still running after midnight (``day_offset`` -1, times - 86400 s).
        """
        return build_service_day(self._core, parse_service_date(date))

    def summary(self) -> dict[str, Any]:
        """Counts and ranges, JSON-ready.

        Keys: ``agencies`` (names), ``timezone``, ``stops``, ``stops_by_location_type``
        ({"0": n, ...}), ``routes``, ``routes_by_type`` ({"3": n, ...}), ``trips``,
        ``flex_trips``, ``service_ids`` (distinct in trips.txt), ``stop_times_rows``,
        ``frequencies_rows``, ``transfers_rows``, ``shapes_rows``,
        ``service_date_range`` (["YYYYMMDD", "YYYYMMDD"]: the span calendar.txt and
        calendar_dates.txt cover, or None), ``active_service_dates`` (dates with
        service), ``calendar_dates_only``, ``files``, ``fare_files`` (fare tables present),
        ``bbox`` ([min_lon, min_lat, max_lon, max_lat] of stops with coordinates).
        """
        core = self._core
        tables = self.tables

        def rows(name: str) -> int:
            return self._tables.rows(name)

        def counts(values: np.ndarray) -> dict[str, int]:
            keys, n = np.unique(values, return_counts=True)
            return {str(int(k)): int(c) for k, c in zip(keys, n, strict=True)}

        span = np.concatenate([core.calendar_start, core.calendar_end, core.dates_date])
        date_range = (
            [
                pd.Timestamp(span.min()).strftime("%Y%m%d"),
                pd.Timestamp(span.max()).strftime("%Y%m%d"),
            ]
            if len(span)
            else None
        )
        lat = core.stops["stop_lat"].to_numpy()
        lon = core.stops["stop_lon"].to_numpy()
        ok = np.isfinite(lat) & np.isfinite(lon)
        bbox = (
            [float(lon[ok].min()), float(lat[ok].min()), float(lon[ok].max()), float(lat[ok].max())]
            if ok.any()
            else None
        )
        return {
            "source": self.source,
            "agencies": tables["agency"]["agency_name"].tolist(),
            "timezone": self.timezone,
            "stops": len(core.stops),
            "stops_by_location_type": counts(core.stops["location_type"].to_numpy()),
            "routes": len(core.routes),
            "routes_by_type": counts(core.routes["route_type"].to_numpy()),
            "trips": len(core.trips),
            "flex_trips": int(core.flex.sum()),
            "service_ids": int(core.trips["service_id"].nunique()),
            "stop_times_rows": rows("stop_times"),
            "frequencies_rows": rows("frequencies"),
            "transfers_rows": rows("transfers"),
            "shapes_rows": rows("shapes"),
            "service_date_range": date_range,
            "active_service_dates": len(self.service_dates()),
            "calendar_dates_only": rows("calendar") == 0 and rows("calendar_dates") > 0,
            "files": list(self.files),
            "fare_files": [f"{name}.txt" for name in FARE_FILES if name in tables],
            "bbox": bbox,
        }

    def to_gtfs_kit(self) -> Any:
        """The feed as a `gtfs_kit.Feed` (gtfs-kit's column dtypes, blanks as NA).

        Distance units are inferred from shapes.txt by gtfs-kit (``"km"`` without
        shapes). Tables gtfs-kit does not know (Fares v2, Flex, ...) are left out.
        """
        import gtfs_kit
        from gtfs_kit import constants as gk_constants
        from gtfs_kit import shapes as gk_shapes

        frames: dict[str, pd.DataFrame | None] = {}
        for name, dtypes in gk_constants.DTYPES.items():
            if name not in self.tables or self.tables[name].empty:
                continue
            source = self.tables[name]
            columns: dict[str, pd.Series] = {}
            for column in source.columns:
                values = source[column]
                blank = values == ""
                dtype = dtypes.get(column, "string")
                if dtype == "string":
                    columns[column] = values.where(~blank, None).astype("string")
                    continue
                numbers = pd.to_numeric(values.where(~blank, None), errors="coerce")
                try:
                    columns[column] = numbers.astype(dtype)
                except (TypeError, ValueError, OverflowError):
                    columns[column] = numbers.astype("float64")
            frames[name] = pd.DataFrame(columns, index=source.index)
        dist_units = gk_shapes.infer_dist_units(frames.get("shapes"))
        return gtfs_kit.Feed(dist_units=dist_units, **frames)


def _checked(name: str, table: CsvTable) -> CsvTable:
    """``table`` with its required columns checked (an empty file: an empty frame)."""
    required = REQUIRED_COLUMNS.get(name, ())
    if not table.has_header:
        return CsvTable(
            pd.DataFrame({c: pd.Series([], dtype=object) for c in required}),
            np.zeros(0, dtype=np.int64),
            has_header=False,
        )
    for column in required:
        if column not in table.frame.columns:
            raise FeedMissingError(
                f"required column '{column}' is missing",
                file=f"{name}.txt",
                row=1,
                field=column,
            )
    return table


def _read_tables(texts: Mapping[str, bytes]) -> dict[str, CsvTable]:
    tables = {
        name[: -len(".txt")]: read_csv_table(name, texts[name])
        for name in texts
        if name[: -len(".txt")] not in LAZY_TABLES
    }
    for name in REQUIRED_FILES:
        if name not in tables:
            raise FeedMissingError(f"required file {name}.txt is missing", file=f"{name}.txt")
    if not any(name in tables for name in CALENDAR_FILES):
        raise FeedMissingError(
            "neither calendar.txt nor calendar_dates.txt is present", file="calendar.txt"
        )
    for name, table in tables.items():
        tables[name] = _checked(name, table)
    return tables


def load_gtfs(source: Source | ResolvedSource) -> GtfsFeed:
    """Read and validate a GTFS feed.

    Parameters
    ----------
    source : str, PathLike or bytes
        A zip file, a folder of ``*.txt`` files, an http(s) URL of a zip (fetched with
        `feeds._http.fetch_cached`, the HTTP cache), or the bytes of a zip.

    Raises
    ------
    FeedError
        See the module docstring; always with file, and line and field where they apply.
    """
    label, texts, _others = read_source(source)
    if not texts:
        raise FeedFormatError("no GTFS *.txt files found", file=label)
    tables = _read_tables(texts)
    core = build_core(tables)
    return GtfsFeed(label, tables, core, texts)


def load_service_day(
    source: Source | ResolvedSource,
    date: DateLike,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    load: Callable[[ResolvedSource], GtfsFeed] | None = None,
) -> ServiceDay:
    """`load_gtfs(source).service_day(date)`, cached on disk by input content.

    The key is the sha256 of the zip bytes (a URL is downloaded once and its bytes
    hashed; a folder is hashed file by file), the date and `SERVICE_DAY_CACHE_VERSION`.
    ``cache_dir`` defaults to `maasmix.feeds.cache.default_cache_dir`; ``use_cache=False``
    reads the feed and writes nothing. Pass a `ResolvedSource` to share one download
    and one hash between several loads, and ``load`` (default `load_gtfs`) to share one
    read of the feed (`maasmix.feeds.network_inputs.load_feed`).
    """
    day = parse_service_date(date)
    opened = resolve_source(source)

    def build() -> ServiceDay:
        return (load or load_gtfs)(opened).service_day(day)

    if not use_cache:
        return build()
    key = make_key(
        opened.content, "gtfs-service-day", {"date": day.isoformat()}, SERVICE_DAY_CACHE_VERSION
    )
    result = DiskCache(cache_dir).get_or_build(key, build)
    return result if isinstance(result, ServiceDay) else build()
