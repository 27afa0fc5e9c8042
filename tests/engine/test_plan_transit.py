"""Transit between access and egress sets as the planner runs it: RAPTOR where only rides
reach the targets (``walk_reaches_target=False``), on a three-stop line; McRAPTOR's
walking trade-offs bounded after RAPTOR's earliest arrival."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from maasmix.engine.paths import raptor_journeys
from maasmix.engine.raptor import INF, point_to_point
from maasmix.engine.timetable import CompiledTimetable, compile_timetable
from maasmix.geodesy import M_PER_DEG_LAT
from tests.engine.builders import DATE, hms, make_day

LAT = 45.0
DEG_PER_M = 1.0 / (M_PER_DEG_LAT * np.cos(np.radians(LAT)))


def _line(trips: list[tuple[str, str, list[tuple[str, str, str]]]]) -> CompiledTimetable:
    """Stops O, Y (100 m east) and X (150 m east), footpaths between those served;
    ``trips``."""
    stops = {name: (LAT, 9.0 + m * DEG_PER_M) for name, m in (("O", 0), ("Y", 100), ("X", 150))}
    return compile_timetable(make_day(stops, trips))


def _only_rides(tt: CompiledTimetable, egress_s: int) -> tuple[int, list[tuple[str, str, str]]]:
    """From O at 08:00 to target Y (egress ``egress_s``): best arrival + egress with one
    ride and the legs (mode, from, to) of its journey."""
    o, y = tt.stop_index("O"), tt.stop_index("Y")
    t, eg = np.array([y], np.int32), np.array([egress_s], np.int32)
    res = point_to_point(
        tt, [o], t, hms("08:00"), target_egress=eg, min_transfer_s=0, walk_reaches_target=False
    )
    assert int(res.dest[0]) == INF  # the walk O -> Y (98 s) does not count
    (j,) = raptor_journeys(tt, res, t, eg)
    return int(res.dest[1]), [(leg.mode, leg.from_stop_id, leg.to_stop_id) for leg in j.legs]


def test_a_ride_and_footpath_reach_a_target_walked_to_earlier() -> None:
    tt = _line(
        [
            ("t", "R", [("O", "08:01:00", "08:01:00"), ("X", "08:05:00", "08:05:00")]),
            ("u", "U", [("Y", "07:00:00", "07:00:00"), ("O", "07:05:00", "07:05:00")]),
        ]
    )
    fp = tt.footpaths.to_frame(tt.stop_ids)
    xy = int(fp[(fp.from_stop_id == "X") & (fp.to_stop_id == "Y")].duration_s.iloc[0])
    assert xy == 49  # ceil(50 m x 1.3 / 1.33 m/s)
    # Y is walked to at 08:01:38 without a ride; the ride + footpath arrives later but is
    # the only way allowed on to the target
    arrival, legs = _only_rides(tt, 10)
    assert arrival == hms("08:05") + xy + 10
    assert legs == [("BUS", "O", "X"), ("WALK", "X", "Y")]


def test_a_ride_reaches_a_target_walked_to_earlier() -> None:
    tt = _line([("t", "R", [("O", "08:01:00", "08:01:00"), ("Y", "08:04:00", "08:04:00")])])
    arrival, legs = _only_rides(tt, 10)
    assert arrival == hms("08:04") + 10
    assert legs == [("BUS", "O", "Y")]


def test_walking_trade_offs_are_bounded_after_the_earliest_arrival(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from maasmix.engine import plan_transit
    from maasmix.engine.network import Network, compile_network
    from maasmix.feeds.osm import load_osm
    from tests.engine.plan_builders import lon_at, write_street

    # the fast bus B1 (more walking) arrives at 08:18, the near bus B2 (less) at 08:40
    stops = {"N": (LAT, lon_at(1)), "F": (LAT, lon_at(8)), "Q": (LAT, lon_at(25))}
    trips = [
        ("fast", "B1", [("F", "08:12:00", "08:12:00"), ("Q", "08:18:00", "08:18:00")]),
        ("near", "B2", [("N", "08:20:00", "08:20:00"), ("Q", "08:40:00", "08:40:00")]),
    ]
    street = load_osm(write_street(tmp_path / "street.osm"))
    net = Network(compile_network(make_day(stops, trips), street), min_transfer_s=0)
    at = dt.datetime.combine(DATE, dt.time(8, 0))

    def routes() -> set[str | None]:
        plan = net.plan((LAT, lon_at(0)), (LAT, lon_at(25)), at, modes="TRANSIT")
        return {leg.route_id for j in plan.itineraries for leg in j.legs if leg.is_transit}

    assert plan_transit.MC_ARRIVAL_SLACK_S == 1800
    assert routes() == {"B1", "B2"}  # 22 min later: within the bound
    monkeypatch.setattr(plan_transit, "MC_ARRIVAL_SLACK_S", 1200)
    assert routes() == {"B1"}  # 22 min > 20 min after the earliest arrival
