"""Service calendars and the `ServiceDay` of one date, from `CoreTables` (all vectorised).

Service selection: a service runs on a date when calendar.txt covers the date and sets
its weekday, plus calendar_dates.txt exception_type 1 (added), minus exception_type 2
(removed). Feeds with only calendar_dates.txt (calendar.txt absent or empty) work the
same way.

Runs: every active trip without frequencies.txt rows is one run keyed by its trip_id.
A trip with frequencies rows is a template and is not kept as itself: each row
(start_time, end_time, headway_secs) gives departures ``start + j * headway`` while
``< end`` (exact_times 0 and 1 alike), numbered ``k = 0, 1, ...`` over the trip's rows in
start_time order and keyed ``f"{trip_id}#{k}"``; each run copies the template's stop-time
offsets relative to its first departure. Runs of the previous service date whose last
time is at or after 24:00:00 are added whole with times minus 86400 s, ``day_offset``
-1 and ``"@-1"`` appended to the key. GTFS-Flex trips (zone/window based) and trips
without stop_times are not runs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from maasmix.errors import FeedFormatError
from maasmix.feeds import limits as feed_limits
from maasmix.feeds.gtfs._core import CoreTables
from maasmix.feeds.gtfs.service_day import ServiceDay

DAY_S = 86_400


def _as_day(date: dt.date) -> np.datetime64:
    return np.datetime64(date.isoformat(), "D")


def active_services(core: CoreTables, date: dt.date) -> set[str]:
    """service_ids running on ``date``."""
    day = _as_day(date)
    on = (
        core.calendar_days[:, date.weekday()]
        & (core.calendar_start <= day)
        & (core.calendar_end >= day)
    )
    result = set(core.calendar_service[on].tolist())
    today = core.dates_date == day
    result |= set(core.dates_service[today & core.dates_added].tolist())
    result -= set(core.dates_service[today & ~core.dates_added].tolist())
    return result


def service_dates(core: CoreTables) -> list[dt.date]:
    """Every date with at least one running service, ascending."""
    services: list[np.ndarray] = [np.zeros(0, dtype=object)]
    days: list[np.ndarray] = [np.zeros(0, dtype="datetime64[D]")]
    for i in range(len(core.calendar_service)):
        span = np.arange(core.calendar_start[i], core.calendar_end[i] + 1)
        weekday = (span.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday (3)
        span = span[core.calendar_days[i][weekday]]
        days.append(span)
        services.append(np.full(len(span), core.calendar_service[i], dtype=object))
    base = pd.MultiIndex.from_arrays([np.concatenate(services), np.concatenate(days)])
    removed = pd.MultiIndex.from_arrays(
        [core.dates_service[~core.dates_added], core.dates_date[~core.dates_added]]
    )
    kept = base.get_level_values(1)[~base.isin(removed)].to_numpy(dtype="datetime64[D]")
    days_all = np.union1d(kept, core.dates_date[core.dates_added])
    return [d.item() for d in days_all.astype("datetime64[D]")]


def _runs(core: CoreTables, services: set[str], day_offset: int) -> pd.DataFrame:
    """Runs of the trips of ``services``: trip_pos, shift_s, key, last_s (unshifted)."""
    trips = core.trips
    counts = np.diff(core.trip_start)
    active = trips["service_id"].isin(services).to_numpy() & ~core.flex & (counts > 0)
    freq = core.frequencies
    templated = np.zeros(len(trips), dtype=bool)
    templated[freq["trip_pos"].to_numpy()] = True

    st = core.stop_times
    last_row = np.maximum(core.trip_start[1:] - 1, 0)
    first_row = np.minimum(core.trip_start[:-1], max(len(st) - 1, 0))
    arrival = st["arrival_s"].to_numpy()
    departure = st["departure_s"].to_numpy()
    first_dep = departure[first_row] if len(st) else np.zeros(len(trips), dtype=np.int32)
    last_arr = arrival[last_row] if len(st) else np.zeros(len(trips), dtype=np.int32)

    plain = np.flatnonzero(active & ~templated)
    plain_runs = pd.DataFrame(
        {
            "trip_pos": plain.astype(np.int64),
            "shift_s": np.zeros(len(plain), dtype=np.int64),
            "key": trips["trip_id"].to_numpy(dtype=object)[plain],
        }
    )

    f = freq.loc[active[freq["trip_pos"].to_numpy()]].sort_values(
        ["trip_pos", "start_s"], kind="stable"
    )
    span = (f["end_s"].to_numpy(np.int64) - f["start_s"].to_numpy(np.int64)).clip(min=0)
    headway = f["headway_s"].to_numpy(np.int64)
    n_runs = -(-span // headway)  # ceil
    _check_expansion(trips, f["trip_pos"].to_numpy(np.int64), n_runs, counts)
    row = np.repeat(np.arange(len(f)), n_runs)
    first_of_row = np.concatenate(([0], np.cumsum(n_runs)[:-1])) if len(f) else np.zeros(0, int)
    j = np.arange(len(row)) - np.repeat(first_of_row, n_runs)
    f_trip = f["trip_pos"].to_numpy(np.int64)[row]
    start = f["start_s"].to_numpy(np.int64)[row] + j * headway[row]
    # k counts across all frequency rows of the same trip.
    new_trip = np.ones(len(row), dtype=bool)
    new_trip[1:] = f_trip[1:] != f_trip[:-1]
    idx = np.arange(len(row))
    k = idx - np.maximum.accumulate(np.where(new_trip, idx, 0))
    freq_runs = pd.DataFrame(
        {
            "trip_pos": f_trip,
            "shift_s": start - first_dep[f_trip].astype(np.int64),
            "key": trips["trip_id"].to_numpy(dtype=object)[f_trip]
            + "#"
            + k.astype(str).astype(object),
        }
    )
    runs = pd.concat([plain_runs, freq_runs], ignore_index=True)
    last = last_arr[runs["trip_pos"].to_numpy()].astype(np.int64) + runs["shift_s"].to_numpy()
    if day_offset == -1:
        runs = runs.loc[last >= DAY_S].reset_index(drop=True)
        runs["shift_s"] = runs["shift_s"] - DAY_S
        runs["key"] = runs["key"] + "@-1"
    runs["day_offset"] = np.int8(day_offset)
    return runs


def _check_expansion(
    trips: pd.DataFrame, trip_pos: np.ndarray, n_runs: np.ndarray, counts: np.ndarray
) -> None:
    """Refuse frequencies.txt rows that would expand into more stop times than the feed
    limit ``max_day_stop_times`` (one row with a headway of 1 s over a long window is a
    bomb: millions of copies of its trip), before anything is repeated."""
    if not len(n_runs):
        return
    limit = feed_limits.current().max_day_stop_times
    per_row = n_runs.astype(np.int64) * counts[trip_pos].astype(np.int64)
    total = int(per_row.sum())
    if total > limit:
        worst = int(np.argmax(per_row))
        trip_id = trips["trip_id"].iloc[int(trip_pos[worst])]
        raise FeedFormatError(
            f"its rows expand into {total} stop times of one day, more than {limit} (feed "
            f"limit max_day_stop_times); trip {trip_id!r} alone runs {int(n_runs[worst])} times",
            file="frequencies.txt",
            field="headway_secs",
        )


def build_service_day(core: CoreTables, date: dt.date) -> ServiceDay:
    """The `ServiceDay` of ``date`` (columns as documented in `feeds.service_day`)."""
    today = _runs(core, active_services(core, date), 0)
    yesterday = _runs(core, active_services(core, date - dt.timedelta(days=1)), -1)
    runs = pd.concat([today, yesterday], ignore_index=True)
    keys = runs["key"].to_numpy(dtype=object)
    order = np.argsort(keys.astype(str), kind="stable")
    runs = runs.iloc[order].reset_index(drop=True)

    trip_pos = runs["trip_pos"].to_numpy(np.int64)
    trips = core.trips.iloc[trip_pos].reset_index(drop=True)
    trips_out = pd.DataFrame(
        {
            "trip_key": runs["key"].to_numpy(dtype=object),
            "trip_id": trips["trip_id"].to_numpy(dtype=object),
            "route_id": trips["route_id"].to_numpy(dtype=object),
            "service_id": trips["service_id"].to_numpy(dtype=object),
            "headsign": trips["headsign"].to_numpy(dtype=object),
            "shape_id": trips["shape_id"].to_numpy(dtype=object),
            "direction_id": trips["direction_id"].to_numpy(np.int8),
            "bikes_allowed": trips["bikes_allowed"].to_numpy(np.int8),
            "day_offset": runs["day_offset"].to_numpy(np.int8),
        }
    )

    starts = core.trip_start[trip_pos]
    counts = core.trip_start[trip_pos + 1] - starts
    run_of_row = np.repeat(np.arange(len(runs)), counts)
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(runs) else np.zeros(0, int)
    src = starts[run_of_row] + (np.arange(int(counts.sum())) - np.repeat(offsets, counts))
    shift = runs["shift_s"].to_numpy(np.int64)[run_of_row]
    st = core.stop_times
    stop_times = pd.DataFrame(
        {
            "trip_key": trips_out["trip_key"].to_numpy(dtype=object)[run_of_row],
            "stop_sequence": st["stop_sequence"].to_numpy()[src].astype(np.int32),
            "stop_id": st["stop_id"].to_numpy(dtype=object)[src],
            "arrival_s": (st["arrival_s"].to_numpy()[src] + shift).astype(np.int32),
            "departure_s": (st["departure_s"].to_numpy()[src] + shift).astype(np.int32),
            "pickup_type": st["pickup_type"].to_numpy()[src].astype(np.int8),
            "drop_off_type": st["drop_off_type"].to_numpy()[src].astype(np.int8),
            "timepoint": st["timepoint"].to_numpy()[src].astype(np.int8),
        }
    )
    return ServiceDay(
        date=date,
        timezone=core.timezone,
        stops=core.stops.copy(),
        routes=core.routes.copy(),
        trips=trips_out,
        stop_times=stop_times,
        transfers=core.transfers.copy(),
        service_period=_period(service_dates(core)),
    )


def _period(dates: list[dt.date]) -> tuple[dt.date, dt.date] | None:
    return (dates[0], dates[-1]) if dates else None
