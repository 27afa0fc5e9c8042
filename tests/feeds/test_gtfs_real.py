"""Every real GTFS dataset in the shared data folder loads and matches its SOURCE.md profile."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from maasmix.feeds import FeedWarning
from maasmix.feeds.gtfs import GtfsFeed, load_gtfs
from maasmix.feeds.gtfs.service_day import ServiceDay

# Profiles copied from each dataset's SOURCE.md ("## Profile" section).
PROFILES: dict[str, dict[str, Any]] = {
    # gtfs-helsinki-hsl/SOURCE.md
    "helsinki": {
        "path": ("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
        "agencies": ["Helsingin seudun liikenne"],
        "timezone": "Europe/Helsinki",
        "stops": 1388,
        "stops_by_location_type": {"0": 1361, "1": 27},
        "routes": 200,
        "routes_by_type": {
            "701": 129, "0": 21, "700": 15, "109": 13, "704": 10, "702": 7, "1": 3, "4": 2,
        },
        "trips": 3195,
        "service_ids": 1,
        "stop_times_rows": 62485,
        "service_date_range": ["20220222", "20220222"],
        "calendar_dates_only": False,
        "frequencies_rows": 3226,
        "transfers_rows": 4,
        "shapes_rows": 122672,
        "fare_files": ["fare_attributes.txt", "fare_rules.txt"],
        "bbox": [24.85046, 60.15028, 24.99957, 60.24994],
        "files": [
            "agency.txt", "calendar.txt", "fare_attributes.txt", "fare_rules.txt",
            "feed_info.txt", "frequencies.txt", "routes.txt", "shapes.txt", "stop_times.txt",
            "stops.txt", "transfers.txt", "trips.txt",
        ],
    },
    # gtfs-milan/SOURCE.md
    "milan": {
        "path": ("gtfs-milan", "milano_small_gtfs.zip"),
        "agencies": ["ATM"],
        "timezone": "Europe/Rome",
        "stops": 516,
        "stops_by_location_type": {"0": 516},
        "routes": 15,
        "routes_by_type": {"3": 9, "0": 5, "1": 1},
        "trips": 10608,
        "service_ids": 32,
        "stop_times_rows": 248555,
        "service_date_range": ["20141019", "20141101"],
        "calendar_dates_only": True,
        "frequencies_rows": 0,
        "shapes_rows": 6683,
        "fare_files": [],
        "bbox": [9.09393, 45.40158, 9.43757, 45.54607],
        "files": [
            "agency.txt", "calendar.txt", "calendar_dates.txt", "routes.txt", "shapes.txt",
            "stop_times.txt", "stops.txt", "trips.txt",
        ],
    },
    # gtfs-bay-area/SOURCE.md (bart.zip)
    "bart": {
        "path": ("gtfs-bay-area", "bart.zip"),
        "agencies": ["Bay Area Rapid Transit"],
        "timezone": "America/Los_Angeles",
        "stops": 50,
        "stops_by_location_type": {"0": 50},
        "routes": 6,
        "routes_by_type": {"1": 6},
        "trips": 2525,
        "service_ids": 3,
        "stop_times_rows": 33167,
        "service_date_range": ["20180526", "20190701"],
        "calendar_dates_only": False,
        "frequencies_rows": 0,
        "transfers_rows": 8,
        "shapes_rows": 25074,
        "fare_files": ["fare_attributes.txt", "fare_rules.txt"],
        "bbox": [-122.46908, 37.50217, -121.78042, 38.01891],
        "files": [
            "agency.txt", "calendar.txt", "calendar_dates.txt", "fare_attributes.txt",
            "fare_rules.txt", "feed_info.txt", "frequencies.txt", "routes.txt", "shapes.txt",
            "stop_times.txt", "stops.txt", "transfers.txt", "trips.txt",
        ],
    },
    # gtfs-bay-area/SOURCE.md (caltrain.zip)
    "caltrain": {
        "path": ("gtfs-bay-area", "caltrain.zip"),
        "agencies": ["Caltrain"],
        "timezone": "America/Los_Angeles",
        "stops": 64,
        "stops_by_location_type": {"0": 64},
        "routes": 6,
        "routes_by_type": {"2": 5, "3": 1},
        "trips": 185,
        "service_ids": 27,
        "stop_times_rows": 2853,
        "service_date_range": ["20171002", "20191006"],
        "calendar_dates_only": False,
        "frequencies_rows": 0,
        "transfers_rows": 0,
        "shapes_rows": 3008,
        "fare_files": ["fare_attributes.txt", "fare_rules.txt"],
        "bbox": [-122.41208, 37.00348, -121.56609, 37.77639],
        "files": [
            "agency.txt", "calendar.txt", "calendar_attributes.txt", "calendar_dates.txt",
            "directions.txt", "fare_attributes.txt", "fare_rules.txt",
            "farezone_attributes.txt", "frequencies.txt", "realtime_routes.txt", "routes.txt",
            "shapes.txt", "stop_attributes.txt", "stop_times.txt", "stops.txt",
            "transfers.txt", "trips.txt",
        ],
    },
    # gtfs-portland-trimet/SOURCE.md
    "trimet": {
        "path": ("gtfs-portland-trimet", "trimet-2routes.zip"),
        "agencies": ["TriMet", "Portland Streetcar"],
        "timezone": "America/Los_Angeles",
        "stops": 103,
        "stops_by_location_type": {"0": 88, "1": 15},
        "routes": 2,
        "routes_by_type": {"0": 2},
        "trips": 2341,
        "service_ids": 18,
        "stop_times_rows": 43813,
        "service_date_range": ["20211017", "20220514"],
        "calendar_dates_only": False,
        "frequencies_rows": 0,
        "transfers_rows": 57,
        "shapes_rows": 18286,
        "fare_files": ["fare_attributes.txt", "fare_rules.txt"],
        "bbox": [-122.69869, 45.43572, -122.56358, 45.53348],
        "files": [
            "agency.txt", "calendar.txt", "calendar_dates.txt", "fare_attributes.txt",
            "fare_rules.txt", "feed_info.txt", "routes.txt", "shapes.txt", "stop_times.txt",
            "stops.txt", "transfers.txt", "trips.txt",
        ],
    },
    # gtfs-cairns/SOURCE.md
    "cairns": {
        "path": ("gtfs-cairns", "cairns_gtfs.zip"),
        "agencies": ["Department of Transport and Main Roads - TransLink Division (qconnect)"],
        "timezone": "Australia/Brisbane",
        "stops": 416,
        "stops_by_location_type": {"0": 416},
        "routes": 22,
        "routes_by_type": {"3": 22},
        "trips": 1339,
        "service_ids": 4,
        "stop_times_rows": 37790,
        "service_date_range": ["20140526", "20141228"],
        "calendar_dates_only": False,
        "frequencies_rows": 0,
        "shapes_rows": 22784,
        "fare_files": [],
        "bbox": [145.6629, -17.10406, 145.78647, -16.74347],
        "files": [
            "agency.txt", "calendar.txt", "calendar_dates.txt", "routes.txt", "shapes.txt",
            "stop_times.txt", "stops.txt", "trips.txt",
        ],
    },
    # gtfs-sao-paulo/SOURCE.md (no stops_by_location_type in the profile: no such column)
    "sao_paulo": {
        "path": ("gtfs-sao-paulo", "spo_gtfs.zip"),
        "agencies": ["SPTRANS"],
        "timezone": "America/Sao_Paulo",
        "stops": 654,
        "routes": 19,
        "routes_by_type": {"2": 7, "1": 6, "3": 6},
        "trips": 36,
        "service_ids": 2,
        "stop_times_rows": 860,
        "service_date_range": ["20080101", "20200501"],
        "calendar_dates_only": False,
        "frequencies_rows": 704,
        "shapes_rows": 12295,
        "fare_files": [],
        "bbox": [-46.98393, -23.74298, -46.18493, -23.19564],
        "files": [
            "agency.txt", "calendar.txt", "frequencies.txt", "routes.txt", "shapes.txt",
            "stop_times.txt", "stops.txt", "trips.txt",
        ],
    },
    # fares-v2-ctran/SOURCE.md (GTFS-Flex + Fares v2; locations.geojson is not a *.txt table)
    "ctran": {
        "path": ("fares-v2-ctran", "ctran-flex.zip"),
        "agencies": ["C-TRAN"],
        "timezone": "US/Pacific",
        "stops": 293,
        "routes": 6,
        "routes_by_type": {"3": 6},
        "trips": 1389,
        "service_ids": 18,
        "stop_times_rows": 2778,
        "service_date_range": ["20251001", "20451231"],
        "calendar_dates_only": False,
        "frequencies_rows": 0,
        "fare_files": [
            "fare_products.txt", "fare_leg_rules.txt", "fare_transfer_rules.txt",
            "rider_categories.txt", "fare_media.txt",
        ],
        "bbox": [-122.74937, 45.5683, -122.31217, 45.86309],
        "files": [
            "agency.txt", "booking_rules.txt", "calendar.txt", "calendar_dates.txt",
            "fare_leg_rules.txt", "fare_media.txt", "fare_products.txt",
            "fare_transfer_rules.txt", "feed_info.txt", "location_group_stops.txt",
            "location_groups.txt", "rider_categories.txt", "routes.txt", "stop_times.txt",
            "stops.txt", "trips.txt",
        ],
    },
}  # fmt: skip

SLOW = {"milan", "helsinki"}
_CACHE: dict[str, GtfsFeed] = {}


def load(name: str, dataset: Callable[..., Path]) -> GtfsFeed:
    """Load once per test session (the feeds are read-only)."""
    if name not in _CACHE:
        path = dataset(*PROFILES[name]["path"])
        if name == "ctran":
            # Real quirk: C-TRAN's stops.txt has spaces around stop_code/name/desc values.
            with pytest.warns(FeedWarning, match=r"stops.txt: stripped spaces around values"):
                _CACHE[name] = load_gtfs(path)
        else:
            _CACHE[name] = load_gtfs(path)
    return _CACHE[name]


def cases() -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in PROFILES
    ]


@pytest.mark.parametrize("name", cases())
def test_summary_matches_source_profile(name: str, dataset: Callable[..., Path]) -> None:
    feed = load(name, dataset)
    summary = feed.summary()
    profile = PROFILES[name]
    for key, expected in profile.items():
        if key in ("path", "bbox"):
            continue
        assert summary[key] == expected, key
    if "stops_by_location_type" not in profile:
        assert summary["stops_by_location_type"] == {"0": profile["stops"]}
    assert summary["bbox"] == pytest.approx(profile["bbox"], abs=1e-5)
    assert tuple(profile["files"]) == feed.files
    dates = feed.service_dates()
    assert dates, "no service dates"
    first, last = profile["service_date_range"]
    assert dates[0].strftime("%Y%m%d") >= first
    assert dates[-1].strftime("%Y%m%d") <= last


@pytest.mark.parametrize("name", cases())
def test_service_day_is_consistent(name: str, dataset: Callable[..., Path]) -> None:
    feed = load(name, dataset)
    dates = feed.service_dates()
    day = feed.service_day(dates[len(dates) // 2])
    check_service_day_invariants(day)
    if name == "ctran":  # GTFS-Flex only: no fixed timetable
        assert day.trips.empty and feed.summary()["flex_trips"] == 1389
    else:
        assert len(day.trips) > 0


def check_service_day_invariants(day: ServiceDay) -> None:
    trips, st = day.trips, day.stop_times
    assert trips["trip_key"].is_unique
    assert set(st["trip_key"]) == set(trips["trip_key"])
    assert st["trip_key"].is_monotonic_increasing
    assert (st["departure_s"] >= st["arrival_s"]).all()
    same_trip = st["trip_key"].to_numpy()[1:] == st["trip_key"].to_numpy()[:-1]
    seq = st["stop_sequence"].to_numpy()
    assert (seq[1:][same_trip] > seq[:-1][same_trip]).all()
    assert (
        st["arrival_s"].to_numpy()[1:][same_trip] >= st["departure_s"].to_numpy()[:-1][same_trip]
    ).all()
    assert set(st["stop_id"]) <= set(day.stops["stop_id"])
    assert set(trips["route_id"]) <= set(day.routes["route_id"])
    previous = trips["day_offset"] == -1
    assert trips.loc[previous, "trip_key"].str.endswith("@-1").all()
    assert not trips.loc[~previous, "trip_key"].str.endswith("@-1").any()
    assert set(trips["day_offset"].unique()) <= {0, -1}


def hms(values: pd.Series) -> np.ndarray:
    parts = values.str.split(":", expand=True).astype(int)
    return (parts[0] * 3600 + parts[1] * 60 + parts[2]).to_numpy()


@pytest.mark.slow
def test_helsinki_frequencies_expand(dataset: Callable[..., Path]) -> None:
    feed = load("helsinki", dataset)
    day = feed.service_day(dt.date(2022, 2, 22))
    freq = feed.tables["frequencies"]
    span = hms(freq["end_time"]) - hms(freq["start_time"])
    headway = freq["headway_secs"].astype(int).to_numpy()
    expected_runs = int(sum(math.ceil(s / h) for s, h in zip(span, headway, strict=True)))
    templates = set(freq["trip_id"])
    today = day.trips[day.trips["day_offset"] == 0]
    runs = today[today["trip_id"].isin(templates)]
    assert len(runs) == expected_runs
    assert runs["trip_key"].str.contains("#").all()
    assert not set(today["trip_key"]) & templates  # templates are not kept as themselves
    plain = set(feed.tables["trips"]["trip_id"]) - templates
    assert set(today.loc[~today["trip_id"].isin(templates), "trip_key"]) == plain
    # Each run copies its template's offsets from the first departure.
    template_id = freq["trip_id"].iloc[0]
    tst = feed.tables["stop_times"]
    tst = tst[tst["trip_id"] == template_id]
    tst = tst.iloc[np.argsort(tst["stop_sequence"].astype(int).to_numpy())]
    offsets = hms(tst["arrival_time"]) - hms(tst["departure_time"]).min()
    st = day.stop_times[day.stop_times["trip_key"] == f"{template_id}#0"]
    first_start = hms(freq.loc[freq["trip_id"] == template_id, "start_time"]).min()
    assert (st["arrival_s"].to_numpy() == first_start + offsets).all()


@pytest.mark.slow
def test_milan_service_day(dataset: Callable[..., Path]) -> None:
    feed = load("milan", dataset)
    date = dt.date(2014, 10, 20)
    day = feed.service_day(date)
    cd = feed.tables["calendar_dates"]
    active = set(cd.loc[(cd["date"] == "20141020") & (cd["exception_type"] == "1"), "service_id"])
    assert feed.service_ids_on(date) == active
    trips = feed.tables["trips"]
    expected = set(trips.loc[trips["service_id"].isin(active), "trip_id"])
    assert set(day.trips.loc[day.trips["day_offset"] == 0, "trip_key"]) == expected
    st = feed.tables["stop_times"]
    n_rows = int(st["trip_id"].isin(expected).sum())
    assert int((day.stop_times["trip_key"].isin(expected)).sum()) == n_rows
    check_service_day_invariants(day)


def test_cairns_after_midnight_and_interpolation(dataset: Callable[..., Path]) -> None:
    feed = load("cairns", dataset)
    date = dt.date(2014, 6, 3)  # a Tuesday; Monday's late trips run past 24:00
    day = feed.service_day(date)
    st = feed.tables["stop_times"]
    timed = st[st["arrival_time"] != ""]
    last = pd.Series(hms(timed["arrival_time"]), index=timed.index).groupby(timed["trip_id"]).max()
    trips = feed.tables["trips"]
    monday = feed.service_ids_on(date - dt.timedelta(days=1))
    monday_trips = set(trips.loc[trips["service_id"].isin(monday), "trip_id"])
    late = {t for t in monday_trips if last[t] >= 86400}
    assert late, "expected Monday trips running past midnight"
    prev = day.trips[day.trips["day_offset"] == -1]
    assert set(prev["trip_id"]) == late
    assert set(prev["trip_key"]) == {f"{t}@-1" for t in late}
    # Shifted by a whole day, kept whole: times are the feed's minus 86400 s.
    one = sorted(late)[0]
    rows = timed[timed["trip_id"] == one]
    rows = rows.iloc[np.argsort(rows["stop_sequence"].astype(int).to_numpy())]
    shifted = day.stop_times[day.stop_times["trip_key"] == f"{one}@-1"]
    shifted = shifted[shifted["stop_sequence"].isin(rows["stop_sequence"].astype(int))]
    assert (shifted["arrival_s"].to_numpy() == hms(rows["arrival_time"]) - 86400).all()
    # The 65 rows without times (Cairns quirk) are interpolated and marked timepoint 0.
    blank = st.loc[st["arrival_time"] == "", ["trip_id", "stop_sequence"]]
    assert len(blank) == 65
    keyed = day.stop_times.set_index(["trip_key", "stop_sequence"])
    hits = 0
    for trip_id, seq in blank.itertuples(index=False):
        if (trip_id, int(seq)) in keyed.index:
            assert keyed.loc[(trip_id, int(seq)), "timepoint"] == 0
            hits += 1
    assert hits > 0
    check_service_day_invariants(day)


def test_fares_v2_tables_are_kept(dataset: Callable[..., Path]) -> None:
    feed = load("ctran", dataset)
    # Row counts from fares-v2-ctran/SOURCE.md.
    assert len(feed.tables["fare_products"]) == 14
    assert len(feed.tables["fare_leg_rules"]) == 3
    assert len(feed.tables["fare_transfer_rules"]) == 1
    assert len(feed.tables["fare_media"]) == 5
    assert len(feed.tables["rider_categories"]) == 3
    assert len(feed.tables["booking_rules"]) == 128
    assert feed.tables["fare_products"]["amount"].iloc[0] == "1.25"


def test_trimet_parent_stations_and_transfers(dataset: Callable[..., Path]) -> None:
    feed = load("trimet", dataset)
    day = feed.service_day(dt.date(2021, 11, 2))
    stations = day.stops[day.stops["location_type"] == 1]
    assert len(stations) == 15
    children = day.stops[day.stops["parent_station"] != ""]
    assert set(children["parent_station"]) <= set(stations["stop_id"])
    assert len(day.transfers) == 57
    assert (day.transfers["min_transfer_time"] >= -1).all()


def test_bart_to_gtfs_kit(dataset: Callable[..., Path]) -> None:
    gk_feed = load("bart", dataset).to_gtfs_kit()
    assert len(gk_feed.stop_times) == 33167
    assert len(gk_feed.fare_rules) == 2304
    assert gk_feed.dist_units in ("km", "m", "mi", "ft")
