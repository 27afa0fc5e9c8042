"""Write the demo city's public transport as a GTFS Schedule zip.

Demo City Transport runs two tram lines on the primary avenues and five bus lines on the
boulevards and one cross-town street, with stops about every 400 m at street corners:

- T1 (Main Avenue, north-south) is defined by ``frequencies.txt``: every 10 min
  05:00-07:00 and every 15 min 19:00-25:00 (``exact_times`` 0), every 7.5 min
  07:00-19:00 (``exact_times`` 1); every 15 min at weekends.
- T2 (Central Avenue, east-west) and buses 10, 11, 20, 21 and 30 have explicit trips,
  05:00 to past midnight on weekdays (last departures around 24:35).
- T1 and T2 cross at Central Square, a parent station with two platforms and a
  120 s transfer between them (transfers.txt, both ways).
- Bus 30's fourth stop is a non-timepoint with blank times (``timepoint`` 0).
- Services ``WD`` (Mon-Fri) and ``WE`` (Sat-Sun) run 2026-01-01..2026-12-31; three
  weekday holidays swap ``WD`` for ``WE`` in calendar_dates.txt.
- Fares v1: zone A (within 2 km of Central Square) EUR 3.10 for 80 min, any trip
  touching zone B EUR 4.10 for 90 min, transfers unlimited within the validity.

Rows are written in a fixed order, times from the seeded generator only, and the zip
entries carry a fixed timestamp, so the archive is byte-identical for the same seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from maasmix.feeds.demo._grid import MID, Grid, corner_name, to_latlon
from maasmix.servicetime import format_clock

TIMEZONE = "Europe/Helsinki"
CURRENCY = "EUR"
FEED_START = dt.date(2026, 1, 1)
FEED_END = dt.date(2026, 12, 31)
HOLIDAYS: tuple[dt.date, ...] = (dt.date(2026, 1, 6), dt.date(2026, 5, 1), dt.date(2026, 12, 25))
"""Weekdays on which the weekend service runs instead (Epiphany, May Day, Christmas)."""

ZONE_A_RADIUS_M = 2000.0
"""Stops within this distance of Central Square are in fare zone A, the rest in B."""

ZIP_DATE_TIME = (2026, 1, 1, 0, 0, 0)
"""Timestamp of every zip entry."""

AGENCY_ID = "DCT"
STATION_ID = "central"
_H = 3600

# Headway profiles: (until second of day, headway s); departures from `first` to `last`.
_BUS_WD = ((7 * _H, 900), (9 * _H, 600), (15 * _H, 900), (18 * _H, 600), (22 * _H, 900))
_BUS_WD_LATE = ((26 * _H, 1800),)
_BUS_WE = ((26 * _H, 1200),)
_T2_WD = ((7 * _H, 600), (19 * _H, 450), (26 * _H, 900))
_T2_WE = ((26 * _H, 900),)
_B30_WD = ((26 * _H, 1200),)
_B30_WE = ((26 * _H, 1800),)

T1_FREQUENCIES: dict[str, tuple[tuple[int, int, int, int], ...]] = {
    "WD": ((5 * _H, 7 * _H, 600, 0), (7 * _H, 19 * _H, 450, 1), (19 * _H, 25 * _H, 900, 0)),
    "WE": ((6 * _H, 25 * _H, 900, 0),),
}
"""T1 frequencies per service: (start s, end s, headway s, exact_times)."""


@dataclass(frozen=True)
class _Line:
    route_id: str
    short_name: str
    route_type: int  # 0 tram, 3 bus
    color: str
    text_color: str
    path: tuple[tuple[int, int], ...]  # grid intersections, direction 0 order
    headsigns: tuple[str, str]
    speed_ms: float  # average running speed between stops
    dwell_s: int  # dwell at intermediate stops
    schedules: dict[
        str, tuple[int, int, tuple[tuple[int, int], ...]]
    ]  # service -> first, last, profile


def _lines() -> tuple[_Line, ...]:
    ns = lambda i, j0, j1: tuple((i, j) for j in range(j0, j1 + 1))  # noqa: E731
    ew = lambda j, i0, i1: tuple((i, j) for i in range(i0, i1 + 1))  # noqa: E731
    bus_wd = (5 * _H, 24 * _H + 35 * 60, _BUS_WD + _BUS_WD_LATE)
    bus_we = (6 * _H, 24 * _H + 30 * 60, _BUS_WE)
    bus = {"WD": bus_wd, "WE": bus_we}
    return (
        _Line("T1", "T1", 0, "00985F", "FFFFFF", ns(MID, 1, 29), ("Northgate", "Southgate"),
              5.5, 20, {}),
        _Line("T2", "T2", 0, "00985F", "FFFFFF", ew(MID, 1, 29), ("Eastport", "Westend"),
              5.5, 20, {"WD": (5 * _H, 24 * _H + 45 * 60, _T2_WD),
                        "WE": (6 * _H, 24 * _H + 45 * 60, _T2_WE)}),
        _Line("10", "10", 3, "007AC9", "FFFFFF", ew(5, 1, 29), ("Eastport", "Westend"),
              5.0, 0, bus),
        _Line("11", "11", 3, "007AC9", "FFFFFF", ew(25, 1, 29), ("Eastport", "Westend"),
              5.0, 0, bus),
        _Line("20", "20", 3, "007AC9", "FFFFFF", ns(5, 1, 29), ("Northgate", "Southgate"),
              5.0, 0, bus),
        _Line("21", "21", 3, "007AC9", "FFFFFF", ns(25, 1, 29), ("Northgate", "Southgate"),
              5.0, 0, bus),
        _Line("30", "30", 3, "007AC9", "FFFFFF", ns(10, 1, 21) + ew(21, 11, 29),
              ("Harbour", "Southgate"), 5.0, 0,
              {"WD": (5 * _H + 30 * 60, 24 * _H, _B30_WD),
               "WE": (7 * _H, 23 * _H + 30 * 60, _B30_WE)}),
    )  # fmt: skip


@dataclass(frozen=True)
class _Stop:
    stop_id: str
    name: str
    lat: float
    lon: float
    zone: str
    parent: str
    platform: str


def _axis(path: Sequence[tuple[int, int]], k: int) -> str:
    a, b = (path[k - 1], path[k]) if k > 0 else (path[0], path[1])
    return "ns" if a[0] == b[0] else "ew"


def _stop_positions(n: int) -> list[int]:
    """Every second intersection along a path, plus the last one."""
    positions = list(range(0, n, 2))
    if positions[-1] != n - 1:
        positions.append(n - 1)
    return positions


def _departures(
    first: int, last: int, profile: Sequence[tuple[int, int]], offset: int
) -> list[int]:
    out: list[int] = []
    t = first + offset
    while t <= last:
        out.append(t)
        headway = next((h for until, h in profile if t < until), profile[-1][1])
        t += headway
    return out


def frequency_departures(start: int, end: int, headway: int) -> list[int]:
    """Departures of one frequencies.txt row: ``start, start + headway, ...`` before ``end``."""
    return list(range(start, end, headway))


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _active(service_id: str, date: dt.date) -> bool:
    if date in HOLIDAYS:
        return service_id == "WE"
    return (date.weekday() < 5) == (service_id == "WD")


def write_gtfs(
    grid: Grid, rng: np.random.Generator, path: Path, service_date: dt.date
) -> dict[str, int]:
    """Write the demo GTFS zip to ``path``.

    Returns
    -------
    dict
        Counts as written: ``gtfs_stops`` (incl. the station), ``gtfs_routes``,
        ``gtfs_trips``, ``gtfs_stop_times``, ``gtfs_frequencies``, ``gtfs_shapes``,
        ``gtfs_trip_runs_on_service_date`` (trips of ``service_date`` with frequency
        trips expanded; runs of the previous day past midnight not included).
    """
    lines = _lines()
    stops: dict[str, _Stop] = {}
    station_x, station_y = grid.xy(MID, MID)
    s_lat, s_lon = to_latlon(station_x, station_y)
    stops[STATION_ID] = _Stop(STATION_ID, "Central Square", s_lat, s_lon, "", "", "")

    files: dict[str, bytes] = {}
    trips_rows: list[list[object]] = []
    st_rows: list[list[object]] = []
    shape_rows: list[list[object]] = []
    freq_rows: list[list[object]] = []
    runs_today = 0

    for line in lines:
        rpath = line.path
        cum = [0.0]
        for a, b in itertools.pairwise(rpath):
            (xa, ya), (xb, yb) = grid.xy(*a), grid.xy(*b)
            cum.append(cum[-1] + math.hypot(xb - xa, yb - ya))
        positions = _stop_positions(len(rpath))
        line_stops: list[str] = []
        for k in positions:
            i, j = rpath[k]
            axis = _axis(rpath, k)
            stop_id = f"s{i:02d}-{j:02d}-{axis}"
            line_stops.append(stop_id)
            if stop_id in stops:
                continue
            x, y = grid.xy(i, j)
            dx, dy = rng.normal(0.0, 1.5, size=2)
            x, y = (x + 10.0 + dx, y + dy) if axis == "ns" else (x + dx, y + 10.0 + dy)
            lat, lon = to_latlon(x, y)
            zone = "A" if math.hypot(x, y) <= ZONE_A_RADIUS_M else "B"
            central = (i, j) == (MID, MID)
            stops[stop_id] = _Stop(
                stop_id,
                "Central Square" if central else corner_name(i, j),
                lat,
                lon,
                zone,
                STATION_ID if central else "",
                ("1" if axis == "ns" else "2") if central else "",
            )
        for direction in (0, 1):
            order = (
                positions if direction == 0 else [len(rpath) - 1 - p for p in reversed(positions)]
            )
            seq_path = rpath if direction == 0 else rpath[::-1]
            seq_cum = cum if direction == 0 else [cum[-1] - c for c in reversed(cum)]
            seq_stops = line_stops if direction == 0 else line_stops[::-1]
            shape_id = f"{line.route_id}-{direction}"
            for n, (node, d) in enumerate(zip(seq_path, seq_cum, strict=True), start=1):
                lat, lon = to_latlon(*grid.xy(*node))
                shape_rows.append([shape_id, f"{lat:.6f}", f"{lon:.6f}", n, f"{d / 1000:.3f}"])
            # relative arrival/departure times along the trip
            arr: list[int] = []
            dep: list[int] = []
            t = 0.0
            for k, p in enumerate(order):
                if k > 0:
                    t += (seq_cum[p] - seq_cum[order[k - 1]]) / line.speed_ms
                at = round(t) if line.dwell_s else round(t / 60.0) * 60
                dwell = line.dwell_s if 0 < k < len(order) - 1 else 0
                arr.append(at)
                dep.append(at + dwell)
                t = at + dwell
            if line.route_id == "T1":
                starts = {sid: rows[0][0] for sid, rows in T1_FREQUENCIES.items()}
            else:
                starts = {}
            for service_id in ("WD", "WE"):
                if line.route_id == "T1":
                    trip_starts = [starts[service_id]]
                else:
                    first, last, profile = line.schedules[service_id]
                    step = 30 if line.route_type == 0 else 60
                    offset = int(rng.integers(0, 10)) * step
                    trip_starts = _departures(first, last, profile, offset)
                for t0 in trip_starts:
                    if line.route_id == "T1":
                        trip_id = f"T1-{service_id}-{direction}"
                        for start, end, headway, exact in T1_FREQUENCIES[service_id]:
                            freq_rows.append(
                                [trip_id, format_clock(start), format_clock(end), headway, exact]
                            )
                            if _active(service_id, service_date):
                                runs_today += len(frequency_departures(start, end, headway))
                    else:
                        hhmmss = format_clock(t0).replace(":", "")
                        trip_id = f"{line.route_id}-{service_id}-{direction}-{hhmmss}"
                        if _active(service_id, service_date):
                            runs_today += 1
                    trips_rows.append([
                        line.route_id, service_id, trip_id, line.headsigns[direction],
                        direction, shape_id, 1, 2,
                    ])  # fmt: skip
                    for k, (stop_id, p) in enumerate(zip(seq_stops, order, strict=True)):
                        timed = not (line.route_id == "30" and k == 3)
                        st_rows.append([
                            trip_id,
                            format_clock(t0 + arr[k]) if timed else "",
                            format_clock(t0 + dep[k]) if timed else "",
                            stop_id,
                            k + 1,
                            1 if k == len(order) - 1 else 0,
                            1 if k == 0 else 0,
                            f"{seq_cum[p] / 1000:.3f}",
                            1 if timed else 0,
                        ])  # fmt: skip

    files["agency.txt"] = _csv(
        ["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang",
         "agency_phone", "agency_fare_url"],
        [[AGENCY_ID, "Demo City Transport", "https://transit.demo-city.example/", TIMEZONE,
          "en", "+358 9 000 0000", "https://transit.demo-city.example/tickets"]],
    )  # fmt: skip
    files["feed_info.txt"] = _csv(
        ["feed_publisher_name", "feed_publisher_url", "feed_lang", "feed_start_date",
         "feed_end_date", "feed_version", "feed_contact_email"],
        [["maasmix demo city", "https://demo-city.example/", "en", FEED_START.strftime("%Y%m%d"),
          FEED_END.strftime("%Y%m%d"), "demo", "data@demo-city.example"]],
    )  # fmt: skip
    stop_rows = []
    code = 1000
    for stop in sorted(stops.values(), key=lambda s: s.stop_id):
        is_station = stop.stop_id == STATION_ID
        code += 0 if is_station else 1
        stop_rows.append([
            stop.stop_id, "" if is_station else str(code), stop.name, f"{stop.lat:.6f}",
            f"{stop.lon:.6f}", stop.zone, 1 if is_station else 0, stop.parent, stop.platform, 1,
        ])  # fmt: skip
    files["stops.txt"] = _csv(
        ["stop_id", "stop_code", "stop_name", "stop_lat", "stop_lon", "zone_id",
         "location_type", "parent_station", "platform_code", "wheelchair_boarding"],
        stop_rows,
    )  # fmt: skip
    files["routes.txt"] = _csv(
        ["route_id", "agency_id", "route_short_name", "route_long_name", "route_type",
         "route_color", "route_text_color"],
        [[ln.route_id, AGENCY_ID, ln.short_name, f"{ln.headsigns[1]} - {ln.headsigns[0]}",
          ln.route_type, ln.color, ln.text_color] for ln in lines],
    )  # fmt: skip
    files["trips.txt"] = _csv(
        ["route_id", "service_id", "trip_id", "trip_headsign", "direction_id", "shape_id",
         "wheelchair_accessible", "bikes_allowed"],
        trips_rows,
    )  # fmt: skip
    files["stop_times.txt"] = _csv(
        ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence",
         "pickup_type", "drop_off_type", "shape_dist_traveled", "timepoint"],
        st_rows,
    )  # fmt: skip
    files["frequencies.txt"] = _csv(
        ["trip_id", "start_time", "end_time", "headway_secs", "exact_times"], freq_rows
    )
    files["shapes.txt"] = _csv(
        ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence", "shape_dist_traveled"],
        shape_rows,
    )
    ymd = "%Y%m%d"
    files["calendar.txt"] = _csv(
        ["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
         "sunday", "start_date", "end_date"],
        [["WD", 1, 1, 1, 1, 1, 0, 0, FEED_START.strftime(ymd), FEED_END.strftime(ymd)],
         ["WE", 0, 0, 0, 0, 0, 1, 1, FEED_START.strftime(ymd), FEED_END.strftime(ymd)]],
    )  # fmt: skip
    files["calendar_dates.txt"] = _csv(
        ["service_id", "date", "exception_type"],
        [row for day in HOLIDAYS
         for row in (["WD", day.strftime(ymd), 2], ["WE", day.strftime(ymd), 1])],
    )  # fmt: skip
    files["transfers.txt"] = _csv(
        ["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"],
        [[f"s{MID}-{MID}-ns", f"s{MID}-{MID}-ew", 2, 120],
         [f"s{MID}-{MID}-ew", f"s{MID}-{MID}-ns", 2, 120]],
    )  # fmt: skip
    files["fare_attributes.txt"] = _csv(
        ["fare_id", "price", "currency_type", "payment_method", "transfers", "agency_id",
         "transfer_duration"],
        [["A", "3.10", CURRENCY, 1, "", AGENCY_ID, 80 * 60],
         ["AB", "4.10", CURRENCY, 1, "", AGENCY_ID, 90 * 60]],
    )  # fmt: skip
    files["fare_rules.txt"] = _csv(
        ["fare_id", "route_id", "origin_id", "destination_id", "contains_id"],
        [["A", "", "A", "A", ""], ["AB", "", "A", "B", ""], ["AB", "", "B", "A", ""],
         ["AB", "", "B", "B", ""]],
    )  # fmt: skip

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name], compresslevel=6)
    return {
        "gtfs_stops": len(stop_rows),
        "gtfs_routes": len(lines),
        "gtfs_trips": len(trips_rows),
        "gtfs_stop_times": len(st_rows),
        "gtfs_frequencies": len(freq_rows),
        "gtfs_shapes": len({row[0] for row in shape_rows}),
        "gtfs_trip_runs_on_service_date": runs_today,
    }
