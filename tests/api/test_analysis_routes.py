"""``POST /v1/isochrones`` and ``POST /v1/matrix`` on the demo city: the answers equal the
Python calls on the same network; the size limit and bad bodies are 4xx problem+json."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time as time_module
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.deployment import Deployment, Limits
from maasmix.api.routes.plan import register_network
from maasmix.engine.isochrones import isochrones, to_geojson
from maasmix.engine.matrix import travel_time_matrix
from maasmix.engine.network import Network
from maasmix.feeds.demo import write_demo_city


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Network, str]:
    root = tmp_path_factory.mktemp("demo")
    c = write_demo_city(root / "city")
    net = Network.from_files(
        gtfs=c.gtfs_zip, osm=c.osm_pbf, gbfs=[c.gbfs_dir], date=c.service_date,
        cache_dir=root / "cache",
    )  # fmt: skip
    at = dt.datetime.combine(c.service_date, dt.time(8, 0)).isoformat()
    return net, at


@pytest.fixture(scope="module")
def client(city: tuple[Network, str]) -> TestClient:
    app = create_app(Deployment(limits=Limits(matrix_cells=60)))
    register_network(app, "demo", city[0])
    return TestClient(app)


def _grid(net: Network, n: int, seed: int) -> pd.DataFrame:
    west, south, east, north = net.compiled.bbox
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "lat": rng.uniform(south, north, n),
            "lon": rng.uniform(west, east, n),
        }
    )


def _body_points(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"id": r.id, "lat": r.lat, "lon": r.lon} for r in frame.itertuples()]


def test_matrix_equals_the_python_call(client: TestClient, city: tuple[Network, str]) -> None:
    net, at = city
    origins, dests = _grid(net, 6, 1), _grid(net, 10, 2)
    body = {
        "origins": _body_points(origins),
        "destinations": _body_points(dests),
        "departure": at,
        "window": 20,
        "percentiles": [25, 50, 90],
        "maxTime": 45,
        "cutoff": 30,
        "accessModes": ["WALK", "RENTAL"],
    }
    got = client.post("/v1/matrix", json=body)
    assert got.status_code == 200, got.text
    answer = got.json()
    want = travel_time_matrix(
        net, origins, dests, at, 20, [25, 50, 90], max_time=45, cutoff=30,
        access_modes=["WALK", "RENTAL"],
    )  # fmt: skip
    assert answer["network"] == "demo" and answer["percentiles"] == [25, 50, 90]
    assert answer["cutoff"] == 30
    assert len(answer["rows"]) == 60
    for row, ref in zip(answer["rows"], want.itertuples(index=False), strict=True):
        assert (row["fromId"], row["toId"]) == (ref.from_id, ref.to_id)
        expected = [ref.travel_time_p25, ref.travel_time_p50, ref.travel_time_p90]
        assert row["travelTimes"] == [None if math.isnan(v) else v for v in expected]
        assert row["shareWithinCutoff"] == ref.share_within_30
    reached = [r["travelTimes"][1] for r in answer["rows"] if r["travelTimes"][1] is not None]
    assert 0 < len(reached) < 60  # some pairs reached, some not, within 45 minutes


def test_matrix_takes_ones_own_bike(client: TestClient, city: tuple[Network, str]) -> None:
    """BICYCLE access and egress over HTTP: the Python call's answer, never slower than WALK."""
    net, at = city
    origins, dests = _grid(net, 4, 3), _grid(net, 6, 4)
    answers = {}
    for modes in (["WALK"], ["WALK", "BICYCLE"]):
        body = {
            "origins": _body_points(origins), "destinations": _body_points(dests),
            "departure": at, "window": 10, "maxTime": 45,
            "accessModes": modes, "egressModes": modes,
        }  # fmt: skip
        got = client.post("/v1/matrix", json=body)
        assert got.status_code == 200, got.text
        answers[len(modes)] = [r["travelTimes"][0] for r in got.json()["rows"]]
    want = travel_time_matrix(
        net, origins, dests, at, 10, [50], max_time=45,
        access_modes=["WALK", "BICYCLE"], egress_modes=["WALK", "BICYCLE"],
    )  # fmt: skip
    assert answers[2] == [None if math.isnan(v) else v for v in want["travel_time_p50"]]
    for walk, bike in zip(answers[1], answers[2], strict=True):
        assert walk is None or (bike is not None and bike <= walk)
    faster = [
        b
        for w, b in zip(answers[1], answers[2], strict=True)
        if b is not None and (w is None or b < w)
    ]
    assert faster  # the bike is taken somewhere


