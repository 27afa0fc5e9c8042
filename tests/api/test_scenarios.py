"""``/v1/scenarios``: create, read, list, update (a new version each time, old ones
readable), delete; the body typed by the scenario JSON Schema; keys; restarts on the
same database (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from maasmix.api.deployment import ApiKeySpec, hash_key

EXAMPLES = Path(__file__).resolve().parents[2] / "pricing" / "examples"


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text("utf-8"))
    return data


def test_create_read_update_delete_and_restart(storage_app: Any) -> None:
    body = _example("hand_check")
    with TestClient(storage_app()) as client:
        created = client.post("/v1/scenarios", json=body)
        assert created.status_code == 201
        out = created.json()
        sid = out["id"]
        assert created.headers["location"] == f"/v1/scenarios/{sid}"
        assert (out["name"], out["version"], out["latestVersion"]) == (body["name"], 1, 1)
        assert out["createdBy"] == "anonymous"
        assert out["scenario"]["segments"].keys() == body["segments"].keys()
        changed = copy.deepcopy(body)
        changed["name"] = "hand check, dearer"
        updated = client.put(f"/v1/scenarios/{sid}", json=changed)
        assert updated.status_code == 200
        assert (updated.json()["version"], updated.json()["name"]) == (2, "hand check, dearer")

    # a new app (new engine, new runner) on the same database reads everything back
    with TestClient(storage_app()) as client:
        latest = client.get(f"/v1/scenarios/{sid}").json()
        assert (latest["version"], latest["latestVersion"], latest["name"]) == (
            2,
            2,
            "hand check, dearer",
        )
        first = client.get(f"/v1/scenarios/{sid}", params={"version": 1}).json()
        assert (first["version"], first["latestVersion"], first["scenario"]["name"]) == (
            1,
            2,
            body["name"],
        )
        assert first["scenario"] == out["scenario"]
        versions = client.get(f"/v1/scenarios/{sid}/versions").json()
        assert [v["version"] for v in versions] == [1, 2]
        listed = client.get("/v1/scenarios").json()
        assert listed["total"] == 1
        assert [(s["id"], s["version"]) for s in listed["items"]] == [(sid, 2)]
        missing = client.get(f"/v1/scenarios/{sid}", params={"version": 3})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert "no version 3" in missing.json()["detail"]
        assert client.delete(f"/v1/scenarios/{sid}").status_code == 204
        assert client.get(f"/v1/scenarios/{sid}").status_code == 404
        assert client.delete(f"/v1/scenarios/{sid}").status_code == 404
        assert client.get("/v1/scenarios").json() == {"total": 0, "items": []}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bad_input_is_problem_json(storage_app: Any) -> None:
    body = _example("hand_check")
    with TestClient(storage_app()) as client:
        no_currency = {k: v for k, v in body.items() if k != "currency"}
        answer = client.post("/v1/scenarios", json=no_currency)
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert "currency" in answer.json()["detail"]
        # a reference to an unknown mode: caught by the scenario's own checks
        wrong = copy.deepcopy(body)
        first = next(iter(wrong["segments"]))
        wrong["segments"][first]["usage"]["no_such_mode"] = {"payg": 1, "bundle": 1}
        answer = client.post("/v1/scenarios", json=wrong)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"].startswith(f"segments.{first}")
        assert client.get("/v1/scenarios/not-an-id").status_code == 422
        assert client.get("/v1/scenarios/" + "0" * 32).status_code == 404
        assert client.put("/v1/scenarios/" + "0" * 32, json=body).status_code == 404
        assert client.get("/v1/scenarios", params={"limit": 0}).status_code == 422
        sid = client.post("/v1/scenarios", json=body).json()["id"]
        for kind in ("optimise", "frontier", "demand"):  # a version the store cannot hold
            late = client.post(f"/v1/scenarios/{sid}/{kind}", json={"version": 2**31})
            assert late.status_code == 422 and late.json()["field"] == "version", late.text
            unknown = client.post(f"/v1/scenarios/{sid}/{kind}", json={"timeLimit": 5})
            assert unknown.status_code == 422 and unknown.json()["field"] == "timeLimit"
        assert client.delete(f"/v1/scenarios/{sid}").status_code == 204
        assert client.post(
            "/v1/scenarios", content=b"{", headers={"content-type": "application/json"}
        ).status_code in (400, 422)
        assert client.get("/v1/scenarios").json()["total"] == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_writes_need_a_write_key(storage_app: Any) -> None:
    keys = (
        ApiKeySpec("reader", hash_key("read-key"), frozenset({"read"})),
        ApiKeySpec("writer", hash_key("write-key"), frozenset({"read", "write"})),
    )
    body = _example("hand_check")
    reader = {"Authorization": "Bearer read-key"}
    writer = {"X-API-Key": "write-key"}
    with TestClient(storage_app(keys=keys)) as client:
        anonymous = client.post("/v1/scenarios", json=body)
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert client.post("/v1/scenarios", json=body, headers=reader).status_code == 403
        created = client.post("/v1/scenarios", json=body, headers=writer)
        assert created.status_code == 201
        assert created.json()["createdBy"] == "writer"
        sid = created.json()["id"]
        assert client.get(f"/v1/scenarios/{sid}").status_code == 401
        assert client.get(f"/v1/scenarios/{sid}", headers=reader).status_code == 200
        assert client.put(f"/v1/scenarios/{sid}", json=body, headers=reader).status_code == 403
        assert client.delete(f"/v1/scenarios/{sid}", headers=reader).status_code == 403
        for kind in ("optimise", "frontier", "demand"):
            assert client.post(f"/v1/scenarios/{sid}/{kind}").status_code == 401
            assert client.post(f"/v1/scenarios/{sid}/{kind}", headers=reader).status_code == 403
        assert client.get("/v1/scenarios", headers=reader).json()["total"] == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_openapi_types_the_body_by_the_scenario_schema(storage_app: Any) -> None:
    with TestClient(storage_app()) as client:
        document = client.get("/openapi.json").json()
    create = document["paths"]["/v1/scenarios"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Scenario"}
    scenario = document["components"]["schemas"]["Scenario"]
    assert set(scenario["required"]) >= {"name", "currency", "modes", "segments", "candidates"}
    update = document["paths"]["/v1/scenarios/{scenarioId}"]["put"]
    assert update["requestBody"]["content"]["application/json"]["schema"] == body
    out = document["components"]["schemas"]["ScenarioOut"]["properties"]["scenario"]
    assert out == {"$ref": "#/components/schemas/Scenario"}
    for kind in ("optimise", "frontier", "demand"):
        responses = document["paths"][f"/v1/scenarios/{{scenarioId}}/{kind}"]["post"]["responses"]
        assert {"202", "401", "403", "404", "422", "429"} <= set(responses)


def test_ready_checks_the_storage_it_uses(storage_app: Any) -> None:
    with TestClient(storage_app()) as client:
        ready = client.get("/ready")
        checks = {c["name"]: c for c in ready.json()["checks"]}
        assert checks["storage"] == {"name": "storage", "ok": True, "detail": "reachable"}
