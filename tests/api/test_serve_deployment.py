"""`maasmix serve`: deployment files, several networks, background GBFS refresh."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.deployment import load_deployment
from maasmix.api.gbfs_refresh import GbfsRefresher
from maasmix.api.routes.plan import register_network
from maasmix.engine.network import Network
from maasmix.errors import DeploymentError
from tests.engine.builders import DATE
from tests.engine.plan_builders import LAT, bus_trips, lon_at, network, write_gbfs

PUBLISHED = dt.datetime.fromtimestamp(1709625600, dt.UTC)  # write_gbfs's last_updated
TTL = dt.timedelta(seconds=60)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


# ---------------------------------------------------------------------- deployment files


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_deployment_reads_networks_in_order_with_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "a.zip").write_bytes(b"")
    (tmp_path / "b.zip").write_bytes(b"")
    (tmp_path / "city.osm.pbf").write_bytes(b"")
    (tmp_path / "gbfs").mkdir()
    file = _write(
        tmp_path / "deploy.yaml",
        "networks:\n"
        "  north:\n    gtfs: a.zip\n    osm: city.osm.pbf\n    gbfs: [gbfs]\n"
        '    date: "20240305"\n'
        "  south:\n    gtfs: [b.zip, https://example.org/feed.zip]\n    date: 2024-03-06\n",
    )
    north, south = load_deployment(file)
    assert north.name == "north" and south.name == "south"
    assert north.gtfs == (str(tmp_path / "a.zip"),)
    assert north.osm == str(tmp_path / "city.osm.pbf")
    assert north.gbfs == (str(tmp_path / "gbfs"),)
    assert north.date == dt.date(2024, 3, 5) and south.date == dt.date(2024, 3, 6)
    assert south.gtfs == (str(tmp_path / "b.zip"), "https://example.org/feed.zip")
    assert south.osm is None and south.gbfs == ()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            "networks:\n  x:\n    gtfs: missing.zip\n    date: '20240305'\n",
            "networks.x.gtfs",
            "no such",
        ),
        ("networks:\n  x:\n    date: '20240305'\n", "networks.x.gtfs", "missing"),
        ("networks:\n  x:\n    gtfs: ok.zip\n", "networks.x.date", "missing"),
        ("networks:\n  x:\n    gtfs: ok.zip\n    date: tomorrow\n", "networks.x.date", "YYYYMMDD"),
        (
            "networks:\n  x:\n    gtfs: ok.zip\n    date: '20240305'\n    fares: y\n",
            "networks.x.fares",
            "unknown",
        ),
        ("networks:\n  'a b':\n    gtfs: ok.zip\n    date: '20240305'\n", "networks.a b", "name"),
        ("networks: {}\n", "networks", "non-empty"),
        ("hosts: 1\n", "hosts", "unknown key 'hosts'"),
        (
            "networks:\n  x:\n    gtfs: [{source: ok.zip, fare_contains: maybe}]\n"
            "    date: '20240305'\n",
            "networks.x.gtfs[0].fare_contains",
            "'exact', 'subset'",
        ),
        (
            "networks:\n  x:\n    gtfs: [ok.zip, missing.zip]\n    date: '20240305'\n",
            "networks.x.gtfs[1]",
            "no such",
        ),
        (
            "networks:\n  x:\n    gtfs: ok.zip\n    date: [20240305, '2024-13-45']\n",
            "networks.x.date[1]",
            "YYYYMMDD",
        ),
        (
            "networks:\n  x:\n    gtfs: ok.zip\n    date: '20240305'\n"
            "keys: [{name: a, sha256: abc, scopes: [read]}]\n",
            "keys[0].sha256",
            "does not match",
        ),
        (
            "networks:\n  x:\n    gtfs: ok.zip\n    date: '20240305'\nlimits: {body_bytes: 10}\n",
            "limits.body_bytes",
            "minimum of 1024",
        ),
        (
            "networks:\n  x:\n    gtfs: ok.zip\n    date: '20240305'\n"
            "dask: {scheduler: 'http://x'}\n",
            "dask.scheduler",
            "does not match",
        ),
    ],
)
def test_deployment_errors_name_the_file_and_field(
    tmp_path: Path, body: str, field: str | None, words: str
) -> None:
    (tmp_path / "ok.zip").write_bytes(b"")
    file = _write(tmp_path / "deploy.yaml", body)
    with pytest.raises(DeploymentError) as err:
        load_deployment(file)
    assert err.value.file == str(file)
    assert err.value.field == field
    assert words in str(err.value)


def test_deployment_bad_yaml_names_the_line(tmp_path: Path) -> None:
    file = _write(tmp_path / "deploy.yaml", "networks:\n  x: [unclosed\n")
    with pytest.raises(DeploymentError) as err:
        load_deployment(file)
    assert err.value.row is not None and "YAML" in str(err.value)
    with pytest.raises(DeploymentError, match="no such deployment file"):
        load_deployment(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    "text",
    ["networks:\n  x:\n    date: 2020-02-30\n", "networks:\n  x:\n    date: " + "9" * 5000 + "\n"],
    ids=["impossible-date", "5000-digit-integer"],
)
def test_deployment_values_yaml_cannot_represent_are_errors(tmp_path: Path, text: str) -> None:
    file = _write(tmp_path / "deploy.yaml", text)
    with pytest.raises(DeploymentError, match="a value YAML cannot represent") as err:
        load_deployment(file)
    assert err.value.file == str(file)


# ---------------------------------------------------------------------- several networks


def test_plan_picks_the_network_by_name(tmp_path: Path) -> None:
    app = create_app()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    near = network(tmp_path / "a")
    far = network(tmp_path / "b", trips=bus_trips(first="10:00", count=2))
    register_network(app, "early-bus", near)
    register_network(app, "late-bus", far)
    client = TestClient(app)
    at = dt.datetime.combine(DATE, dt.time(8, 0)).isoformat()
    query = {
        "from": f"{LAT},{lon_at(4)}",
        "to": f"{LAT},{lon_at(26)}",
        "at": at,
        "modes": "WALK,TRANSIT",
    }

    def first_bus(name: str | None) -> dt.datetime:
        params = dict(query, **({"network": name} if name else {}))
        response = client.get("/v1/plan", params=params)
        assert response.status_code == 200, response.text
        starts = [
            leg["startTime"]
            for it in response.json()["itineraries"]
            for leg in it["legs"]
            if leg["mode"] == "BUS"
        ]
        return dt.datetime.fromtimestamp(min(starts) / 1000, dt.UTC)

    rome = dt.timezone(dt.timedelta(hours=1))
    assert first_bus("early-bus") == dt.datetime.combine(DATE, dt.time(8, 10), tzinfo=rome)
    assert first_bus(None) == first_bus("early-bus")  # the first registered is the default
    assert first_bus("late-bus") == dt.datetime.combine(DATE, dt.time(10, 0), tzinfo=rome)
    missing = client.get("/v1/plan", params=dict(query, network="nowhere"))
    assert missing.status_code == 404 and "early-bus" in missing.text


# ---------------------------------------------------------------------- background refresh


def _gbfs_net(tmp_path: Path, scooter: str) -> tuple[Network, Path]:
    folder = write_gbfs(tmp_path / "gbfs", scooters=[(scooter, 1.0)])
    net = network(tmp_path)
    net.add_gbfs_source(folder)
    return net, folder


def test_refresh_honours_ttl_and_replaces_the_status(tmp_path: Path) -> None:
    net, folder = _gbfs_net(tmp_path, "old")
    clock = FakeClock(PUBLISHED + TTL - dt.timedelta(seconds=1))
    refresher = GbfsRefresher({"city": net}, clock=clock, min_wait_s=0.01)
    before = net.rentals[0]
    assert refresher.run_once() == []  # not expired yet
    assert refresher.next_wait_s() == pytest.approx(1.0)
    write_gbfs(folder, scooters=[("new", 2.0)])
    clock.now = PUBLISHED + TTL
    assert refresher.run_once() == ["city/synth"]
    after = net.rentals[0]
    assert after is not before and list(after.vehicle_ids) == ["new"]
    assert list(before.vehicle_ids) == ["old"]  # a plan holding the old object is unchanged


def test_a_failed_refresh_keeps_the_last_good_status_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    net, folder = _gbfs_net(tmp_path, "good")
    clock = FakeClock(PUBLISHED + 2 * TTL)
    refresher = GbfsRefresher({"city": net}, clock=clock, min_wait_s=0.01)
    (folder / "free_bike_status.json").write_text("{ not json")
    good = net.rentals[0]
    with caplog.at_level(logging.WARNING, logger="maasmix.api.gbfs_refresh"):
        assert refresher.run_once() == []
    assert net.rentals[0] is good and list(good.vehicle_ids) == ["good"]
    assert refresher.failures == {"city/synth": 1}
    assert "city/synth failed" in caplog.text and "keeping the status" in caplog.text
    assert refresher.run_once() == []  # retried only after the ttl
    assert refresher.failures == {"city/synth": 1}
    write_gbfs(folder, scooters=[("repaired", 3.0)])
    clock.now += TTL
    assert refresher.run_once() == ["city/synth"]
    assert list(net.rentals[0].vehicle_ids) == ["repaired"]


def test_the_app_refreshes_in_the_background_from_start_to_shutdown(tmp_path: Path) -> None:
    net, folder = _gbfs_net(tmp_path, "first")
    write_gbfs(folder, scooters=[("second", 2.0)])
    app = create_app()
    register_network(app, "city", net)
    app.state.gbfs_background = True
    app.state.gbfs_clock = FakeClock(PUBLISHED + 2 * TTL)
    with TestClient(app) as client:
        refresher = app.state.gbfs_refresher
        assert refresher.running
        deadline = time.monotonic() + 10
        while list(net.rentals[0].vehicle_ids) != ["second"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(net.rentals[0].vehicle_ids) == ["second"]
        response = client.get(
            "/v1/plan",
            params={"from": f"{LAT},{lon_at(0)}", "to": f"{LAT},{lon_at(20)}", "modes": "WALK"},
        )
        assert response.status_code in (200, 422)  # "now" may be outside the service day
    assert not refresher.running
    assert app.state.gbfs_refresher is None
    json.dumps(refresher.refreshes)  # plain counts


# ---------------------------------------------------------------------- the command


def test_serve_deployment_registers_every_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import maasmix.api.cli.serve as cli_serve
    from maasmix.api.cli import app as cli

    (tmp_path / "a.zip").write_bytes(b"")
    file = _write(
        tmp_path / "deploy.yaml",
        "networks:\n  one:\n    gtfs: [{source: a.zip, fare_contains: subset}]\n"
        "    date: '20240305'\n"
        "  two:\n    gtfs: a.zip\n    date: ['20240306', '20240307']\n"
        "storage: {url: 'sqlite:///state.db'}\ndask: {scheduler: 'tcp://10.0.0.5:8786'}\n",
    )
    loaded: list[tuple[str, dt.date, tuple[str | None, ...]]] = []

    def build(spec: object, cache_dir: object = None) -> Network:
        loaded.append(
            (spec.name, spec.date, tuple(f.fare_contains for f in spec.feeds))  # type: ignore[attr-defined]
        )
        return network(tmp_path)

    monkeypatch.setattr(cli_serve, "build_network", build)
    served: list[tuple[object, int]] = []
    monkeypatch.setattr(
        "maasmix.api.workers.serve",
        lambda application, host, port, workers, **kw: served.append((application, workers)),
    )
    result = CliRunner().invoke(
        cli, ["serve", "--deployment", str(file), "--workers", "3", "--port", "0"]
    )
    assert result.exit_code == 0, result.output
    assert loaded == [
        ("one", dt.date(2024, 3, 5), ("subset",)),
        ("two", dt.date(2024, 3, 6), (None,)),
        ("two@2024-03-07", dt.date(2024, 3, 7), (None,)),
    ]
    ((application, workers),) = served
    assert workers == 3
    assert list(application.state.networks) == ["one", "two", "two@2024-03-07"]  # type: ignore[attr-defined]
    deployment = application.state.deployment  # type: ignore[attr-defined]
    assert deployment.storage_url == f"sqlite:///{tmp_path / 'state.db'}"
    assert deployment.dask_scheduler == "tcp://10.0.0.5:8786"


def test_serve_with_a_bad_deployment_exits_2_naming_the_field(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from maasmix.api.cli import app as cli

    file = _write(tmp_path / "deploy.yaml", "networks:\n  one:\n    gtfs: gone.zip\n    date: x\n")
    result = CliRunner().invoke(cli, ["serve", "--deployment", str(file)])
    assert result.exit_code == 2
    assert "networks.one.date" in result.output and "Traceback" not in result.output
