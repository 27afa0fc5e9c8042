"""The realtime layer: exact answers on hand-made timetables, atomic swaps, bad input."""

from __future__ import annotations

import datetime as dt
import pickle
import threading
import time
import zoneinfo
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from maasmix.engine import INF, TransitRouter, compile_timetable
from maasmix.engine.network import Network, compile_network
from maasmix.engine.realtime import (
    TRIP_CANCELED,
    TRIP_SCHEDULED,
    TRIP_UPDATED,
    RealtimeLayer,
)
from maasmix.engine.timetable import CompiledTimetable
from maasmix.errors import FeedFormatError
from maasmix.feeds.gtfs_rt import read_gtfs_rt
from tests.engine.builders import DATE, hms, make_day
from tests.feeds.rt_builders import Al, Stu, Tu, encode

LINE = {
    "A": (45.00, 9.0),
    "B": (45.01, 9.0),
    "C": (45.02, 9.0),
    "D": (45.03, 9.0),
}
TRIPS = [
    (
        "t1",
        "R",
        [
            ("A", "08:00", "08:00"),
            ("B", "08:10", "08:11"),
            ("C", "08:20", "08:21"),
            ("D", "08:30", "08:30"),
        ],
    ),
    (
        "t2",
        "R",
        [
            ("A", "08:15", "08:15"),
            ("B", "08:25", "08:26"),
            ("C", "08:35", "08:36"),
            ("D", "08:45", "08:45"),
        ],
    ),
    ("x1", "X", [("B", "08:30", "08:30"), ("D", "08:50", "08:50")]),
    # yesterday's night run, 24:50 -> 25:20 yesterday = 00:50 -> 01:20 today
    (
        "n1@-1",
        "N",
        [("A", "-00:10:00", "-00:10:00"), ("B", "00:30", "00:30"), ("D", "01:20", "01:20")],
    ),
    # frequency runs of one trip_id
    ("f#0", "F", [("A", "09:00", "09:00"), ("D", "09:20", "09:20")]),
    ("f#1", "F", [("A", "09:30", "09:30"), ("D", "09:50", "09:50")]),
]
TODAY = DATE.strftime("%Y%m%d")
YESTERDAY = (DATE - dt.timedelta(days=1)).strftime("%Y%m%d")
MIDNIGHT = (
    int(
        dt.datetime(
            DATE.year, DATE.month, DATE.day, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Rome")
        ).timestamp()
    )
    - 12 * 3600
)


@pytest.fixture(scope="module")
def scheduled() -> CompiledTimetable:
    day = make_day(LINE, TRIPS, day_offsets={"n1@-1": -1})
    return compile_timetable(day, max_walk_m=0)


def _apply(
    tt: CompiledTimetable, *updates: Tu, **kw: object
) -> tuple[RealtimeLayer, TransitRouter]:
    layer = RealtimeLayer(tt)
    layer.apply(read_gtfs_rt(encode(list(updates), **kw)))  # type: ignore[arg-type]
    return layer, TransitRouter(layer.snapshot().timetable, min_transfer_s=0)


def _times(layer: RealtimeLayer, trip_key: str) -> list[tuple[str, int, int]]:
    """(stop, arrival, departure) of a trip in the realtime timetable."""
    tt = layer.snapshot().timetable
    (t,) = np.flatnonzero(tt.trip_keys == trip_key)
    stops, arr, dep = tt.trip_stop_times(int(t))
    return [(str(tt.stop_ids[s]), int(a), int(d)) for s, a, d in zip(stops, arr, dep, strict=True)]


