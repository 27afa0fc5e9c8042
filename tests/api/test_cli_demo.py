"""`maasmix demo` builds the demo city, reads it back and plans a journey across it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from maasmix.api.cli import app


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAASMIX_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path / "city"), "--json", "--time-limit", "20"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # the city is deterministic (seed 7): its inputs have exactly these sizes
    gtfs, gbfs, osm = report["gtfs"], report["gbfs"], report["osm"]
    assert (gtfs["kind"], gtfs["stops"], gtfs["routes"], gtfs["trips"]) == ("gtfs", 112, 7, 1709)
    assert gtfs["stop_times_rows"] == 26703
    assert (gbfs["stations"], gbfs["docked_vehicles"], gbfs["free_floating_vehicles"]) == (
        25,
        207,
        80,
    )
    assert (gbfs["vehicle_types"], gbfs["pricing_plans"], gbfs["geofencing_zones"]) == (3, 3, 2)
    assert osm["walk"] == {"nodes": 961, "edges": 3728, "length_km": 373.194}
    journeys = report["journeys"]
    # south-west corner to north-east corner at 08:00: bus 10, walk, bus 20, walk, bus 11
    (journey,) = journeys
    assert [(leg["mode"], leg.get("route", {}).get("shortName")) for leg in journey["legs"]] == [
        ("BUS", "10"),
        ("WALK", None),
        ("BUS", "20"),
        ("WALK", None),
        ("BUS", "11"),
    ]
    assert (journey["startSeconds"], journey["endSeconds"]) == (29040, 30960)
    assert journey["start"] == "2026-03-10T08:04:00+02:00"
    assert journey["startTime"] == 1773122640000  # epoch ms of the same moment
    assert len({j["legs"][0]["from"]["stopId"] for j in journeys}) == 1
    assert len({j["legs"][-1]["to"]["stopId"] for j in journeys}) == 1
    for journey in journeys:
        legs = journey["legs"]
        for before, after in itertools.pairwise(legs):
            assert before["to"]["stopId"] == after["from"]["stopId"]
            assert before["endSeconds"] <= after["startSeconds"]
    # a Pareto set over (arrival, transfers): more transfers only when it arrives earlier
    by_transfers = sorted(journeys, key=lambda j: j["numberOfTransfers"])
    ends = [j["endSeconds"] for j in by_transfers]
    assert all(a > b for a, b in itertools.pairwise(ends))
    # door to door: the three showcases, each a chain of legs in time order
    shows = {
        p["title"]: [leg["mode"] for leg in p["itinerary"]["legs"]] for p in report["door_to_door"]
    }
    assert set(shows) == {"walk + tram", "docked bike + bus", "scooter last mile"}
    assert set(shows["walk + tram"]) == {"WALK", "TRAM"}
    assert "BICYCLE" in shows["docked bike + bus"] and "BUS" in shows["docked bike + bus"]
    last = shows["scooter last mile"]
    assert "SCOOTER" in last and last.index("SCOOTER") > max(
        i for i, mode in enumerate(last) if mode in ("BUS", "TRAM")
    )
    for plan in report["door_to_door"]:
        legs = plan["itinerary"]["legs"]
        rentals = [leg for leg in legs if leg["mode"] in ("BICYCLE", "SCOOTER")]
        assert all(leg["rentedBike"] for leg in rentals)
        assert [leg["startTime"] for leg in legs] == sorted(leg["startTime"] for leg in legs)
    assert (tmp_path / "city" / "demo_city_gtfs.zip").exists()
    bundles = report["bundles"]
    assert 1 <= len(bundles["menu"]) <= 3
    assert (tmp_path / "city" / "bundle-report" / "index.html").exists()
    # bundles from trips: the deterministic diary planned once per trip on two workers
    diary = report["diary"]
    summary = diary["summary"]
    assert summary["trips"] == summary["plans"] == 2199
    assert summary["trips_without_itinerary"] == 0 and summary["workers"] == 2
    assert summary["products"] == len({u["product"] for u in diary["usage"]})
    assert 1 <= len(diary["bundles"]["menu"]) <= 3
    assert diary["bundles"]["solve"]["status"] == "optimal"
    folder = tmp_path / "city" / "diary-report"
    for name in ("index.html", "mode_shift.png", "emissions.png", "usage.csv"):
        assert (folder / name).exists(), name
    assert "Demand from trip diaries" in (folder / "index.html").read_text(encoding="utf-8")
