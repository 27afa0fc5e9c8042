"""Background GTFS-Realtime polling for a server's networks (deployment ``realtime:``).

`RealtimePoller` is a task of the process's background thread
(`maasmix.api.polling.BackgroundPoller`). Each source is read every ``poll_s`` seconds
(a file costs a ``stat`` and is re-read only when replaced; a URL is fetched under the
fetch policy of `maasmix.feeds._http`); a good message is applied with
`maasmix.engine.network.Network.apply_realtime` (a file is best replaced atomically, by
rename, by whatever writes it; as source ``"realtime[i]"`` of its network, about its
``feed``), which swaps the new snapshot in at once: a plan in progress keeps the
snapshot it took and a request never waits for a poll. A message that cannot be read
(corrupt, truncated, too large, missing) keeps the last good state; the error is logged
(logger ``maasmix.api.realtime_refresh``), counted and shown by `RealtimePoller.status`
(``/v1/networks``, ``/v1/ready``, ``/v1/metrics``). A source's age is the time since
the header timestamp of its last good message (the time it was applied when the header
has none).

Several worker processes (`maasmix.api.workers`) fetch each source once: the
supervisor's poller (``publish_to=FOLDER``) reads and applies every source and writes,
atomically (temporary file, then rename), each good message with the time it was read
at (``<network>/<i>.msg``) and after every poll the source's status
(``<network>/<i>.json``). A worker's poller (``follow=FOLDER``) never reads a source: it
applies each message file that changed, read as of the supervisor's time (so every
worker plans on the same snapshot), and takes the status the supervisor wrote.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from maasmix.api.deployment import NetworkSpec, RealtimeSpec
from maasmix.api.polling import Polled
from maasmix.engine.network import Network

__all__ = ["RealtimePoller", "RealtimeStatus", "source_name"]

log = logging.getLogger("maasmix.api.realtime_refresh")

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (readers see the
    old file or the new one, never half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".write-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _time(text: Any) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(str(text))


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
    _status_stamp: tuple[int, int, int] | None = None

    def to_json(self) -> bytes:
        """What a supervisor publishes of this source for its workers."""
        moments = {
            "message_time": self.message_time,
            "applied_at": self.applied_at,
            "checked_at": self.checked_at,
        }
        return json.dumps(
            {
                **{k: None if v is None else v.isoformat() for k, v in moments.items()},
                "error": self.error,
                "failures": self.failures,
                "applied": self.applied,
                "unknown_trips": self.unknown_trips,
            }
        ).encode()

    def take(self, data: bytes) -> None:
        """Take the status a supervisor published (`to_json`)."""
        got = json.loads(data)
        self.message_time = _time(got["message_time"])
        self.applied_at = _time(got["applied_at"])
        self.checked_at = _time(got["checked_at"])
        self.error = got["error"]
        self.failures = int(got["failures"])
        self.applied = int(got["applied"])
        self.unknown_trips = int(got["unknown_trips"])

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


class RealtimePoller(Polled):
    """Polls the realtime sources of ``specs`` into ``networks`` (see the module doc);
    ``publish_to``: also write what was read for workers; ``follow``: read what a
    supervisor wrote instead of the sources; ``applied``: the stamps (inode, mtime,
    size) of the message files ``networks`` already hold, a follower's start (a forked
    worker holds what its supervisor applied)."""

    thread_name = "maasmix-gtfs-rt"

    def __init__(
        self,
        networks: Mapping[str, Network],
        specs: Mapping[str, NetworkSpec],
        *,
        clock: Clock = _utc_now,
        publish_to: Path | None = None,
        follow: Path | None = None,
        applied: Mapping[Path, tuple[int, int, int]] | None = None,
    ) -> None:
        self.networks = networks
        self.clock = clock
        self.publish_to = publish_to
        self.follow = follow
        self.sources: list[RealtimeStatus] = [
            RealtimeStatus(name, i, rt)
            for name, spec in specs.items()
            if name in networks
            for i, rt in enumerate(spec.realtime)
        ]
        self._due: dict[tuple[str, int], dt.datetime] = {}
        #: each message file written (publish_to) or already in ``networks`` (follow)
        self.applied: dict[Path, tuple[int, int, int]] = dict(applied or {})
        if follow is not None:
            for state in self.sources:
                message_file, _ = self._files(follow, state)
                state._stamp = self.applied.get(message_file)

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

    def _files(self, folder: Path, state: RealtimeStatus) -> tuple[Path, Path]:
        base = folder / state.network / str(state.index)
        return base.with_suffix(".msg"), base.with_suffix(".json")

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
        if self.publish_to is not None:
            message_file, _ = self._files(self.publish_to, state)
            write_atomically(message_file, pickle.dumps((now.timestamp(), data)))
            info = message_file.stat()
            self.applied[message_file] = (info.st_ino, info.st_mtime_ns, info.st_size)
        return True

    def _publish_status(self, state: RealtimeStatus) -> None:
        if self.publish_to is not None:
            _, status_file = self._files(self.publish_to, state)
            write_atomically(status_file, state.to_json())

    def follow_once(self, state: RealtimeStatus) -> bool:
        """Apply the message a supervisor published for ``state`` if it changed and take
        its status; True when a message was applied."""
        assert self.follow is not None
        message_file, status_file = self._files(self.follow, state)
        applied = False
        with contextlib.suppress(FileNotFoundError):
            info = message_file.stat()
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
            if stamp != state._stamp:
                moment, data = pickle.loads(message_file.read_bytes())
                from maasmix.feeds.gtfs_rt import read_gtfs_rt

                message = read_gtfs_rt(data, now=float(moment))
                self.networks[state.network].apply_realtime(
                    message, source=f"realtime[{state.index}]", feed=state.spec.feed
                )
                state._stamp = stamp
                applied = True
        with contextlib.suppress(FileNotFoundError):
            info = status_file.stat()
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
            if stamp != state._status_stamp:
                state.take(status_file.read_bytes())
                state._status_stamp = stamp
        return applied

    def run_once(self, *, force: bool = False) -> int:
        """Poll every source whose interval has passed (``force``: all); returns how many
        messages were applied. A follower looks at every published file each time."""
        applied = 0
        for state in self.sources:
            if self.follow is not None:
                try:
                    applied += self.follow_once(state)
                except Exception:  # keep the last state; the next publish retries
                    log.exception("following GTFS-Realtime %s of %s", state.name, state.network)
                continue
            key = (state.network, state.index)
            now = self.clock()
            if not force and now < self._due.get(key, now):
                continue
            self._due[key] = now + dt.timedelta(seconds=state.spec.poll_s)
            applied += self.poll(state)
            self._publish_status(state)
        return applied

    def next_wait_s(self) -> float:
        """Seconds until the next source is due (at least 0.05, at most 60; a follower:
        a quarter of the shortest ``poll_s``, at most 0.5)."""
        if not self.sources:
            return 60.0
        if self.follow is not None:
            return max(0.05, min(0.5, min(s.spec.poll_s for s in self.sources) / 4))
        if not self._due:
            return 0.05
        now = self.clock()
        wait = min((due - now).total_seconds() for due in self._due.values())
        return max(0.05, min(60.0, wait))