def assert_fifo(tt: CompiledTimetable) -> None:
    """Every pattern's trips never overtake each other (RAPTOR's invariant)."""
    for p in range(tt.n_patterns):
        n = int(tt.pattern_stops_ptr[p + 1] - tt.pattern_stops_ptr[p])
        k = int(tt.pattern_trips_ptr[p + 1] - tt.pattern_trips_ptr[p])
        a0 = int(tt.pattern_st_ptr[p])
        arr = tt.st_arr[a0 : a0 + n * k].reshape(k, n)
        dep = tt.st_dep[a0 : a0 + n * k].reshape(k, n)
        assert (np.diff(arr, axis=0) >= 0).all() and (np.diff(dep, axis=0) >= 0).all(), p
        assert (dep >= arr).all() and (arr[:, 1:] >= dep[:, :-1]).all(), p


def test_delay_propagates_until_a_stop_gives_its_own(scheduled: CompiledTimetable) -> None:
    layer, router = _apply(
        scheduled, Tu("t1", [Stu(seq=2, arr_delay=300), Stu(seq=4, arr_delay=60)])
    )
    assert _times(layer, "t1") == [
        ("A", hms("08:00"), hms("08:00")),  # before the first update: as scheduled
        ("B", hms("08:15"), hms("08:16")),  # arrival delay, departure takes it
        ("C", hms("08:25"), hms("08:26")),  # propagated
        ("D", hms("08:31"), hms("08:31")),  # its own
    ]
    snap = layer.snapshot()
    report = snap.report
    assert (report.matched_trips, report.updated_trips, report.canceled_trips) == (1, 1, 0)
    t1 = int(np.flatnonzero(scheduled.trip_keys == "t1")[0])
    assert snap.trip_state[t1] == TRIP_UPDATED
    assert (snap.trip_state == TRIP_UPDATED).sum() == 1
    info = snap.trip_times(int(np.flatnonzero(snap.timetable.trip_keys == "t1")[0]))
    assert info["arrival_delay"].tolist() == [0, 300, 300, 60]
    assert info["state"] == "UPDATED"
    ea = router.earliest_arrival_array("A", "07:55")
    assert ea[scheduled.stop_index("C")] == hms("08:25")
    assert ea[scheduled.stop_index("D")] == hms("08:31")
    # absolute times, and the departure delay (not the arrival's) carried on
    layer2, _ = _apply(
        scheduled,
        Tu("t1", [Stu(stop_id="B", arr_time=MIDNIGHT + hms("08:12"), dep_delay=240)]),
    )
    assert _times(layer2, "t1")[1:] == [
        ("B", hms("08:12"), hms("08:15")),
        ("C", hms("08:24"), hms("08:25")),
        ("D", hms("08:34"), hms("08:34")),
    ]


def test_no_data_returns_to_schedule_and_trip_delay(scheduled: CompiledTimetable) -> None:
    layer, _ = _apply(scheduled, Tu("t1", [Stu(seq=2, arr_delay=300), Stu(seq=3, rel="NO_DATA")]))
    assert [a for _, a, _ in _times(layer, "t1")] == [
        hms("08:00"),
        hms("08:15"),
        hms("08:20"),
        hms("08:30"),
    ]
    layer, _ = _apply(scheduled, Tu("t2", delay=120))
    assert [d for _, _, d in _times(layer, "t2")] == [
        hms("08:17"),
        hms("08:28"),
        hms("08:38"),
        hms("08:47"),
    ]


def test_times_stay_monotonic(scheduled: CompiledTimetable) -> None:
    # stop B 15 min late, but C said to arrive at 08:22 (before B's departure 08:26)
    layer, router = _apply(
        scheduled,
        Tu("t1", [Stu(seq=2, arr_delay=900), Stu(seq=3, arr_time=MIDNIGHT + hms("08:22"))]),
    )
    times = _times(layer, "t1")
    assert times[1] == ("B", hms("08:25"), hms("08:26"))
    assert times[2] == ("C", hms("08:26"), hms("08:26"))  # pushed up to B's departure
    # D carries C's own delay (08:22 - 08:20 = +120 s), not the push
    assert times[3] == ("D", hms("08:32"), hms("08:32"))
    assert layer.snapshot().report.monotonic_repairs == 2
    assert_fifo(layer.snapshot().timetable)
    assert router.earliest_arrival_array("A", "07:55")[scheduled.stop_index("D")] == hms("08:32")


