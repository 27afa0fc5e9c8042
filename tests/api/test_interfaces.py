"""One query, three interfaces: Python, the CLI and HTTP give the same journeys; and the
restructured service's contract (no service, SSRF, OpenAPI, offline docs, version)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import maasmix
from maasmix.api.app import app
from maasmix.api.cli import app as cli
from maasmix.api.schemas.journeys import journeys_out
from maasmix.api.settings import Settings, get_settings
from maasmix.engine import TransitRouter
from maasmix.feeds.demo import write_demo_city

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_demo_city(root / "demo")
    return root


def _client(data: Path, cache: Path) -> TestClient:
    app.dependency_overrides[get_settings] = lambda: Settings(data=data, cache_dir=cache)
    return TestClient(app)


@pytest.fixture(autouse=True)
def _clear_overrides() -> Iterator[None]:
    yield
    app.dependency_overrides.clear()


def _three_ways(
    data: Path, feed: str, date: str, origin: str, destination: str, at: str, cache: Path
) -> tuple[Any, Any, Any]:
    router = TransitRouter.from_gtfs(data / feed, date, cache_dir=cache)
    python = journeys_out(
        router.timetable.date.isoformat(),
        origin,
        destination,
        router.journeys(origin, destination, at),
        timetable=router.timetable,
    ).model_dump(mode="json", exclude_none=True)
    args = ["route", str(data / feed), "--date", date, "--from", origin, "--to", destination]
    result = runner.invoke(cli, [*args, "--at", at, "--cache-dir", str(cache), "--json"])
    assert result.exit_code == 0, result.output
    params = {"feed": feed, "date": date, "from": origin, "to": destination, "at": at}
    response = _client(data, cache).get("/v1/route/journeys", params=params)
    assert response.status_code == 200, response.text
    return python, json.loads(result.stdout), response.json()


def test_same_journeys_from_python_cli_and_http_on_bart(data_dir: Path, tmp_path: Path) -> None:
    python, from_cli, from_http = _three_ways(
        data_dir, "gtfs-bay-area/bart.zip", "20180601", "CAST", "DBRK", "08:00", tmp_path
    )
    assert python == from_cli == from_http
    (itinerary,) = python["itineraries"]
    assert (itinerary["startSeconds"], itinerary["endSeconds"]) == (29460, 31800)


def test_same_journeys_from_python_cli_and_http_in_the_demo_city(
    demo_root: Path, tmp_path: Path
) -> None:
    python, from_cli, from_http = _three_ways(
        demo_root,
        "demo/demo_city_gtfs.zip",
        "20260310",
        "s01-05-ew",
        "s29-25-ew",
        "08:00",
        tmp_path,
    )
    assert python == from_cli == from_http
    (itinerary,) = python["itineraries"]
    assert itinerary["numberOfTransfers"] == 2 and itinerary["endSeconds"] == 30960


def test_http_walking_flag_asks_mcraptor(data_dir: Path, tmp_path: Path) -> None:
    feed = "gtfs-milan/milano_small_gtfs.zip"
    params = {"feed": feed, "date": "20141020", "from": "12979", "to": "11312", "at": "08:00"}
    client = _client(data_dir, tmp_path)
    plain = client.get("/v1/route/journeys", params=params).json()["itineraries"]
    walking = client.get("/v1/route/journeys", params={**params, "walking": "true"})
    assert walking.status_code == 200, walking.text
    router = TransitRouter.from_gtfs(data_dir / feed, "20141020", cache_dir=tmp_path)
    want = [
        (j.arrival_s, j.transfers, j.walk_s) for j in router.mc_journeys("12979", "11312", "08:00")
    ]
    got = [
        (i["endSeconds"], i["numberOfTransfers"], i["walkTime"])
        for i in walking.json()["itineraries"]
    ]
    assert got == want and len(got) == 5
    assert [(i["endSeconds"], i["numberOfTransfers"]) for i in plain] == [(32596, 1)]


def test_destination_egress_seconds_change_the_answer(data_dir: Path, tmp_path: Path) -> None:
    """SFIA is reached at 08:44, Millbrae at 08:48: 5 minutes of egress at SFIA tip it."""
    bart = data_dir / "gtfs-bay-area" / "bart.zip"
    router = TransitRouter.from_gtfs(bart, "20180601", cache_dir=tmp_path)
    ends = [
        [(j.legs[-1].to_stop_id, j.arrival_s) for j in router.journeys("12TH", to, "08:00")]
        for to in ({"SFIA": 0, "MLBR": 0}, {"SFIA": 300, "MLBR": 0})
    ]
    assert ends == [[("SFIA", 31440)], [("MLBR", 31680)]]
    client = _client(data_dir, tmp_path)
    body = {"feed": "gtfs-bay-area/bart.zip", "date": "20180601", "from": "12TH", "at": "08:00"}
    for to, stop in (({"SFIA": 0, "MLBR": 0}, "SFIA"), ({"SFIA": 300, "MLBR": 0}, "MLBR")):
        response = client.post("/v1/route/journeys", json={**body, "to": to})
        assert response.status_code == 200, response.text
        (itinerary,) = response.json()["itineraries"]
        assert itinerary["legs"][-1]["to"]["stopId"] == stop


def test_a_date_without_service_is_said_everywhere(data_dir: Path, tmp_path: Path) -> None:
    bart = data_dir / "gtfs-bay-area" / "bart.zip"
    args = ["route", str(bart), "--date", "20300101", "--from", "12TH", "--to", "SFIA"]
    result = runner.invoke(cli, [*args, "--at", "08:00", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "no trip runs on 20300101" in result.output and "20180526..20190701" in result.output
    params = {"feed": "gtfs-bay-area/bart.zip", "date": "20300101", "from": "12TH", "to": "SFIA"}
    response = _client(data_dir, tmp_path).get(
        "/v1/route/journeys", params={**params, "at": "8:00"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/v1/problems/no-service-error"
    assert problem["servicePeriod"] == ["2018-05-26", "2019-07-01"]
    assert str(data_dir) not in response.text  # no server path in the body


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: Any) -> None:
        pass


def test_client_named_urls_are_never_fetched(data_dir: Path, tmp_path: Path) -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    client = _client(data_dir, tmp_path)
    try:
        for url in (
            f"http://127.0.0.1:{port}/gbfs.json",
            f"http://localhost:{port}/feed.zip",
            f"http://2130706433:{port}/feed.zip",
            "file:///etc/passwd",
        ):
            inspected = client.get("/v1/feeds/inspect", params={"source": url})
            assert inspected.status_code == 403, (url, inspected.text)
            assert inspected.headers["content-type"] == "application/problem+json"
            routed = client.get(
                "/v1/route/journeys",
                params={"feed": url, "date": "20180601", "from": "A", "to": "B", "at": "8:00"},
            )
            assert routed.status_code == 403, (url, routed.text)
        allowed = Settings(data=data_dir, cache_dir=tmp_path, remote_sources=["127.0.0.1"])
        app.dependency_overrides[get_settings] = lambda: allowed
        # even when listed, a loopback address is refused
        url = f"http://127.0.0.1:{port}/gbfs.json"
        assert client.get("/v1/feeds/inspect", params={"source": url}).status_code == 403
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert _Recorder.hits == []


def test_openapi_documents_problem_json_and_typed_responses() -> None:
    spec = TestClient(app).get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    ids = []
    for path, item in spec["paths"].items():
        assert path.startswith("/v1/"), path
        for method, op in item.items():
            ids.append(op["operationId"])
            for status, response in op["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (path, status)
                elif status == "204":
                    assert "content" not in response, (path, method)  # no body, nothing typed
                elif "application/json" not in response["content"]:
                    # pages and the metrics text: a document, not a JSON model
                    assert set(response["content"]) <= {"text/html", "text/plain"}, (path, method)
                elif not path.startswith(("/v1/bundles/schema", "/v1/bundles/examples")):
                    # a typed model, not `additionalProperties: true`
                    schema = response["content"]["application/json"]["schema"]
                    if schema.get("type") == "array":  # a list of typed models
                        schema = schema["items"]
                    assert "$ref" in schema or "oneOf" in schema, (path, method, schema)
    assert "get_journeys" in ids and "inspect_feed" in ids and "optimise_bundles" in ids
    assert all("__" not in i for i in ids)
    assert "Problem" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_docs_need_no_internet() -> None:
    client = TestClient(app)
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn.jsdelivr.net" not in page.text and "unpkg.com" not in page.text
    assets = [part.split('"')[0] for part in page.text.split('src="')[1:]]
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_version_everywhere() -> None:
    assert maasmix.__version__ != "0.0.0+unknown"
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"maasmix {maasmix.__version__}"
    health = TestClient(app).get("/v1/health").json()
    assert health == {"status": "ok", "version": maasmix.__version__}
