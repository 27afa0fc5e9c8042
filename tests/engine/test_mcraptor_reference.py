"""McRAPTOR with walking access and egress against an independent round-based reference.

The planner's walking trade-offs (walk + transit + walk) run McRAPTOR from every stop of
the walking access set to every stop of the egress set, the origin walk counted at the
start and the egress walk in the target pruning and the final Pareto set. For random
access/egress sets on real feeds, the Pareto set over (arrival + egress, rides, walking)
equals `reference.mc_pareto` (numpy rounds trying every trip from every label).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from maasmix import defaults
from maasmix.engine import compile_timetable, mcraptor
from maasmix.engine.mcraptor import mc_search
from maasmix.engine.paths import mc_journeys
from maasmix.feeds.gtfs import load_gtfs
from maasmix.feeds.gtfs.service_day import ServiceDay
from tests.engine import reference as ref

FEEDS = {
    "milan": ("gtfs-milan", "milano_small_gtfs.zip", "20141020"),
    "cairns": ("gtfs-cairns", "cairns_gtfs.zip", "20140602"),
    "bart": ("gtfs-bay-area", "bart.zip", "20180601"),
}
N_QUERIES = 25

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=sorted(FEEDS))
def feed_day(request: pytest.FixtureRequest, dataset: Callable[..., Path]) -> ServiceDay:
    folder, name, date = FEEDS[request.param]
    return load_gtfs(dataset(folder, name)).service_day(date)


def _kernel_set(
    labels, targets: np.ndarray, egress: np.ndarray, egress_walk: np.ndarray
) -> set[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    eg = dict(zip(targets.tolist(), egress.tolist(), strict=True))
    ew = dict(zip(targets.tolist(), egress_walk.tolist(), strict=True))
    points = {
        (
            labels.arrival(lab) + eg[labels.stop(lab)],
            labels.rides(lab),
            labels.walk_s(lab) + ew[labels.stop(lab)],
        )
        for lab in labels.target_labels.tolist()
    }
    return _front(points)


def _front(points: set[tuple[int, int, int]]) -> set[tuple[int, int, int]]:
    return {
        p
        for p in points
        if not any(q != p and all(x <= y for x, y in zip(q, p, strict=True)) for q in points)
    }


def test_walking_pareto_set_equals_reference(feed_day: ServiceDay) -> None:
    tt = compile_timetable(feed_day)
    net = ref.build(feed_day)
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(11)
    max_rides = defaults.MAX_TRANSFERS + 1
    trade_offs = 0
    for i in range(N_QUERIES):
        n_o, n_t = rng.integers(1, 12, size=2)
        origins = rng.choice(served, size=n_o, replace=False).astype(np.int32)
        targets = rng.choice(served, size=n_t, replace=False).astype(np.int32)
        offsets = rng.integers(0, 900, size=n_o).astype(np.int32)
        egress = rng.integers(0, 900, size=n_t).astype(np.int32)
        depart = int(rng.integers(6 * 3600, 20 * 3600))
        slack = (0, 60, 120)[i % 3]
        labels = mc_search(
            tt,
            origins,
            offsets,
            targets,
            egress,
            depart,
            max_rides=max_rides,
            min_transfer_s=slack,
            origin_walk=offsets,
            target_walk=egress,
        )
        got = _kernel_set(labels, targets, egress, egress)
        want = ref.mc_pareto(
            net,
            origins.tolist(),
            (depart + offsets).tolist(),
            offsets.tolist(),
            targets.tolist(),
            egress.tolist(),
            egress.tolist(),
            max_rides,
            slack,
        )
        assert got == want, (i, sorted(got ^ want))
        # journeys count transfers (rides - 1; none for 0 or 1 ride) over the same points
        journeys = mc_journeys(tt, labels, targets, egress, egress_walk=egress)
        by_transfers = {(a, max(r - 1, 0), w) for a, r, w in want}
        front = _front(by_transfers)
        assert len(journeys) == len(front)
        trade_offs += int(len({p[0] for p in got}) > 1)
    assert trade_offs > 0  # some queries trade arrival for walking


def test_a_search_outgrowing_its_buffers_runs_again_to_the_same_labels(
    feed_day: ServiceDay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's buffers are fixed per search: one that needs more labels than they
    hold is run again with larger ones, and its labels (every field, in order) are
    those of a search whose buffers were large enough from the start."""
    tt = compile_timetable(feed_day)
    served = np.flatnonzero(np.diff(tt.stop_patterns_ptr) > 0)
    rng = np.random.default_rng(5)
    grown = 0
    for _ in range(8):
        origins = rng.choice(served, size=4, replace=False).astype(np.int32)
        targets = rng.choice(served, size=4, replace=False).astype(np.int32)
        offsets = rng.integers(0, 600, size=4).astype(np.int32)
        egress = rng.integers(0, 600, size=4).astype(np.int32)
        depart = int(rng.integers(7 * 3600, 18 * 3600))
        runs = []
        for start in (4, 1 << 16):
            monkeypatch.setattr(mcraptor, "_capacity", [start])
            runs.append(
                mc_search(
                    tt, origins, offsets, targets, egress, depart,
                    max_rides=defaults.MAX_TRANSFERS + 1, min_transfer_s=60,
                    origin_walk=offsets, target_walk=egress,
                )
            )  # fmt: skip
            if start == 4 and mcraptor._capacity[0] > 4:
                grown += 1
        small, large = runs
        assert np.array_equal(small.pool, large.pool)
        assert np.array_equal(small.target_labels, large.target_labels)
    assert grown > 0
