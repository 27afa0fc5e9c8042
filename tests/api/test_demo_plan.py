"""The demo city's door-to-door showcases (what ``maasmix demo`` prints)."""

from __future__ import annotations

from pathlib import Path

from maasmix.api.cli._demo_plan import demo_plans, demo_plans_json
from maasmix.feeds.demo import write_demo_city


def test_demo_city_showcases(tmp_path: Path) -> None:
    city = write_demo_city(tmp_path / "city")
    found = demo_plans(city, cache_dir=tmp_path / "cache")
    assert [f.title for f in found] == ["walk + tram", "docked bike + bus", "scooter last mile"]
    tram, bike_bus, scooter = (f.journey for f in found)
    assert {leg.mode for leg in tram.legs} == {"WALK", "TRAM"}
    assert any(leg.rental and leg.rental.docked for leg in bike_bus.legs)
    assert any(leg.mode == "BUS" for leg in bike_bus.legs)
    assert scooter.legs[-1].mode in ("SCOOTER", "WALK")
    assert any(leg.mode == "SCOOTER" and leg.rental.vehicle_id for leg in scooter.legs)
    for f in found:
        assert f.journey.transfers == max(f.journey.rides - 1, 0)
    body = demo_plans_json(found)
    assert body[0]["itinerary"]["legs"][0]["legGeometry"]["type"] == "LineString"
