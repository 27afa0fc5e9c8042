"""``GET|POST /v1/plan`` by value, on the demo city and on Helsinki (GTFS + OSM + city
bikes): GET answers what POST answers, arrive-by itineraries end by ``at``, ``startTime``
/ ``endTime`` are epoch milliseconds, ``geometry=polyline`` encodes the same points, and
coordinates are checked as the OpenAPI document says."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from maasmix.api.app import create_app
from maasmix.api.routes.plan import COORD_PATTERN, MODES_PATTERN, register_network
from maasmix.api.schemas.inline_bundle import BUNDLE_SCHEMA
from maasmix.api.schemas.legs import encode_polyline
from maasmix.engine.network import Network
from maasmix.errors import FeedWarning
from maasmix.feeds.demo import write_demo_city
from tests.api._legs import assert_epoch_ms, assert_same_but_encoded, epoch_ms


@dataclass(frozen=True)
class City:
    """A served network and a query on it (``at``: local time, no offset)."""

    client: TestClient
    origin: str
    destination: str
    at: str
    timezone: str

    def params(self, **extra: str) -> dict[str, str]:
        return {"from": self.origin, "to": self.destination, "at": self.at, **extra}


def _serve(name: str, net: Network) -> TestClient:
    app = create_app()
    register_network(app, name, net)
    return TestClient(app)


def _point(bbox: tuple[float, float, float, float], fx: float, fy: float) -> str:
    west, south, east, north = bbox
    return f"{south + fy * (north - south):.5f},{west + fx * (east - west):.5f}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("plan-demo")
    city = write_demo_city(root / "city")
    net = Network.from_files(
        gtfs=city.gtfs_zip,
        osm=city.osm_pbf,
        gbfs=[city.gbfs_dir],
        date=city.service_date,
        cache_dir=root / "cache",
    )
    box = net.compiled.bbox
    return City(
        _serve("demo", net),
        _point(box, 0.15, 0.15),
        _point(box, 0.85, 0.85),
        f"{city.service_date.isoformat()}T08:30:00",
        city.timezone,
    )


@pytest.fixture(scope="module")
def helsinki(dataset: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory) -> City:
    with warnings.catch_warnings():  # the extract is clipped: some ways are dropped
        warnings.simplefilter("ignore", FeedWarning)
        net = Network.from_files(
            gtfs=dataset("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip"),
            osm=dataset("osm-helsinki", "Helsinki.osm.pbf"),
            gbfs=[dataset("gbfs-helsinki-hsl")],
            date="20220222",
            cache_dir=tmp_path_factory.mktemp("plan-helsinki"),
        )
    return City(
        _serve("helsinki", net), "60.17000,24.93800", "60.18600,24.95200", "2022-02-22T08:30:00",
        "Europe/Helsinki",
    )  # fmt: skip


@pytest.fixture(params=["demo", pytest.param("helsinki", marks=pytest.mark.slow)])
def city(request: pytest.FixtureRequest) -> City:
    found: City = request.getfixturevalue(request.param)
    return found


def _body(params: dict[str, str]) -> dict[str, Any]:
    """The POST body asking what the GET ``params`` ask."""
    body: dict[str, Any] = dict(params)
    for end in ("from", "to"):
        lat, lon = params[end].split(",")
        body[end] = {"lat": float(lat), "lon": float(lon)}
    if "arriveBy" in params:
        body["arriveBy"] = params["arriveBy"] == "true"
    if "numItineraries" in params:
        body["numItineraries"] = int(params["numItineraries"])
    if "modes" in params:
        body["modes"] = params["modes"].split(",")
    return body


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"arriveBy": "true"},
        {"modes": "WALK,TRANSIT", "numItineraries": "2"},
        {"arriveBy": "true", "geometry": "polyline", "modes": "TRANSIT,BICYCLE_RENTAL"},
    ],
)
def test_get_answers_what_post_answers(city: City, extra: dict[str, str]) -> None:
    params = city.params(**extra)
    got = city.client.get("/v1/plan", params=params)
    posted = city.client.post("/v1/plan", json=_body(params))
    assert got.status_code == posted.status_code == 200, (got.text, posted.text)
    assert got.json()["itineraries"], got.json()
    assert got.json() == posted.json()


def test_arrive_by_itineraries_end_by_at(city: City) -> None:
    at_ms = epoch_ms(city.at, city.timezone)
    depart = city.client.get("/v1/plan", params=city.params()).json()
    arrive = city.client.get("/v1/plan", params=city.params(arriveBy="true")).json()
    assert arrive["arriveBy"] is True and depart["arriveBy"] is False
    ends = [it["endTime"] for it in arrive["itineraries"]]
    assert ends and max(ends) <= at_ms
    assert max(ends) >= at_ms - 30 * 60_000  # as late as the network allows, not hours early
    # leaving at ``at`` ends after it: an answer that ignored arriveBy would fail above
    assert depart["itineraries"]
    assert all(it["startTime"] >= at_ms and it["endTime"] > at_ms for it in depart["itineraries"])


def test_times_are_epoch_milliseconds(city: City) -> None:
    for extra in ({}, {"arriveBy": "true"}):
        body = city.client.get("/v1/plan", params=city.params(**extra)).json()
        assert assert_epoch_ms(body, city.timezone) > len(body["itineraries"])
        transit = [leg for it in body["itineraries"] for leg in it["legs"] if leg["transitLeg"]]
        for leg in transit:  # on the schedule: the scheduled times are the planned ones
            assert (leg["scheduledStartTime"], leg["scheduledEndTime"]) == (
                leg["startTime"],
                leg["endTime"],
            )


def test_polyline_encodes_the_geojson_points(city: City) -> None:
    params = city.params(modes="WALK,TRANSIT,BICYCLE_RENTAL")
    geojson = city.client.get("/v1/plan", params=params).json()
    encoded = city.client.get("/v1/plan", params={**params, "geometry": "polyline"}).json()
    assert assert_same_but_encoded(geojson, encoded) >= 3
    assert geojson == encoded  # with legGeometry taken out of both


def test_encoded_polyline_of_googles_example() -> None:
    # https://developers.google.com/maps/documentation/utilities/polylinealgorithm
    line = encode_polyline([(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)])
    assert (line.points, line.length) == ("_p~iF~ps|U_ulLnnqC_mqNvxq`@", 3)
    assert encode_polyline([(0.0, 0.0)]).points == "??"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"from": "90.5,24.9"}, "from"),
        ({"to": "60.17,180.01"}, "to"),
        ({"from": "-91,0"}, "from"),
        ({"from": "6e1,24.9"}, "from"),
        ({"to": "60.17;24.95"}, "to"),
        ({"from": " 60.17,24.94"}, "from"),
        ({"to": "60.17,24.95,0"}, "to"),
        ({"at": "2026-03-10T25:00"}, "at"),
        ({"geometry": "wkt"}, "geometry"),
    ],
)
def test_bad_query_is_422_naming_the_field(demo: City, change: dict[str, str], field: str) -> None:
    got = demo.client.get("/v1/plan", params={**demo.params(), **change})
    assert got.status_code == 422, got.text
    assert got.headers["content-type"] == "application/problem+json"
    problem = got.json()
    assert problem.get("parameter") == field or problem["detail"].startswith(f"query.{field}:")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"from": {"lat": 90.5, "lon": 24.9}}, "body.from.lat:"),
        ({"to": {"lat": 60.17, "lon": -180.5}}, "body.to.lon:"),
        ({"to": "60.17,24.95"}, "body.to:"),
        ({"at": "08:00"}, "body.at:"),
        ({"geometry": "wkt"}, "body.geometry:"),
        ({"bundleScenario": "demo_city"}, "bundleName:"),
        ({"bundleName": "Commuter"}, "bundleScenario:"),
        ({"bundleName": None}, "body.bundleName:"),
        ({"bundle": None, "bundleScenario": None}, "body.bundle:"),
    ],
)
def test_bad_body_is_422_naming_the_field(demo: City, change: dict[str, Any], where: str) -> None:
    got = demo.client.post("/v1/plan", json={**_body(demo.params()), **change})
    assert got.status_code == 422, got.text
    assert got.json()["detail"].startswith(where), got.json()


def test_openapi_types_the_coordinates_and_the_bundle() -> None:
    spec = create_app().openapi()
    parameters = spec["paths"]["/v1/plan"]["get"]["parameters"]
    get = {p["name"]: p.get("schema") or p["content"] for p in parameters}
    assert len(get) == len(parameters)  # bundle once
    assert get["from"]["pattern"] == get["to"]["pattern"] == COORD_PATTERN
    assert get["geometry"]["enum"] == ["geojson", "polyline"]
    assert get["bundle"] == {"application/json": {"schema": BUNDLE_SCHEMA}}
    schemas = spec["components"]["schemas"]
    body_ref = spec["paths"]["/v1/plan"]["post"]["requestBody"]["content"]["application/json"]
    body = schemas[body_ref["schema"]["$ref"].rsplit("/")[-1]]
    point = schemas[body["properties"]["from"]["$ref"].rsplit("/")[-1]]["properties"]
    assert (point["lat"]["minimum"], point["lat"]["maximum"]) == (-90, 90)
    assert (point["lon"]["minimum"], point["lon"]["maximum"]) == (-180, 180)
    # a scenario's bundle needs both names, and is not given with an inline bundle
    assert body["dependentRequired"] == {
        "bundleScenario": ["bundleName"],
        "bundleName": ["bundleScenario"],
    }
    assert body["not"] == {"required": ["bundle", "bundleScenario"]}
    assert "anyOf" not in body["properties"]["bundleName"]  # null is refused, not admitted
    assert {k: v for k, v in body["properties"]["bundle"].items() if k != "title"} == BUNDLE_SCHEMA


@pytest.mark.parametrize(
    ("bundle", "where"),
    [
        ({"transit": "some"}, "transit"),
        ({"rides_left": {"bus": 3}}, "rides_left"),
        ({"minutes_left": {"transit": 30}}, "minutes_left"),
        ({"discount_percent": {"scooter": 120}}, "discount_percent.scooter"),
        ({"free_minutes_per_ride": {"bicycle": -1}}, "free_minutes_per_ride.bicycle"),
        ({"name": " "}, "name"),
        ({"colour": "red"}, ""),
    ],
)
def test_an_inline_bundle_is_held_to_its_schema(
    demo: City, bundle: dict[str, Any], where: str
) -> None:
    assert not Draft202012Validator(BUNDLE_SCHEMA).is_valid(bundle)
    for got in (
        demo.client.get("/v1/plan", params=demo.params(bundle=json.dumps(bundle))),
        demo.client.post("/v1/plan", json={**_body(demo.params()), "bundle": bundle}),
    ):
        assert got.status_code == 422, got.text
        problem = got.json()
        assert problem["parameter"] == "bundle", problem
        assert problem["detail"].startswith(f"bundle: {where}" if where else "bundle: "), problem


def test_an_inline_bundle_the_schema_admits_is_priced(demo: City) -> None:
    bundle = {"name": "Rides", "transit": "all", "free_minutes_per_ride": {"bicycle": 30}}
    assert Draft202012Validator(BUNDLE_SCHEMA).is_valid(bundle)
    params = demo.params(modes="WALK,TRANSIT")
    got = demo.client.get("/v1/plan", params={**params, "bundle": json.dumps(bundle)})
    posted = demo.client.post("/v1/plan", json={**_body(params), "bundle": bundle})
    assert got.status_code == posted.status_code == 200, got.text
    assert got.json() == posted.json() and got.json()["bundle"] == "Rides"
    rides = [leg for it in got.json()["itineraries"] for leg in it["legs"] if leg["transitLeg"]]
    assert rides
    for ride in rides:  # unlimited transit: the bundle covers every ride's price
        fare = ride["fare"]
        assert fare["rule"] == "unlimited transit" and fare["covered"] == fare["price"]
        assert all(m["amountMinor"] == 0 for m in fare["outOfPocket"])
    assert any(ride["fare"]["covered"] for ride in rides)


def test_modes_in_any_case_and_spacing_the_pattern_admits(demo: City) -> None:
    upper = demo.client.get("/v1/plan", params=demo.params(modes="WALK,TRANSIT"))
    lower = demo.client.get("/v1/plan", params=demo.params(modes=" walk , Transit"))
    assert upper.status_code == lower.status_code == 200, lower.text
    assert upper.json() == lower.json()
    every = demo.client.get("/v1/plan", params=demo.params())
    assert demo.client.get("/v1/plan", params=demo.params(modes="")).json() == every.json()
    for bad in ("WALK,HOVERBOARD", "WALK,,TRANSIT", " "):
        got = demo.client.get("/v1/plan", params=demo.params(modes=bad))
        assert got.status_code == 422, got.text
        assert got.json()["parameter"] == "modes"
    got = demo.client.post("/v1/plan", json={**_body(demo.params()), "modes": ["walk", "taxi"]})
    assert got.status_code == 422 and got.json()["field"].startswith("modes."), got.text
    assert re.fullmatch(MODES_PATTERN, "RENTAL, walk") and not re.fullmatch(MODES_PATTERN, "CAR")
