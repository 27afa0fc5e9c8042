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
    assert report["gtfs"]["kind"] == "gtfs" and report["gtfs"]["stops"] > 0
    assert report["gbfs"]["stations"] > 0 and report["gbfs"]["free_floating_vehicles"] > 0
    assert report["osm"]["walk"]["edges"] > 0
    journeys = report["journeys"]
    assert journeys, "no journey across the demo city at 08:00"
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
    assert (tmp_path / "city" / "demo_city_gtfs.zip").exists()
    bundles = report["bundles"]
    assert 1 <= len(bundles["menu"]) <= 3
    assert (tmp_path / "city" / "bundle-report" / "index.html").exists()
