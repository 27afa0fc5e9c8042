"""Several worker processes for one server (``maasmix serve --workers N``).

The supervisor loads every network once, binds the listening socket, then forks N
workers that each run uvicorn on that socket. The compiled networks (numpy arrays, the
bulk of the memory) are shared by the workers copy-on-write: nothing writes them after
loading, so each extra worker costs its own Python heap, not another copy of the
networks (measured with `worker_memory`: unique set size per worker).

GBFS status is re-read once, by the supervisor: its `GbfsRefresher` honours each feed's
``ttl`` and, after each re-read, writes the new snapshot to a file of the run folder
(a pickle written to a temporary file then renamed: readers never see half of it).
Each worker's `SnapshotFollower` watches those files (a ``stat`` every
``poll_s``) and swaps a new `RentalSystem` into its network in one assignment, as the
single-process refresher does; a plan never waits for it. ``POST
/v1/networks/{name}/refresh`` on any worker re-reads there and publishes the same way.

The deployment's GTFS-Realtime sources are polled by each worker itself
(`maasmix.api.realtime_refresh.RealtimePoller`, started with the worker's app): a file
source costs a ``stat`` per poll and is re-read only when replaced, so every worker
applies the same message within one ``poll_s``; a URL is fetched by each worker.

A worker that dies is replaced; SIGTERM or SIGINT to the supervisor stops the workers
gracefully (uvicorn's shutdown) and then the supervisor.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from maasmix.api.gbfs_refresh import GbfsRefresher
from maasmix.engine.network import Network
from maasmix.engine.rentals import RentalSystem

__all__ = ["SnapshotFollower", "SnapshotPublisher", "bind", "serve", "worker_memory"]

log = logging.getLogger("maasmix.api.workers")


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket (IPv4 or IPv6 by ``host``), inheritable by the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def _snapshot_path(folder: Path, network: str, index: int) -> Path:
    return folder / network / f"{index}.pkl"


def publish(folder: Path, name: str, net: Network) -> None:
    """Write each GBFS snapshot of ``net`` to ``folder`` (atomically, by rename)."""
    target = folder / name
    target.mkdir(parents=True, exist_ok=True)
    for i, system in enumerate(net.rentals):
        path = _snapshot_path(folder, name, i)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".snapshot-")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(system.snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class SnapshotPublisher(GbfsRefresher):
    """The supervisor's refresher: each re-read snapshot is also written for the workers."""

    def __init__(self, networks: Mapping[str, Network], folder: Path, **kwargs: Any) -> None:
        super().__init__(networks, **kwargs)
        self.folder = folder

    def run_once(self) -> list[str]:
        """Refresh what expired, then publish the networks that changed."""
        done = super().run_once()
        for name in sorted({key.split("/", 1)[0] for key in done}):
            publish(self.folder, name, self.networks[name])
        return done


class SnapshotFollower:
    """A worker's thread that swaps in the snapshots the supervisor publishes."""

    def __init__(
        self, networks: Mapping[str, Network], folder: Path, *, poll_s: float = 0.5
    ) -> None:
        self.networks = networks
        self.folder = folder
        self.poll_s = poll_s
        self.swaps = 0
        self._seen: dict[Path, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for name, net in networks.items():
            for i in range(len(net.rentals)):
                path = _snapshot_path(folder, name, i)
                with contextlib.suppress(OSError):
                    self._seen[path] = path.stat().st_mtime_ns

    def run_once(self) -> int:
        """Swap in every snapshot file that changed; returns how many."""
        swapped = 0
        for name, net in self.networks.items():
            for i, system in enumerate(list(net.rentals)):
                path = _snapshot_path(self.folder, name, i)
                try:
                    stamp = path.stat().st_mtime_ns
                except OSError:
                    continue
                if self._seen.get(path) == stamp:
                    continue
                try:
                    with path.open("rb") as handle:
                        snapshot = pickle.load(handle)
                    fresh = RentalSystem.build(system.compiled, snapshot, loader=system.loader)
                except Exception:  # keep the last status; the next publish retries
                    log.exception("reading the GBFS snapshot %s/%d failed", name, i)
                    continue
                if fresh.snapshot.geofencing_zones.equals(system.snapshot.geofencing_zones):
                    fresh._edges = system._edges
                self._seen[path] = stamp
                net.rentals = [fresh if r is system else r for r in net.rentals]
                swapped += 1
        self.swaps += swapped
        return swapped

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.run_once()
            except Exception:
                log.exception("GBFS snapshot follow pass failed")

    def start(self) -> None:
        """Start the thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="maasmix-gbfs-follow", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None


def _run_worker(app: Any, sock: socket.socket, folder: Path, log_level: str) -> None:
    import uvicorn

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app.state.gbfs_background = False
    app.state.gbfs_follower = lambda networks: SnapshotFollower(networks, folder)
    app.state.gbfs_publish = lambda name, net: publish(folder, name, net)
    config = uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def _fork(app: Any, sock: socket.socket, folder: Path, log_level: str) -> int:
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            _run_worker(app, sock, folder, log_level)
        except BaseException:
            log.exception("worker %d failed", os.getpid())
            code = 1
        finally:
            os._exit(code)
    return pid


def serve(
    app: Any,
    host: str,
    port: int,
    workers: int,
    *,
    run_dir: Path | None = None,
    log_level: str = "info",
) -> None:
    """Serve ``app`` (its networks already loaded) on ``host:port`` with ``workers``
    processes (see the module docstring); returns when stopped."""
    import uvicorn

    sock = bind(host, port)
    if workers <= 1:
        app.state.gbfs_background = True
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False)
        uvicorn.Server(config).run(sockets=[sock])
        return
    from maasmix.api import metrics

    folder = Path(run_dir or tempfile.mkdtemp(prefix="maasmix-serve-"))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    metrics.enable_multiprocess(folder / "metrics")
    snapshots = folder / "gbfs"
    networks: dict[str, Network] = getattr(app.state, "networks", None) or {}
    for name, net in networks.items():
        publish(snapshots, name, net)
    children = {_fork(app, sock, snapshots, log_level) for _ in range(workers)}
    log.info("maasmix serve: %d workers on %s:%d (pids %s)", workers, host, port, children)
    publisher = SnapshotPublisher(networks, snapshots)
    publisher.start()
    stopping = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stopping.set()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            children.discard(pid)
            if not stopping.is_set():
                log.warning("worker %d ended (status %d); starting another", pid, status)
                time.sleep(0.5)
                children.add(_fork(app, sock, snapshots, log_level))
    finally:
        publisher.stop()
        sock.close()


def worker_memory(pids: list[int]) -> dict[int, dict[str, int]]:
    """``{pid: {"rss": bytes, "uss": bytes, "pss": bytes}}`` of running processes (uss:
    memory only that process holds; pss: its share of the shared pages)."""
    import psutil

    out = {}
    for pid in pids:
        info = psutil.Process(pid).memory_full_info()
        out[pid] = {
            "rss": int(info.rss),
            "uss": int(getattr(info, "uss", 0)),
            "pss": int(getattr(info, "pss", 0)),
        }
    return out
