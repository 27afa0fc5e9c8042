"""API keys (hashed at rest, read/write scopes), body limit, CORS preflight, gzip."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import GZIP_MIN_BYTES, create_app
from maasmix.api.deployment import ApiKeySpec, Deployment, Limits, hash_key
from maasmix.api.routes.plan import register_network
from tests.engine.plan_builders import network

READ, WRITE = "reader-secret", "writer-secret"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    deployment = Deployment(
        keys=(
            ApiKeySpec("app", hash_key(READ), frozenset({"read"})),
            ApiKeySpec("ops", hash_key(WRITE), frozenset({"read", "write"})),
        ),
        limits=Limits(body_bytes=2048),
        cors_origins=("https://app.example.org",),
    )
    app = create_app(deployment)
    register_network(app, "city", network(tmp_path_factory.mktemp("net")))
    return TestClient(app)


def test_keys_are_stored_as_sha256() -> None:
    assert hash_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_read_route_without_a_key_is_401_problem_json(client: TestClient) -> None:
    got = client.get("/v1/networks")
    assert got.status_code == 401
    assert got.headers["content-type"] == "application/problem+json"
    assert got.headers["www-authenticate"] == "Bearer"
    assert got.json()["detail"].startswith("an API key is required")
    unknown = client.get("/v1/networks", headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401 and unknown.json()["detail"] == "unknown API key"
    huge = client.get("/v1/networks", headers={"X-API-Key": "k" * 5000})
    assert huge.status_code == 401


def test_read_and_write_scopes(client: TestClient) -> None:
    for header in ({"Authorization": f"Bearer {READ}"}, {"X-API-Key": READ}):
        listed = client.get("/v1/networks", headers=header)
        assert listed.status_code == 200
        assert [n["name"] for n in listed.json()["networks"]] == ["city"]
    refused = client.post("/v1/networks/city/refresh", headers={"X-API-Key": READ})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "the key 'app' has no 'write' scope"
    assert client.post("/v1/networks/city/refresh").status_code == 401
    done = client.post("/v1/networks/city/refresh", headers={"X-API-Key": WRITE})
    assert done.status_code == 200
    assert done.json() == {"name": "city", "refreshed": [], "failed": {}, "gbfs": []}


def test_probes_and_docs_need_no_key(client: TestClient) -> None:
    for path in ("/health", "/v1/health", "/ready", "/v1/ready", "/metrics", "/openapi.json"):
        assert client.get(path).status_code == 200, path


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    body = {"from": {"lat": 45, "lon": 9}, "to": {"lat": 45, "lon": 9.01}, "at": "x" * 3000}
    got = client.post("/v1/plan", json=body, headers={"X-API-Key": READ})
    assert got.status_code == 413
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json()["detail"] == "the request body is larger than 2048 bytes"

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"from": {"lat": 45, "lon": 9}, "pad": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    streamed = client.post(
        "/v1/plan",
        content=chunks(),
        headers={"X-API-Key": READ, "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    small = client.post(
        "/v1/plan",
        json={"from": {"lat": 45, "lon": 9}, "to": {"lat": 45, "lon": 9.01}, "at": "nope"},
        headers={"X-API-Key": READ},
    )
    assert small.status_code == 422 and small.json()["field"] == "at"  # the body's ISO pattern


def test_cors_preflight_from_an_allowed_origin(client: TestClient) -> None:
    preflight = client.options(
        "/v1/plan",
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.org"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    other = client.options(
        "/v1/plan",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    simple = client.get("/health", headers={"Origin": "https://app.example.org"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example.org"


def test_large_answers_are_gzipped(client: TestClient) -> None:
    zipped = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert "content-encoding" not in plain.headers
    assert zipped.json() == plain.json()  # the client inflated it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    small = client.get("/health", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < GZIP_MIN_BYTES and "content-encoding" not in small.headers


def test_an_open_service_needs_no_key(tmp_path: Path) -> None:
    app = create_app()
    register_network(app, "city", network(tmp_path))
    assert TestClient(app).post("/v1/networks/city/refresh").status_code == 200
