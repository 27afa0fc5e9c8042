"""Live GBFS: refresh honouring ttl without recompiling, and real-feed quirks planning meets."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
from pathlib import Path

import pytest

from maasmix.errors import FeedWarning
from maasmix.feeds.gbfs import load_gbfs
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, band, lon_at, network, write_gbfs

AT = dt.datetime.combine(DATE, dt.time(8, 0))
ORIGIN, DEST = (LAT, lon_at(0)), (LAT, lon_at(30))


def _station_status(folder: Path, bikes: dict[str, int]) -> None:
    path = folder / "station_status.json"
    doc = json.loads(path.read_text())
    for st in doc["data"]["stations"]:
        if st["station_id"] in bikes:
            st["num_bikes_available"] = bikes[st["station_id"]]
            st["vehicle_types_available"] = [
                {"vehicle_type_id": "bike", "count": bikes[st["station_id"]]}
            ]
    doc["last_updated"] += 300
    path.write_text(json.dumps(doc))


def test_refresh_honours_ttl_and_keeps_the_compiled_network(tmp_path: Path) -> None:
    folder = write_gbfs(
        tmp_path / "gbfs", stations=[("A", 1, 3, 5), ("A2", 3, 3, 5), ("B", 29, 2, 5)]
    )
    net = network(tmp_path, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net.add_gbfs_source(folder)
    compiled = net.compiled
    first = net.plan(ORIGIN, DEST, AT, modes="BICYCLE_RENTAL").itineraries[0]
    assert first.legs[1].rental.from_station_id == "A"
    _station_status(folder, {"A": 0})
    system = net.rentals[0]
    before_expiry = system.expires_at - dt.timedelta(seconds=1)
    assert net.refresh_gbfs(now=before_expiry) == []  # ttl not over: nothing re-read
    assert (
        net.plan(ORIGIN, DEST, AT, modes="BICYCLE_RENTAL")
        .itineraries[0]
        .legs[1]
        .rental.from_station_id
        == "A"
    )
    assert net.refresh_gbfs(now=system.expires_at) == ["synth"]
    assert net.compiled is compiled
    again = net.plan(ORIGIN, DEST, AT, modes="BICYCLE_RENTAL").itineraries[0]
    assert again.legs[1].rental.from_station_id == "A2"
    assert net.refresh_gbfs(force=True, now=before_expiry) == ["synth"]


def test_snapshot_age_is_stated(tmp_path: Path) -> None:
    net = network(
        tmp_path, write_gbfs(tmp_path / "gbfs", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    )
    plan = net.plan(ORIGIN, DEST, AT.replace(hour=20))
    assert any(
        "snapshot is of 2024-03-05T09:00:00+01:00" in n and "before" in n for n in plan.notices
    )


def test_null_geometry_zone_is_dropped_with_a_warning(tmp_path: Path) -> None:
    good = band(24.5, 30.5, {"ride_allowed": False, "ride_through_allowed": True})
    bad = {"type": "Feature", "properties": {"name": "broken", "rules": []}, "geometry": None}
    folder = write_gbfs(tmp_path / "gbfs", scooters=[("s1", 0.5)], zones=[bad, good])
    with pytest.warns(FeedWarning, match="null geometry dropped"):
        snap = load_gbfs(folder)
    assert snap.geofencing_zones["zone_id"].tolist() == ["zone-1"]
    net = network(tmp_path, None)
    net.add_gbfs(snap)
    assert net.plan(ORIGIN, DEST, AT, modes="SCOOTER_RENTAL").itineraries


def test_space_separated_timestamps_are_read(tmp_path: Path) -> None:
    folder = write_gbfs(tmp_path / "gbfs", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    path = folder / "station_status.json"
    doc = json.loads(path.read_text())
    doc["data"]["stations"][0]["last_reported"] = "2025-05-21 07:48:04.229881+00:00"
    path.write_text(json.dumps(doc))
    with pytest.warns(FeedWarning, match="space instead of 'T'"):
        snap = load_gbfs(folder)
    stamp = snap.stations["last_reported"].iloc[0]
    assert stamp.isoformat() == "2025-05-21T07:48:04.229881+00:00"


def test_station_information_only_folder(tmp_path: Path, dataset) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "registry"
    folder.mkdir()
    shutil.copy(dataset("gbfs-helsinki-hsl", "station_information.json"), folder)
    with pytest.warns(FeedWarning, match="only station_information.json"):
        snap = load_gbfs(folder)
    assert len(snap.stations) == 10
    assert snap.stations["num_vehicles_available"].isna().all()
    # planning: stations without status are flagged, used only when asked to assume so
    synthetic = write_gbfs(tmp_path / "synth", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    (synthetic / "station_status.json").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = network(tmp_path, synthetic)
    assert not net.rentals[0].has_status
    plain = net.plan(ORIGIN, DEST, AT, modes="WALK,BICYCLE_RENTAL")
    assert {j.combination for j in plain.itineraries} == {"WALK"}
    assert any("without live status" in n for n in plain.notices)
    assumed = net.plan(ORIGIN, DEST, AT, modes="WALK,BICYCLE_RENTAL", assume_available=True)
    assert "BICYCLE_RENTAL" in {j.combination for j in assumed.itineraries}


def test_station_in_status_but_not_in_information(tmp_path: Path) -> None:
    folder = write_gbfs(tmp_path / "gbfs", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    path = folder / "station_status.json"
    doc = json.loads(path.read_text())
    ghost = dict(doc["data"]["stations"][0], station_id="GHOST")
    doc["data"]["stations"].append(ghost)
    path.write_text(json.dumps(doc))
    with pytest.warns(FeedWarning, match="not in station_information"):
        snap = load_gbfs(folder)
    net = network(tmp_path, None)
    net.add_gbfs(snap)
    assert "GHOST" not in set(net.rentals[0].station_ids)
    assert net.plan(ORIGIN, DEST, AT, modes="BICYCLE_RENTAL").itineraries


def test_a_refresh_during_a_plan_changes_nothing_half_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's refresh replaces ``net.rentals`` while a plan runs in another thread: the
    plan, its prices and its notices stay on the systems it started with."""
    import maasmix.engine.planner as planner

    folder = write_gbfs(tmp_path / "gbfs", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    net = network(tmp_path, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net.add_gbfs_source(folder)
    quiet = net.plan(ORIGIN, DEST, AT, modes="BICYCLE_RENTAL,WALK")
    assert quiet.itineraries[0].legs[1].rental.from_station_id == "A"
    systems = list(net.rentals)
    real_groups = planner.rental_groups

    def refresh_then_group(q: object, modes: object) -> object:
        net.rentals = []  # the refresh lands after the query began
        return real_groups(q, modes)  # type: ignore[arg-type]

    monkeypatch.setattr(planner, "rental_groups", refresh_then_group)
    raced = net.plan(ORIGIN, DEST, AT, modes="BICYCLE_RENTAL,WALK")
    net.rentals = systems
    assert [j.legs for j in raced.itineraries] == [j.legs for j in quiet.itineraries]
    assert raced.notices == quiet.notices
    assert [m.totals for m in raced.money] == [m.totals for m in quiet.money]
