"""``GET /v1/networks``, ``POST /v1/networks/{name}/refresh``, ``/ready`` and ``/metrics``
on synthetic networks with a clock the test sets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.deployment import (
    Deployment,
    FeedSpec,
    GbfsSpec,
    NetworkSpec,
    build_network,
    read_deployment,
)
from maasmix.api.routes.networks import register_spec
from maasmix.api.routes.plan import register_network
from tests.engine.builders import DATE
from tests.engine.plan_builders import network, write_gbfs
from tests.engine.test_plan_money import write_gtfs

PUBLISHED = dt.datetime.fromtimestamp(1709625600, dt.UTC)  # write_gbfs's last_updated


def _app(tmp_path: Path, *, max_age_s: float | None = 120.0) -> tuple[TestClient, Path]:
    gbfs = write_gbfs(tmp_path / "gbfs", scooters=[("s1", 1.0), ("s2", 2.0)])
    net = network(tmp_path)
    net.add_gbfs_source(gbfs)
    spec = NetworkSpec(
        "city",
        (FeedSpec("/srv/feeds/city.zip", "subset"),),
        None,
        (GbfsSpec(str(gbfs), max_age_s),),
        DATE,
    )
    app = create_app(Deployment(networks=(spec,)))
    register_network(app, "city", net)
    register_spec(app, spec)
    app.state.clock = lambda: PUBLISHED + dt.timedelta(seconds=90)
    return TestClient(app), gbfs


def test_networks_lists_feeds_dates_agencies_and_gbfs_age(tmp_path: Path) -> None:
    client, _ = _app(tmp_path)
    got = client.get("/v1/networks")
    assert got.status_code == 200
    assert got.json() == {
        "networks": [
            {
                "name": "city",
                "default": True,
                "serviceDate": "2024-03-05",
                "timezone": "Europe/Rome",
                "feeds": [{"label": "city", "file": "city.zip", "fareContains": "subset"}],
                "agencies": ["A"],
                "stops": 2,
                "trips": 12,
                "streets": True,
                "gbfs": [
                    {
                        "systemId": "synth",
                        "name": "Synthetic Bikes",
                        "lastUpdated": "2024-03-05T09:00:00+01:00",
                        "ageS": 90.0,
                        "ttlS": 60,
                        "maxAgeS": 120.0,
                        "vehicles": 2,
                        "stations": 0,
                    }
                ],
                "realtime": [],
                "realtimeTime": None,
            }
        ]
    }
    assert "/srv" not in got.text  # no server path


def test_ready_fails_on_an_old_snapshot_and_a_missing_network(tmp_path: Path) -> None:
    client, _ = _app(tmp_path)
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "ready": True,
        "checks": [
            {"name": "networks", "ok": True, "detail": "1 loaded"},
            {"name": "gbfs:city/synth", "ok": True, "detail": "snapshot 90 s old (limit 120 s)"},
        ],
    }
    client.app.state.clock = lambda: PUBLISHED + dt.timedelta(seconds=121)  # type: ignore[attr-defined]
    stale = client.get("/v1/ready")
    assert stale.status_code == 503
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["detail"] == "not ready: gbfs:city/synth"
    assert stale.json()["checks"][1]["detail"] == "snapshot 121 s old (limit 120 s)"
    client.app.state.networks = {}  # type: ignore[attr-defined]
    empty = client.get("/ready")
    assert empty.status_code == 503 and empty.json()["detail"] == "not ready: networks"


def test_refresh_rereads_the_gbfs_status(tmp_path: Path) -> None:
    client, gbfs = _app(tmp_path)
    write_gbfs(gbfs, scooters=[("s3", 3.0)])
    got = client.post("/v1/networks/city/refresh")
    assert got.status_code == 200
    body = got.json()
    assert body["refreshed"] == ["synth"] and body["failed"] == {}
    assert body["gbfs"][0]["vehicles"] == 1
    net = client.app.state.networks["city"]  # type: ignore[attr-defined]
    assert list(net.rentals[0].vehicle_ids) == ["s3"]
    (gbfs / "free_bike_status.json").write_text("{ broken")
    kept = client.post("/v1/networks/city/refresh").json()
    assert kept["refreshed"] == [] and list(kept["failed"]) == ["synth"]
    assert list(net.rentals[0].vehicle_ids) == ["s3"]
    missing = client.post("/v1/networks/elsewhere/refresh")
    assert missing.status_code == 404 and "loaded: city" in missing.json()["detail"]


def _samples(text: str) -> dict[str, float]:
    """``{metric{labels}: value}`` of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def test_metrics_count_requests_per_route_and_gbfs_age(tmp_path: Path) -> None:
    client, _ = _app(tmp_path)
    listed = 'maasmix_http_requests_total{method="GET",route="/v1/networks",status="200"}'
    missing = (
        'maasmix_http_requests_total{method="POST",route="/v1/networks/{name}/refresh",'
        'status="404"}'
    )
    timed = 'maasmix_http_request_seconds_count{method="GET",route="/v1/networks"}'
    before = _samples(client.get("/metrics").text)  # the counters are the process's
    for _ in range(3):
        client.get("/v1/networks")
    client.post("/v1/networks/nowhere/refresh")
    text = client.get("/metrics").text
    after = _samples(text)
    assert after[listed] - before.get(listed, 0.0) == 3.0
    assert after[missing] - before.get(missing, 0.0) == 1.0
    assert after[timed] - before.get(timed, 0.0) == 3.0
    assert after['maasmix_gbfs_snapshot_age_seconds{network="city",system="synth"}'] == 90.0
    assert after["maasmix_networks_loaded"] == 1.0
    assert "# TYPE maasmix_plan_seconds histogram" in text.splitlines()
    assert client.get("/metrics").headers["content-type"].startswith("text/plain; version=0.0.4")


def test_feeds_take_their_id_prefix_and_fare_reading(tmp_path: Path) -> None:
    write_gtfs(tmp_path / "north")
    write_gtfs(tmp_path / "south")
    file = tmp_path / "deploy.yaml"
    file.write_text(
        "networks:\n  two:\n    gtfs:\n"
        "      - {source: north, id_prefix: n, fare_contains: subset}\n"
        "      - {source: south, id_prefix: s}\n"
        "    date: '20240305'\n"
    )
    (spec,) = read_deployment(file).networks
    net = build_network(spec, tmp_path / "cache")
    assert sorted(map(str, net.compiled.timetable.stop_ids)) == ["n:P", "n:Q", "s:P", "s:Q"]
    assert net.compiled.fares is not None
    assert net.compiled.fares.contains == {"n": "subset", "s": "exact"}
    app = create_app()
    register_network(app, "two", net)
    register_spec(app, spec)
    listed = TestClient(app).get("/v1/networks").json()["networks"][0]
    assert listed["feeds"] == [
        {"label": "n", "file": "north", "fareContains": "subset"},
        {"label": "s", "file": "south", "fareContains": None},
    ]
    assert listed["agencies"] == ["n:A", "s:A"]


def test_today_is_the_date_in_the_feeds_time_zone(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    write_gtfs(tmp_path / "feed")
    file = tmp_path / "deploy.yaml"
    file.write_text("networks:\n  x:\n    gtfs: feed\n    date: today\n")
    before = dt.datetime.now(ZoneInfo("Europe/Rome")).date()
    (spec,) = read_deployment(file).networks
    after = dt.datetime.now(ZoneInfo("Europe/Rome")).date()
    assert spec.date in (before, after)
    json.dumps(spec.date.isoformat())
