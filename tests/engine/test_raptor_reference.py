"""RAPTOR against independent references on real feeds: identical arrival at every stop.

Feeds: gtfs-helsinki-hsl (frequencies.txt), gtfs-milan (calendar_dates only),
gtfs-cairns and BART (transfers.txt, previous-day trips past midnight). For each feed,
200 random (origin, departure) queries with footpaths and 200 without, compared stop by
stop with a Connection Scan; ``max_transfers`` and ``min_transfer_s`` against a
round-per-ride Bellman-Ford; range queries and point-to-point journeys against
one-to-all answers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from maasmix import defaults
from maasmix.engine import INF, TransitRouter, compile_timetable
from maasmix.feeds.gtfs import load_gtfs
from maasmix.feeds.gtfs.service_day import ServiceDay
from tests.engine import reference as ref

FEEDS = {
    "helsinki": ("gtfs-helsinki-hsl", "helsinki_hsl_gtfs_2022-02.zip", "20220222"),
    "milan": ("gtfs-milan", "milano_small_gtfs.zip", "20141020"),
    "cairns": ("gtfs-cairns", "cairns_gtfs.zip", "20140602"),
    "bart": ("gtfs-bay-area", "bart.zip", "20180601"),
}
N_QUERIES = 200

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=sorted(FEEDS))
def feed_day(request: pytest.FixtureRequest, dataset: Callable[..., Path]) -> ServiceDay:
    folder, name, date = FEEDS[request.param]
    return load_gtfs(dataset(folder, name)).service_day(date)


def _queries(router: TransitRouter, seed: int, n: int = N_QUERIES) -> list[tuple[int, int]]:
    tt = router.timetable
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(seed)
    origins = rng.choice(served, size=n)
    # whole service day including the small hours (previous day's trips) and past 24:00
    departs = rng.integers(0, 27 * 3600, size=n)
    return list(zip(origins.tolist(), departs.tolist(), strict=True))


@pytest.mark.parametrize("footpaths", [True, False], ids=["footpaths", "no-footpaths"])
def test_earliest_arrival_equals_connection_scan(feed_day: ServiceDay, footpaths: bool) -> None:
    walk = 500.0 if footpaths else 0.0
    tt = compile_timetable(feed_day, max_walk_m=walk, use_transfers_txt=footpaths)
    router = TransitRouter(tt)
    net = ref.build(feed_day, max_walk_m=walk, transfers=footpaths)
    assert list(net.stop_ids) == list(tt.stop_ids)
    if footpaths:
        assert tt.footpaths.n == len(net.fp_to) > 0
    reached_somewhere = 0
    for origin, depart in _queries(router, seed=1 if footpaths else 2):
        got = router.earliest_arrival_array(str(tt.stop_ids[origin]), depart)
        want = ref.csa_earliest_arrival(net, [origin], [depart], defaults.MIN_TRANSFER_S)
        mismatch = np.flatnonzero(got.astype(np.int64) != want)
        assert not len(mismatch), (
            f"origin {tt.stop_ids[origin]} at {depart}: stops "
            f"{tt.stop_ids[mismatch[:5]]} raptor {got[mismatch[:5]]} reference "
            f"{want[mismatch[:5]]}"
        )
        reached_somewhere += int((got < INF).sum() > 1)
    assert reached_somewhere > N_QUERIES // 2


def test_max_transfers_and_slack_equal_round_reference(feed_day: ServiceDay) -> None:
    tt = compile_timetable(feed_day)
    router = TransitRouter(tt)
    net = ref.build(feed_day)
    differs = 0
    for i, (origin, depart) in enumerate(_queries(router, seed=3, n=40)):
        slack = (0, 60, 180)[i % 3]
        direct: np.ndarray | None = None
        for max_transfers in (0, 1, 3):
            got = router.earliest_arrival_array(
                str(tt.stop_ids[origin]), depart, max_transfers, min_transfer_s=slack
            )
            want = ref.rounds_earliest_arrival(net, [origin], [depart], max_transfers + 1, slack)
            np.testing.assert_array_equal(got.astype(np.int64), want)
            direct = got if direct is None else direct
        unlimited = router.earliest_arrival_array(
            str(tt.stop_ids[origin]), depart, min_transfer_s=slack
        )
        np.testing.assert_array_equal(
            unlimited.astype(np.int64), ref.csa_earliest_arrival(net, [origin], [depart], slack)
        )
        assert direct is not None
        differs += int(not np.array_equal(direct, unlimited))
    assert differs > 0  # the limit matters on some queries


def test_several_origins_with_offsets(feed_day: ServiceDay) -> None:
    tt = compile_timetable(feed_day)
    router = TransitRouter(tt)
    net = ref.build(feed_day)
    rng = np.random.default_rng(1005)
    qs = _queries(router, seed=5, n=20)
    for origin, depart in qs:
        other = int(rng.choice(np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)))
        offset = int(rng.integers(0, 900))
        if other == origin:
            continue
        mapping = {str(tt.stop_ids[origin]): 0, str(tt.stop_ids[other]): offset}
        got = router.earliest_arrival_array(mapping, depart)
        want = ref.csa_earliest_arrival(
            net, [origin, other], [depart, depart + offset], defaults.MIN_TRANSFER_S
        )
        np.testing.assert_array_equal(got.astype(np.int64), want)


def test_journeys_and_profile_agree_with_one_to_all(feed_day: ServiceDay) -> None:
    tt = compile_timetable(feed_day)
    router = TransitRouter(tt)
    rng = np.random.default_rng(1007)
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    checked = 0
    for origin, depart in _queries(router, seed=7, n=25):
        o = str(tt.stop_ids[origin])
        d = str(tt.stop_ids[int(rng.choice(served))])
        if o == d:
            continue
        best = router.earliest_arrivals(o, depart, max_transfers=8)
        journeys = router.journeys(o, d, depart, max_transfers=8)
        if d not in best.index:
            assert journeys == []
            continue
        checked += 1
        assert min(j.arrival_s for j in journeys) == best[d]
        arrivals = [j.arrival_s for j in journeys]
        transfers = [j.transfers for j in journeys]
        assert transfers == sorted(set(transfers))  # Pareto: more transfers, earlier
        assert arrivals == sorted(arrivals, reverse=True) and len(set(arrivals)) == len(arrivals)
        for j in journeys:
            _check_journey(router, j, o, d, depart)
        # the Pareto set is exactly the improvements of the best arrival per transfer limit
        expected, previous = [], INF
        for k in range(9):
            limited = router.earliest_arrivals(o, depart, max_transfers=k)
            if d in limited.index and limited[d] < previous:
                previous = int(limited[d])
                expected.append((previous, k))
        assert [(j.arrival_s, j.transfers) for j in journeys] == expected
        mc = router.mc_journeys(o, d, depart, max_transfers=8)
        assert min(j.arrival_s for j in mc) == best[d]
        for j in mc:
            _check_journey(router, j, o, d, depart)
        # fewest-transfer optimum of RAPTOR is among the McRAPTOR results' (arr, transfers)
        pairs = {(j.arrival_s, j.transfers) for j in mc}
        assert {(j.arrival_s, j.transfers) for j in journeys} <= pairs
        profile = router.profile(o, d, depart, depart + 600, step_s=120)
        for row in profile.itertuples(index=False):
            ea = router.earliest_arrivals(o, int(row.departure_s), max_transfers=8)
            if d in ea.index:
                assert row.arrival_s == ea[d]
            else:
                assert row.arrival_s is pd_na()
    assert checked >= 5


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def _check_journey(router: TransitRouter, journey, origin: str, dest: str, depart: int) -> None:  # type: ignore[no-untyped-def]
    tt = router.timetable
    legs = journey.legs
    assert legs[0].from_stop_id == origin and legs[-1].to_stop_id == dest
    t = depart
    previous_walk = False
    for leg in legs:
        assert leg.start_s >= t
        if leg.is_transit:
            trip = int(np.flatnonzero(tt.trip_keys == leg.trip_key)[0])
            stops, arr, dep = tt.trip_stop_times(trip)
            ids = tt.stop_ids[stops]
            i = list(ids).index(leg.from_stop_id)
            assert dep[i] == leg.start_s
            assert leg.to_stop_id in ids[i + 1 :]
            assert leg.end_s in arr[i + 1 :]
            previous_walk = False
        else:
            assert not previous_walk  # never two footpaths in a row
            previous_walk = True
        t = leg.end_s
    for a, b in itertools.pairwise(legs):
        assert a.to_stop_id == b.from_stop_id


def test_footpath_pruning_keeps_every_label(feed_day: ServiceDay) -> None:
    """The kernel's ``fp_rest_min`` (relaxing a stop's footpaths stops once none of the
    rest can beat the targets) is each footpath's suffix minimum in its stop's list, and
    a point-to-point run with it leaves every label and record as a run without it."""
    from maasmix.engine.raptor import RAPTOR_KERNEL, footpath_rest_min

    router = TransitRouter.from_service_day(feed_day)
    tt = router.timetable
    fp = tt.footpaths
    rest = footpath_rest_min(tt)
    expected = np.full(fp.n, -1, dtype=np.int64)
    for s in range(tt.n_stops):
        lo, hi = int(fp.ptr[s]), int(fp.ptr[s + 1])
        expected[lo:hi] = np.minimum.accumulate(fp.duration_s[lo:hi][::-1])[::-1]
    np.testing.assert_array_equal(rest, expected)
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(19)
    pruned_somewhere = False
    for (o, depart), t in zip(_queries(router, 23, 40), rng.choice(served, 40), strict=True):
        args = (
            *tt.kernel_arrays(),
            np.array([o], np.int32),
            np.zeros(1, np.int32),
            np.array([t], np.int32),
            np.zeros(1, np.int32),
            np.array([depart], np.int32),
            defaults.MAX_TRANSFERS + 1,
            defaults.MIN_TRANSFER_S,
            True,
            True,
            -1,
        )
        plain = RAPTOR_KERNEL(*args)
        fast = RAPTOR_KERNEL(*args, rest)
        for a, b in zip(plain, fast, strict=True):
            np.testing.assert_array_equal(a, b)
        pruned_somewhere |= bool(plain[9] > 0 and plain[8][-1, 0] < INF)
    assert pruned_somewhere  # some queries reach their target after rides (pruning applies)
