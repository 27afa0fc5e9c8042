"""``/v1/plan`` on a live timetable: every transit leg says what is live, in OTP's names."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from maasmix.api.app import create_app
from maasmix.api.routes.plan import register_network
from tests.engine.test_realtime_plan import LINE, _net
from tests.feeds.rt_builders import Al, Stu, Tu, encode

ROME = zoneinfo.ZoneInfo("Europe/Rome")
PARAMS = {
    "from": "{},{}".format(*LINE["A"]),
    "to": "{},{}".format(*LINE["D"]),
    "at": "2024-03-05T07:55:00+01:00",
    "modes": "WALK,TRANSIT",
}


def _ms(hhmm: str) -> int:
    h, m = (int(x) for x in hhmm.split(":"))
    return round(dt.datetime(2024, 3, 5, h, m, tzinfo=ROME).timestamp() * 1000)


def _rides(body: dict[str, object]) -> list[dict[str, object]]:
    return [
        leg
        for it in body["itineraries"]  # type: ignore[attr-defined]
        for leg in it["legs"]
        if leg["transitLeg"]
    ]


def test_transit_legs_carry_realtime_fields() -> None:
    net = _net()
    app = create_app()
    register_network(app, "line", net)
    client = TestClient(app)
    static = client.get("/v1/plan", params=PARAMS)
    assert static.status_code == 200, static.text
    body = static.json()
    assert "realtimeTime" not in body and body["alerts"] == []
    (ride,) = _rides(body)
    assert ride["trip"]["gtfsId"] == "t1"
    assert (ride["realTime"], ride["realtimeState"]) == (False, "SCHEDULED")
    assert (ride["scheduledStartTime"], ride["scheduledEndTime"]) == (_ms("08:00"), _ms("08:30"))
    assert (ride["departureDelay"], ride["arrivalDelay"], ride["alerts"]) == (0, 0, [])
    assert "vehiclePosition" not in ride and "occupancy" not in ride

    snapshot = int(dt.datetime(2024, 3, 5, 7, 50, tzinfo=ROME).timestamp())
    before = dt.datetime.now(dt.UTC)
    net.apply_realtime(
        encode(
            [Tu("t1", [Stu(seq=3, arr_delay=240)])],
            alerts=[
                Al(
                    "r",
                    routes=["R"],
                    header={"": "Works", "fi": "Tietyöt"},
                    periods=[(snapshot, snapshot + 7200)],
                ),
                Al("x", routes=["X"]),
            ],
            vehicles=[("t1", 45.015, 9.0, "FEW_SEATS_AVAILABLE")],
            timestamp=snapshot,
        )
    )
    after = dt.datetime.now(dt.UTC)
    live = client.get("/v1/plan", params={**PARAMS, "locale": "fi-FI"})
    assert live.status_code == 200, live.text
    body = live.json()
    assert before <= dt.datetime.fromisoformat(body["realtimeTime"]) <= after  # when applied
    (ride,) = _rides(body)
    assert (ride["realTime"], ride["realtimeState"]) == (True, "UPDATED")
    assert (ride["startTime"], ride["endTime"]) == (_ms("08:00"), _ms("08:34"))
    assert (ride["scheduledStartTime"], ride["scheduledEndTime"]) == (_ms("08:00"), _ms("08:30"))
    assert (ride["departureDelay"], ride["arrivalDelay"]) == (0, 240)
    (alert,) = ride["alerts"]
    assert alert == {
        "id": "r",
        "alertHeaderText": "Tietyöt",
        "alertDescriptionText": "",
        "alertEffect": "REDUCED_SERVICE",
        "alertCause": "CONSTRUCTION",
        "alertSeverityLevel": "UNKNOWN_SEVERITY",
        "activePeriods": [{"start": snapshot, "end": snapshot + 7200}],
        "effectiveStartDate": snapshot,
        "effectiveEndDate": snapshot + 7200,
    }
    assert body["alerts"] == [alert]  # plan-level: once
    assert ride["vehiclePosition"]["vehicleId"] == "bus-0"
    assert (ride["vehiclePosition"]["lat"], ride["vehiclePosition"]["lon"]) == (
        float(np.float32(45.015)),  # float32 on the wire
        9.0,
    )
    assert ride["occupancy"] == {"occupancyStatus": "FEW_SEATS_AVAILABLE"}
    untagged = client.post(
        "/v1/plan",
        json={
            "from": {"lat": LINE["A"][0], "lon": LINE["A"][1]},
            "to": {"lat": LINE["D"][0], "lon": LINE["D"][1]},
            "at": PARAMS["at"],
            "modes": ["WALK", "TRANSIT"],
        },
    ).json()
    assert [a["alertHeaderText"] for a in untagged["alerts"]] == ["Works"]


def test_realtime_fields_are_in_the_openapi() -> None:
    spec = create_app().openapi()
    schemas = spec["components"]["schemas"]
    itinerary = schemas["PlanOut"]["properties"]["itineraries"]["items"]["$ref"].rsplit("/")[-1]
    leg = schemas[schemas[itinerary]["properties"]["legs"]["items"]["$ref"].rsplit("/")[-1]]
    leg = leg["properties"]
    for name in (
        "realTime",
        "realtimeState",
        "scheduledStartTime",
        "scheduledEndTime",
        "departureDelay",
        "arrivalDelay",
        "alerts",
        "vehiclePosition",
        "occupancy",
    ):
        assert name in leg, name
    assert "realtimeTime" in spec["components"]["schemas"]["PlanOut"]["properties"]
    assert "alertHeaderText" in spec["components"]["schemas"]["AlertOut"]["properties"]


@pytest.mark.slow
def test_milan_delay_on_the_plan_legs(dataset: Callable[..., Path], tmp_path: Path) -> None:
    from maasmix.engine.network import Network

    net = Network.from_files(
        gtfs=[dataset("gtfs-milan", "milano_small_gtfs.zip")],
        date=dt.date(2014, 10, 20),
        cache_dir=tmp_path,
    )
    app = create_app()
    register_network(app, "milan", net)
    client = TestClient(app)
    params = {"from": "45.4608,9.1904", "to": "45.4394,9.1521", "at": "2014-10-20T08:00"}
    static = client.get("/v1/plan", params={**params, "modes": "WALK,TRANSIT"}).json()
    first = _rides(static)[0]
    assert first["scheduledEndTime"] == first["endTime"] and not first["realTime"]
    trip, alight = first["trip"]["gtfsId"], first["to"]["stopId"]
    net.apply_realtime(
        encode(
            [Tu(trip, [Stu(stop_id=alight, arr_delay=120)], start_date="20141020")],
            alerts=[Al("a", trips=[trip], header={"it": "Deviazione", "en": "Detour"})],
        )
    )
    live = client.get("/v1/plan", params={**params, "modes": "WALK,TRANSIT", "locale": "it"})
    rides = [leg for leg in _rides(live.json()) if leg["trip"]["gtfsId"] == trip]
    assert rides  # the delayed trip still arrives first
    for leg in rides:
        assert (leg["realTime"], leg["realtimeState"]) == (True, "UPDATED")
        assert leg["scheduledStartTime"] == first["scheduledStartTime"]
        assert leg["departureDelay"] == 0  # earlier stops as scheduled
        if leg["to"]["stopId"] == alight:
            assert leg["arrivalDelay"] == 120
            assert leg["endTime"] == first["endTime"] + 120_000
        assert [a["alertHeaderText"] for a in leg["alerts"]] == ["Deviazione"]
    assert any(leg["to"]["stopId"] == alight for leg in rides)
    others = [leg for leg in _rides(live.json()) if leg["trip"]["gtfsId"] != trip]
    assert all(leg["alerts"] == [] for leg in others)
