"""`maasmix route` and the /route HTTP endpoints on BART; bad input is exit 2 / 4xx."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maasmix.api.app import app
from maasmix.api.cli import app as cli
from maasmix.api.settings import Settings, get_settings

runner = CliRunner()
BART = ("gtfs-bay-area", "bart.zip")


def _args(bart: Path, cache: Path, *extra: str) -> list[str]:
    return ["route", str(bart), "--cache-dir", str(cache), *extra]


def test_cli_prints_journeys_table_and_json(dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bart = dataset(*BART)
    base = ["--date", "20180601", "--from", "12TH", "--to", "SFIA", "--at", "08:00"]
    result = runner.invoke(cli, _args(bart, tmp_path, *base))
    assert result.exit_code == 0, result.output
    assert "Journey 1: 08:00:00 -> 08:44:00" in result.output
    assert "SUBWAY" in result.output and "08:44:00" in result.output
    result = runner.invoke(cli, _args(bart, tmp_path, *base, "--json"))
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    (itinerary,) = body["itineraries"]
    assert itinerary["numberOfTransfers"] == 0
    assert itinerary["start"] == "2018-06-01T08:00:00-07:00"
    assert [leg["to"]["stopId"] for leg in itinerary["legs"]] == ["SFIA"]
    # one transfer needed, shown as two legs
    result = runner.invoke(
        cli,
        _args(
            bart,
            tmp_path,
            "--date",
            "20180601",
            "--from",
            "CAST",
            "--to",
            "DBRK",
            "--at",
            "08:00",
            "--json",
        ),
    )
    (itinerary,) = json.loads(result.output)["itineraries"]
    assert [
        (leg["from"]["stopId"], leg["to"]["stopId"], leg["route"]["gtfsId"])
        for leg in itinerary["legs"]
    ] == [("CAST", "BAYF", "11"), ("BAYF", "DBRK", "03")]
    assert (itinerary["startSeconds"], itinerary["endSeconds"]) == (29460, 31800)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--from", "NOPE"), "unknown stop_id 'NOPE'"),
        (("--date", "20300101"), "no trip runs on 20300101"),
        (("--at", "8h"), "not a time"),
        (("--date", "1st of June"), "not a date"),
    ],
)
def test_cli_bad_input_exits_2(
    dataset, tmp_path: Path, change: tuple[str, str], message: str
) -> None:  # type: ignore[no-untyped-def]
    opts = {"--date": "20180601", "--from": "12TH", "--to": "SFIA", "--at": "08:00"}
    opts[change[0]] = change[1]
    flat = [x for kv in opts.items() for x in kv]
    result = runner.invoke(cli, _args(dataset(*BART), tmp_path, *flat))
    assert result.exit_code == 2
    assert message in result.output


@pytest.fixture
def client(data_dir: Path, tmp_path: Path) -> Any:
    app.dependency_overrides[get_settings] = lambda: Settings(data=data_dir, cache_dir=tmp_path)
    yield TestClient(app)
    app.dependency_overrides.clear()


def test_http_journeys_get_and_post(client: TestClient) -> None:
    params = {
        "feed": "gtfs-bay-area/bart.zip",
        "date": "20180601",
        "from": "12TH",
        "to": "SFIA",
        "at": "08:00",
    }
    got = client.get("/v1/route/journeys", params=params)
    assert got.status_code == 200, got.text
    itineraries = got.json()["itineraries"]
    assert itineraries[0]["endSeconds"] == 8 * 3600 + 44 * 60
    body = {**params, "to": {"SFIA": 120, "MLBR": 0}, "walking": True}
    posted = client.post("/v1/route/journeys", json=body)
    assert posted.status_code == 200, posted.text
    assert posted.json()["itineraries"]


def test_http_earliest_arrivals_and_profile(client: TestClient) -> None:
    base = {"feed": "gtfs-bay-area/bart.zip", "date": "20180601", "from": "12TH"}
    ea = client.get("/v1/route/earliest-arrivals", params={**base, "at": "08:00"})
    assert ea.status_code == 200, ea.text
    arrivals = ea.json()["arrivals"]
    assert arrivals["12TH"] == 8 * 3600 and arrivals["SFIA"] == 8 * 3600 + 44 * 60
    prof = client.get(
        "/v1/route/profile", params={**base, "to": "SFIA", "start": "08:00", "end": "08:30"}
    )
    assert prof.status_code == 200, prof.text
    rows = prof.json()["profile"]
    assert len(rows) == 31 and rows[0]["arrival"] == "08:44:00"
    assert all(r["arrivalSeconds"] >= r["departureSeconds"] for r in rows)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "NOPE"}, 422),
        ({"at": "25h"}, 422),
        ({"date": "20300101"}, 422),
        ({"date": "junk"}, 422),
        ({"feed": "../../etc/passwd"}, 403),
        ({"max_transfers": "-1"}, 422),
    ],
)
def test_http_bad_input_is_problem_json(
    client: TestClient, params: dict[str, str], status: int
) -> None:
    base = {
        "feed": "gtfs-bay-area/bart.zip",
        "date": "20180601",
        "from": "12TH",
        "to": "SFIA",
        "at": "08:00",
    }
    response = client.get("/v1/route/journeys", params={**base, **params})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
