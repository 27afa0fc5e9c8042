"""Background GBFS refresh for a server's networks, honouring each feed's ``ttl``.

`GbfsRefresher` is a task of the process's background thread
(`maasmix.api.polling.BackgroundPoller`), started with the app (its lifespan) and
stopped cleanly on shutdown. Each pass re-reads every system whose snapshot has expired
(``last_updated + ttl`` passed, by the refresher's clock; a snapshot already expired when
re-read, a feed nobody updates, is re-read after its ``ttl``) through the loader the network
was given, links the new snapshot to the streets (the per-edge geofencing work is kept
when the zones are unchanged) and swaps the new `RentalSystem` into ``network.rentals``
in one assignment: a request planning meanwhile keeps the objects it already holds, so
a refresh never blocks it and never shows it half a status. A failed re-read is logged
(logger ``maasmix.api.gbfs_refresh``) and the last good status stays; it is retried
after the feed's ``ttl`` (at least ``min_wait_s``). The thread sleeps until the next
expiry, between ``min_wait_s`` and ``max_wait_s``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from maasmix.api.polling import Polled
from maasmix.engine.network import Network
from maasmix.engine.rentals import RentalSystem

__all__ = ["GbfsRefresher", "refreshed_system"]

log = logging.getLogger("maasmix.api.gbfs_refresh")

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def refreshed_system(system: RentalSystem) -> RentalSystem:
    """A new `RentalSystem` of the loader's current snapshot (raises what the loader
    raises); ``system`` itself is left as it is."""
    assert system.loader is not None
    fresh = RentalSystem.build(system.compiled, system.loader(), loader=system.loader)
    if fresh.snapshot.geofencing_zones.equals(system.snapshot.geofencing_zones):
        fresh._edges = system._edges  # the same zones: keep the per-edge geometry work
    return fresh


class GbfsRefresher(Polled):
    """Keeps the GBFS status of ``networks`` fresh from a background thread (a
    `maasmix.api.polling.Polled` task)."""

    thread_name = "maasmix-gbfs-refresh"

    def __init__(
        self,
        networks: Mapping[str, Network],
        *,
        clock: Clock = _utc_now,
        min_wait_s: float = 1.0,
        max_wait_s: float = 60.0,
    ) -> None:
        self.networks = networks
        self.clock = clock
        self.min_wait_s = float(min_wait_s)
        self.max_wait_s = float(max_wait_s)
        self.failures: dict[str, int] = {}
        self.refreshes: dict[str, int] = {}
        self._retry_at: dict[tuple[str, str], dt.datetime] = {}

    # ------------------------------------------------------------------ one pass

    def _due(self, name: str, system: RentalSystem, now: dt.datetime) -> bool:
        if system.loader is None:
            return False
        retry = self._retry_at.get((name, system.system_id))
        if retry is not None:
            return now >= retry
        return now >= system.expires_at

    def run_once(self) -> list[str]:
        """Refresh every expired system now; returns ``"network/system"`` of those
        refreshed (failures are logged and counted in ``failures``)."""
        done: list[str] = []
        for name, net in list(self.networks.items()):
            for system in list(net.rentals):
                now = self.clock()
                if not self._due(name, system, now):
                    continue
                key = f"{name}/{system.system_id}"
                try:
                    fresh = refreshed_system(system)
                except Exception as exc:  # a feed may fail in any way: keep the last status
                    self.failures[key] = self.failures.get(key, 0) + 1
                    wait = max(float(system.snapshot.system.ttl_s), self.min_wait_s)
                    self._retry_at[(name, system.system_id)] = now + dt.timedelta(seconds=wait)
                    log.warning(
                        "GBFS refresh of %s failed (%s: %s); keeping the status of %s",
                        key,
                        type(exc).__name__,
                        exc,
                        system.last_updated.isoformat(),
                    )
                    continue
                if fresh.expires_at <= now:  # a feed that is not updated: not every pass
                    wait = max(float(fresh.snapshot.system.ttl_s), self.min_wait_s)
                    self._retry_at[(name, system.system_id)] = now + dt.timedelta(seconds=wait)
                else:
                    self._retry_at.pop((name, system.system_id), None)
                net.rentals = [fresh if r is system else r for r in net.rentals]
                self.refreshes[key] = self.refreshes.get(key, 0) + 1
                done.append(key)
        return done

    def next_wait_s(self) -> float:
        """Seconds until the next system expires, within [min_wait_s, max_wait_s]."""
        now = self.clock()
        wait = self.max_wait_s
        for name, net in self.networks.items():
            for system in net.rentals:
                if system.loader is None:
                    continue
                due = self._retry_at.get((name, system.system_id), system.expires_at)
                wait = min(wait, (due - now).total_seconds())
        return max(self.min_wait_s, min(self.max_wait_s, wait))
