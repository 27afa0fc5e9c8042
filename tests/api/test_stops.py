"""``GET /v1/stops``: by name, by position, both; on a synthetic network and Helsinki."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.routes.plan import register_network
from maasmix.api.routes.stops import find_stops
from maasmix.engine.network import Network
from maasmix.geodesy import haversine_m
from tests.engine.plan_builders import LAT, lon_at, network

IDS = np.array(["c", "a", "b", "d"], dtype=object)
NAMES = np.array(["Main Street", "Street Market", "Main Square", "Harbour"], dtype=object)
LATS = np.array([60.0, 60.001, 60.002, 60.003])
LONS = np.array([25.0, 25.0, 25.0, 25.0])


def test_by_name_exact_then_prefix_then_substring() -> None:
    found, dist = find_stops(IDS, NAMES, LATS, LONS, "street", None, 10)
    assert dist is None and [IDS[i] for i in found] == ["a", "c"]  # prefix, then substring
    found, _ = find_stops(IDS, NAMES, LATS, LONS, "MAIN", None, 10)
    assert [NAMES[i] for i in found] == ["Main Square", "Main Street"]
    found, _ = find_stops(IDS, NAMES, LATS, LONS, "harbour", None, 10)
    assert [IDS[i] for i in found] == ["d"]
    assert len(find_stops(IDS, NAMES, LATS, LONS, "nowhere", None, 10)[0]) == 0


def test_by_position_nearest_first_with_distances() -> None:
    found, dist = find_stops(IDS, NAMES, LATS, LONS, None, (60.0025, 25.0), 3)
    assert [IDS[i] for i in found] == ["b", "d", "a"]
    assert dist is not None
    np.testing.assert_allclose(dist, haversine_m(60.0025, 25.0, LATS[found], LONS[found]))
    found, _ = find_stops(IDS, NAMES, LATS, LONS, "main", (60.0025, 25.0), 10)
    assert [IDS[i] for i in found] == ["b", "c"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    app = create_app()
    register_network(app, "city", network(tmp_path_factory.mktemp("net")))
    return TestClient(app)


def test_route_by_name_and_position(client: TestClient) -> None:
    got = client.get("/v1/stops", params={"q": "stop q"})
    assert got.status_code == 200
    assert got.json() == {
        "network": "city",
        "stops": [
            {
                "id": "Q",
                "name": "Stop Q",
                "lat": LAT,
                "lon": lon_at(25),
                "served": True,
                "distanceM": None,
            }
        ],
    }
    near = client.get("/v1/stops", params={"near": f"{LAT},{lon_at(6)}", "limit": 1}).json()
    (stop,) = near["stops"]
    assert stop["id"] == "P"
    assert stop["distanceM"] == round(float(haversine_m(LAT, lon_at(6), LAT, lon_at(5))), 1)
    both = client.get("/v1/stops", params={"q": "Stop", "near": f"{LAT},{lon_at(30)}"}).json()
    assert [s["id"] for s in both["stops"]] == ["Q", "P"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "q"),
        ({"q": "   "}, "q"),
        ({"near": "60.1"}, "near"),
        ({"near": "95,24"}, "near"),
    ],
)
def test_bad_queries_are_422_naming_the_parameter(
    client: TestClient, params: dict[str, str], parameter: str
) -> None:
    got = client.get("/v1/stops", params=params)
    assert got.status_code == 422
    assert got.json()["parameter"] == parameter


def test_limits_and_unknown_network(client: TestClient) -> None:
    assert client.get("/v1/stops", params={"q": "s", "limit": 0}).status_code == 422
    assert client.get("/v1/stops", params={"q": "s", "limit": 101}).status_code == 422
    missing = client.get("/v1/stops", params={"q": "s", "network": "nowhere"})
    assert missing.status_code == 404


@pytest.mark.slow
def test_helsinki_stops_by_name_and_position(dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import warnings

    from maasmix.errors import FeedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        net = Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            date="20220222",
            cache_dir=tmp_path,
        )
    app = create_app()
    register_network(app, "helsinki", net)
    client = TestClient(app)
    named = client.get("/v1/stops", params={"q": "rautatientori", "limit": 3}).json()["stops"]
    assert [s["name"] for s in named] == ["Rautatientori"] * 3
    near = client.get("/v1/stops", params={"near": "60.1699,24.9384", "limit": 3}).json()
    assert [(s["id"], s["name"], s["distanceM"]) for s in near["stops"]] == [
        ("1020443", "Lasipalatsi", 43.4),
        ("1020444", "Lasipalatsi", 72.4),
        ("1020601", "Rautatientori", 96.2),
    ]
