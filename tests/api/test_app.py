"""The HTTP app starts, serves OpenAPI 3.1 and answers unknown paths with problem+json."""

import json
import re

from fastapi.testclient import TestClient

from maasmix.api.app import app, clean_schema_names


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


def test_schema_names_are_readable_unique_and_resolve() -> None:
    spec = TestClient(app).get("/openapi.json").json()
    names = list(spec["components"]["schemas"])
    assert all("__" not in n and "maasmix" not in n for n in names), names
    assert len(names) == len(set(names))
    text = json.dumps(spec)
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', text))
    assert refs <= set(names), refs - set(names)


def test_clean_schema_names_renames_module_paths_and_their_refs() -> None:
    document = {
        "paths": {"/a": {"$ref": "#/components/schemas/pkg__api__schemas__plan__LegOut"}},
        "components": {
            "schemas": {
                "pkg__api__schemas__plan__LegOut": {"title": "LegOut"},
                "pkg__api__schemas__journeys__LegOut": {"title": "LegOut"},
                "PlanLegOut": {"title": "taken"},
            }
        },
    }
    out = clean_schema_names(document)
    assert set(out["components"]["schemas"]) == {"PlanLegOut", "PkgPlanLegOut", "JourneysLegOut"}
    assert out["paths"]["/a"] == {"$ref": "#/components/schemas/PkgPlanLegOut"}


def test_scenario_bodies_are_typed_by_the_scenario_schema() -> None:
    spec = TestClient(app).get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for request in ("OptimiseRequest", "FrontierRequest", "DemandRequest"):
        assert schemas[request]["properties"]["scenario"] == {
            "$ref": "#/components/schemas/Scenario"
        }
        assert "scenario" in schemas[request]["required"]
    assert "x-maasmix-scenario" not in json.dumps(spec)


def test_a_deployment_with_keys_documents_them() -> None:
    from maasmix.api.app import create_app
    from maasmix.api.deployment import ApiKeySpec, Deployment, hash_key

    keyed = create_app(Deployment(keys=(ApiKeySpec("k", hash_key("s"), frozenset({"read"})),)))
    spec = TestClient(keyed).get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}
    for path, item in spec["paths"].items():
        for operation in item.values():
            if path in ("/v1/health", "/v1/ready", "/v1/metrics"):
                assert "security" not in operation
            else:
                assert operation["security"] == [{"ApiKey": []}, {"Bearer": []}]
                assert {"401", "403"} <= set(operation["responses"]), path
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(operation["responses"]), path
    open_spec = TestClient(app).get("/openapi.json").json()
    assert "securitySchemes" not in open_spec["components"]
