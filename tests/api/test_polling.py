"""The background machinery of ``maasmix serve``: one thread runs every periodic task; a
supervisor's realtime poller publishes what it read and a worker's follower applies the
same messages and shows the same status without reading the source; the supervisor
publishes only GBFS snapshots that changed, and re-reads a feed nobody updates only
after its ttl."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from maasmix.api.deployment import FeedSpec, NetworkSpec, RealtimeSpec
from maasmix.api.polling import BackgroundPoller, Polled
from maasmix.api.realtime_refresh import RealtimePoller
from maasmix.api.workers import SnapshotFollower, SnapshotPublisher
from tests.api.test_realtime_serve import T0, _delay, _write
from tests.api.test_serve_deployment import PUBLISHED, TTL, FakeClock
from tests.engine.plan_builders import network, write_gbfs
from tests.engine.test_realtime_plan import _net


class Task(Polled):
    def __init__(self, wait: float, fail: bool = False) -> None:
        self.wait, self.fail, self.calls = wait, fail, 0
        self.threads: set[str] = set()

    def run_once(self) -> None:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("boom")

    def next_wait_s(self) -> float:
        return self.wait


def test_one_thread_runs_every_task_and_outlives_a_failing_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quick, slow, failing = Task(0.01), Task(30.0), Task(0.01, fail=True)
    poller = BackgroundPoller([quick, slow, failing], name="test-poll")
    assert poller.next_wait_s() == pytest.approx(0.05)  # the soonest, at least min_wait_s
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while poller.passes < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert quick.running and slow.running and failing.running
    finally:
        poller.stop()
    assert not quick.running
    assert quick.calls >= 3 and slow.calls == quick.calls == failing.calls
    assert quick.threads == slow.threads == {"test-poll"}
    assert "pass of Task failed" in caplog.text
    alone = Task(0.01)
    alone.start()  # a task alone gets a thread of its own
    try:
        assert alone.running
    finally:
        alone.stop()
    assert not alone.running and alone.calls >= 1


def _spec(feed: Path) -> NetworkSpec:
    return NetworkSpec(
        "line", (FeedSpec("/srv/line.zip"),), None, (), dt.date(2024, 3, 5),
        (RealtimeSpec(str(feed), None, 30.0, None),),
    )  # fmt: skip


def _same_snapshot(a: Any, b: Any) -> bool:
    """The same messages applied (header times and delays; the snapshots' build times
    are each process's own)."""
    x, y = a.realtime, b.realtime
    return bool(
        x.is_live
        and x.feed_times == y.feed_times
        and np.array_equal(x.arr_delay, y.arr_delay)
        and np.array_equal(x.dep_delay, y.dep_delay)
    )


def test_a_worker_follows_what_the_supervisor_polled(tmp_path: Path) -> None:
    feed = tmp_path / "tu.pb"
    _write(feed, _delay(240))
    now = [T0 + dt.timedelta(seconds=45)]
    run = tmp_path / "run"
    supervisor_net, worker_net = _net(), _net()
    spec = {"line": _spec(feed)}
    supervisor = RealtimePoller(
        {"line": supervisor_net}, spec, clock=lambda: now[0], publish_to=run
    )
    worker = RealtimePoller({"line": worker_net}, spec, follow=run)
    assert supervisor.run_once() == 1
    feed.unlink()  # the worker never reads the source
    assert worker.run_once() == 1
    assert worker.run_once() == 0  # nothing new published
    assert _same_snapshot(worker_net, supervisor_net)
    assert int(worker_net.realtime.arr_delay.max()) == 240
    (mine,), (theirs,) = worker.sources, supervisor.sources
    assert (mine.message_time, mine.applied_at, mine.applied, mine.error) == (
        theirs.message_time,
        theirs.applied_at,
        1,
        None,
    )
    # a failed read keeps the last message; the worker shows the supervisor's error
    now[0] += dt.timedelta(seconds=31)
    assert supervisor.run_once() == 0
    assert worker.run_once() == 0
    assert mine.error is not None and mine.error == theirs.error and mine.failures == 1
    assert mine.checked_at == now[0]
    # a new message reaches the worker as of the supervisor's time
    _write(feed, _delay(600))
    now[0] += dt.timedelta(seconds=31)
    assert supervisor.run_once() == 1 and worker.run_once() == 1
    assert mine.error is None and mine.applied == 2
    assert _same_snapshot(worker_net, supervisor_net)
    assert int(worker_net.realtime.arr_delay.max()) == 600
    # a worker forked after that holds the message already: it does not apply it again
    forked = RealtimePoller({"line": _net()}, spec, follow=run, applied=supervisor.applied)
    assert forked.run_once() == 0 and forked.sources[0].applied == 2


def test_only_changed_gbfs_snapshots_are_published_and_a_stale_feed_waits_its_ttl(
    tmp_path: Path,
) -> None:
    folder = write_gbfs(tmp_path / "gbfs", scooters=[("one", 1.0)])
    net = network(tmp_path)
    net.add_gbfs_source(folder)
    clock = FakeClock(PUBLISHED + 2 * TTL)  # the feed is old: expired when read
    publisher = SnapshotPublisher({"city": net}, tmp_path / "run", clock=clock, min_wait_s=0.01)
    publisher.publish_all()
    (path,) = publisher.stamps
    written = path.stat().st_mtime_ns
    (tmp_path / "w").mkdir()
    follower_net = network(tmp_path / "w")
    follower_net.add_gbfs_source(folder)
    follower = SnapshotFollower({"city": follower_net}, tmp_path / "run", seen=publisher.stamps)
    assert publisher.run_once() == ["city/synth"]  # re-read: the same snapshot
    assert path.stat().st_mtime_ns == written  # not written again
    assert follower.run_once() == 0
    assert publisher.run_once() == []  # expired still, but re-read only after its ttl
    assert publisher.next_wait_s() == pytest.approx(TTL.total_seconds())
    write_gbfs(folder, scooters=[("two", 2.0)])
    clock.now += TTL
    assert publisher.run_once() == ["city/synth"]
    assert path.stat().st_mtime_ns != written
    assert follower.run_once() == 1
    assert list(follower_net.rentals[0].vehicle_ids) == ["two"]