def test_matrix_defaults_to_origins_and_position_ids(
    client: TestClient, city: tuple[Network, str]
) -> None:
    net, at = city
    pts = _grid(net, 4, 3)
    body = {"origins": [{"lat": r.lat, "lon": r.lon} for r in pts.itertuples()],
            "departure": at, "window": 5}  # fmt: skip
    answer = client.post("/v1/matrix", json=body).json()
    want = travel_time_matrix(net, pts.assign(id=["0", "1", "2", "3"]), None, at, 5)
    assert [(r["fromId"], r["toId"]) for r in answer["rows"]] == list(
        zip(want["from_id"], want["to_id"], strict=True)
    )
    assert [r["travelTimes"][0] for r in answer["rows"]] == [
        None if math.isnan(v) else v for v in want["travel_time_p50"]
    ]
    assert answer["cutoff"] == 60


def test_matrix_over_the_limit_is_413(client: TestClient, city: tuple[Network, str]) -> None:
    net, at = city
    body = {"origins": _body_points(_grid(net, 61, 4)), "destinations":
            _body_points(_grid(net, 1, 5)), "departure": at}  # fmt: skip
    got = client.post("/v1/matrix", json=body)
    assert got.status_code == 413
    assert got.headers["content-type"].startswith("application/problem+json")
    detail = got.json()["detail"]
    assert "61 cells" in detail and "at most 60" in detail and "maasmix matrix" in detail


def test_isochrones_equal_the_python_call(client: TestClient, city: tuple[Network, str]) -> None:
    net, at = city
    pts = _grid(net, 2, 6)
    body = {"points": _body_points(pts), "departure": at, "cutoffs": [20, 10], "window": 3}
    got = client.post("/v1/isochrones", json=body)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/geo+json"
    answer = got.json()
    want = json.loads(to_geojson(isochrones(net, pts, at, 3, [10, 20])))
    assert answer["type"] == "FeatureCollection" and "crs" not in answer
    assert [f["properties"] for f in answer["features"]] == [
        {"id": "p0", "travelTime": 10}, {"id": "p0", "travelTime": 20},
        {"id": "p1", "travelTime": 10}, {"id": "p1", "travelTime": 20},
    ]  # fmt: skip
    assert [f["geometry"] for f in answer["features"]] == [f["geometry"] for f in want["features"]]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in answer["features"])
    assert answer["features"][0]["geometry"]["coordinates"]  # the 10-minute area is not empty


@pytest.mark.parametrize(
    ("path", "change", "field"),
    [
        ("/v1/isochrones", {"cutoffs": [0]}, "cutoffs"),
        ("/v1/isochrones", {"cutoffs": [241]}, "cutoffs"),
        ("/v1/isochrones", {"window": 0}, "window"),
        ("/v1/isochrones", {"window": 181}, "window"),
        ("/v1/isochrones", {"points": []}, "points"),
        ("/v1/isochrones", {"points": [{"lat": 91, "lon": 0}]}, "lat"),
        ("/v1/isochrones", {"percentile": 101}, "percentile"),
        ("/v1/isochrones", {"accessModes": ["CAR"]}, "accessModes"),
        ("/v1/matrix", {"percentiles": [50, 120]}, "percentiles"),
        ("/v1/matrix", {"percentiles": [-1]}, "percentiles"),
        ("/v1/matrix", {"window": 4320}, "window"),
        ("/v1/matrix", {"window": 0}, "window"),
        ("/v1/matrix", {"origins": []}, "origins"),
        ("/v1/isochrones", {"window": 4320}, "window"),
        ("/v1/matrix", {"maxTime": 0}, "maxTime"),
        ("/v1/matrix", {"origins": [{"lat": 0, "lon": 181}]}, "lon"),
        ("/v1/matrix", {"departure": "tomorrow morning"}, "departure"),
        ("/v1/isochrones", {"departure": "2026-03-10"}, "departure"),
        ("/v1/isochrones", {"departure": "2026-13-10T08:00"}, "departure"),
        ("/v1/matrix", {"departure": "8:60"}, "departure"),
        ("/v1/matrix", {"origins": [{"id": "a", "lat": 0, "lon": 0}] * 2}, "field 'id'"),
        ("/v1/matrix", {"network": "nowhere"}, "nowhere"),
    ],
)
def test_bad_bodies_are_4xx_problems(
    client: TestClient, city: tuple[Network, str], path: str, change: dict[str, Any], field: str
) -> None:
    net, at = city
    pts = _body_points(_grid(net, 1, 7))
    body: dict[str, Any] = {"departure": at, **({"points": pts} if "iso" in path else
                                                {"origins": pts})}  # fmt: skip
    body.update(change)
    got = client.post(path, json=body)
    assert got.status_code in (404, 422), got.text
    assert got.headers["content-type"].startswith("application/problem+json")
    assert field in got.json()["detail"]


