"""Door-to-door plans on the realtime snapshot: what every transit leg says is live."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo

from maasmix.engine.network import Network, compile_network
from tests.engine.builders import hms, make_day
from tests.engine.test_realtime import LINE, TRIPS
from tests.feeds.rt_builders import Al, Stu, Tu, encode

WHEN = dt.datetime(2024, 3, 5, 7, 55, tzinfo=zoneinfo.ZoneInfo("Europe/Rome"))


def _net() -> Network:
    day = make_day(LINE, TRIPS, day_offsets={"n1@-1": -1})
    return Network(compile_network(day, None, max_walk_m=0))


def _rides(plan):  # type: ignore[no-untyped-def]
    return [leg for j in plan.itineraries for leg in j.legs if leg.is_transit]


def test_legs_say_what_is_live() -> None:
    net = _net()
    static = net.plan(LINE["A"], LINE["D"], WHEN, modes="WALK,TRANSIT", money=False)
    (ride,) = _rides(static)
    assert ride.trip_key == "t1" and ride.realtime is None  # nothing applied
    assert static.realtime_time is None
    now = int(time.time())
    net.apply_realtime(
        encode(
            [Tu("t1", [Stu(seq=3, arr_delay=240)])],
            alerts=[Al("r", routes=["R"]), Al("x", routes=["X"])],
            vehicles=[("t1", 45.015, 9.0, "FEW_SEATS_AVAILABLE")],
            timestamp=now,
        )
    )
    live = net.plan(LINE["A"], LINE["D"], WHEN, modes="WALK,TRANSIT", money=False)
    (ride,) = _rides(live)
    assert (ride.trip_key, ride.start_s, ride.end_s) == ("t1", hms("08:00"), hms("08:34"))
    rt = ride.realtime
    assert rt is not None and rt.real_time and rt.state == "UPDATED"
    assert (rt.scheduled_departure_s, rt.scheduled_arrival_s) == (hms("08:00"), hms("08:30"))
    assert (rt.departure_delay_s, rt.arrival_delay_s) == (0, 240)
    assert [a.alert_id for a in rt.alerts] == ["r"]  # route R's alert, not route X's
    assert rt.vehicle is not None and rt.vehicle["occupancy_status"] == "FEW_SEATS_AVAILABLE"
    assert [a.alert_id for a in live.alerts] == ["r"]
    assert live.realtime_time == net.realtime.time  # the snapshot it was planned on


def test_a_cancelled_trip_is_not_planned_and_alerts_stay_on_their_route() -> None:
    net = _net()
    net.apply_realtime(encode([Tu("t1", rel="CANCELED")], alerts=[Al("x", routes=["X"])]))
    plan = net.plan(LINE["A"], LINE["D"], WHEN, modes="WALK,TRANSIT", money=False)
    rides = _rides(plan)
    assert rides and all(leg.trip_key != "t1" for leg in rides)
    assert rides[0].trip_key == "t2" and rides[0].end_s == hms("08:45")
    assert rides[0].realtime is not None and rides[0].realtime.state == "SCHEDULED"
    assert rides[0].realtime.alerts == ()
    # from B after t2 has left: route X (B -> D) carries its alert
    plan = net.plan(LINE["B"], LINE["D"], WHEN.replace(hour=8, minute=27), money=False)
    for leg in _rides(plan):
        assert leg.realtime is not None
        assert [a.alert_id for a in leg.realtime.alerts] == (["x"] if leg.route_id == "X" else [])
    assert any(leg.route_id == "X" for leg in _rides(plan))
