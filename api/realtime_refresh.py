"""Background GTFS-Realtime polling for a server's networks (deployment ``realtime:``).

`RealtimePoller` runs one daemon thread per process (with several workers, each worker
polls its own copy: a file is a ``stat`` per poll and is re-read only when it changed, a
URL is fetched by every worker under the fetch policy of `maasmix.feeds._http`). Each
source is read every ``poll_s`` seconds; a good message is applied with
`maasmix.engine.network.Network.apply_realtime` (a file is best replaced atomically, by
rename, by whatever writes it; as source ``"realtime[i]"`` of its
network, about its ``feed``), which swaps the new snapshot in at once: a plan in
progress keeps the snapshot it took and a request never waits for a poll. A message
that cannot be read (corrupt, truncated, too large, missing) keeps the last good state;
the error is logged (logger ``maasmix.api.realtime_refresh``), counted and shown by
`RealtimePoller.status` (``/v1/networks``, ``/v1/ready``, ``/v1/metrics``). A source's
age is the time since the header timestamp of its last good message (the time it was
applied when the header has none).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from maasmix.api.deployment import NetworkSpec, RealtimeSpec
from maasmix.engine.network import Network

__all__ = ["RealtimePoller", "RealtimeStatus", "source_name"]

log = logging.getLogger("maasmix.api.realtime_refresh")

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def source_name(source: str) -> str:
    """A source as shown to clients: its file or URL name, never a server path."""
    return PurePosixPath(source.split("?", 1)[0].rstrip("/")).name or source[:64]


@dataclass
class RealtimeStatus:
    """What one realtime source of one network did last.

    ``message_time``: header timestamp of the last good message (UTC; None: none yet);
    ``applied_at``: when it was applied; ``checked_at``: the last poll; ``error``: why the
    last read failed (None: it succeeded); ``failures``/``applied``: counts since start;
    ``unknown_trips``: trip updates of the last good message matching no trip.
    """

    network: str
    index: int
    spec: RealtimeSpec
    message_time: dt.datetime | None = None
    applied_at: dt.datetime | None = None
    checked_at: dt.datetime | None = None
    error: str | None = None
    failures: int = 0
    applied: int = 0
    unknown_trips: int = 0
    _stamp: tuple[int, int, int] | None = None

    @property
    def name(self) -> str:
        """The source's file or URL name."""
        return source_name(self.spec.source)

    def age_s(self, now: dt.datetime) -> float | None:
        """Seconds since the last good message (None: none yet)."""
        moment = self.message_time or self.applied_at
        return None if moment is None else (now - moment).total_seconds()

    def fresh(self, now: dt.datetime) -> bool:
        """Whether the source is within its ``max_age_s`` (no limit: always)."""
        limit = self.spec.max_age_s
        if limit is None:
            return True
        age = self.age_s(now)
        return age is not None and age <= limit


class RealtimePoller:
    """Polls the realtime sources of ``specs`` into ``networks`` (see the module doc)."""

    def __init__(
        self,
        networks: Mapping[str, Network],
        specs: Mapping[str, NetworkSpec],
        *,
        clock: Clock = _utc_now,
    ) -> None:
        self.networks = networks
        self.clock = clock
        self.sources: list[RealtimeStatus] = [
            RealtimeStatus(name, i, rt)
            for name, spec in specs.items()
            if name in networks
            for i, rt in enumerate(spec.realtime)
        ]
        self._due: dict[tuple[str, int], dt.datetime] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def status(self, network: str) -> list[RealtimeStatus]:
        """The sources of ``network``, in deployment order."""
        return [s for s in self.sources if s.network == network]

    def _read(self, state: RealtimeStatus) -> bytes | None:
        """The source's bytes, None for a file unchanged since its last good read."""
        source = state.spec.source
        if source.startswith(("http://", "https://")):
            from maasmix.feeds._http import fetch_bytes

            return fetch_bytes(source)
        info = os.stat(source)
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        if stamp == state._stamp and state.error is None:
            return None
        with open(source, "rb") as handle:
            data = handle.read()
        state._stamp = stamp
        return data

    def poll(self, state: RealtimeStatus) -> bool:
        """Read one source and apply it if it changed; True when a message was applied.
        A failure keeps the network's last good realtime state."""
        net = self.networks[state.network]
        now = self.clock()
        state.checked_at = now
        try:
            data = self._read(state)
            if data is None:
                return False
            from maasmix.feeds.gtfs_rt import read_gtfs_rt

            message = read_gtfs_rt(data, now=now.timestamp())
            report = net.apply_realtime(
                message, source=f"realtime[{state.index}]", feed=state.spec.feed
            )
        except Exception as exc:  # any failure: keep the last good state, say why
            state.failures += 1
            state.error = f"{type(exc).__name__}: {str(exc)[:300]}"
            log.warning(
                "GTFS-Realtime %s of %s kept its last state: %s",
                state.name,
                state.network,
                state.error,
            )
            return False
        state.error = None
        state.message_time = message.time
        state.applied_at = now
        state.applied += 1
        state.unknown_trips = report.unknown_trips
        return True

    def run_once(self, *, force: bool = False) -> int:
        """Poll every source whose interval has passed (``force``: all); returns how many
        messages were applied."""
        applied = 0
        for state in self.sources:
            key = (state.network, state.index)
            now = self.clock()
            if not force and now < self._due.get(key, now):
                continue
            self._due[key] = now + dt.timedelta(seconds=state.spec.poll_s)
            applied += self.poll(state)
        return applied

    def next_wait_s(self) -> float:
        """Seconds until the next source is due (at least 0.05, at most 60)."""
        if not self._due:
            return 0.05
        now = self.clock()
        wait = min((due - now).total_seconds() for due in self._due.values())
        return max(0.05, min(60.0, wait))

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # never let the thread die silently
                log.exception("GTFS-Realtime poll pass failed")
            self._stop.wait(self.next_wait_s())

    def start(self) -> None:
        """Start the background thread (once)."""
        if self.running or not self.sources:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="maasmix-gtfs-rt", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread and wait for it (a poll in progress finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
