"""Hostile requests: strict queries, bounded scenarios, one build per network, no server
paths in error bodies. The load cases run in a subprocess with their peak memory
measured (`tests.hostile.measure`)."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import app
from maasmix.api.settings import Settings, get_settings
from tests.hostile import maasmix, measure, scenario_with_grid, wide_row

BART = "gtfs-bay-area/bart.zip"
QUERY = {"feed": BART, "date": "20180601", "from": "12TH", "to": "SFIA", "at": "08:00"}


@pytest.fixture()
def client(data_dir: Path, tmp_path: Path) -> Any:
    app.dependency_overrides[get_settings] = lambda: Settings(
        data=data_dir, cache_dir=tmp_path / "cache"
    )
    yield TestClient(app)
    app.dependency_overrides.pop(get_settings, None)


def assert_problem(response: Any, status: int, *needles: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    for needle in needles:
        assert needle in json.dumps(body), body
    return body


@pytest.mark.parametrize(
    "change",
    [
        {"at": "-3600"},
        {"at": "²:00"},
        {"at": "1e30"},
        {"at": "48:00:01"},
        {"feed": "gtfs-bay-area/\0bart.zip"},
        {"feed": "x" * 300 + ".zip"},
        {"feed": "gtfs-bay-area/" + "y" * 256},
        {"from": "\0"},
    ],
)
def test_bad_queries_are_422(client: TestClient, change: dict[str, str]) -> None:
    response = client.get("/v1/route/journeys", params={**QUERY, **change})
    body = assert_problem(response, 422)
    assert "Traceback" not in body["detail"]


def test_origin_offset_beyond_a_day_is_422(client: TestClient) -> None:
    body = {**QUERY, "from": {"12TH": 10**12}}
    assert_problem(client.post("/v1/route/journeys", json=body), 422, "from")


def test_profile_window_is_checked(client: TestClient) -> None:
    params = {k: v for k, v in QUERY.items() if k != "at"}
    for start, end in (("-240:00:00", "08:00"), ("08:00", "1e30"), ("09:00", "08:00")):
        response = client.get("/v1/route/profile", params={**params, "start": start, "end": end})
        assert_problem(response, 422)


def test_inspect_names_a_too_long_path_component(client: TestClient) -> None:
    response = client.get("/v1/feeds/inspect", params={"source": "z" * 300})
    assert_problem(response, 422, "255 bytes", '"parameter": "source"')


def test_error_bodies_carry_no_server_paths(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    wide_row(data_dir / BART, data / "wide.zip", 100_000)
    (data / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    monkeypatch.setenv("MAASMIX_DATA", str(data))
    monkeypatch.setenv("MAASMIX_CACHE_DIR", str(tmp_path / "cache"))
    client = TestClient(app)
    for source in ("wide.zip", "broken.zip", "absent.zip"):
        response = client.get("/v1/feeds/inspect", params={"source": source})
        assert response.status_code in (404, 422), response.text
        assert str(tmp_path) not in response.text, response.text
    wide = client.get("/v1/feeds/inspect", params={"source": "wide.zip"}).json()
    assert (wide["file"], wide["row"]) == ("stops.txt", 2)


@pytest.mark.parametrize(
    ("grid", "field"),
    [
        ({"min": 0, "max": 1_000_000, "step": 0.01}, "candidates.prices"),
        ({"min": 0, "max": 1e300, "step": 1}, "candidates.prices.max"),
        ({"min": 0, "max": 10_000, "step": 0.01}, "candidates.prices"),
    ],
)
def test_absurd_price_grids_are_422_naming_the_field(
    client: TestClient, tmp_path: Path, grid: dict[str, float], field: str
) -> None:
    import yaml

    path = scenario_with_grid(tmp_path / "s.yaml", grid)
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    for route in ("/v1/bundles/optimise", "/v1/bundles/frontier"):
        response = client.post(route, json={"scenario": scenario, "time_limit_s": 5})
        body = assert_problem(response, 422)
        assert body["field"] == field, body


@pytest.mark.slow
@pytest.mark.parametrize(
    "grid",
    [
        {"min": 0, "max": 1_000_000, "step": 0.01},  # 10^8 prices
        {"min": 0, "max": 1e300, "step": 1},
        {"min": 0, "max": 10_000, "step": 0.01},  # 10^6 prices
    ],
)
def test_validate_reports_what_optimise_would(tmp_path: Path, grid: dict[str, float]) -> None:
    path = scenario_with_grid(tmp_path / "s.yaml", grid)
    validated = maasmix("bundles", "validate", str(path))
    optimised = maasmix("bundles", "optimise", str(path), "--time-limit", "5")
    for outcome in (validated, optimised):
        assert outcome.returncode == 2, outcome.line()
        assert "field 'candidates.prices" in outcome.stderr
        assert outcome.peak_mib < 600, outcome.line()
    assert validated.stderr == optimised.stderr


_LOAD = textwrap.dedent(
    """
    import json, sys, threading, time
    from pathlib import Path
    from fastapi.testclient import TestClient
    from maasmix.api.app import app
    from maasmix.api.routes import route
    from maasmix.api.settings import Settings, get_settings

    data, cache, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    app.dependency_overrides[get_settings] = lambda: Settings(data=data, cache_dir=cache)
    client = TestClient(app)
    query = {QUERY}
    statuses = []

    def ask(i):
        params = dict(query)
        if mode == "walk":
            params["max_walk_m"] = 4999 + (i % 4 + 1) / 10  # 4999.1 .. 4999.4
        statuses.append(client.get("/v1/route/journeys", params=params).status_code)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(50)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({
        "builds": route._routers.builds,
        "statuses": sorted(set(statuses)),
        "seconds": time.monotonic() - started,
        "entries": len(list(cache.glob("*.pkl"))),
    }))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["same", "walk"])
