"""`maasmix plan --all` and ``/v1/plan?filters=false`` switch the itinerary filter chain
off; a fare no rule gives reads "unpriced" on the CLI and in JSON, never free."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maasmix.api.app import create_app
from maasmix.api.cli import app as cli
from maasmix.api.routes.plan import register_network
from maasmix.engine.network import Network
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, lon_at, write_gbfs, write_street
from tests.engine.test_plan_money import write_gtfs

AT = f"{DATE.isoformat()}T08:00:00"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic street and bus, its fare file removed (every ride unpriced), and
    bikes only at node 9.5, returned at node 8 (a ride away from a goal at node 14)."""
    tmp = tmp_path_factory.mktemp("filters")
    gtfs = write_gtfs(tmp / "gtfs")
    (gtfs / "fare_attributes.txt").unlink()
    return {
        "gtfs": gtfs,
        "osm": write_street(tmp / "street.osm"),
        "gbfs": write_gbfs(tmp / "gbfs", stations=[("A", 9.5, 3, 5), ("Z", 8, 0, 5)]),
        "cache": tmp / "cache",
    }


def _args(files: dict[str, Path], origin: float, dest: float, modes: str, *extra: str) -> list[str]:
    return [
        "plan",
        "--gtfs", str(files["gtfs"]),
        "--osm", str(files["osm"]),
        "--gbfs", str(files["gbfs"]),
        "--from", f"{LAT},{lon_at(origin)}",
        "--to", f"{LAT},{lon_at(dest)}",
        "--at", AT,
        "--modes", modes,
        "--cache-dir", str(files["cache"]),
        *extra,
    ]  # fmt: skip


def test_cli_all_shows_what_the_filters_remove(files: dict[str, Path]) -> None:
    runner = CliRunner()
    filtered = runner.invoke(cli, _args(files, 10, 14, "WALK,BICYCLE_RENTAL"))
    assert filtered.exit_code == 0, filtered.output
    assert "1. WALK:" in filtered.output and "BICYCLE_RENTAL" not in filtered.output
    everything = runner.invoke(cli, _args(files, 10, 14, "WALK,BICYCLE_RENTAL", "--all"))
    assert everything.exit_code == 0, everything.output
    assert "1. WALK:" in everything.output and "2. BICYCLE_RENTAL:" in everything.output


def test_cli_unpriced_fare_is_never_free(files: dict[str, Path]) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    table = runner.invoke(cli, _args(files, 5, 25, "WALK,TRANSIT"))
    assert table.exit_code == 0, table.output
    titles = re.findall(r"\d\. [A-Z_+]+: [^┏]*", " ".join(table.output.split()))
    assert [t.split(":")[0] for t in titles] == ["1. WALK+TRANSIT+WALK", "2. WALK"]
    assert "fare unpriced" in titles[0] and "free" not in titles[0]
    assert "fare free" in titles[1]
    assert "unpriced" in next(line for line in table.output.splitlines() if "│ BUS " in line)
    body = json.loads(runner.invoke(cli, _args(files, 5, 25, "WALK,TRANSIT", "--json")).stdout)
    fares = {it["modes"]: it["fare"] for it in body["itineraries"]}
    assert fares["WALK+TRANSIT+WALK"]["status"] == "unpriced"
    assert fares["WALK+TRANSIT+WALK"]["text"] == "unpriced"
    assert fares["WALK+TRANSIT+WALK"]["totals"] == []
    assert fares["WALK"]["status"] == "free" and fares["WALK"]["text"] == "free"
    bus_leg = next(
        leg
        for it in body["itineraries"]
        if it["modes"] == "WALK+TRANSIT+WALK"
        for leg in it["legs"]
        if leg["mode"] == "BUS"
    )
    assert bus_leg["fare"]["status"] == "unpriced" and bus_leg["fare"]["priced"] is False


def test_http_filters_false(files: dict[str, Path]) -> None:
    net = Network.from_files(
        gtfs=files["gtfs"], osm=files["osm"], gbfs=[files["gbfs"]], date=DATE, use_cache=False
    )
    application = create_app()
    register_network(application, "synthetic", net)
    client = TestClient(application)
    params = {
        "from": f"{LAT},{lon_at(10)}",
        "to": f"{LAT},{lon_at(14)}",
        "at": AT,
        "modes": "WALK,BICYCLE_RENTAL",
    }
    on = client.get("/v1/plan", params=params)
    assert on.status_code == 200, on.text
    assert [it["modes"] for it in on.json()["itineraries"]] == ["WALK"]
    off = client.get("/v1/plan", params={**params, "filters": "false"})
    assert off.status_code == 200, off.text
    assert [it["modes"] for it in off.json()["itineraries"]] == ["WALK", "BICYCLE_RENTAL"]
    body = {
        "from": {"lat": LAT, "lon": lon_at(10)},
        "to": {"lat": LAT, "lon": lon_at(14)},
        "at": AT,
        "modes": ["WALK", "BICYCLE_RENTAL"],
        "filters": False,
    }
    posted = client.post("/v1/plan", json=body)
    assert posted.status_code == 200, posted.text
    assert [it["modes"] for it in posted.json()["itineraries"]] == ["WALK", "BICYCLE_RENTAL"]
