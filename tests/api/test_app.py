"""The HTTP app starts, serves OpenAPI 3.1 and answers unknown paths with problem+json."""

from fastapi.testclient import TestClient

from maasmix.api.app import app


def test_openapi_is_3_1() -> None:
    client = TestClient(app)
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")


def test_unknown_path_is_problem_json() -> None:
    client = TestClient(app)
    response = client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404
