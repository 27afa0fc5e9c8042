"""One background thread for the periodic work of a server process.

The GBFS refresh (`maasmix.api.gbfs_refresh.GbfsRefresher`), the GTFS-Realtime polls
(`maasmix.api.realtime_refresh.RealtimePoller`), a worker following its supervisor's
snapshots (`maasmix.api.workers.SnapshotFollower`) and the supervisor's shared Dask
cluster (`maasmix.api.jobs.cluster.SharedCluster`) are *tasks*: each has ``run_once()``
(do what is due now) and ``next_wait_s()`` (seconds until something is due).
`BackgroundPoller` runs any number of them in one daemon thread: a pass runs every task
(a task that raises is logged, logger ``maasmix.api.polling``, and the others still
run), then the thread sleeps until the soonest task is due. A task is also `Polled`:
``start()`` / ``stop()`` / ``running`` run it alone, or tell whether the poller it was
given to runs.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["BackgroundPoller", "PollTask", "Polled"]

log = logging.getLogger("maasmix.api.polling")


class PollTask(Protocol):
    """What `BackgroundPoller` runs."""

    def run_once(self) -> Any:
        """Do what is due now."""

    def next_wait_s(self) -> float:
        """Seconds until something is due."""


class BackgroundPoller:
    """Runs ``tasks`` in one daemon thread named ``name`` (see the module docstring);
    sleeps between ``min_wait_s`` and ``max_wait_s`` seconds between passes."""

    def __init__(
        self,
        tasks: Sequence[PollTask],
        *,
        name: str = "maasmix-poll",
        min_wait_s: float = 0.05,
        max_wait_s: float = 60.0,
    ) -> None:
        self.tasks = list(tasks)
        self.name = name
        self.min_wait_s = float(min_wait_s)
        self.max_wait_s = float(max_wait_s)
        self.passes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for task in self.tasks:
            if isinstance(task, Polled):
                task._poller = self

    def run_once(self) -> None:
        """Run every task once (a failing task is logged; the others still run)."""
        for task in self.tasks:
            try:
                task.run_once()
            except Exception:  # never let the thread die silently
                log.exception("%s pass of %s failed", self.name, type(task).__name__)
        self.passes += 1

    def next_wait_s(self) -> float:
        """Seconds until the soonest task is due, within [min_wait_s, max_wait_s]."""
        wait = self.max_wait_s
        for task in self.tasks:
            try:
                wait = min(wait, float(task.next_wait_s()))
            except Exception:
                log.exception("%s: next wait of %s failed", self.name, type(task).__name__)
                wait = min(wait, 1.0)
        return max(self.min_wait_s, min(self.max_wait_s, wait))

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.next_wait_s())

    def start(self) -> None:
        """Start the thread (once)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread and wait for it (a pass in progress finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None


class Polled(ABC):
    """A task that can run alone: ``start()`` gives it a `BackgroundPoller` of its own
    (thread `thread_name`); ``running`` tells whether its poller, own or shared, runs."""

    thread_name = "maasmix-poll"
    _poller: BackgroundPoller | None = None

    @abstractmethod
    def run_once(self) -> Any:
        """Do what is due now."""

    @abstractmethod
    def next_wait_s(self) -> float:
        """Seconds until something is due."""

    @property
    def running(self) -> bool:
        """Whether the thread that runs this task is alive."""
        return self._poller is not None and self._poller.running

    def start(self) -> None:
        """Run this task alone in a background thread (nothing when it already runs)."""
        if self.running:
            return
        BackgroundPoller([self], name=self.thread_name).start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread that runs this task and wait for it."""
        if self._poller is not None:
            self._poller.stop(timeout_s)
