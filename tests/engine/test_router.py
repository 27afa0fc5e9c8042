"""Hand-made timetables with exact expected journeys."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from maasmix.api.schemas.journeys import itinerary_out
from maasmix.engine import INF, TransitRouter
from maasmix.errors import NoServiceError, QueryError
from maasmix.servicetime import parse_clock
from tests.engine.builders import hms, make_day

# a north-south line of stops ~1.1 km apart (no footpaths), plus W 100 m west of B
LINE = {
    "A": (45.00, 9.0),
    "B": (45.01, 9.0),
    "C": (45.02, 9.0),
    "D": (45.03, 9.0),
    "W": (45.01, 8.99873),  # ~100 m from B
    "X": (45.03, 9.0127),  # ~1 km east of D
}


def router(trips, **kw) -> TransitRouter:  # type: ignore[no-untyped-def]
    transfers = kw.pop("transfers", ())
    slack = kw.pop("min_transfer_s", 0)
    day = make_day(LINE, trips, transfers=transfers, **kw)
    return TransitRouter.from_service_day(day, min_transfer_s=slack)


def legs(journey) -> list[tuple[str, str, str, str, str]]:  # type: ignore[no-untyped-def]
    return [
        (
            leg.mode,
            leg.from_stop_id,
            leg.to_stop_id,
            _hms(leg.start_s),
            _hms(leg.end_s),
        )
        for leg in journey.legs
    ]


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


TRANSFER = [
    ("r1", "R1", [("A", "08:00:00", "08:00:00"), ("B", "08:10:00", "08:10:00")]),
    ("r2a", "R2", [("B", "08:10:00", "08:10:00"), ("C", "08:20:00", "08:20:00")]),
    ("r2b", "R2", [("B", "08:30:00", "08:30:00"), ("C", "08:40:00", "08:40:00")]),
]


def test_transfer_at_the_same_second_is_caught() -> None:
    r = router(TRANSFER)
    (j,) = r.journeys("A", "C", "07:50")
    assert legs(j) == [
        ("BUS", "A", "B", "08:00:00", "08:10:00"),
        ("BUS", "B", "C", "08:10:00", "08:20:00"),
    ]
    assert j.transfers == 1 and j.legs[1].trip_id == "r2a" and j.legs[1].route_id == "R2"


def test_transfer_missed_by_one_second() -> None:
    late = [
        ("r1", "R1", [("A", "08:00:00", "08:00:00"), ("B", "08:10:01", "08:10:01")]),
        *TRANSFER[1:],
    ]
    (j,) = router(late).journeys("A", "C", "07:50")
    assert j.legs[1].trip_id == "r2b" and j.arrival_s == hms("08:40")
    # the same with the on-time feeder but a 1 s minimum transfer time
    (j,) = router(TRANSFER, min_transfer_s=1).journeys("A", "C", "07:50")
    assert j.arrival_s == hms("08:40")
    # ... which does not apply at the origin: boarding at exactly the departure works
    (j,) = router(TRANSFER, min_transfer_s=300).journeys("B", "C", "08:10:00")
    assert j.legs[0].trip_id == "r2a"
    assert router(TRANSFER).journeys("B", "C", "08:10:01")[0].legs[0].trip_id == "r2b"


def test_overtaking_trip() -> None:
    trips = [
        ("slow", "R", [("A", "08:00", "08:00"), ("B", "08:30", "08:30"), ("C", "09:00", "09:00")]),
        ("fast", "R", [("A", "08:05", "08:05"), ("B", "08:15", "08:15"), ("C", "08:30", "08:30")]),
    ]
    r = router(trips)
    assert r.timetable.n_patterns == 2  # split: the fast trip overtakes the slow one
    ea = r.earliest_arrivals("A", "07:55")
    assert ea.to_dict() == {"A": hms("07:55"), "B": hms("08:15"), "C": hms("08:30")}
    (j,) = r.journeys("A", "C", "07:55")
    assert legs(j) == [("BUS", "A", "C", "08:05:00", "08:30:00")]
    # leaving after the fast one: only the slow trip is left... none (both gone at 08:06)
    assert r.journeys("A", "C", "08:06") == []


def test_trip_past_midnight_and_previous_day_run() -> None:
    trips = [
        # yesterday's night bus: 23:50 -> 25:10 yesterday is -00:10 -> 01:10 today
        (
            "n1@-1",
            "N",
            [("A", "-00:10:00", "-00:10:00"), ("B", "00:30", "00:30"), ("C", "01:10", "01:10")],
        ),
        # today's late trip past 24:00
        ("late", "N", [("A", "24:20", "24:20"), ("C", "25:05", "25:05")]),
    ]
    r = router(trips, day_offsets={"n1@-1": -1})
    (j,) = r.journeys("B", "C", "00:20")
    assert legs(j) == [("BUS", "B", "C", "00:30:00", "01:10:00")]
    assert j.legs[0].trip_key == "n1@-1" and j.legs[0].trip_id == "n1"
    assert r.earliest_arrivals("A", "24:00:00")["C"] == hms("25:05")
    assert j.legs[0].start_s == hms("00:30")
    assert itinerary_out(j).legs[0].start == "2024-03-05T00:30:00+01:00"
    late = r.journeys("A", "C", "24:00:00")[0]
    assert late.end_time.isoformat() == "2024-03-06T01:05:00+01:00"


def test_pickup_and_drop_off_types() -> None:
    trips = [
        # no boarding at B, no alighting at C
        (
            "t",
            "R",
            [
                ("A", "08:00", "08:00"),
                ("B", "08:10", "08:10", 1, 0),
                ("C", "08:20", "08:20", 0, 1),
                ("D", "08:30", "08:30"),
            ],
        ),
    ]
    r = router(trips)
    assert set(r.earliest_arrivals("A", "07:00").index) == {"A", "B", "D"}
    assert set(r.earliest_arrivals("B", "07:00").index) == {"B"}
    assert set(r.earliest_arrivals("C", "07:00").index) == {"C", "D"}


def test_pareto_set_over_arrival_and_transfers() -> None:
    trips = [
        (
            "direct",
            "R1",
            [("A", "08:00", "08:00"), ("B", "08:20", "08:20"), ("D", "09:00", "09:00")],
        ),
        ("feeder", "R2", [("A", "08:02", "08:02"), ("B", "08:12", "08:12")]),
        ("express", "R3", [("B", "08:15", "08:15"), ("D", "08:40", "08:40")]),
    ]
    js = router(trips).journeys("A", "D", "07:59")
    assert [(j.transfers, _hms(j.arrival_s)) for j in js] == [(0, "09:00:00"), (1, "08:40:00")]
    assert [leg.trip_id for leg in js[1].legs] == ["feeder", "express"]
    assert router(trips).journeys("A", "D", "07:59", max_transfers=0)[0].arrival_s == hms("09:00")


def test_footpaths_one_between_rides() -> None:
    trips = [
        ("t1", "R1", [("A", "08:00", "08:00"), ("B", "08:10", "08:10")]),
        ("t2", "R2", [("W", "08:13", "08:13"), ("D", "08:30", "08:30")]),
    ]
    r = router(trips)
    tt = r.timetable
    fp = tt.footpaths.to_frame(tt.stop_ids)
    bw = fp[(fp.from_stop_id == "B") & (fp.to_stop_id == "W")]
    assert len(bw) == 1
    dist = float(bw.distance_m.iloc[0])
    assert 95 * 1.3 < dist < 105 * 1.3  # walking metres: crow-fly x the detour factor
    assert int(bw.duration_s.iloc[0]) == int(np.ceil(dist / 1.33))
    (j,) = r.journeys("A", "D", "07:55")
    assert legs(j) == [
        ("BUS", "A", "B", "08:00:00", "08:10:00"),
        ("WALK", "B", "W", "08:10:00", _hms(hms("08:10") + int(bw.duration_s.iloc[0]))),
        ("BUS", "W", "D", "08:13:00", "08:30:00"),
    ]
    # walking before the first ride ends when the ride leaves
    (j,) = r.journeys("B", "D", "08:00")
    assert legs(j)[0] == ("WALK", "B", "W", _hms(hms("08:13") - j.legs[0].duration_s), "08:13:00")
    # the minimum transfer time applies after walking between two rides
    slow = router(trips, min_transfer_s=120).journeys("A", "D", "07:55")
    assert slow == []


def test_footpath_replaces_the_minimum_transfer_time_when_asked() -> None:
    """slack_after_footpath=False: the slack only at the same stop, a footpath its own time."""
    trips = [
        ("t1", "R1", [("A", "08:00", "08:00"), ("B", "08:10", "08:10")]),
        ("t2", "R2", [("W", "08:13", "08:13"), ("D", "08:30", "08:30")]),
        ("c1", "R3", [("B", "08:11:59", "08:11:59"), ("C", "08:20", "08:20")]),
        ("c2", "R3", [("B", "08:12:00", "08:12:00"), ("C", "08:21", "08:21")]),
    ]
    day = make_day(LINE, trips)
    both = TransitRouter.from_service_day(day, min_transfer_s=120)
    fp_only = TransitRouter.from_service_day(day, min_transfer_s=120, slack_after_footpath=False)
    walk = int(
        fp_only.timetable.footpaths.to_frame(fp_only.timetable.stop_ids)
        .query("from_stop_id == 'B' and to_stop_id == 'W'")
        .duration_s.iloc[0]
    )
    assert walk <= 180 < walk + 120  # B->W + 120 s misses 08:13, B->W alone not
    assert both.journeys("A", "D", "07:55") == []
    (j,) = fp_only.journeys("A", "D", "07:55")
    assert legs(j) == [
        ("BUS", "A", "B", "08:00:00", "08:10:00"),
        ("WALK", "B", "W", "08:10:00", _hms(hms("08:10") + walk)),
        ("BUS", "W", "D", "08:13:00", "08:30:00"),
    ]
    assert fp_only.earliest_arrivals("A", "07:55")["D"] == hms("08:30")
    assert fp_only.profile("A", "D", "07:55", "07:55").arrival_s.tolist() == [hms("08:30")]
    assert "D" not in both.earliest_arrivals("A", "07:55").index
    # changing vehicles at the same stop still takes the 120 s in both models
    for r in (both, fp_only):
        (c,) = r.journeys("A", "C", "07:55")
        assert c.legs[1].trip_id == "c2" and c.arrival_s == hms("08:21")
    # the default is unchanged: the slack after walking too
    assert TransitRouter(both.timetable, min_transfer_s=120).slack_after_footpath


def test_no_two_footpaths_in_a_row() -> None:
    stops = {"P": (45.0, 9.0), "Q": (45.003, 9.0), "R": (45.006, 9.0)}  # 333 m apart
    trips = [
        ("t", "T", [("P", "08:00", "08:00"), ("Z", "08:30", "08:30")]),
        ("u", "U", [("Q", "09:00", "09:00"), ("R", "09:30", "09:30")]),
    ]
    day = make_day({**stops, "Z": (46.0, 9.0)}, trips)
    r = TransitRouter.from_service_day(day)
    ea = r.earliest_arrivals("P", "07:00")
    assert "Q" in ea and "R" not in ea.index[ea < hms("09:30")]  # P->Q->R on foot: no
    assert ea["R"] == hms("09:30")  # walk P->Q, ride Q->R


def test_transfers_txt_overrides_and_removes() -> None:
    trips = [
        ("t1", "R1", [("A", "08:00", "08:00"), ("B", "08:10", "08:10")]),
        ("t2", "R2", [("W", "08:20", "08:20"), ("D", "08:30", "08:30")]),
        ("t3", "R3", [("X", "08:20", "08:20"), ("C", "08:40", "08:40")]),
    ]
    transfers = [("B", "W", 2, 900), ("B", "X", 2, 300), ("W", "B", 3, -1)]
    r = router(trips, transfers=transfers)
    fp = r.timetable.footpaths.to_frame(r.timetable.stop_ids)
    pairs = {
        (a, b): d for a, b, d in zip(fp.from_stop_id, fp.to_stop_id, fp.duration_s, strict=True)
    }
    assert pairs[("B", "W")] == 900 and pairs[("B", "X")] == 300 and ("W", "B") not in pairs
    ea = r.earliest_arrivals("A", "07:55")
    assert "D" not in ea.index  # 08:10 + 900 s is after the 08:20 departure
    assert ea["C"] == hms("08:40")  # via the added 1 km transfer in 5 min


def test_station_origin_and_several_origins() -> None:
    stops = {**LINE, "S": (45.0, 9.0)}
    trips = [
        ("t", "R", [("A", "08:00", "08:00"), ("C", "08:30", "08:30")]),
        ("u", "R", [("B", "08:05", "08:05"), ("D", "08:10", "08:10")]),
    ]
    day = make_day(stops, trips, parents={"A": "S", "B": "S"})
    r = TransitRouter.from_service_day(day, max_walk_m=0)
    ea = r.earliest_arrivals("S", "07:00")
    assert ea["C"] == hms("08:30") and ea["D"] == hms("08:10")
    ea = r.earliest_arrivals({"A": 0, "B": 4000}, "07:00")
    assert "D" not in ea.index and ea["B"] == hms("07:00") + 4000
    (j,) = r.journeys("S", "D", "07:00")
    assert j.legs[0].from_stop_id == "B"


def test_profile_range_query() -> None:
    trips = [
        (
            f"t{i}",
            "R",
            [("A", f"08:{m:02d}", f"08:{m:02d}"), ("B", f"08:{m + 10:02d}", f"08:{m + 10:02d}")],
        )
        for i, m in enumerate((5, 20, 35))
    ]
    r = router(trips)
    prof = r.profile("A", "B", "08:00", "08:40", step_s=300)
    assert prof["departure"].tolist() == [f"08:{m:02d}:00" for m in range(0, 41, 5)]
    assert prof["arrival"].tolist() == [
        "08:15:00",
        "08:15:00",
        "08:30:00",
        "08:30:00",
        "08:30:00",
        "08:45:00",
        "08:45:00",
        "08:45:00",
        None,
    ]
    assert prof["arrival_s"].isna().tolist() == [False] * 8 + [True]
    assert prof["transfers"].iloc[0] == 0


def test_mcraptor_trades_walking_for_time() -> None:
    # A->B then either walk B->W (100 m) for an earlier bus, or stay at B for a later one
    trips = [
        ("t1", "R1", [("A", "08:00", "08:00"), ("B", "08:10", "08:10")]),
        ("walky", "R2", [("W", "08:13", "08:13"), ("D", "08:30", "08:30")]),
        ("sitty", "R3", [("B", "08:20", "08:20"), ("D", "08:35", "08:35")]),
    ]
    r = router(trips)
    js = r.mc_journeys("A", "D", "07:55")
    got = sorted((_hms(j.arrival_s), j.transfers, j.walk_s > 0) for j in js)
    assert got == [("08:30:00", 1, True), ("08:35:00", 1, False)]
    # RAPTOR keeps only the earliest per number of transfers
    assert [_hms(j.arrival_s) for j in r.journeys("A", "D", "07:55")] == ["08:30:00"]


def test_errors_and_times() -> None:
    r = router(TRANSFER)
    with pytest.raises(QueryError, match="unknown stop_id 'NOPE'") as info:
        r.journeys("NOPE", "C", "08:00")
    assert info.value.parameter == "stop_id"
    with pytest.raises(QueryError):
        r.earliest_arrivals("A", "8h")
    with pytest.raises(QueryError):
        r.journeys("A", "C", "08:00", max_transfers=-1)
    with pytest.raises(QueryError):
        r.profile("A", "C", "09:00", "08:00")
    assert parse_clock("25:10") == hms("25:10") and parse_clock(61) == 61
    for bad in ("", "08:61", "x:10", "08:00:60", "-3600", "²:00", "1e30", "49:00", 10**12):
        with pytest.raises(QueryError):
            parse_clock(bad)
    with pytest.raises(QueryError, match="depart"):
        r.journeys("A", "C", -3600)
    (j,) = r.journeys("A", "A", "08:00")
    assert j.legs == () and j.departure_s == j.arrival_s == hms("08:00")


def test_compiled_arrays_are_consistent() -> None:
    r = router(TRANSFER)
    tt = r.timetable
    assert tt.n_stop_times == 6 and tt.n_trips == 3 and tt.n_patterns == 2
    for p in range(tt.n_patterns):
        lo, hi = tt.pattern_trips_ptr[p], tt.pattern_trips_ptr[p + 1]
        deps = [tt.trip_stop_times(t)[2][0] for t in range(lo, hi)]
        assert deps == sorted(deps)
    # 6 stop times x 2 int32 columns + index arrays: an exact count of the numeric bytes
    assert (
        tt.nbytes
        == sum(a.nbytes for a in tt.kernel_arrays())
        + sum(
            getattr(tt, name).nbytes
            for name in (
                "stop_lat",
                "stop_lon",
                "stop_parent",
                "trip_pattern",
                "trip_route",
                "st_seq",
            )
        )
        + tt.route_types.nbytes
        + tt.footpaths.distance_m.nbytes
    )
    assert one_stop_series_dtype(r) == np.int32


def one_stop_series_dtype(r: TransitRouter) -> np.dtype:
    return r.earliest_arrivals("A", 0).dtype


def test_from_gtfs_with_cache(dataset, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bart = dataset("gtfs-bay-area", "bart.zip")
    first = TransitRouter.from_gtfs(bart, "20180601", cache_dir=tmp_path, min_transfer_s=30)
    cached = sorted(tmp_path.glob("*.pkl"))
    assert len(cached) == 2  # the service day and the compiled timetable
    second = TransitRouter.from_gtfs(bart, dt.date(2018, 6, 1), cache_dir=tmp_path)
    assert sorted(tmp_path.glob("*.pkl")) == cached
    assert first.min_transfer_s == 30 and second.min_transfer_s == 60
    np.testing.assert_array_equal(first.timetable.st_dep, second.timetable.st_dep)
    a = first.earliest_arrivals("12TH", "08:00", min_transfer_s=0)
    b = second.earliest_arrivals("12TH", "08:00", min_transfer_s=0)
    pd.testing.assert_series_equal(a, b)
    with pytest.raises(NoServiceError, match="no trip runs on 20300101") as info:
        TransitRouter.from_gtfs(bart, "20300101", cache_dir=tmp_path)
    assert info.value.period == (dt.date(2018, 5, 26), dt.date(2019, 7, 1))
    with pytest.raises(QueryError):
        TransitRouter.from_gtfs(bart, "June 1st", cache_dir=tmp_path)


def test_all_earliest_arrivals_are_after_departure() -> None:
    r = router(TRANSFER)
    for stop, t in itertools.product("ABC", (hms("07:00"), hms("08:10"))):
        arr = r.earliest_arrival_array(stop, t)
        assert (arr[arr < INF] >= t).all()


DIRECT = [*TRANSFER, ("d", "D", [("A", "08:20:00", "08:20:00"), ("C", "08:50:00", "08:50:00")])]


def test_profile_counts_transfers() -> None:
    """Until 08:00 the fastest way is r1 + r2a (1 transfer); then the direct trip."""
    frame = router(DIRECT).profile("A", "C", "07:50", "08:25", step_s=300)
    assert frame["departure"].tolist() == [
        "07:50:00",
        "07:55:00",
        "08:00:00",
        "08:05:00",
        "08:10:00",
        "08:15:00",
        "08:20:00",
        "08:25:00",
    ]
    assert frame["arrival"].tolist() == ["08:20:00"] * 3 + ["08:50:00"] * 4 + [None]
    assert frame["transfers"].tolist() == [1, 1, 1, 0, 0, 0, 0, pd.NA]
    assert frame["duration_s"].tolist()[:4] == [1800, 1500, 1200, 2700]


def test_destination_egress_enters_the_comparison() -> None:
    """B is reached at 08:10 without transfer, C at 08:20 with one: egress at B decides."""
    r = router(TRANSFER)
    ends = {
        egress: [
            (j.legs[-1].to_stop_id, _hms(j.arrival_s), j.transfers)
            for j in r.journeys("A", {"B": egress, "C": 0}, "07:50")
        ]
        for egress in (300, 900)
    }
    assert ends[300] == [("B", "08:10:00", 0)]
    assert ends[900] == [("B", "08:10:00", 0), ("C", "08:20:00", 1)]
    mc = r.mc_journeys("A", {"B": 900, "C": 0}, "07:50")
    assert [(j.legs[-1].to_stop_id, j.transfers) for j in mc] == [("B", 0), ("C", 1)]


def test_offsets_are_bounded() -> None:
    r = router(TRANSFER)
    for offset in (-1, 10**12):
        with pytest.raises(QueryError, match="offset") as info:
            r.journeys({"A": offset}, "C", "07:50")
        assert info.value.parameter == "offset"
