"""GTFS loader on the tiny hand-written feed in gtfs_fixtures/tiny: exact expected answers."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maasmix.feeds import FeedFormatError, FeedIntegrityError, FeedMissingError, FeedWarning
from maasmix.feeds.gtfs import GtfsFeed, load_gtfs
from maasmix.feeds.gtfs.service_day import ServiceDay

TINY = Path(__file__).parent / "gtfs_fixtures" / "tiny"
THURSDAY = dt.date(2024, 1, 4)


def hms(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def zip_folder(folder: Path, target: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return target


@pytest.fixture()
def tiny() -> GtfsFeed:
    return load_gtfs(TINY)


@pytest.fixture()
def tiny_copy(tmp_path: Path) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


def assert_service_days_equal(a: ServiceDay, b: ServiceDay) -> None:
    assert a.date == b.date
    assert a.timezone == b.timezone
    for name in ("stops", "routes", "trips", "stop_times", "transfers"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_basic_attributes(tiny: GtfsFeed) -> None:
    assert tiny.timezone == "Europe/Helsinki"
    assert tiny.source == str(TINY)
    assert "stop_times.txt" in tiny.files
    assert "fare_attributes.txt" in tiny.files
    assert set(tiny.tables) >= {"agency", "stops", "transfers", "fare_attributes"}
    # tables are kept as strings, blanks as "".
    assert tiny.tables["fare_attributes"]["price"].tolist() == ["2.50"]
    assert tiny.tables["stops"]["parent_station"].tolist() == ["", "ST1", "", "", ""]
    assert tiny.line_numbers("stops").tolist() == [2, 3, 4, 5, 6]


def test_service_selection(tiny: GtfsFeed) -> None:
    assert tiny.service_ids_on("20240103") == {"WK"}
    assert tiny.service_ids_on(dt.date(2024, 1, 2)) == set()  # removed by calendar_dates
    assert tiny.service_ids_on("2024-01-06") == {"EXTRA"}  # Saturday, added
    assert tiny.service_ids_on("20240107") == set()
    dates = tiny.service_dates()
    assert dates[0] == dt.date(2024, 1, 1)
    assert dt.date(2024, 1, 2) not in dates
    assert dt.date(2024, 1, 6) in dates
    assert dates[-1] == dt.date(2024, 1, 31)
    assert len(dates) == 23 - 1 + 1  # 23 weekdays, one removed, one Saturday added


def test_service_day_tables_and_dtypes(tiny: GtfsFeed) -> None:
    day = tiny.service_day(THURSDAY)
    assert day.date == THURSDAY
    assert day.timezone == "Europe/Helsinki"
    assert day.trips["trip_key"].tolist() == [
        "F1#0",
        "F1#1",
        "F1#2",
        "F1#3",
        "F1#4",
        "T1",
        "T2",
        "T3",
        "T3@-1",
    ]
    assert day.trips.dtypes.to_dict() == {
        "trip_key": object,
        "trip_id": object,
        "route_id": object,
        "service_id": object,
        "headsign": object,
        "shape_id": object,
        "direction_id": np.int8,
        "day_offset": np.int8,
        "bikes_allowed": np.int8,
    }
    assert day.stop_times.dtypes.to_dict() == {
        "trip_key": object,
        "stop_sequence": np.int32,
        "stop_id": object,
        "arrival_s": np.int32,
        "departure_s": np.int32,
        "pickup_type": np.int8,
        "drop_off_type": np.int8,
        "timepoint": np.int8,
    }
    assert day.stops.dtypes.to_dict() == {
        "stop_id": object,
        "stop_name": object,
        "stop_lat": np.float64,
        "stop_lon": np.float64,
        "location_type": np.int8,
        "parent_station": object,
        "zone_id": object,
    }
    assert day.routes.dtypes.to_dict() == {
        "route_id": object,
        "agency_id": object,
        "route_short_name": object,
        "route_long_name": object,
        "route_type": np.int16,
        "bikes_allowed": np.int8,
    }
    assert day.transfers.to_dict("list") == {
        "from_stop_id": ["S2", "S1"],
        "to_stop_id": ["S3", "S1"],
        "transfer_type": [2, 1],
        "min_transfer_time": [120, -1],
    }
    assert day.transfers["min_transfer_time"].dtype == np.int32
    assert day.stops["location_type"].tolist() == [1, 0, 0, 0, 0]
    assert day.stops["parent_station"].tolist() == ["", "ST1", "", "", ""]
    # sorted by trip_key then stop_sequence
    keys = day.stop_times[["trip_key", "stop_sequence"]].apply(tuple, axis=1).tolist()
    assert keys == sorted(keys)
    trips = day.trips.set_index("trip_key")
    assert trips.loc["T3", "direction_id"] == -1
    assert trips.loc["T3@-1", "day_offset"] == -1
    assert trips.loc["T1", "shape_id"] == "SH1"
    assert trips.loc["T2", "shape_id"] == ""


def times(day: ServiceDay, key: str) -> list[tuple[int, int]]:
    rows = day.stop_times[day.stop_times["trip_key"] == key]
    return list(zip(rows["arrival_s"].tolist(), rows["departure_s"].tolist(), strict=True))


def test_frequencies_expand_and_template_is_not_kept(tiny: GtfsFeed) -> None:
    day = tiny.service_day(THURSDAY)
    assert "F1" not in set(day.trips["trip_key"])
    # rows sorted by start_time: 07:00-08:00 every 20 min (3 runs), 08:00-08:20 every
    # 15 min (2 runs: 08:00, 08:15; 08:30 is not < 08:20).
    starts = ["07:00:00", "07:20:00", "07:40:00", "08:00:00", "08:15:00"]
    for k, start in enumerate(starts):
        s = hms(start)
        # template offsets: 0, +5 min arrival / +6 min departure, +12 min
        assert times(day, f"F1#{k}") == [(s, s), (s + 300, s + 360), (s + 720, s + 720)]
    assert set(day.trips.loc[day.trips["trip_id"] == "F1", "day_offset"]) == {0}


def test_interpolation_by_crow_fly_and_by_shape_distance(tiny: GtfsFeed) -> None:
    day = tiny.service_day(THURSDAY)
    # T1: S1 08:00 .. S4 08:08, stops at lon 24.00, 24.01, 24.03, 24.04 on one parallel:
    # S2 a quarter of the way, S3 three quarters.
    t1 = times(day, "T1")
    assert [a for a, _ in t1] == [
        hms("08:00:00"),
        hms("08:02:00"),
        hms("08:06:00"),
        hms("08:08:00"),
    ]
    # T2 has shape_dist_traveled 0, 100, 400, 1000 over 09:00..09:10; departure on the
    # last stop is copied from its arrival.
    t2 = times(day, "T2")
    assert t2 == [
        (hms("09:00:00"), hms("09:00:00")),
        (hms("09:01:00"), hms("09:01:00")),
        (hms("09:04:00"), hms("09:04:00")),
        (hms("09:10:00"), hms("09:10:00")),
    ]
    st = day.stop_times.set_index(["trip_key", "stop_sequence"])
    assert st.loc[("T1", 2), "timepoint"] == 0
    assert st.loc[("T1", 1), "timepoint"] == 1
    assert st.loc[("T1", 4), "drop_off_type"] == 1


def test_previous_day_trips_after_midnight(tiny: GtfsFeed) -> None:
    day = tiny.service_day(THURSDAY)
    assert times(day, "T3") == [(hms("23:50:00"),) * 2, (hms("24:20:00"),) * 2]
    # Wednesday's T3 ends at 24:20:00 -> 00:20:00 today, kept whole (starts at -600 s).
    assert times(day, "T3@-1") == [(-600, -600), (1200, 1200)]
    # Only runs that reach midnight come from the previous day.
    assert set(day.trips.loc[day.trips["day_offset"] == -1, "trip_id"]) == {"T3"}
    # Wednesday after a removed Tuesday: no previous-day runs at all.
    wednesday = tiny.service_day("20240103")
    assert (wednesday.trips["day_offset"] == 0).all()
    # Sunday: nothing today, and Saturday's EXTRA trip T4 ends at 10:05 -> nothing.
    sunday = tiny.service_day("20240107")
    assert sunday.trips.empty and sunday.stop_times.empty
    assert sunday.stop_times.dtypes["arrival_s"] == np.int32


def test_summary(tiny: GtfsFeed) -> None:
    summary = tiny.summary()
    assert summary["agencies"] == ["Tiny Transit"]
    assert summary["stops"] == 5
    assert summary["stops_by_location_type"] == {"0": 4, "1": 1}
    assert summary["routes_by_type"] == {"0": 1, "3": 1}
    assert summary["trips"] == 5
    assert summary["service_ids"] == 2
    assert summary["stop_times_rows"] == 15
    assert summary["frequencies_rows"] == 2
    assert summary["service_date_range"] == ["20240101", "20240131"]
    assert summary["calendar_dates_only"] is False
    assert summary["fare_files"] == ["fare_attributes.txt"]
    assert summary["bbox"] == [24.0, 60.0, 24.04, 60.0]
    import json

    json.dumps(summary)


def test_calendar_dates_only_with_empty_calendar(tiny_copy: Path) -> None:
    (tiny_copy / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
    )
    (tiny_copy / "calendar_dates.txt").write_text(
        "service_id,date,exception_type\nWK,20240104,1\nEXTRA,20240106,1\n"
    )
    feed = load_gtfs(tiny_copy)
    assert feed.service_dates() == [dt.date(2024, 1, 4), dt.date(2024, 1, 6)]
    assert feed.summary()["calendar_dates_only"] is True
    assert len(feed.service_day(THURSDAY).trips) == 8  # no previous-day runs


def test_zip_equals_folder(tiny: GtfsFeed, tmp_path: Path) -> None:
    zipped = load_gtfs(zip_folder(TINY, tmp_path / "tiny.zip"))
    assert_service_days_equal(zipped.service_day(THURSDAY), tiny.service_day(THURSDAY))
    assert zipped.files == tiny.files


def test_zip_with_extra_top_folder(tiny: GtfsFeed, tmp_path: Path) -> None:
    path = zip_folder(TINY, tmp_path / "nested.zip", prefix="gtfs/")
    with pytest.warns(FeedWarning, match="inside the folder 'gtfs/'"):
        nested = load_gtfs(path)
    assert_service_days_equal(nested.service_day(THURSDAY), tiny.service_day(THURSDAY))


def test_quirks_bom_crlf_spaces_trailing_columns(tiny: GtfsFeed, tiny_copy: Path) -> None:
    stops = (TINY / "stops.txt").read_text().splitlines()
    header = ", ".join(stops[0].split(",")) + ",,"
    rows = [" " + row.replace(",", " , ") + ",," for row in stops[1:]]
    quirky = "\ufeff" + "\r\n".join([header, *rows]) + "\r\n"
    (tiny_copy / "stops.txt").write_bytes(quirky.encode("utf-8"))
    stop_times = (TINY / "stop_times.txt").read_text()
    (tiny_copy / "stop_times.txt").write_bytes(b"\xef\xbb\xbf" + stop_times.encode())
    with pytest.warns(FeedWarning) as record:
        repaired = load_gtfs(tiny_copy)
    messages = " | ".join(str(w.message) for w in record)
    assert "stops.txt: removed a UTF-8 byte order mark" in messages
    assert "stop_times.txt: removed a UTF-8 byte order mark" in messages
    assert "stripped spaces around header names" in messages
    assert "stripped spaces around values" in messages
    assert "dropped 2 trailing column(s) with no header name" in messages
    assert_service_days_equal(repaired.service_day(THURSDAY), tiny.service_day(THURSDAY))
    pd.testing.assert_frame_equal(repaired.tables["stops"], tiny.tables["stops"])


def test_crlf_alone_is_read_silently_and_mixed_line_ends_warn(
    tiny: GtfsFeed, tiny_copy: Path
) -> None:
    text = (TINY / "stop_times.txt").read_text()
    (tiny_copy / "stop_times.txt").write_bytes(text.replace("\n", "\r\n").encode())
    crlf = load_gtfs(tiny_copy)  # warnings are errors: CRLF is valid CSV
    assert_service_days_equal(crlf.service_day(THURSDAY), tiny.service_day(THURSDAY))
    lines = text.splitlines()
    mixed = "\r\n".join(lines[:5]) + "\n" + "\n".join(lines[5:]) + "\n"
    (tiny_copy / "stop_times.txt").write_bytes(mixed.encode())
    with pytest.warns(FeedWarning, match="mixed line ends"):
        repaired = load_gtfs(tiny_copy)
    assert_service_days_equal(repaired.service_day(THURSDAY), tiny.service_day(THURSDAY))


def test_extra_empty_fields_on_rows_are_dropped(tiny: GtfsFeed, tiny_copy: Path) -> None:
    lines = (TINY / "trips.txt").read_text().splitlines()
    (tiny_copy / "trips.txt").write_text("\n".join([lines[0]] + [r + ",," for r in lines[1:]]))
    with pytest.warns(FeedWarning, match="dropped empty extra fields at the end of 5 row"):
        repaired = load_gtfs(tiny_copy)
    assert_service_days_equal(repaired.service_day(THURSDAY), tiny.service_day(THURSDAY))


def test_line_numbers_count_quoted_newlines_and_blank_lines(tiny_copy: Path) -> None:
    (tiny_copy / "routes.txt").write_text(
        "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        'R1,A,1,"Bus\none",3\n'
        "\n"
        "R2,A,2,Tram two,tram\n"
    )
    with pytest.raises(FeedFormatError) as info:
        load_gtfs(tiny_copy)
    assert (info.value.file, info.value.row, info.value.field) == ("routes.txt", 5, "route_type")


def test_orphan_parent_station_is_cleared_with_warning(tiny_copy: Path) -> None:
    text = (TINY / "stops.txt").read_text().replace("0,ST1,A", "0,NOPE,A")
    (tiny_copy / "stops.txt").write_text(text)
    with pytest.warns(FeedWarning, match="parent_station .*'NOPE' on line 3.*cleared"):
        feed = load_gtfs(tiny_copy)
    assert feed.service_day(THURSDAY).stops["parent_station"].tolist() == [""] * 5


def test_flex_rows_are_kept_out_of_the_service_day(tiny_copy: Path) -> None:
    (tiny_copy / "trips.txt").write_text((TINY / "trips.txt").read_text() + "R1,WK,FLEX,Zone,0,\n")
    st = (TINY / "stop_times.txt").read_text().splitlines()
    st[0] += ",location_group_id,start_pickup_drop_off_window,end_pickup_drop_off_window"
    st[1:] = [row + ",,," for row in st[1:]]
    st += ["FLEX,,,,1,2,1,,,LG1,08:00:00,18:00:00", "FLEX,,,,2,1,2,,,LG1,08:00:00,18:00:00"]
    (tiny_copy / "stop_times.txt").write_text("\n".join(st) + "\n")
    feed = load_gtfs(tiny_copy)
    assert feed.summary()["flex_trips"] == 1
    assert "FLEX" not in set(feed.service_day(THURSDAY).trips["trip_id"])


def test_url_loading_over_local_http(tiny: GtfsFeed, tmp_path: Path) -> None:
    zip_folder(TINY, tmp_path / "tiny.zip")
    handler = partial(QuietHandler, directory=str(tmp_path))
    with serve(handler) as base:
        feed = load_gtfs(f"{base}/tiny.zip")
        assert feed.source == f"{base}/tiny.zip"
        assert_service_days_equal(feed.service_day(THURSDAY), tiny.service_day(THURSDAY))
        with pytest.raises(FeedMissingError) as info:
            load_gtfs(f"{base}/absent.zip")
        assert "404" in str(info.value)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class serve:
    """Serve a handler on 127.0.0.1 in a thread: ``with serve(h) as base_url: ...``."""

    def __init__(self, handler: object) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_to_gtfs_kit(tiny: GtfsFeed) -> None:
    gk_feed = tiny.to_gtfs_kit()
    assert len(gk_feed.stops) == 5
    assert gk_feed.stop_times["stop_sequence"].dtype == "Int32"
    assert gk_feed.stops["stop_lat"].dtype == np.float64
    assert gk_feed.stop_times["arrival_time"].isna().sum() == 4
    assert gk_feed.fare_attributes["price"].tolist() == [2.5]
    assert gk_feed.frequencies["headway_secs"].tolist() == [900, 1200]


def test_date_argument_validation(tiny: GtfsFeed) -> None:
    with pytest.raises(ValueError, match="not a date"):
        tiny.service_day("2024-13-45")


def test_non_utf8_and_old_mac_line_ends_are_repaired(tiny: GtfsFeed, tiny_copy: Path) -> None:
    text = (TINY / "stops.txt").read_text().replace("Second", "Sécond")
    (tiny_copy / "stops.txt").write_bytes(text.replace("\n", "\r").encode("cp1252"))
    with pytest.warns(FeedWarning) as record:
        feed = load_gtfs(tiny_copy)
    messages = " | ".join(str(w.message) for w in record)
    assert "stops.txt: not valid UTF-8 (first bad byte on line 4); decoded as cp1252" in messages
    assert "stops.txt: converted old-Mac CR line ends to LF" in messages
    assert feed.tables["stops"]["stop_name"].tolist()[2] == "Sécond"
    repaired, clean = feed.service_day(THURSDAY), tiny.service_day(THURSDAY)
    pd.testing.assert_frame_equal(repaired.stop_times, clean.stop_times)
    pd.testing.assert_frame_equal(
        repaired.stops.drop(columns="stop_name"), clean.stops.drop(columns="stop_name")
    )


def test_unterminated_quote_names_its_line(tiny_copy: Path) -> None:
    (tiny_copy / "routes.txt").write_text(
        "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        'R1,A,1,"Bus\none",3\n'
        'R2,A,2,"Tram two,0\n'
    )
    with pytest.raises(FeedFormatError) as info:
        load_gtfs(tiny_copy)
    assert (info.value.file, info.value.row) == ("routes.txt", 4)


def test_empty_optional_file_is_an_empty_table(tiny: GtfsFeed, tiny_copy: Path) -> None:
    (tiny_copy / "transfers.txt").write_bytes(b"")
    (tiny_copy / "frequencies.txt").write_text("trip_id,start_time,end_time,headway_secs\n")
    feed = load_gtfs(tiny_copy)
    assert feed.tables["transfers"].empty
    day = feed.service_day(THURSDAY)
    assert day.transfers.empty and day.transfers["min_transfer_time"].dtype == np.int32
    assert "F1" in set(day.trips["trip_key"])  # no frequencies rows: an ordinary trip


def test_time_parsing_accepts_gtfs_times_and_names_bad_ones() -> None:
    from maasmix.feeds.gtfs._parse import parse_time

    good = pd.Series(["5:00:00", "08:01:02", "24:00:00", "123:59:59", "", "00:00:00"])
    seconds, present = parse_time(good, np.arange(2, 8), "stop_times.txt", "arrival_time")
    assert seconds.tolist() == [18000, 28862, 86400, 446399, 0, 0]
    assert present.tolist() == [True, True, True, True, False, True]
    assert seconds.dtype == np.int32
    bad_values = ["25:7x:00", "08:60:00", "08:00:60", "8:00", "1234:00:00", "08-00-00", "é8:00:00"]
    for bad in bad_values:
        with pytest.raises(FeedFormatError) as info:
            parse_time(pd.Series(["08:00:00", bad]), np.array([2, 3]), "f.txt", "t")
        assert (info.value.file, info.value.row, info.value.field) == ("f.txt", 3, "t")


def test_zip_bytes_source(tiny: GtfsFeed, tmp_path: Path) -> None:
    data = zip_folder(TINY, tmp_path / "tiny.zip").read_bytes()
    feed = load_gtfs(data)
    assert feed.source.startswith("<")
    assert_service_days_equal(feed.service_day(THURSDAY), tiny.service_day(THURSDAY))


def test_agencies_must_share_a_timezone(tiny_copy: Path) -> None:
    (tiny_copy / "agency.txt").write_text(
        (TINY / "agency.txt").read_text() + "B,Other,https://example.com,Europe/Rome\n"
    )
    with pytest.raises(FeedIntegrityError) as info:
        load_gtfs(tiny_copy)
    assert (info.value.file, info.value.row, info.value.field) == (
        "agency.txt",
        3,
        "agency_timezone",
    )


def test_unknown_timezone(tiny_copy: Path) -> None:
    (tiny_copy / "agency.txt").write_text(
        (TINY / "agency.txt").read_text().replace("Europe/Helsinki", "Europe/Atlantis")
    )
    with pytest.raises(FeedFormatError) as info:
        load_gtfs(tiny_copy)
    assert (info.value.row, info.value.field) == (2, "agency_timezone")
