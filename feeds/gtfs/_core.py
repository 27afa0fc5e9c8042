"""Validating the core GTFS tables and compiling them into typed arrays (`CoreTables`).

Input: the string tables of `feeds._csv` keyed by table name. Output: typed tables the
service-day builder slices per date. Every check is vectorised; the first offending row
raises a `FeedError` subclass naming file, line and field.

Repairs (each with a `FeedWarning`): a ``parent_station`` naming no stop is cleared.
Missing times on intermediate stops are interpolated (documented GTFS behaviour, no
warning): linearly by ``shape_dist_traveled`` when the trip gives it on every stop,
else by great-circle distance between consecutive stops, else by stop count; such
stops get ``timepoint`` 0.
"""

from __future__ import annotations

import warnings
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from maasmix.errors import FeedFormatError, FeedIntegrityError, FeedMissingError, FeedWarning
from maasmix.feeds.gtfs._csv import CsvTable
from maasmix.feeds.gtfs._parse import parse_date, parse_float, parse_int, parse_time
from maasmix.feeds.gtfs._schema import FLEX_STOP_TIME_COLUMNS, PRIMARY_KEYS
from maasmix.geodesy import haversine_m

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class CoreTables:
    """Typed, validated core of a feed (internal to `feeds.gtfs`).

    ``stop_times`` rows are sorted by trip position then stop_sequence; trip ``i`` owns
    rows ``trip_start[i]:trip_start[i + 1]`` (none for GTFS-Flex trips, see ``flex``).
    """

    timezone: str
    stops: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame
    trip_start: np.ndarray
    flex: np.ndarray
    frequencies: pd.DataFrame
    transfers: pd.DataFrame
    calendar_service: np.ndarray
    calendar_days: np.ndarray
    calendar_start: np.ndarray
    calendar_end: np.ndarray
    dates_service: np.ndarray
    dates_date: np.ndarray
    dates_added: np.ndarray


def _column(table: CsvTable, name: str) -> pd.Series:
    frame = table.frame
    if name in frame.columns:
        return frame[name]
    return pd.Series(np.full(len(frame), "", dtype=object), index=frame.index)


def _check_unique(name: str, table: CsvTable) -> None:
    key = list(PRIMARY_KEYS[name])
    frame = table.frame
    if not set(key) <= set(frame.columns) or frame.empty:
        return
    dup = frame.duplicated(subset=key, keep=False).to_numpy()
    if not dup.any():
        return
    later = frame.duplicated(subset=key, keep="first").to_numpy()
    i = int(np.flatnonzero(later)[0])
    values = tuple(frame[k].iloc[i] for k in key)
    same = np.flatnonzero(dup & ~later)
    match = (frame[key].iloc[same] == pd.Series(values, index=key)).all(axis=1).to_numpy()
    first_line = int(table.lines[same[match][0]])
    shown = values[0] if len(values) == 1 else values
    raise FeedIntegrityError(
        f"duplicate {'/'.join(key)} {shown!r} (first on line {first_line})",
        file=f"{name}.txt",
        row=int(table.lines[i]),
        field=key[-1],
    )


def _check_refs(
    values: pd.Series,
    known: pd.Index,
    lines: np.ndarray,
    file: str,
    field: str,
    what: str,
    *,
    allow_blank: bool = False,
) -> np.ndarray:
    """Positions of ``values`` in ``known``; an unknown value raises FeedIntegrityError."""
    positions = known.get_indexer(values)
    bad = positions < 0
    if allow_blank:
        bad &= (values != "").to_numpy(dtype=bool)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FeedIntegrityError(
            f"unknown {what} {values.iloc[i]!r}", file=file, row=int(lines[i]), field=field
        )
    return np.asarray(positions)


def _timezone(tables: Mapping[str, CsvTable]) -> str:
    agency = tables["agency"]
    zones = _column(agency, "agency_timezone")
    if zones.empty:
        raise FeedMissingError("agency.txt has no rows", file="agency.txt")
    for i, zone in enumerate(zones):
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise FeedFormatError(
                f"not an IANA timezone: {zone!r}",
                file="agency.txt",
                row=int(agency.lines[i]),
                field="agency_timezone",
            ) from exc
    differs = (zones != zones.iloc[0]).to_numpy(dtype=bool)
    if differs.any():
        i = int(np.flatnonzero(differs)[0])
        raise FeedIntegrityError(
            f"agency_timezone {zones.iloc[i]!r} differs from {zones.iloc[0]!r} on line "
            f"{int(agency.lines[0])}; all agencies of a feed must share one timezone",
            file="agency.txt",
            row=int(agency.lines[i]),
            field="agency_timezone",
        )
    return str(zones.iloc[0])