def test_overtaking_trip_gets_its_own_pattern(scheduled: CompiledTimetable) -> None:
    # t1 20 min late from B on: t2 (15 min behind it) now overtakes it
    layer, router = _apply(scheduled, Tu("t1", [Stu(seq=2, arr_delay=1200)]))
    tt = layer.snapshot().timetable
    assert tt.n_patterns == scheduled.n_patterns + 1
    assert_fifo(tt)
    ea = router.earliest_arrival_array("A", "07:55")
    assert ea[scheduled.stop_index("D")] == hms("08:45")  # t2, not the late t1 (08:50)
    (j,) = router.journeys("A", "D", "07:55")
    assert j.legs[0].trip_key == "t2"
    # boarding t1 late at B still works: it now leaves B at 08:31
    ea_b = router.earliest_arrival_array("B", "08:27")
    assert ea_b[scheduled.stop_index("D")] == hms("08:50")


def test_cancelled_trip_is_never_boarded(scheduled: CompiledTimetable) -> None:
    layer, router = _apply(scheduled, Tu("t1", rel="CANCELED"))
    snap = layer.snapshot()
    assert snap.timetable.n_trips == scheduled.n_trips - 1
    assert "t1" not in set(snap.timetable.trip_keys)
    t1 = int(np.flatnonzero(scheduled.trip_keys == "t1")[0])
    assert snap.trip_state[t1] == TRIP_CANCELED and snap.report.canceled_trips == 1
    (j,) = router.journeys("A", "D", "07:55")
    assert j.legs[0].trip_key == "t2" and j.legs[0].end_s == hms("08:45")


def test_skipped_stop_is_neither_boarded_nor_alighted(scheduled: CompiledTimetable) -> None:
    layer, router = _apply(scheduled, Tu("t1", [Stu(seq=2, rel="SKIPPED")]))
    snap = layer.snapshot()
    assert snap.report.skipped_stop_times == 1
    assert_fifo(snap.timetable)
    b, c = scheduled.stop_index("B"), scheduled.stop_index("C")
    ea = router.earliest_arrival_array("A", "07:55")
    assert ea[b] == hms("08:25")  # t1 does not let riders off at B: t2 does
    assert ea[c] == hms("08:20")  # t1 still runs through
    ea_b = router.earliest_arrival_array("B", "08:05")
    assert ea_b[c] == hms("08:35")  # t1 not boardable at B
    # t2 keeps its pattern (and B)
    (j,) = router.journeys("B", "C", "08:05")
    assert j.legs[0].trip_key == "t2"


def test_previous_day_and_frequency_runs(scheduled: CompiledTimetable) -> None:
    layer, router = _apply(
        scheduled,
        Tu("n1", [Stu(seq=3, arr_delay=600)], start_date=YESTERDAY),
        Tu("f", [Stu(seq=2, arr_delay=120)], start_time="09:30:00"),
    )
    assert _times(layer, "n1@-1")[2] == ("D", hms("01:30"), hms("01:30"))
    assert _times(layer, "f#1")[1] == ("D", hms("09:52"), hms("09:52"))
    assert _times(layer, "f#0")[1] == ("D", hms("09:20"), hms("09:20"))
    assert router.earliest_arrival_array("B", "00:20")[scheduled.stop_index("D")] == hms("01:30")
    # the previous-day run by its trip_id alone (no run of it today), absolute time
    layer, _ = _apply(scheduled, Tu("n1", [Stu(seq=3, arr_time=MIDNIGHT + hms("01:25"))]))
    assert _times(layer, "n1@-1")[2] == ("D", hms("01:25"), hms("01:25"))


