"""The realtime layer on real feeds (Helsinki, Milan, Portland) against a Connection Scan.

Each test generates a GTFS-Realtime message for the feed, applies it with the layer, and
applies the same changes itself to the raw `ServiceDay` tables (times shifted, trips
dropped, pickup and drop-off forbidden at skipped stops); `tests.engine.reference`'s
Connection Scan on those tables must give the realtime RAPTOR's arrival at every stop.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from maasmix import defaults
from maasmix.engine import TransitRouter, compile_timetable
from maasmix.engine.itinerary import Journey
from maasmix.engine.realtime import RealtimeLayer
from maasmix.engine.timetable import CompiledTimetable
from maasmix.feeds.gtfs import load_gtfs
from maasmix.feeds.gtfs.service_day import ServiceDay
from maasmix.feeds.gtfs_rt import read_gtfs_rt
from maasmix.servicetime import format_clock
from tests.engine import reference as ref
from tests.engine.test_realtime import assert_fifo
from tests.feeds.rt_builders import Stu, Tu, encode

# feed, date, footpath radius (Helsinki without: the reference's footpaths are brute force)
FEEDS = {
    "helsinki": ("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip", "20220222", 0.0),
    "milan": ("gtfs-milan", "milano_small_gtfs.zip", "20141020", 500.0),
    "portland": ("gtfs-portland-trimet", "trimet-2routes.zip", "20211025", 500.0),
}
N_QUERIES = 25
DELAY_S = 600

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=sorted(FEEDS))
def feed(
    request: pytest.FixtureRequest, dataset: Callable[..., Path]
) -> tuple[ServiceDay, CompiledTimetable, float]:
    folder, name, date, walk = FEEDS[request.param]
    day = load_gtfs(dataset(folder, name)).service_day(date)
    tt = compile_timetable(day, max_walk_m=walk, use_transfers_txt=walk > 0)
    return day, tt, walk


def _descriptor(tt: CompiledTimetable, t: int) -> dict[str, str]:
    """trip_id, start_date and (frequency runs) start_time naming compiled trip ``t``."""
    key = str(tt.trip_keys[t])
    prev = key.endswith("@-1")
    date = tt.date - dt.timedelta(days=1) if prev else tt.date
    out = {"trip_id": str(tt.trip_ids[t]), "start_date": date.strftime("%Y%m%d")}
    if "#" in key:
        first = int(tt.trip_stop_times(t)[2][0]) + (86_400 if prev else 0)
        out["start_time"] = format_clock(first)
    return out


def _seq(tt: CompiledTimetable, t: int, pos: int) -> int:
    p = int(tt.trip_pattern[t])
    n = int(tt.pattern_stops_ptr[p + 1] - tt.pattern_stops_ptr[p])
    base = int(tt.pattern_st_ptr[p]) + (t - int(tt.pattern_trips_ptr[p])) * n
    assert tt.st_seq is not None
    return int(tt.st_seq[base + pos])


def _changed_day(
    day: ServiceDay,
    delays: dict[str, int],
    cancelled: set[str],
    skips: dict[str, int],
) -> ServiceDay:
    """``day`` with DELAY_S added from stop_sequence ``delays[key]`` on, the cancelled
    trips removed and no pickup or drop-off at ``skips[key]``."""
    st = day.stop_times.copy()
    keys = st["trip_key"].astype(str)
    seq = st["stop_sequence"].to_numpy()
    from_seq = keys.map(delays).to_numpy(dtype=float, na_value=np.inf)
    late = seq >= from_seq
    st.loc[late, "arrival_s"] = st.loc[late, "arrival_s"] + DELAY_S
    st.loc[late, "departure_s"] = st.loc[late, "departure_s"] + DELAY_S
    skip = seq == keys.map(skips).to_numpy(dtype=float, na_value=-1)
    st.loc[skip, "pickup_type"] = 1
    st.loc[skip, "drop_off_type"] = 1
    st = st[~keys.isin(cancelled)].reset_index(drop=True)
    trips = day.trips[~day.trips["trip_key"].astype(str).isin(cancelled)]
    return ServiceDay(
        date=day.date,
        timezone=day.timezone,
        stops=day.stops,
        routes=day.routes,
        trips=trips.reset_index(drop=True),
        stop_times=st,
        transfers=day.transfers,
    )


def _queries(tt: CompiledTimetable, seed: int) -> list[tuple[int, int]]:
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(seed)
    return list(
        zip(
            rng.choice(served, size=N_QUERIES).tolist(),
            rng.integers(5 * 3600, 22 * 3600, size=N_QUERIES).tolist(),
            strict=True,
        )
    )


def test_delays_cancellations_skips_equal_connection_scan(
    feed: tuple[ServiceDay, CompiledTimetable, float],
) -> None:
    day, tt, walk = feed
    rng = np.random.default_rng(22)
    kind = rng.random(tt.n_trips)
    updates: list[Tu] = []
    delays: dict[str, int] = {}
    cancelled: set[str] = set()
    skips: dict[str, int] = {}
    for t in range(tt.n_trips):
        n = len(tt.trip_stop_times(t)[0])
        key = str(tt.trip_keys[t])
        if kind[t] < 0.15:  # 10 min late from a random stop on
            pos = int(rng.integers(0, n))
            delays[key] = _seq(tt, t, pos)
            updates.append(Tu(**_descriptor(tt, t), stops=[Stu(seq=delays[key], arr_delay=600)]))
        elif kind[t] < 0.18:
            cancelled.add(key)
            updates.append(Tu(**_descriptor(tt, t), rel="CANCELED"))
        elif kind[t] < 0.21:
            skips[key] = _seq(tt, t, int(rng.integers(0, n)))
            updates.append(Tu(**_descriptor(tt, t), stops=[Stu(seq=skips[key], rel="SKIPPED")]))
    layer = RealtimeLayer(tt)
    layer.apply(read_gtfs_rt(encode(updates)))
    snap = layer.snapshot()
    report = snap.report
    assert report.unknown_trips == report.unknown_stops == report.monotonic_repairs == 0
    assert report.canceled_trips == len(cancelled)
    assert report.skipped_stop_times == len(skips)
    assert report.updated_trips == len(delays) + len(skips)
    assert snap.timetable.n_trips == tt.n_trips - len(cancelled)
    assert snap.timetable.n_patterns > tt.n_patterns  # skips and overtaking split some
    assert_fifo(snap.timetable)

    changed = _changed_day(day, delays, cancelled, skips)
    net = ref.build(changed, max_walk_m=walk, transfers=walk > 0)
    assert list(net.stop_ids) == list(tt.stop_ids)
    live = TransitRouter(snap.timetable)
    static = TransitRouter(tt)
    differs = 0
    for origin, depart in _queries(tt, seed=7):
        got = live.earliest_arrival_array(str(tt.stop_ids[origin]), depart)
        want = ref.csa_earliest_arrival(net, [origin], [depart], defaults.MIN_TRANSFER_S)
        bad = np.flatnonzero(got.astype(np.int64) != want)
        assert not len(bad), (origin, depart, tt.stop_ids[bad[:5]], got[bad[:5]], want[bad[:5]])
        before = static.earliest_arrival_array(str(tt.stop_ids[origin]), depart)
        differs += int(not np.array_equal(before, got))
    assert differs > 0


def _sig(j: Journey) -> tuple[object, ...]:
    return tuple(
        (leg.trip_key, leg.from_stop_id, leg.to_stop_id, leg.start_s, leg.end_s) for leg in j.legs
    )


def _dominates(a: Journey, b: Journey) -> bool:
    return a.arrival_s <= b.arrival_s and a.transfers <= b.transfers


def _uses(j: Journey, key: str) -> bool:
    return any(leg.trip_key == key for leg in j.legs)


def test_a_delay_moves_exactly_the_journeys_that_use_the_trip(
    feed: tuple[ServiceDay, CompiledTimetable, float],
) -> None:
    day, tt, walk = feed
    static = TransitRouter(tt)
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(5)
    # a trip that some journey rides: the first ride of a random query's first journey
    target: str | None = None
    while target is None:
        o, d = (str(tt.stop_ids[s]) for s in rng.choice(served, size=2, replace=False))
        depart = int(rng.integers(6 * 3600, 20 * 3600))
        found = static.journeys(o, d, depart)
        if found and found[0].legs and any(leg.trip_key for leg in found[0].legs):
            target = next(leg.trip_key for leg in found[0].legs if leg.trip_key)
            seed_query = (o, d, depart)
    t = int(np.flatnonzero(tt.trip_keys == target)[0])
    layer = RealtimeLayer(tt)
    layer.apply(read_gtfs_rt(encode([Tu(**_descriptor(tt, t), delay=DELAY_S)])))
    live = TransitRouter(layer.snapshot().timetable)
    net = ref.build(_changed_day(day, {target: -1}, set(), {}), max_walk_m=walk, transfers=walk > 0)
    # queries along the delayed trip's own stops, around its departure, plus the seed
    stops, _, dep = tt.trip_stop_times(t)
    queries = [seed_query]
    for _ in range(N_QUERIES):
        a, b = sorted(rng.choice(len(stops), size=2, replace=False).tolist())
        queries.append(
            (
                str(tt.stop_ids[stops[a]]),
                str(tt.stop_ids[stops[b]]),
                int(dep[a]) - int(rng.integers(0, 900)),
            )
        )
    used = 0
    for o, d, depart in queries:
        before = static.journeys(o, d, depart)
        after = live.journeys(o, d, depart)
        on_x = [j for j in before if _uses(j, target)]
        used += len(on_x)
        if not on_x and not any(_uses(j, target) for j in after):
            # nobody rides the delayed trip: the very same journeys
            assert [_sig(j) for j in after] == [_sig(j) for j in before], (o, d, depart)
            continue
        after_x = [j for j in after if _uses(j, target)]
        for j in before:
            if _uses(j, target):
                assert _sig(j) not in {_sig(a) for a in after}  # its times moved
            elif (j.arrival_s, j.transfers) not in {(a.arrival_s, a.transfers) for a in after}:
                # a journey off the delayed trip is gone only when one on it beats it
                assert any(_dominates(a, j) for a in after_x), (o, d, depart)
        for j in after:
            if not _uses(j, target) and (j.arrival_s, j.transfers) not in {
                (b.arrival_s, b.transfers) for b in before
            }:
                # a new journey off the delayed trip was beaten by one on it before
                assert any(_dominates(b, j) for b in on_x), (o, d, depart)
        origins = static.stop_indices(o).tolist()
        want = ref.csa_earliest_arrival(
            net, origins, [depart] * len(origins), defaults.MIN_TRANSFER_S
        )[static.stop_indices(d)].min()
        if want < ref.INF:
            assert min(j.arrival_s for j in after) == want, (o, d, depart)
        else:
            assert after == []
    assert used > 0


def test_queries_during_updates_see_whole_snapshots(
    feed: tuple[ServiceDay, CompiledTimetable, float],
) -> None:
    _, tt, _ = feed
    rng = np.random.default_rng(11)
    feeds = []
    for k in range(2):
        pick = np.flatnonzero(rng.random(tt.n_trips) < 0.3)
        feeds.append(
            read_gtfs_rt(
                encode(
                    [
                        Tu(**_descriptor(tt, t), rel="CANCELED")
                        if k
                        else Tu(**_descriptor(tt, t), delay=int(rng.integers(60, 900)))
                        for t in pick.tolist()
                    ]
                )
            )
        )
    queries = _queries(tt, seed=12)[:4]
    layer = RealtimeLayer(tt)

    def answers(timetable: CompiledTimetable) -> bytes:
        router = TransitRouter(timetable)
        return b"".join(
            router.earliest_arrival_array(str(tt.stop_ids[o]), t).tobytes() for o, t in queries
        )

    expected = {answers(tt)}
    for f in feeds:
        probe = RealtimeLayer(tt)
        probe.apply(f)
        expected.add(answers(probe.snapshot().timetable))
    assert len(expected) == 3
    seen: list[bytes] = []
    done = threading.Event()

    def ask() -> None:
        while not done.is_set():
            seen.append(answers(layer.snapshot().timetable))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for th in threads:
        th.start()
    for i in range(9):
        if i % 3 == 2:
            layer.reset()
        else:
            layer.apply(feeds[i % 3])
    done.set()
    for th in threads:
        th.join()
    assert seen and set(seen) <= expected