def test_fifty_first_requests_share_one_build(data_dir: Path, tmp_path: Path, mode: str) -> None:
    data = tmp_path / "data" / "gtfs-bay-area"
    data.mkdir(parents=True)
    shutil.copyfile(data_dir / BART, data / "bart.zip")
    script = _LOAD.replace("{QUERY}", repr(QUERY))
    outcome = measure(
        [sys.executable, "-c", script, str(tmp_path / "data"), str(tmp_path / "cache"), mode],
        timeout_s=180,
    )
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    report = json.loads(outcome.stdout.strip().splitlines()[-1])
    assert report["builds"] == 1, report
    assert report["statuses"] == [200], report
    assert report["entries"] == 2, report  # one service day, one compiled network
    assert outcome.peak_mib < 1024, outcome.line()
    assert report["seconds"] < 60, report


@pytest.fixture()
def small_data(data_dir: Path, tmp_path: Path) -> Path:
    """A data folder with one feed, a folder, a symlink out, a FIFO and a text file."""
    data = tmp_path / "data"
    (data / "gtfs").mkdir(parents=True)
    shutil.copyfile(data_dir / BART, data / "gtfs" / "bart.zip")
    (data / "notes.md").write_text("not an input\n", encoding="utf-8")
    (data / "out.zip").symlink_to(data_dir / BART)
    (data / "outdir").symlink_to(tmp_path)
    import os

    os.mkfifo(data / "pipe.zip")
    return data


@pytest.mark.parametrize(
    ("feed", "status"),
    [
        ("", 422),
        (".", 422),
        ("./", 422),
        ("gtfs/", 422),
        ("gtfs//bart.zip", 422),
        ("notes.md", 422),
        ("pipe.zip", 422),
        ("gtfs/bart 2.zip", 422),
        ("gtfs/bart\u00e9.zip", 422),
        ("..", 403),
        ("gtfs/../gtfs/bart.zip", 403),
        ("/etc/passwd", 403),
        ("~/bart.zip", 403),
        ("out.zip", 403),
        ("outdir", 403),
        ("file:///etc/passwd", 403),
        ("http://127.0.0.1/gtfs.zip", 403),
    ],
)
def test_a_client_names_no_server_path(
    small_data: Path, tmp_path: Path, feed: str, status: int
) -> None:
    settings = Settings(data=small_data, cache_dir=tmp_path / "cache")
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        client = TestClient(app)
        journeys = client.get("/v1/route/journeys", params={**QUERY, "feed": feed, "at": "08:00"})
        inspect = client.get("/v1/feeds/inspect", params={"source": feed})
    finally:
        app.dependency_overrides.pop(get_settings, None)
    for response, field in ((journeys, "feed"), (inspect, "source")):
        body = assert_problem(response, status)
        if status == 422:
            assert body["parameter"] == field, body
        else:
            assert body["detail"].startswith(f"{field}: "), body
        assert str(tmp_path) not in response.text


def test_the_data_folder_given_absolutely_is_refused(small_data: Path, tmp_path: Path) -> None:
    settings = Settings(data=small_data, cache_dir=tmp_path / "cache")
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        client = TestClient(app)
        for source in (str(small_data), str(small_data / "gtfs" / "bart.zip")):
            body = assert_problem(client.get("/v1/feeds/inspect", params={"source": source}), 403)
            assert body["detail"].startswith("source: names a server path"), body
        ok = client.get("/v1/feeds/inspect", params={"source": "gtfs/bart.zip"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["kind"] == "gtfs"
    finally:
        app.dependency_overrides.pop(get_settings, None)


@pytest.mark.parametrize(
    ("scenario", "status"),
    [("./s.yaml", 422), ("a//s.yaml", 422), ("../s.yaml", 403), ("/tmp/s.yaml", 403)],
)
def test_plan_bundle_scenario_names_no_server_path(
    client: TestClient, scenario: str, status: int
) -> None:
    params = {
        "from": "37.80,-122.27",
        "to": "37.79,-122.40",
        "bundleScenario": scenario,
        "bundleName": "x",
    }
    body = assert_problem(client.get("/v1/plan", params=params), status)
    if status == 422:
        assert body.get("parameter") == "bundleScenario", body
    else:
        assert body["detail"].startswith("bundleScenario: "), body


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("planning.network.gtfs.0", "", 422),
        ("planning.network.gtfs.0", ".", 422),
        ("planning.network.osm", "/etc/passwd", 403),
        ("planning.network.gbfs.0", "..", 403),
    ],
)
def test_scenario_files_name_no_server_path(
    client: TestClient, field: str, value: str, status: int
) -> None:
    import yaml

    from maasmix.pricing.scenario.reading import example_path

    scenario = yaml.safe_load(example_path("demo_diary").read_text(encoding="utf-8"))
    network = scenario["planning"]["network"]
    network["date"] = str(network["date"])
    key = field.split(".")[2]
    if key == "osm":
        network["osm"] = value
    else:
        network[key][0] = value
    response = client.post("/v1/bundles/optimise", json={"scenario": scenario})
    body = assert_problem(response, status)
    if status == 422:
        assert body["parameter"] == field, body
    else:
        assert body["detail"].startswith(f"{field}: "), body