def test_unknown_trips_and_stops_are_counted(scheduled: CompiledTimetable) -> None:
    layer, _ = _apply(
        scheduled,
        Tu("nope", [Stu(seq=1, arr_delay=60)]),
        Tu("t1", [Stu(seq=9, arr_delay=60), Stu(stop_id="ZZ", arr_delay=60)]),
        Tu("t2", [Stu(seq=2, stop_id="C", arr_delay=60)]),  # sequence and stop disagree
        Tu("t1", [Stu(seq=2, arr_delay=60)], start_date="20000101"),
        Tu("f", [Stu(seq=2, arr_delay=60)]),  # frequency run without start_time
        Tu("x1", rel="ADDED"),
    )
    report = layer.snapshot().report
    assert report.unknown_trips == 2 and report.unknown_trip_ids == ("nope", "f")
    assert report.other_days == 1
    assert report.unknown_stops == 3
    assert report.unsupported == 1
    assert report.matched_trips == 2 and report.updated_trips == 0
    assert layer.snapshot().is_scheduled


def test_reset_and_sources(scheduled: CompiledTimetable) -> None:
    layer = RealtimeLayer(scheduled)
    first = layer.snapshot()
    assert first.is_scheduled
    layer.apply(read_gtfs_rt(encode([Tu("t1", rel="CANCELED")])), source="trips")
    layer.apply(
        read_gtfs_rt(encode(alerts=[Al("a", routes=["X"])], vehicles=[("t2", 45.0, 9.0, "FULL")])),
        source="alerts",
    )
    snap = layer.snapshot()
    assert snap.report.canceled_trips == 1  # the alerts source kept the trips source
    assert [a.alert_id for a in snap.alerts] == ["a"]
    x1 = int(np.flatnonzero(snap.timetable.trip_keys == "x1")[0])
    t2 = int(np.flatnonzero(snap.timetable.trip_keys == "t2")[0])
    assert [a.alert_id for a in snap.alerts_for(route_id="X")] == ["a"]
    assert snap.alerts_for(route_id="R", stop_ids=["A", "B"]) == []
    assert snap.vehicle_for(t2)["occupancy_status"] == "FULL"  # type: ignore[index]
    assert snap.vehicle_for(x1) is None
    assert set(snap.feed_times) == {"trips", "alerts"}
    # a differential message changes only the trips it names
    layer.apply(read_gtfs_rt(encode([Tu("t2", rel="CANCELED")], differential=True)), source="trips")
    assert layer.snapshot().report.canceled_trips == 2
    layer.reset()
    assert layer.snapshot().is_scheduled and layer.snapshot().alerts == ()
    assert (layer.snapshot().trip_state == TRIP_SCHEDULED).all()
    assert first.is_scheduled  # snapshots are never changed


def test_queries_in_threads_see_one_snapshot_or_the_other(scheduled: CompiledTimetable) -> None:
    feeds = [
        read_gtfs_rt(encode([Tu("t1", [Stu(seq=2, arr_delay=1200)]), Tu("x1", rel="CANCELED")])),
        read_gtfs_rt(encode([Tu("t2", rel="CANCELED"), Tu("t1", [Stu(seq=3, rel="SKIPPED")])])),
    ]
    layer = RealtimeLayer(scheduled)
    origins = ["A", "B"]

    def answer(tt: CompiledTimetable) -> tuple[bytes, ...]:
        r = TransitRouter(tt, min_transfer_s=0)
        return tuple(r.earliest_arrival_array(o, "07:55").tobytes() for o in origins)

    expected = {answer(scheduled)}
    for f in feeds:
        expected.add(answer(RealtimeLayer(scheduled).snapshot().timetable))
        probe = RealtimeLayer(scheduled)
        probe.apply(f)
        expected.add(answer(probe.snapshot().timetable))
    assert len(expected) == 3  # schedule and the two updates differ
    seen: list[tuple[bytes, ...]] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def query() -> None:
        try:
            while not stop.is_set():
                snap = layer.snapshot()
                r = TransitRouter(snap.timetable, min_transfer_s=0)
                got = []
                for o in origins:
                    got.append(r.earliest_arrival_array(o, "07:55").tobytes())
                seen.append(tuple(got))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=query) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(30):
        if i % 3 == 2:
            layer.reset()
        else:
            layer.apply(feeds[i % 3])
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert seen and set(seen) <= expected
    assert INF > 0