def test_openapi_types_the_bodies_with_bounds(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    iso = schemas["IsochronesRequest"]["properties"]
    assert iso["cutoffs"]["items"] == {"type": "integer", "minimum": 1, "maximum": 240}
    assert (iso["window"]["minimum"], iso["window"]["maximum"]) == (1, 180)
    matrix = schemas["MatrixRequest"]["properties"]
    assert matrix["percentiles"]["items"] == {"type": "number", "minimum": 0, "maximum": 100}
    assert "413" in spec["paths"]["/v1/matrix"]["post"]["responses"]
    pattern = re.compile(matrix["departure"]["pattern"])
    for ok in ("8:00", "08:00:30", "47:59", "2026-03-10T08:00", "2026-03-10T08:00:00.5+02:00"):
        assert pattern.fullmatch(ok), ok
    for bad in ("2026-03-10", "8", "08:60", "2026-03-10T24:00", "tomorrow"):
        assert not pattern.fullmatch(bad), bad
    assert (
        "application/geo+json"
        in spec["paths"]["/v1/isochrones"]["post"]["responses"]["200"]["content"]
    )


@pytest.fixture(scope="module")
def job_city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Network, str, Any]:
    """The demo city written to files a deployment names (a worker rebuilds it)."""
    root = tmp_path_factory.mktemp("demo-files")
    c = write_demo_city(root / "city")
    net = Network.from_files(
        gtfs=c.gtfs_zip, osm=c.osm_pbf, gbfs=[c.gbfs_dir], date=c.service_date,
        cache_dir=root / "cache",
    )  # fmt: skip
    at = dt.datetime.combine(c.service_date, dt.time(8, 0)).isoformat()
    return net, at, c


def test_matrix_over_the_limit_is_a_job_with_the_small_answers_shape(
    job_city: tuple[Network, str, Any], tmp_path: Any
) -> None:
    from maasmix.api.deployment import ApiKeySpec, FeedSpec, GbfsSpec, NetworkSpec, hash_key
    from maasmix.api.jobs import LocalClusterOptions
    from maasmix.api.settings import Settings, get_settings

    net, at, c = job_city
    spec = NetworkSpec(
        name="demo",
        feeds=(FeedSpec(str(c.gtfs_zip)),),
        osm=str(c.osm_pbf),
        gbfs_systems=(GbfsSpec(str(c.gbfs_dir)),),
        date=c.service_date,
    )
    keys = (
        ApiKeySpec("writer", hash_key("w-key"), frozenset({"read", "write"})),
        ApiKeySpec("reader", hash_key("r-key"), frozenset({"read"})),
    )
    app = create_app(
        Deployment(
            networks=(spec,),
            storage_url=f"sqlite:///{tmp_path / 'jobs.db'}",
            keys=keys,
            limits=Limits(matrix_cells=60),
        )
    )
    settings = Settings(cache_dir=tmp_path / "cache")
    app.dependency_overrides[get_settings] = lambda: settings
    app.state.local_cluster = LocalClusterOptions(
        processes=False, n_workers=1, threads_per_worker=2
    )
    register_network(app, "demo", net)
    origins, dests = _grid(net, 13, 7), _grid(net, 5, 8)  # 65 cells > 60
    body = {
        "origins": _body_points(origins),
        "destinations": _body_points(dests),
        "departure": at,
        "window": 10,
        "percentiles": [50, 90],
        "maxTime": 45,
        "cutoff": 30,
    }
    with TestClient(app) as client:
        assert client.post("/v1/matrix", json=body).status_code == 401
        read_only = client.post("/v1/matrix", json=body, headers={"X-API-Key": "r-key"})
        assert read_only.status_code == 403
        auth = {"X-API-Key": "w-key"}
        started = client.post("/v1/matrix", json=body, headers=auth)
        assert started.status_code == 202, started.text
        job = started.json()
        assert started.headers["location"] == f"/v1/jobs/{job['id']}"
        assert (job["kind"], job["scenarioId"], job["scenarioVersion"]) == ("matrix", None, None)
        assert job["params"] == {"network": "demo", "origins": 13, "destinations": 5, "cells": 65}
        deadline = dt.datetime.now() + dt.timedelta(seconds=180)
        while True:
            got = client.get(started.headers["location"], headers=auth).json()
            if got["state"] not in ("queued", "running"):
                break
            assert dt.datetime.now() < deadline, got
            time_module.sleep(0.2)
        assert got["state"] == "done", got
        assert got["report"] is None and got["progress"] == 1.0
        answer = got["result"]
        # a small matrix's answer, and the Python call's numbers
        want = travel_time_matrix(net, origins, dests, at, 10, [50, 90], max_time=45, cutoff=30)
        assert answer["network"] == "demo" and answer["percentiles"] == [50, 90]
        assert answer["cutoff"] == 30 and len(answer["rows"]) == 65
        for row, ref in zip(answer["rows"], want.itertuples(index=False), strict=True):
            assert (row["fromId"], row["toId"]) == (ref.from_id, ref.to_id)
            expected = [ref.travel_time_p50, ref.travel_time_p90]
            assert row["travelTimes"] == [None if math.isnan(v) else v for v in expected]
            assert row["shareWithinCutoff"] == ref.share_within_30
        assert any(r["travelTimes"][0] is not None for r in answer["rows"])
        # the chunk files of the job are gone once it is done
        assert not list((tmp_path / "cache" / "matrix-jobs").glob("*/chunk-*"))
