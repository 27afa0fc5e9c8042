"""Plan notices about the timetable: a feed of a merged network that runs no trip on the
network's service day names that feed's service period."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from maasmix.engine.network import Network
from maasmix.errors import FeedWarning, NoServiceError
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, lon_at, write_street

AT = dt.datetime.combine(DATE, dt.time(7, 58))  # DATE: Tuesday 2024-03-05


def _feed(folder: Path, route: str, start: str, end: str) -> Path:
    """A GTFS folder: one bus P (node 5) -> Q (node 25) at 08:00, every day from
    ``start`` to ``end`` (YYYYMMDD)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\n"
        "A,Synthetic Transit,https://example.org,Europe/Rome\n",
        "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\n"
        f"P,Stop P,{LAT},{lon_at(5):.7f}\nQ,Stop Q,{LAT},{lon_at(25):.7f}\n",
        "routes.txt": "route_id,agency_id,route_short_name,route_long_name,route_type\n"
        f"{route},A,{route},Bus {route},3\n",
        "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
        f"start_date,end_date\nS,1,1,1,1,1,1,1,{start},{end}\n",
        "trips.txt": f"route_id,service_id,trip_id\n{route},S,{route}1\n",
        "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
        f"{route}1,08:00:00,08:00:00,P,1\n{route}1,08:06:00,08:06:00,Q,2\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _net(tmp_path: Path, *feeds: Path) -> Network:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        return Network.from_files(
            gtfs=list(feeds),
            osm=write_street(tmp_path / "street.osm"),
            date="20240305",
            cache_dir=tmp_path / "cache",
        )


def test_a_feed_without_trips_on_the_day_names_its_service_period(tmp_path: Path) -> None:
    now = _feed(tmp_path / "city", "B", "20240101", "20241231")
    old = _feed(tmp_path / "regional", "R", "20230101", "20230630")
    net = _net(tmp_path, now, old)
    plan = net.plan((LAT, lon_at(4)), (LAT, lon_at(26)), AT, modes="WALK,TRANSIT")
    notice = (
        "GTFS regional: no trip runs on the service day 2024-03-05 "
        "(its service period is 2023-01-01 to 2023-06-30)"
    )
    assert notice in plan.notices
    assert not any(n.startswith("GTFS city:") for n in plan.notices)
    assert [leg.route_id for j in plan.itineraries for leg in j.legs if leg.is_transit] == [
        "city:B"
    ]
    # walking only: nothing about transit
    walk = net.plan((LAT, lon_at(4)), (LAT, lon_at(26)), AT, modes="WALK")
    assert notice not in walk.notices


def test_feeds_all_running_add_no_notice(tmp_path: Path) -> None:
    both = _net(
        tmp_path,
        _feed(tmp_path / "city", "B", "20240101", "20241231"),
        _feed(tmp_path / "regional", "R", "20240301", "20240331"),
    )
    plan = both.plan((LAT, lon_at(4)), (LAT, lon_at(26)), AT, modes="WALK,TRANSIT")
    assert not any(n.startswith("GTFS ") for n in plan.notices)
    assert [f.trips for f in both.compiled.feed_periods] == [1, 1]


def test_no_feed_running_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(NoServiceError):
        _net(tmp_path, _feed(tmp_path / "old", "R", "20230101", "20230630"))
