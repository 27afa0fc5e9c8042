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
    assert body["kind"] == "gbfs" and body["geofencingZones"] == 363
    assert any("system_information" in w for w in body["warnings"])


def test_inspect_gtfs(client: TestClient) -> None:
    source = "gtfs-cairns/cairns_gtfs.zip"
    body = client.get("/v1/feeds/inspect", params={"source": source}).json()
    assert body["kind"] == "gtfs" and body["stops"] == 416
    assert body["stopsByLocationType"] == {"0": 416} and body["calendarDatesOnly"] is False
    assert not [key for key in body if "_" in key]


@pytest.mark.parametrize(
    "source",
    [
        "gtfs-cairns/cairns_gtfs.zip",
        "gtfs-cairns/...",
        "a,b=c+d@e-f_g.zip",
        "http://example.org/feed.zip",
        "",
        ".",
        "..",
        "a/./b.zip",
        "a/../b.zip",
        "/etc/passwd",
        "~/x.zip",
        "a//b.zip",
        "gtfs-cairns/",
        "my feed.zip",
        "gtfs-cairns/caf\u00e9.zip",
        "file:///etc/passwd",
        "http://example.org/a b.zip",
        "http://example.org/a\x00.zip",
        "http://example.org/a\x7f.zip",
        "z" * 256,
    ],
)
def test_the_documented_pattern_is_what_the_code_accepts(data_dir: Path, source: str) -> None:
    """A name the OpenAPI pattern admits gets past every check of its form (it may then
    be absent, 404, or a URL this server does not fetch, 403); one it refuses does not."""
    import re

    from fastapi import HTTPException

    from maasmix.api.deps import SOURCE_PATTERN, server_source
    from maasmix.errors import QueryError

    spec = app.openapi()["paths"]["/v1/feeds/inspect"]["get"]["parameters"][0]["schema"]
    assert spec["pattern"] == SOURCE_PATTERN and spec["minLength"] == 1
    settings = Settings(data=data_dir)
    admitted = re.fullmatch(SOURCE_PATTERN, source) is not None
    try:
        server_source(source, settings)
        accepted = True
    except QueryError:
        accepted = False
    except HTTPException as exc:  # 403: refused as a server path, or a URL not fetched
        accepted = source.startswith("http://") and "this server fetches no URL" in exc.detail
    assert admitted == accepted, (source, admitted, accepted)


@pytest.mark.parametrize(
    ("source", "status"),
    [("gtfs-cairns/none.zip", 404), ("../../etc", 403), ("gtfs-cairns/SOURCE.md", 422)],
)
def test_bad_sources_are_problem_json(client: TestClient, source: str, status: int) -> None:
    response = client.get("/v1/feeds/inspect", params={"source": source})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status