def _stops(table: CsvTable) -> pd.DataFrame:
    file = "stops.txt"
    lines = table.lines
    _check_unique("stops", table)
    location_type = parse_int(
        _column(table, "location_type"), lines, file, "location_type", default=0, low=0, high=4
    )
    needs_position = location_type <= 2
    coords = {}
    for field, limit in (("stop_lat", 90.0), ("stop_lon", 180.0)):
        if field not in table.frame.columns and needs_position.any():
            raise FeedMissingError(
                f"required column '{field}' is missing", file=file, row=1, field=field
            )
        values = _column(table, field)
        blank = (values == "").to_numpy(dtype=bool) & needs_position
        if blank.any():
            i = int(np.flatnonzero(blank)[0])
            raise FeedFormatError(
                f"{field} is required for location_type {location_type[i]}",
                file=file,
                row=int(lines[i]),
                field=field,
            )
        coords[field] = parse_float(values, lines, file, field, low=-limit, high=limit)
    stop_id = _column(table, "stop_id")
    blank_id = (stop_id == "").to_numpy(dtype=bool)
    if blank_id.any():
        i = int(np.flatnonzero(blank_id)[0])
        raise FeedFormatError("stop_id is blank", file=file, row=int(lines[i]), field="stop_id")
    parent = _column(table, "parent_station").copy()
    orphan = ((parent != "") & ~parent.isin(stop_id)).to_numpy(dtype=bool)
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        warnings.warn(
            f"{file}: {int(orphan.sum())} stop(s) name a parent_station that is not in the "
            f"file (first {parent.iloc[i]!r} on line {int(lines[i])}); "
            "cleared their parent_station",
            FeedWarning,
            stacklevel=4,
        )
        parent = parent.where(~orphan, "")
    return pd.DataFrame(
        {
            "stop_id": stop_id.to_numpy(dtype=object),
            "stop_name": _column(table, "stop_name").to_numpy(dtype=object),
            "stop_lat": coords["stop_lat"],
            "stop_lon": coords["stop_lon"],
            "location_type": location_type.astype(np.int8),
            "parent_station": parent.to_numpy(dtype=object),
            "zone_id": _column(table, "zone_id").to_numpy(dtype=object),
        }
    )


def _routes(table: CsvTable) -> pd.DataFrame:
    _check_unique("routes", table)
    route_type = parse_int(
        _column(table, "route_type"), table.lines, "routes.txt", "route_type", low=0, high=1702
    )
    return pd.DataFrame(
        {
            "route_id": _column(table, "route_id").to_numpy(dtype=object),
            "agency_id": _column(table, "agency_id").to_numpy(dtype=object),
            "route_short_name": _column(table, "route_short_name").to_numpy(dtype=object),
            "route_long_name": _column(table, "route_long_name").to_numpy(dtype=object),
            "route_type": route_type.astype(np.int16),
            "bikes_allowed": parse_int(
                _column(table, "bikes_allowed"),
                table.lines,
                "routes.txt",
                "bikes_allowed",
                default=0,
                low=0,
                high=2,
            ).astype(np.int8),
        }
    )


def _trips(table: CsvTable, routes: pd.DataFrame, services: pd.Index) -> pd.DataFrame:
    file = "trips.txt"
    lines = table.lines
    _check_unique("trips", table)
    route_id = _column(table, "route_id")
    _check_refs(route_id, pd.Index(routes["route_id"]), lines, file, "route_id", "route_id")
    service_id = _column(table, "service_id")
    _check_refs(
        service_id,
        services,
        lines,
        file,
        "service_id",
        "service_id (in neither calendar.txt nor calendar_dates.txt)",
    )
    direction = parse_int(
        _column(table, "direction_id"), lines, file, "direction_id", default=-1, low=0, high=1
    )
    bikes = parse_int(
        _column(table, "bikes_allowed"), lines, file, "bikes_allowed", default=0, low=0, high=2
    )
    if "bikes_allowed" in routes.columns:  # a route-level value fills a trip's "no info"
        by_route = pd.Series(routes["bikes_allowed"].to_numpy(), index=routes["route_id"])
        from_route = by_route.reindex(route_id.to_numpy()).fillna(0).to_numpy(np.int64)
        bikes = np.where(bikes == 0, from_route, bikes)
    return pd.DataFrame(
        {
            "trip_id": _column(table, "trip_id").to_numpy(dtype=object),
            "route_id": route_id.to_numpy(dtype=object),
            "service_id": service_id.to_numpy(dtype=object),
            "headsign": _column(table, "trip_headsign").to_numpy(dtype=object),
            "shape_id": _column(table, "shape_id").to_numpy(dtype=object),
            "direction_id": direction.astype(np.int8),
            "bikes_allowed": bikes.astype(np.int8),
        }
    )


