"""GTFS-Realtime reading: protobuf and JSON into tables; bounds, corrupt and stale input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from google.protobuf import json_format

from maasmix.errors import FeedFormatError, FeedMissingError
from maasmix.feeds.gtfs_rt import read_gtfs_rt
from tests.feeds.rt_builders import Al, Stu, Tu, encode, message

NOW = 1_700_000_000

UPDATES = [
    Tu(
        "t1",
        [
            Stu(seq=2, arr_delay=120),
            Stu(stop_id="S5", arr_time=NOW + 60, dep_time=NOW + 90),
            Stu(seq=7, rel="SKIPPED"),
            Stu(seq=9, rel="NO_DATA"),
        ],
        start_date="20231114",
    ),
    Tu("t2", rel="CANCELED"),
    Tu("t3", start_time="25:10:00", delay=300),
]
ALERTS = [
    Al(
        "a1",
        routes=["R1"],
        stops=["S9"],
        header={"fi": "Raitiotie suljettu", "en": "Tramway closed"},
        periods=[(NOW - 10, NOW + 3600)],
    )
]
VEHICLES = [("t1", 60.17, 24.94, "MANY_SEATS_AVAILABLE")]


def test_trip_updates_alerts_vehicles_as_tables() -> None:
    feed = read_gtfs_rt(encode(UPDATES, ALERTS, VEHICLES, timestamp=NOW), now=NOW + 5)
    assert feed.timestamp == NOW and feed.incrementality == "FULL_DATASET"
    assert feed.notices == ()
    tu = feed.trip_updates
    assert tu["trip_id"].tolist() == ["t1", "t2", "t3"]
    assert tu["schedule_relationship"].tolist() == ["SCHEDULED", "CANCELED", "SCHEDULED"]
    assert tu["start_date"].tolist() == ["20231114", "", ""]
    assert tu["start_time"].tolist() == ["", "", "25:10:00"]
    assert tu["start_time_s"].isna().tolist() == [True, True, False]
    assert tu["start_time_s"][2] == 25 * 3600 + 600
    assert tu["delay"].isna().tolist() == [True, True, False] and tu["delay"][2] == 300
    stu = feed.stop_time_updates
    assert stu["update"].tolist() == [0, 0, 0, 0]
    assert stu["stop_sequence"].tolist()[0] == 2 and stu["stop_sequence"].isna()[1]
    assert stu["stop_id"].tolist() == ["", "S5", "", ""]
    assert stu["arrival_delay"][0] == 120 and stu["departure_delay"].isna()[0]
    assert stu["arrival_time"][1] == NOW + 60 and stu["departure_time"][1] == NOW + 90
    assert stu["schedule_relationship"].tolist() == ["SCHEDULED", "SCHEDULED", "SKIPPED", "NO_DATA"]
    (alert,) = feed.alerts
    assert alert.effect == "REDUCED_SERVICE" and alert.cause == "CONSTRUCTION"
    assert [e.route_id for e in alert.informed_entities] == ["R1", ""]
    assert [e.stop_id for e in alert.informed_entities] == ["", "S9"]
    assert alert.text("fi-FI") == "Raitiotie suljettu"
    assert alert.text("sv") == "Tramway closed"  # falls back to English
    assert alert.is_active(NOW) and not alert.is_active(NOW + 7200)
    v = feed.vehicles
    assert v["trip_id"].tolist() == ["t1"] and v["occupancy_status"].tolist() == [
        "MANY_SEATS_AVAILABLE"
    ]
    assert v["lat"][0] == pytest.approx(60.17) and np.isnan(v["bearing"][0])


def test_json_form_reads_like_protobuf(tmp_path: Path) -> None:
    msg = message(UPDATES, ALERTS, VEHICLES, timestamp=NOW)
    binary = read_gtfs_rt(msg.SerializeToString(), now=NOW)
    for camel in (True, False):
        text = json_format.MessageToJson(msg, preserving_proto_field_name=not camel)
        assert ("stopTimeUpdate" in text) is camel
        path = tmp_path / f"feed{camel}.json"
        path.write_text(text)
        feed = read_gtfs_rt(path, now=NOW)
        assert feed.source == str(path)
        for a, b in (
            (feed.trip_updates, binary.trip_updates),
            (feed.stop_time_updates, binary.stop_time_updates),
            (feed.vehicles, binary.vehicles),
        ):
            assert a.equals(b)
        assert feed.alerts == binary.alerts


def test_truncated_and_corrupt_messages_are_clear_errors(tmp_path: Path) -> None:
    data = encode(UPDATES, ALERTS, timestamp=NOW)
    with pytest.raises(FeedFormatError, match="corrupt or truncated"):
        read_gtfs_rt(data[:-3])
    with pytest.raises(FeedFormatError, match="corrupt or truncated"):
        read_gtfs_rt(b"\x0a\xff\xff\xff\xff\x0f garbage")
    with pytest.raises(FeedFormatError, match="JSON"):
        read_gtfs_rt(b'{"header": {"gtfsRealtimeVersion": "2.0"}, "entity": [')
    with pytest.raises(FeedFormatError, match="required fields"):
        read_gtfs_rt(b"")  # no header
    (tmp_path / "feed.pb").write_bytes(data[: len(data) // 2])
    with pytest.raises(FeedFormatError) as info:
        read_gtfs_rt(tmp_path / "feed.pb")
    assert info.value.file == str(tmp_path / "feed.pb")
    with pytest.raises(FeedMissingError):
        read_gtfs_rt(tmp_path / "absent.pb")


def test_bounds_on_size_and_entities() -> None:
    many = [Tu(f"t{i}") for i in range(50)]
    data = encode(many, timestamp=NOW)
    assert len(read_gtfs_rt(data, now=NOW).trip_updates) == 50
    with pytest.raises(FeedFormatError, match="50 entities exceed the limit of 49"):
        read_gtfs_rt(data, max_entities=49)
    with pytest.raises(FeedFormatError, match="exceeds the limit of 100"):
        read_gtfs_rt(data, max_bytes=100)


def test_stale_and_future_feeds_are_notices() -> None:
    data = encode(UPDATES, timestamp=NOW)
    assert read_gtfs_rt(data, now=NOW + 600).notices == ()
    (stale,) = read_gtfs_rt(data, now=NOW + 3 * 3600).notices
    assert stale == "stale feed: the header timestamp is 10,800 s old (more than 900 s)"
    (ahead,) = read_gtfs_rt(data, now=NOW - 3600).notices
    assert "3,600 s in the future" in ahead
    assert read_gtfs_rt(data, now=NOW + 3600, max_age_s=7200).notices == ()
