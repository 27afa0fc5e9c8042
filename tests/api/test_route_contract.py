"""``/v1/route/*`` by value, on the demo city and on Helsinki: journeys have the plan's
itinerary and leg shape (epoch ms ``startTime``, ISO ``start``), GET answers what POST
answers, the camelCase parameters and their old snake_case names give the same answers,
``geometry=polyline`` encodes the same points."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.routes.route import CLOCK_PATTERN, DATE_PATTERN, SNAKE_ALIASES
from maasmix.api.settings import Settings, get_settings
from maasmix.errors import QueryError
from maasmix.feeds.demo import write_demo_city
from maasmix.servicetime import parse_clock, parse_service_date
from tests.api._legs import assert_epoch_ms, assert_same_but_encoded


@dataclass(frozen=True)
class Feed:
    """A feed served from a data folder, and a query on it with transfers to choose from."""

    client: TestClient
    feed: str
    date: str
    origin: str
    destination: str
    timezone: str

    def params(self, **extra: str) -> dict[str, str]:
        base = {"feed": self.feed, "date": self.date, "from": self.origin, "to": self.destination}
        return {**base, "at": "08:00", **extra}


def _client(data: Path, cache: Path) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: Settings(data=data, cache_dir=cache)
    return TestClient(app)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Feed:
    root = tmp_path_factory.mktemp("route-demo")
    city = write_demo_city(root / "demo")
    client = _client(root, root / "cache")
    feed = "demo/demo_city_gtfs.zip"
    return Feed(
        client, feed, f"{city.service_date:%Y%m%d}", "s01-05-ew", "s29-25-ew", city.timezone
    )


@pytest.fixture(scope="module")
def helsinki(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Feed:
    client = _client(data_dir, tmp_path_factory.mktemp("route-helsinki"))
    feed = "gtfs-helsinki-hsl/helsinki_hsl_gtfs_2022-02.zip"
    return Feed(client, feed, "20220222", "1020443", "1240133", "Europe/Helsinki")


@pytest.fixture(params=["demo", pytest.param("helsinki", marks=pytest.mark.slow)])
def city(request: pytest.FixtureRequest) -> Feed:
    found: Feed = request.getfixturevalue(request.param)
    return found


def _get(city: Feed, path: str = "/v1/route/journeys", **extra: str) -> dict[str, Any]:
    got = city.client.get(path, params=city.params(**extra))
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def _post(city: Feed, body: dict[str, Any]) -> dict[str, Any]:
    got = city.client.post("/v1/route/journeys", json=body)
    assert got.status_code == 200, got.text
    answer: dict[str, Any] = got.json()
    return answer


def test_journeys_get_answers_what_post_answers(city: Feed) -> None:
    got = _get(city)
    assert got["itineraries"]
    assert got == _post(city, city.params())
    limits = {"maxTransfers": 3, "minTransferSeconds": 90, "maxWalkMeters": 300}
    walking = {"walking": "true", "geometry": "polyline", **{k: str(v) for k, v in limits.items()}}
    got = _get(city, **walking)
    assert got["itineraries"]
    assert got == _post(city, {**city.params(), **limits, "walking": True, "geometry": "polyline"})


def test_snake_case_names_give_the_camel_case_answers(city: Feed) -> None:
    fewer = _get(city, maxTransfers="0")
    every = _get(city)
    assert len(fewer["itineraries"]) < len(every["itineraries"])  # the limit matters here
    assert _get(city, max_transfers="0") == fewer
    assert _post(city, {**city.params(), "max_transfers": 0}) == fewer
    assert _post(city, {**city.params(), "maxTransfers": 0, "max_transfers": 0}) == fewer
    renamed = {"minTransferSeconds": "600", "maxWalkMeters": "150"}
    slow = _get(city, **renamed)
    assert slow != every  # a 10-minute transfer and short footpaths change the journeys
    assert _get(city, **{SNAKE_ALIASES[k]: v for k, v in renamed.items()}) == slow
    start = {"start": "08:00", "end": "08:20"}
    profile = _get(city, "/v1/route/profile", stepSeconds="300", **start)
    assert len(profile["profile"]) == 5
    assert _get(city, "/v1/route/profile", step_s="300", **start) == profile
    arrivals = _get(city, "/v1/route/earliest-arrivals", maxTransfers="0")
    assert arrivals != _get(city, "/v1/route/earliest-arrivals")
    assert _get(city, "/v1/route/earliest-arrivals", max_transfers="0") == arrivals


@pytest.mark.parametrize(
    ("camel", "snake"),
    [("maxTransfers", "max_transfers"), ("maxWalkMeters", "max_walk_m")],
)
def test_both_names_with_different_values_are_422(demo: Feed, camel: str, snake: str) -> None:
    got = demo.client.get("/v1/route/journeys", params=demo.params(**{camel: "1", snake: "2"}))
    assert got.status_code == 422, got.text
    assert got.json()["parameter"] == camel
    body = {**demo.params(), camel: 1, snake: 2}
    posted = demo.client.post("/v1/route/journeys", json=body)
    assert posted.status_code == 422 and camel in posted.json()["detail"], posted.text


def test_journey_times_are_epoch_milliseconds(city: Feed) -> None:
    body = _get(city)
    assert assert_epoch_ms(body, city.timezone) > len(body["itineraries"])
    first = body["itineraries"][0]
    assert first["start"].startswith(f"{city.date[:4]}-{city.date[4:6]}-{city.date[6:]}T08:")


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    """The component schemas of the OpenAPI document."""
    found: dict[str, Any] = create_app().openapi()["components"]["schemas"]
    return found


def test_journeys_have_the_plans_leg_shape(city: Feed, schemas: dict[str, Any]) -> None:

    def itinerary_of(answer: str) -> str:
        ref: str = schemas[answer]["properties"]["itineraries"]["items"]["$ref"]
        return ref.rsplit("/")[-1]

    assert itinerary_of("JourneysOut") == itinerary_of("PlanOut")
    leg = schemas[
        schemas[itinerary_of("PlanOut")]["properties"]["legs"]["items"]["$ref"].rsplit("/")[-1]
    ]
    body = _get(city)
    rides = 0
    for itinerary in body["itineraries"]:
        for got in itinerary["legs"]:
            assert set(got) <= set(leg["properties"]) and set(leg["required"]) <= set(got)
            assert got["from"]["vertexType"] == got["to"]["vertexType"] == "TRANSIT"
            ends = [[got[end]["lon"], got[end]["lat"]] for end in ("from", "to")]
            line = got["legGeometry"]["coordinates"]
            assert [line[0], line[-1]] == ends
            if got["transitLeg"]:
                assert got["realtimeState"] == "SCHEDULED" and got["stops"] >= 1
                assert got["route"]["gtfsId"] and got["trip"]["tripKey"]
                # the ride's path runs through every stop it passes, in time order
                passed = got["intermediateStops"]
                assert len(passed) == got["stops"] - 1 and len(line) == got["stops"] + 1
                assert line[1:-1] == [[c["lon"], c["lat"]] for c in passed]
                times = [got["start"], *(t for c in passed for t in (c["arrival"], c["departure"]))]
                times = [dt.datetime.fromisoformat(t) for t in [*times, got["end"]]]
                assert times == sorted(times)
                rides += 1
    assert rides >= 1


def test_journeys_polyline_encodes_the_geojson_points(city: Feed) -> None:
    geojson = _get(city)
    encoded = _get(city, geometry="polyline")
    assert assert_same_but_encoded(geojson, encoded) >= 2
    assert geojson == encoded  # with legGeometry taken out of both


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"maxTransfers": "-1"}, "maxTransfers"),
        ({"max_transfers": "21"}, "max_transfers"),
        ({"date": "2022-2-22"}, "date"),
        ({"at": "8h"}, "at"),
        ({"at": "08:60"}, "at"),
        ({"geometry": "wkt"}, "geometry"),
        ({"feed": ""}, "feed"),
        ({"from": ""}, "from"),
    ],
)
def test_bad_query_is_422_naming_the_field(demo: Feed, change: dict[str, str], field: str) -> None:
    got = demo.client.get("/v1/route/journeys", params={**demo.params(), **change})
    assert got.status_code == 422, got.text
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json()["detail"].startswith(f"query.{field}:"), got.json()


@pytest.mark.parametrize(
    ("path", "change", "parameter"),
    [
        ("/v1/route/journeys", {"from": "NOPE"}, "from"),
        ("/v1/route/journeys", {"to": "NOPE"}, "to"),
        ("/v1/route/earliest-arrivals", {"from": "NOPE"}, "from"),
        ("/v1/route/profile", {"to": "NOPE", "start": "08:00", "end": "08:10"}, "to"),
    ],
)
def test_an_unknown_stop_is_422_naming_from_or_to(
    demo: Feed, path: str, change: dict[str, str], parameter: str
) -> None:
    got = demo.client.get(path, params={**demo.params(), **change})
    assert got.status_code == 422, got.text
    assert got.json()["parameter"] == parameter
    assert got.json()["detail"] == f"{parameter}: unknown stop_id 'NOPE'"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"to": {"s29-25-ew": 0, "NOPE": 60}}, "to"),
        ({"from": {}}, "body.from"),
        ({"to": ""}, "body.to"),
        ({"from": {"s01-05-ew": 86_401}}, "body.from"),
        ({"maxWalkMeters": 5001}, "body.maxWalkMeters"),
        ({"date": "2026-3-10"}, "body.date"),
    ],
)
def test_a_bad_body_is_422_naming_the_field(demo: Feed, change: dict[str, Any], where: str) -> None:
    got = demo.client.post("/v1/route/journeys", json={**demo.params(), **change})
    assert got.status_code == 422, got.text
    detail = got.json()["detail"]
    assert detail.startswith((f"{where}:", f"{where}.")), got.json()


def test_date_and_time_patterns_admit_exactly_what_the_code_reads() -> None:
    day = dt.date(1999, 1, 1)
    while day < dt.date(2101, 3, 1):  # every day, both spellings
        assert re.fullmatch(DATE_PATTERN, f"{day:%Y%m%d}") and re.fullmatch(DATE_PATTERN, f"{day}")
        day += dt.timedelta(days=1)
    for year in (1000, 1900, 2000, 2023, 2024, 2100, 2400, 9999):
        for text in (f"{year}0229", f"{year}-02-29", f"{year}0431", f"{year}1301", f"{year}0100"):
            try:
                parse_service_date(text)
                read = True
            except QueryError:
                read = False
            assert read == bool(re.fullmatch(DATE_PATTERN, text)), text
    assert not re.fullmatch(DATE_PATTERN, "00000000") and not re.fullmatch(
        DATE_PATTERN, "2024-0229"
    )
    texts = [str(s) for s in range(0, 172_900, 7)] + ["172800", "172801", "0000", "1000000"]
    texts += [f"{h}:{m:02d}{s}" for h in range(60) for m in (0, 59, 60) for s in ("", ":00", ":60")]
    texts += [f"{h:02d}:{m:02d}" for h in range(50) for m in (0, 30)]
    for text in texts:
        try:
            parse_clock(text)
            read = True
        except QueryError:
            read = False
        assert read == bool(re.fullmatch(CLOCK_PATTERN, text)), text


def test_profile_window_errors_name_the_parameter(demo: Feed) -> None:
    for window, step, parameter in (
        (("09:00", "08:00"), "60", "end"),
        (("00:00", "48:00"), "1", "stepSeconds"),
    ):
        params = demo.params(start=window[0], end=window[1], stepSeconds=step)
        got = demo.client.get("/v1/route/profile", params=params)
        assert got.status_code == 422, got.text
        assert got.json()["parameter"] == parameter
