"""Money on ``maasmix plan`` and ``/v1/plan``: bundles inline, from a scenario, by name;
money and CO2e columns; bad input as exit 2 / 422 / 404 problem+json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maasmix.api.app import create_app
from maasmix.api.cli import app as cli
from maasmix.api.cli._bundle_option import resolve_bundle
from maasmix.api.routes.plan import register_network
from maasmix.engine.network import Network
from maasmix.errors import QueryError, ScenarioError, ScenarioMissingError
from maasmix.pricing.scenario.bundle_file import bundle_from_mapping, load_bundle_file
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, lon_at, write_gbfs, write_street
from tests.engine.test_plan_money import add_pricing, write_gtfs

AT = f"{DATE.isoformat()}T07:58:00"
P = f"{LAT},{lon_at(5)}"
Q = f"{LAT},{lon_at(25)}"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("apimoney")
    gbfs = add_pricing(write_gbfs(tmp / "gbfs", stations=[("A", 0, 5, 5), ("Z", 30, 5, 5)]))
    bundle = tmp / "commuter.yaml"
    bundle.write_text("name: Commuter\ntransit: all\nfree_minutes_per_ride: {bicycle: 30}\n")
    bad = tmp / "bad.yaml"
    bad.write_text("transit: all\nrides_left: {bicycle: -3}\n")
    return {
        "gtfs": write_gtfs(tmp / "gtfs"),
        "osm": write_street(tmp / "street.osm"),
        "gbfs": gbfs,
        "bundle": bundle,
        "bad": bad,
        "cache": tmp / "cache",
    }


@pytest.fixture(scope="module")
def client(files: dict[str, Path]) -> TestClient:
    net = Network.from_files(
        gtfs=files["gtfs"], osm=files["osm"], gbfs=[files["gbfs"]], date=DATE, use_cache=False
    )
    application = create_app()
    register_network(application, "synthetic", net)
    return TestClient(application)


def _args(files: dict[str, Path], *extra: str) -> list[str]:
    return [
        "plan",
        "--gtfs",
        str(files["gtfs"]),
        "--osm",
        str(files["osm"]),
        "--gbfs",
        str(files["gbfs"]),
        "--from",
        P,
        "--to",
        Q,
        "--at",
        AT,
        "--modes",
        "WALK,TRANSIT",
        "--cache-dir",
        str(files["cache"]),
        *extra,
    ]


def test_inline_bundle_file_shape(files: dict[str, Path]) -> None:
    b = load_bundle_file(files["bundle"])
    assert b.name == "Commuter" and b.transit_all and b.free_minutes_per_ride == {"bicycle": 30}
    nets = bundle_from_mapping({"transit": {"networks": ["N1"], "agencies": "A"}})
    assert nets.transit_networks == {"N1"} and nets.transit_agencies == {"A"}
    assert not nets.transit_all and nets.name == "inline"
    assert bundle_from_mapping({"rides_left": {"scooter": "unlimited"}}).rides_left == {
        "scooter": float("inf")
    }
    for data, field in [
        ({"rides_left": {"bicycle": -3}}, "rides_left.bicycle"),
        ({"transit": "some"}, "transit"),
        ({"transit": {"lines": ["x"]}}, "transit.lines"),
        ({"free_minutes_per_ride": {"boat": 3}}, "free_minutes_per_ride.boat"),
        ({"discount_percent": {"scooter": 120}}, "discount_percent.scooter"),
        ({"colour": "red"}, "colour"),
    ]:
        with pytest.raises(ScenarioError) as info:
            bundle_from_mapping(data, file="b.yaml")
        assert info.value.file == "b.yaml" and info.value.field == field


def test_resolve_bundle_spec(files: dict[str, Path]) -> None:
    assert resolve_bundle(None) is None
    urban = resolve_bundle("demo_city.yaml:Urban (Whim-like)")
    assert urban is not None and urban.name == "Urban (Whim-like)"
    assert resolve_bundle(str(files["bundle"])).name == "Commuter"  # type: ignore[union-attr]
    with pytest.raises(QueryError) as info:
        resolve_bundle("demo_city.yaml:No such bundle")
    assert info.value.parameter == "bundle"
    with pytest.raises(ScenarioMissingError):
        resolve_bundle(str(files["bundle"].parent / "missing.yaml"))
    with pytest.raises(ScenarioMissingError):
        resolve_bundle("nowhere/city.yaml:Urban")


def test_cli_money_columns_and_bundle(files: dict[str, Path]) -> None:
    runner = CliRunner()
    paid = runner.invoke(cli, _args(files, "--money"))
    assert paid.exit_code == 0, paid.output
    assert "price" in paid.output and "CO2e" in paid.output
    assert "2.50 EUR" in paid.output
    free = runner.invoke(cli, _args(files, "--bundle", str(files["bundle"])))
    assert free.exit_code == 0, free.output
    assert "bundle: Commuter" in free.output and "you pay 0.00 EUR" in free.output
    assert "1. WALK:" not in free.output  # walking is dominated by the free, faster bus
    as_json = runner.invoke(cli, _args(files, "--bundle", str(files["bundle"]), "--json"))
    assert as_json.exit_code == 0, as_json.output
    assert '"bundle": "Commuter"' in as_json.output


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (("--bundle", "bad.yaml"), "rides_left.bicycle"),
        (("--bundle", "demo_city.yaml:No such bundle"), "no bundle named"),
        (("--rider-category", "nobody"), "--rider-category: unknown rider category"),
    ],
)
def test_cli_bad_input_exit_2(files: dict[str, Path], extra: tuple[str, str], needle: str) -> None:
    args = _args(files, *extra)
    if extra[1] == "bad.yaml":
        args[-1] = str(files["bad"])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output


def _post(client: TestClient, **extra: Any) -> Any:
    body = {
        "from": {"lat": LAT, "lon": lon_at(5)},
        "to": {"lat": LAT, "lon": lon_at(25)},
        "at": AT,
        "modes": ["WALK", "TRANSIT"],
        **extra,
    }
    return client.post("/v1/plan", json=body)


def test_http_money_inline_and_scenario_bundle(client: TestClient) -> None:
    paid = _post(client, money=True)
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert body["byMoney"] is True and "bundle" not in body
    bus = next(it for it in body["itineraries"] if it["modes"] == "WALK+TRANSIT+WALK")
    assert bus["fare"]["totals"] == [{"amountMinor": 250, "currency": "EUR", "text": "2.50 EUR"}]
    (product,) = bus["fareProducts"]
    ride = bus["legs"][product["legs"][0]]
    assert ride["transitLeg"] and ride["fare"]["fareProducts"] == [product["id"]]
    assert ride["co2e"] > 0
    assert bus["co2e"] == pytest.approx(sum(x["co2e"] for x in bus["legs"]), abs=0.5)
    inline = _post(client, bundle={"name": "Free rides", "transit": "all"})
    assert inline.status_code == 200, inline.text
    got = inline.json()
    assert got["bundle"] == "Free rides"
    assert [it["modes"] for it in got["itineraries"]] == ["WALK+TRANSIT+WALK"]
    assert got["itineraries"][0]["fare"]["outOfPocket"][0]["amountMinor"] == 0
    scenario = _post(client, bundleScenario="demo_city", bundleName="Urban (Whim-like)")
    assert scenario.status_code == 200, scenario.text
    assert scenario.json()["bundle"] == "Urban (Whim-like)"
    got_get = client.get(
        "/v1/plan",
        params={
            "from": P,
            "to": Q,
            "at": AT,
            "modes": "WALK,TRANSIT",
            "bundle": '{"transit": "all", "name": "Free rides"}',
        },
    )
    assert got_get.status_code == 200, got_get.text
    assert got_get.json()["itineraries"] == got["itineraries"]


@pytest.mark.parametrize(
    ("extra", "status", "needle"),
    [
        ({"bundleScenario": "demo_city", "bundleName": "Nope"}, 422, "no bundle named"),
        ({"bundleScenario": "atlantis", "bundleName": "Urban"}, 404, "no example scenario"),
        ({"bundleScenario": "../../etc/city.yaml", "bundleName": "X"}, 403, "data folder"),
        ({"bundle": {"rides_left": {"bicycle": -1}}}, 422, "rides_left.bicycle"),
        ({"riderCategory": "nobody"}, 422, "riderCategory: unknown rider category"),
        ({"bundleName": "Urban"}, 422, "bundleScenario"),
    ],
)
def test_http_bad_bundle_problems(
    client: TestClient, extra: dict[str, Any], status: int, needle: str
) -> None:
    got = _post(client, **extra)
    assert got.status_code == status, got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    assert needle in got.text


def test_demo_showcases_show_prices_and_co2(tmp_path: Path) -> None:
    from maasmix.api.cli._demo_plan import demo_plans, demo_plans_json
    from maasmix.feeds.demo import write_demo_city

    found = demo_plans(write_demo_city(tmp_path / "city"), cache_dir=tmp_path / "cache")
    assert found
    for item in found:
        assert item.money is not None and item.money.complete
        assert item.money.totals and item.money.co2e_g > 0
    body = demo_plans_json(found)
    assert all(b["itinerary"]["fare"]["totals"] for b in body)
    assert all(b["itinerary"]["co2e"] > 0 for b in body)


def test_http_scenario_file_under_the_data_folder(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maasmix.pricing.scenario import example_path

    (tmp_path / "city.yaml").write_text(example_path("demo_city").read_text(encoding="utf-8"))
    (tmp_path / "broken.yaml").write_text("name: broken\nmodes: 7\n")
    monkeypatch.setenv("MAASMIX_DATA", str(tmp_path))
    ok = _post(client, bundleScenario="city.yaml", bundleName="Urban (Whim-like)")
    assert ok.status_code == 200, ok.text
    assert ok.json()["bundle"] == "Urban (Whim-like)"
    broken = _post(client, bundleScenario="broken.yaml", bundleName="X")
    assert broken.status_code == 422, broken.text
    assert broken.json()["file"] == "broken.yaml"  # the data folder's prefix is cut
    assert str(tmp_path) not in broken.text
    missing = _post(client, bundleScenario="nope.yaml", bundleName="X")
    assert missing.status_code == 404, missing.text
