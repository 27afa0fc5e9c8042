"""`maasmix plan` and ``GET|POST /v1/plan``: the same answers, OTP-shaped, bad input as
exit 2 / 422 naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maasmix.api.app import create_app
from maasmix.api.cli import app as cli
from maasmix.api.routes.plan import register_network
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, lon_at, network, write_gbfs

AT = f"{DATE.isoformat()}T08:00:00"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    net = network(
        tmp_path, write_gbfs(tmp_path / "gbfs", stations=[("A", 1, 3, 5), ("B", 29, 2, 5)])
    )
    application = create_app()
    register_network(application, "synthetic", net)
    return TestClient(application)


def test_get_and_post_plan(client: TestClient) -> None:
    params = {"from": f"{LAT},{lon_at(0)}", "to": f"{LAT},{lon_at(30)}", "at": AT}
    got = client.get("/v1/plan", params=params)
    assert got.status_code == 200, got.text
    body = got.json()
    modes = {it["modes"] for it in body["itineraries"]}
    assert {"WALK", "BICYCLE_RENTAL"} <= modes
    rental = next(it for it in body["itineraries"] if it["modes"] == "BICYCLE_RENTAL")
    ride = rental["legs"][1]
    assert ride["rentedBike"] is True and ride["transitLeg"] is False
    assert ride["from"]["vertexType"] == "BIKESHARE" and ride["from"]["stationId"] == "A"
    assert ride["rental"]["systemId"] == "synth"
    assert ride["legGeometry"]["type"] == "LineString"
    assert ride["legGeometry"]["coordinates"][0] == [ride["from"]["lon"], ride["from"]["lat"]]
    assert isinstance(ride["startTime"], int) and ride["start"].endswith("+01:00")
    posted = client.post(
        "/v1/plan",
        json={
            "from": {"lat": LAT, "lon": lon_at(0)},
            "to": {"lat": LAT, "lon": lon_at(30)},
            "at": AT,
        },
    )
    assert posted.status_code == 200
    assert posted.json()["itineraries"] == body["itineraries"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "91,9", "to": f"{LAT},9.01"}, "from"),
        ({"from": f"{LAT},9", "to": "45,200"}, "to"),
        ({"from": "46.0,9.0", "to": f"{LAT},9.01"}, "from"),  # ~110 km away
        ({"from": f"{LAT},9", "to": f"{LAT},9.01", "modes": "WALK,HOVERBOARD"}, "modes"),
        (
            {"from": f"{LAT},9", "to": f"{LAT},9.01", "at": "2024-03-01T08:00", "arriveBy": "true"},
            "at",
        ),
        ({"from": "somewhere", "to": f"{LAT},9.01"}, "from"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    params.setdefault("at", AT)
    got = client.get("/v1/plan", params=params)
    assert got.status_code == 422, got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    assert got.json().get("parameter") == field or field in got.json()["detail"]


def test_no_network_loaded_is_503() -> None:
    got = TestClient(create_app()).get("/v1/plan", params={"from": "45,9", "to": "45,9.01"})
    assert got.status_code == 503


def test_cli_plan_table_json_geojson(dataset: Callable[..., Path], tmp_path: Path) -> None:
    runner = CliRunner()
    args = [
        "plan",
        "--gtfs", str(dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")),
        "--osm", str(dataset("osm-helsinki", "Helsinki.osm.pbf")),
        "--gbfs", str(dataset("gbfs-helsinki-hsl")),
        "--from", "60.1700,24.9380", "--to", "60.1760,24.9500",
        "--at", "2022-02-22T08:00", "--cache-dir", str(tmp_path),
    ]  # fmt: skip
    table = runner.invoke(cli, args)
    assert table.exit_code == 0, table.output
    assert "WALK+TRANSIT+WALK" in table.output
    out = runner.invoke(cli, [*args, "--json"])
    assert out.exit_code == 0
    body = json.loads(out.stdout)
    assert body["streets"] == "osm" and body["itineraries"]
    geo = runner.invoke(cli, [*args, "--geojson", "--arrive-by"])
    assert geo.exit_code == 0
    features = json.loads(geo.stdout)["features"]
    assert features and all(f["geometry"]["type"] == "LineString" for f in features)
    bad = runner.invoke(cli, [*args[:-6], "--from", "95,24.9", "--to", "60.17,24.95", *args[-4:]])
    assert bad.exit_code == 2
    assert "from" in bad.output and "Traceback" not in bad.output
    unknown = runner.invoke(cli, [*args, "--modes", "WALK,TELEPORT"])
    assert unknown.exit_code == 2 and "modes" in unknown.output