def test_network_apply_reset_and_bad_input_keeps_state(tmp_path: Path) -> None:
    day = make_day(LINE, TRIPS, day_offsets={"n1@-1": -1})
    compiled = compile_network(day, None, max_walk_m=0)
    shapes = np.arange(compiled.timetable.n_trips, dtype=np.int32)  # trip t: shape t
    net = Network(replace(compiled, trip_shape=shapes))
    assert net.realtime.is_scheduled
    now = int(time.time())
    report = net.apply_realtime(encode([Tu("t1", rel="CANCELED"), Tu("ghost")], timestamp=now))
    assert report.canceled_trips == 1 and report.unknown_trip_ids == ("ghost",)
    before = net.realtime
    assert "t1" not in set(before.timetable.trip_keys)
    live = net.live()
    assert live.snapshot is before and net.live() is live  # built once per snapshot
    assert live.compiled.timetable is before.timetable
    assert live.compiled.reverse.n_trips == before.timetable.n_trips
    assert live.compiled.walk is net.compiled.walk
    # shapes follow their trips into the realtime order
    sched = net.compiled.timetable
    assert live.compiled.trip_shape is not None
    for t, key in enumerate(before.timetable.trip_keys):
        assert sched.trip_keys[live.compiled.trip_shape[t]] == key
    good = encode([Tu("t2", rel="CANCELED")], timestamp=now)
    with pytest.raises(FeedFormatError, match="corrupt or truncated"):
        net.apply_realtime(good[:-2])
    (tmp_path / "huge.pb").write_bytes(encode([Tu(f"t{i}") for i in range(30)]))
    with pytest.raises(FeedFormatError, match="entities exceed"):
        net.realtime_from(tmp_path / "huge.pb", max_entities=10)
    assert net.realtime is before  # the previous state is kept
    # an hours-old feed is applied, with a notice
    (tmp_path / "old.pb").write_bytes(encode([Tu("t2", rel="CANCELED")], timestamp=now - 4 * 3600))
    report = net.realtime_from(tmp_path / "old.pb", name="trips")
    assert any("stale feed" in n for n in report.notices)
    assert net.realtime.report.canceled_trips == 2  # both sources in force
    assert set(net.realtime.feed_times) == {"default", "trips"}
    clone = pickle.loads(pickle.dumps(net.realtime_layer))
    assert clone.snapshot().report.canceled_trips == 2
    net.reset_realtime()
    assert net.realtime.is_scheduled
    assert net.live().compiled is net.compiled
    assert net.with_fares(None).realtime is net.realtime  # one layer per network


def test_leg_facts_delays_alerts_vehicle(scheduled: CompiledTimetable) -> None:
    now = int(time.time())
    layer = RealtimeLayer(scheduled)
    layer.apply(
        read_gtfs_rt(
            encode(
                [Tu("t1", [Stu(seq=2, arr_delay=300)])],
                alerts=[
                    Al("on-r", routes=["R"], header={"en": "R diverted"}),
                    Al("at-c", stops=["C"]),
                    Al("on-x", routes=["X"]),
                    Al("over", routes=["R"], periods=[(now - 7200, now - 3600)]),
                ],
                vehicles=[("t1", 45.005, 9.0, "STANDING_ROOM_ONLY")],
            )
        )
    )
    snap = layer.snapshot()
    leg = snap.leg("t1", "A", "C", hms("08:00"), at=now)
    assert leg is not None
    assert (leg.state, leg.real_time) == ("UPDATED", True)
    assert (leg.scheduled_departure_s, leg.scheduled_arrival_s) == (hms("08:00"), hms("08:20"))
    assert (leg.departure_delay_s, leg.arrival_delay_s) == (0, 300)
    assert [a.alert_id for a in leg.alerts] == ["on-r", "at-c"]
    assert leg.alerts[0].text("en") == "R diverted"
    assert leg.vehicle is not None and leg.vehicle["occupancy_status"] == "STANDING_ROOM_ONLY"
    other = snap.leg("t2", "A", "B", hms("08:15"), at=now)
    assert other is not None and (other.state, other.real_time) == ("SCHEDULED", False)
    assert [a.alert_id for a in other.alerts] == ["on-r"] and other.vehicle is None
    x = snap.leg("x1", "B", "D", hms("08:30"), at=now)
    assert x is not None and [a.alert_id for a in x.alerts] == ["on-x"]
    assert snap.leg("t1", "A", "C", hms("07:00")) is None  # no such boarding