def _interpolate(
    arrival: np.ndarray,
    departure: np.ndarray,
    timed: np.ndarray,
    first_of_trip: np.ndarray,
    distance: np.ndarray,
    has_distance_all: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill untimed rows linearly between the timed rows around them (same trip)."""
    n = len(arrival)
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(timed, idx, -1))
    nxt = np.minimum.accumulate(np.where(timed, idx, n)[::-1])[::-1]
    seg = np.zeros(n)
    seg[1:] = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    seg[first_of_trip] = 0.0
    seg = np.nan_to_num(seg, nan=0.0)
    cum = np.cumsum(seg)
    trip_first = np.maximum.accumulate(np.where(first_of_trip, idx, 0))
    crow = cum - cum[trip_first]
    measure = np.where(has_distance_all, distance, crow)
    missing = np.flatnonzero(~timed)
    p, q = prev[missing], nxt[missing]
    span = measure[q] - measure[p]
    with np.errstate(invalid="ignore", divide="ignore"):
        by_measure = (measure[missing] - measure[p]) / span
    by_count = (missing - p) / (q - p)
    frac = np.where(np.isfinite(span) & (span > 0), by_measure, by_count)
    frac = np.clip(np.nan_to_num(frac, nan=0.0), 0.0, 1.0)
    start = departure[p].astype(np.float64)
    end = arrival[q].astype(np.float64)
    filled = np.rint(start + frac * (end - start)).astype(np.int32)
    arrival = arrival.copy()
    departure = departure.copy()
    arrival[missing] = filled
    departure[missing] = filled
    return arrival, departure


def _stop_times(
    table: CsvTable, trips: pd.DataFrame, stops: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    file = "stop_times.txt"
    frame = table.frame
    lines = table.lines
    trip_pos = _check_refs(
        _column(table, "trip_id"), pd.Index(trips["trip_id"]), lines, file, "trip_id", "trip_id"
    )
    sequence = parse_int(_column(table, "stop_sequence"), lines, file, "stop_sequence", low=0)

    # GTFS-Flex rows: no stop_id but a location group/zone, or a pickup/drop-off window.
    stop_id = _column(table, "stop_id")
    blank_stop = (stop_id == "").to_numpy(dtype=bool)
    flex_row = np.zeros(len(frame), dtype=bool)
    for col in (*FLEX_STOP_TIME_COLUMNS, "start_pickup_drop_off_window"):
        flex_row |= (_column(table, col) != "").to_numpy(dtype=bool)
    bad = blank_stop & ~flex_row
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FeedFormatError("stop_id is blank", file=file, row=int(lines[i]), field="stop_id")
    stop_pos = _check_refs(
        stop_id, pd.Index(stops["stop_id"]), lines, file, "stop_id", "stop_id", allow_blank=True
    )
    flex_trip = np.zeros(len(trips), dtype=bool)
    flex_trip[trip_pos[flex_row]] = True

    # Duplicate (trip_id, stop_sequence), found on the sorted order.
    order = np.lexsort((sequence, trip_pos))
    same = (np.diff(trip_pos[order]) == 0) & (np.diff(sequence[order]) == 0)
    if same.any():
        k = int(np.flatnonzero(same)[0])
        a, b = sorted((order[k], order[k + 1]))
        raise FeedIntegrityError(
            f"duplicate trip_id/stop_sequence "
            f"({trips['trip_id'].iloc[trip_pos[a]]!r}, {int(sequence[a])}) "
            f"(first on line {int(lines[a])})",
            file=file,
            row=int(lines[b]),
            field="stop_sequence",
        )

    keep = order[~flex_trip[trip_pos[order]]]
    n = len(keep)
    k_lines = lines[keep]
    k_trip = trip_pos[keep]
    for field in ("arrival_time", "departure_time"):
        if field not in frame.columns and n:
            raise FeedMissingError(
                f"required column '{field}' is missing", file=file, row=1, field=field
            )
    arr, arr_ok = parse_time(
        _column(table, "arrival_time").iloc[keep], k_lines, file, "arrival_time"
    )
    dep, dep_ok = parse_time(
        _column(table, "departure_time").iloc[keep], k_lines, file, "departure_time"
    )
    arr = np.where(arr_ok, arr, dep).astype(np.int32)
    dep = np.where(dep_ok, dep, arr).astype(np.int32)
    timed = arr_ok | dep_ok

    first = np.ones(n, dtype=bool)
    first[1:] = k_trip[1:] != k_trip[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = first[1:]
    untimed_end = (first | last) & ~timed
    if untimed_end.any():
        i = int(np.flatnonzero(untimed_end)[0])
        which = "first" if first[i] else "last"
        raise FeedFormatError(
            f"the {which} stop of trip {trips['trip_id'].iloc[k_trip[i]]!r} has no "
            "arrival_time or departure_time",
            file=file,
            row=int(k_lines[i]),
            field="arrival_time",
        )

    distance = parse_float(
        _column(table, "shape_dist_traveled").iloc[keep],
        k_lines,
        file,
        "shape_dist_traveled",
        low=0.0,
    )
    timepoint_raw = _column(table, "timepoint").iloc[keep]
    timepoint = parse_int(timepoint_raw, k_lines, file, "timepoint", default=1, low=0, high=1)
    if not timed.all():
        starts = np.flatnonzero(first)
        has_all = np.minimum.reduceat((~np.isnan(distance)).astype(np.int8), starts) > 0
        has_distance_all = np.repeat(has_all, np.diff(np.append(starts, n)))
        k_stop = stop_pos[keep]
        arr, dep = _interpolate(
            arr,
            dep,
            timed,
            first,
            distance,
            has_distance_all,
            stops["stop_lat"].to_numpy()[k_stop],
            stops["stop_lon"].to_numpy()[k_stop],
        )
        timepoint = np.where(timed, timepoint, 0)

    # Times must not run backwards within a trip.
    backwards = dep < arr
    if backwards.any():
        i = int(np.flatnonzero(backwards)[0])
        raise FeedIntegrityError(
            "departure_time is before arrival_time",
            file=file,
            row=int(k_lines[i]),
            field="departure_time",
        )
    earlier = np.zeros(n, dtype=bool)
    earlier[1:] = (arr[1:] < dep[:-1]) & ~first[1:]
    if earlier.any():
        i = int(np.flatnonzero(earlier)[0])
        raise FeedIntegrityError(
            "arrival_time is before the departure_time of the previous stop of the trip",
            file=file,
            row=int(k_lines[i]),
            field="arrival_time",
        )

    pickup = parse_int(
        _column(table, "pickup_type").iloc[keep],
        k_lines,
        file,
        "pickup_type",
        default=0,
        low=0,
        high=3,
    )
    drop_off = parse_int(
        _column(table, "drop_off_type").iloc[keep],
        k_lines,
        file,
        "drop_off_type",
        default=0,
        low=0,
        high=3,
    )
    counts = np.bincount(k_trip, minlength=len(trips))
    trip_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    result = pd.DataFrame(
        {
            "trip_pos": k_trip.astype(np.int32),
            "stop_sequence": sequence[keep].astype(np.int32),
            "stop_id": stop_id.iloc[keep].to_numpy(dtype=object),
            "arrival_s": arr.astype(np.int32),
            "departure_s": dep.astype(np.int32),
            "pickup_type": pickup.astype(np.int8),
            "drop_off_type": drop_off.astype(np.int8),
            "timepoint": timepoint.astype(np.int8),
        }
    )
    return result, trip_start, flex_trip


def _frequencies(table: CsvTable | None, trips: pd.DataFrame) -> pd.DataFrame:
    columns = {
        "trip_pos": np.int32,
        "start_s": np.int32,
        "end_s": np.int32,
        "headway_s": np.int32,
        "exact_times": np.int8,
    }
    if table is None or table.frame.empty:
        return pd.DataFrame({c: np.zeros(0, dtype=t) for c, t in columns.items()})
    file = "frequencies.txt"
    lines = table.lines
    trip_pos = _check_refs(
        _column(table, "trip_id"), pd.Index(trips["trip_id"]), lines, file, "trip_id", "trip_id"
    )
    start, start_ok = parse_time(_column(table, "start_time"), lines, file, "start_time")
    end, end_ok = parse_time(_column(table, "end_time"), lines, file, "end_time")
    for field, ok in (("start_time", start_ok), ("end_time", end_ok)):
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise FeedFormatError(
                "required value is blank", file=file, row=int(lines[i]), field=field
            )
    headway = parse_int(_column(table, "headway_secs"), lines, file, "headway_secs", low=1)
    exact = parse_int(
        _column(table, "exact_times"), lines, file, "exact_times", default=0, low=0, high=1
    )
    backwards = end < start
    if backwards.any():
        i = int(np.flatnonzero(backwards)[0])
        raise FeedIntegrityError(
            "end_time is before start_time", file=file, row=int(lines[i]), field="end_time"
        )
    return pd.DataFrame(
        {
            "trip_pos": trip_pos.astype(np.int32),
            "start_s": start,
            "end_s": end,
            "headway_s": headway.astype(np.int32),
            "exact_times": exact.astype(np.int8),
        }
    )


def _transfers(table: CsvTable | None, stops: pd.DataFrame) -> pd.DataFrame:
    if table is None or table.frame.empty:
        return pd.DataFrame(
            {
                "from_stop_id": pd.Series([], dtype=object),
                "to_stop_id": pd.Series([], dtype=object),
                "transfer_type": np.zeros(0, dtype=np.int8),
                "min_transfer_time": np.zeros(0, dtype=np.int32),
            }
        )
    file = "transfers.txt"
    lines = table.lines
    known = pd.Index(stops["stop_id"])
    for field in ("from_stop_id", "to_stop_id"):
        _check_refs(_column(table, field), known, lines, file, field, "stop_id", allow_blank=True)
    kind = parse_int(
        _column(table, "transfer_type"), lines, file, "transfer_type", default=0, low=0, high=5
    )
    minimum = parse_int(
        _column(table, "min_transfer_time"), lines, file, "min_transfer_time", default=-1, low=0
    )
    return pd.DataFrame(
        {
            "from_stop_id": _column(table, "from_stop_id").to_numpy(dtype=object),
            "to_stop_id": _column(table, "to_stop_id").to_numpy(dtype=object),
            "transfer_type": kind.astype(np.int8),
            "min_transfer_time": minimum.astype(np.int32),
        }
    )


def build_core(tables: Mapping[str, CsvTable]) -> CoreTables:
    """Validate the core tables and compile them (see module docstring).

    Raises
    ------
    FeedFormatError, FeedIntegrityError, FeedMissingError
        The first problem found, with file, line and field.
    """
    timezone = _timezone(tables)
    stops = _stops(tables["stops"])
    routes = _routes(tables["routes"])

    empty = CsvTable(pd.DataFrame(), np.zeros(0, dtype=np.int64), has_header=False)
    calendar = tables.get("calendar", empty)
    dates = tables.get("calendar_dates", empty)
    if calendar.frame.shape[0]:
        _check_unique("calendar", calendar)
    if dates.frame.shape[0]:
        _check_unique("calendar_dates", dates)
    days = (
        np.stack(
            [
                parse_int(_column(calendar, d), calendar.lines, "calendar.txt", d, low=0, high=1)
                for d in WEEKDAYS
            ],
            axis=1,
        ).astype(bool)
        if len(calendar.frame)
        else np.zeros((0, 7), dtype=bool)
    )
    cal_start = parse_date(
        _column(calendar, "start_date"), calendar.lines, "calendar.txt", "start_date"
    )
    cal_end = parse_date(_column(calendar, "end_date"), calendar.lines, "calendar.txt", "end_date")
    reversed_range = cal_end < cal_start
    if reversed_range.any():
        i = int(np.flatnonzero(reversed_range)[0])
        raise FeedIntegrityError(
            "end_date is before start_date",
            file="calendar.txt",
            row=int(calendar.lines[i]),
            field="end_date",
        )
    d_date = parse_date(_column(dates, "date"), dates.lines, "calendar_dates.txt", "date")
    d_type = parse_int(
        _column(dates, "exception_type"),
        dates.lines,
        "calendar_dates.txt",
        "exception_type",
        low=1,
        high=2,
    )
    cal_service = _column(calendar, "service_id").to_numpy(dtype=object)
    d_service = _column(dates, "service_id").to_numpy(dtype=object)
    services = pd.Index(np.concatenate([cal_service, d_service])).unique()

    trips = _trips(tables["trips"], routes, services)
    stop_times, trip_start, flex = _stop_times(tables["stop_times"], trips, stops)
    frequencies = _frequencies(tables.get("frequencies"), trips)
    transfers = _transfers(tables.get("transfers"), stops)
    return CoreTables(
        timezone=timezone,
        stops=stops,
        routes=routes,
        trips=trips,
        stop_times=stop_times,
        trip_start=trip_start,
        flex=flex,
        frequencies=frequencies,
        transfers=transfers,
        calendar_service=cal_service,
        calendar_days=days,
        calendar_start=cal_start,
        calendar_end=cal_end,
        dates_service=d_service,
        dates_date=d_date,
        dates_added=d_type == 1,
    )
