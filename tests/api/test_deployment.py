"""A deployment file served over HTTP: Helsinki with ``fare_contains: subset`` prices its
transit legs (the HSL AB single ticket, EUR 2.80)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maasmix.api.cli.serve import load_app
from maasmix.api.deployment import hash_key, read_deployment
from maasmix.errors import FeedWarning

KEY = "helsinki-reader"


@pytest.mark.slow
def test_helsinki_over_http_prices_transit_with_fare_contains_subset(
    dataset: Callable[..., Path], tmp_path: Path
) -> None:
    gtfs = dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip")
    gbfs = dataset("gbfs-helsinki-hsl")
    file = tmp_path / "deploy.yaml"
    file.write_text(
        "networks:\n"
        "  helsinki:\n"
        f"    gtfs: [{{source: '{gtfs}', fare_contains: subset}}]\n"
        f"    gbfs: ['{gbfs}']\n"
        "    date: '20220222'\n"
        f"keys: [{{name: app, sha256: {hash_key(KEY)}, scopes: [read]}}]\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedWarning)
        app = load_app(read_deployment(file), cache_dir=tmp_path / "cache")
    client = TestClient(app)
    query = {
        "from": "60.1699,24.9384",
        "to": "60.1841,24.9497",
        "at": "2022-02-22T08:00:00+02:00",
        "modes": "WALK,TRANSIT",
    }
    assert client.get("/v1/plan", params=query).status_code == 401
    got = client.get("/v1/plan", params=query, headers={"Authorization": f"Bearer {KEY}"})
    assert got.status_code == 200, got.text
    rides = [leg for it in got.json()["itineraries"] for leg in it["legs"] if leg["mode"] != "WALK"]
    assert {leg["mode"] for leg in rides} >= {"SUBWAY", "TRAM"}
    assert all(leg["fare"]["priced"] is True for leg in rides)
    first = rides[0]
    assert first["fare"]["status"] == "priced"
    assert first["fare"]["price"] == [{"amountMinor": 280, "currency": "EUR", "text": "2.80 EUR"}]
    assert first["fare"]["fareProducts"] == ["AB@1"]
    for itinerary in got.json()["itineraries"]:
        if all(leg["mode"] == "WALK" for leg in itinerary["legs"]):
            continue
        assert itinerary["fare"]["complete"] is True
        assert itinerary["fare"]["totals"] == [
            {"amountMinor": 280, "currency": "EUR", "text": "2.80 EUR"}
        ]
    listed = client.get("/v1/networks", headers={"X-API-Key": KEY}).json()["networks"]
    assert listed[0]["feeds"] == [
        {
            "label": "helsinki_hsl_gtfs_2022-02",
            "file": "helsinki_hsl_gtfs_2022-02.zip",
            "fareContains": "subset",
        }
    ]
    assert listed[0]["gbfs"][0]["systemId"] == "HSL_FI_Helsinki"