def test_timetable_without_stop_sequences_says_so(scheduled: CompiledTimetable) -> None:
    old = replace(scheduled, st_seq=None)  # as unpickled from a cache made before it
    layer, _ = _apply(old, Tu("t1", [Stu(seq=2, arr_delay=60), Stu(stop_id="C", arr_delay=120)]))
    report = layer.snapshot().report
    assert report.unknown_stops == 1
    assert any("without stop_sequence" in n for n in report.notices)
    assert [a for _, a, _ in _times(layer, "t1")][2:] == [hms("08:22"), hms("08:32")]


def test_feed_label_prefixes_ids_of_a_multi_feed_network() -> None:
    trips = [
        (f"hsl:{key}", f"hsl:{r}", [(f"hsl:{s}", a, d) for s, a, d in calls])
        for key, r, calls in TRIPS[:3]
    ]
    stops = {f"hsl:{s}": ll for s, ll in LINE.items()}
    net = Network(compile_network(make_day(stops, trips), None, max_walk_m=0))
    message = encode(
        [Tu("t1", [Stu(stop_id="B", arr_delay=300)])],
        alerts=[Al("a", routes=["R"], stops=["C"])],
        vehicles=[("t2", 45.0, 9.0, "FULL")],
    )
    assert net.apply_realtime(message).unknown_trips == 1  # ids without the label
    report = net.apply_realtime(message, feed="hsl")
    assert report.unknown_trips == 0 and report.updated_trips == 1
    snap = net.realtime
    (alert,) = snap.alerts
    assert [(e.route_id, e.stop_id) for e in alert.informed_entities] == [
        ("hsl:R", ""),
        ("", "hsl:C"),
    ]
    assert snap.vehicles["trip_id"].tolist() == ["hsl:t2"] and snap.vehicles["trip"][0] >= 0
    leg = snap.leg("hsl:t1", "hsl:A", "hsl:C", hms("08:00"))
    assert leg is not None and leg.arrival_delay_s == 300


def test_differential_messages_merge_into_their_source(scheduled: CompiledTimetable) -> None:
    layer = RealtimeLayer(scheduled)
    layer.apply(read_gtfs_rt(encode([Tu("t1", rel="CANCELED")])), source="s")
    layer.apply(
        read_gtfs_rt(
            encode(
                [Tu("t2", [Stu(seq=2, arr_delay=120)])],
                vehicles=[("t2", 45.0, 9.0, "FULL")],
                differential=True,
            )
        ),
        source="s",
    )
    report = layer.snapshot().report
    assert (report.canceled_trips, report.updated_trips) == (1, 1)
    assert _times(layer, "t2")[1] == ("B", hms("08:27"), hms("08:28"))
    # t1 named again: its new update replaces the cancellation
    layer.apply(
        read_gtfs_rt(encode([Tu("t1", [Stu(seq=4, arr_delay=60)])], differential=True)),
        source="s",
    )
    report = layer.snapshot().report
    assert (report.canceled_trips, report.updated_trips) == (0, 2)
    assert _times(layer, "t1")[3] == ("D", hms("08:31"), hms("08:31"))
    assert len(layer.snapshot().vehicles) == 1
