"""GET /feeds/inspect: summaries of real inputs; bad input is a 4xx problem+json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import app
from maasmix.api.settings import Settings, get_settings


@pytest.fixture
def client(data_dir: Path) -> Any:
    app.dependency_overrides[get_settings] = lambda: Settings(data=data_dir)
    yield TestClient(app)
    app.dependency_overrides.clear()


def test_inspect_gbfs_with_repair_warnings(client: TestClient) -> None:
    response = client.get("/v1/feeds/inspect", params={"source": "gbfs-oslo-tier"})
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "gbfs" and body["geofencing_zones"] == 363
    assert any("system_information" in w for w in body["warnings"])


def test_inspect_gtfs(client: TestClient) -> None:
    source = "gtfs-cairns/cairns_gtfs.zip"
    body = client.get("/v1/feeds/inspect", params={"source": source}).json()
    assert body["kind"] == "gtfs" and body["stops"] == 416


@pytest.mark.parametrize(
    ("source", "status"),
    [("gtfs-cairns/none.zip", 404), ("../../etc", 403), ("gtfs-cairns/SOURCE.md", 422)],
)
def test_bad_sources_are_problem_json(client: TestClient, source: str, status: int) -> None:
    response = client.get("/v1/feeds/inspect", params={"source": source})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status
