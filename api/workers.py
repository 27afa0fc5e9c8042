"""Several worker processes for one server (``maasmix serve --workers N``).

The supervisor loads every network once, binds the listening socket, then forks N
workers that each run uvicorn on that socket. The compiled networks' arrays (the bulk of
the memory) are memory-mapped from the disk cache (`maasmix.feeds.cache`): every worker
maps the same file pages, and what the supervisor derives from them before forking (the
live timetables, the rental systems, the Python objects, frozen out of the collector's
reach with ``gc.freeze``) is shared copy-on-write. An extra worker costs its own Python
heap and what it builds while serving, not another copy of the networks (measured with
`worker_memory`: unique set size per worker).

One fetcher: the supervisor alone reads the feeds, in one background thread
(`maasmix.api.polling.BackgroundPoller`) that runs its `SnapshotPublisher` (GBFS: each
feed re-read as its ``ttl`` expires; each snapshot that changed is written to a file of
the run folder, a pickle written to a temporary file then renamed: readers never see
half of it) and its `maasmix.api.realtime_refresh.RealtimePoller` (GTFS-Realtime: each
message and each source's status written the same way). Each worker's thread follows
those files (a ``stat`` every ``poll_s``): `SnapshotFollower` swaps a new
`RentalSystem` into its network in one assignment, the realtime follower applies each
new message as of the supervisor's time; a plan never waits for it. ``POST
/v1/networks/{name}/refresh`` on any worker re-reads there and publishes the same way.

One Dask cluster: without a scheduler address in the deployment or the settings, the
supervisor starts one local cluster when the first job asks for it and every worker's
job runner connects to it (`maasmix.api.jobs.cluster`).

A worker that dies is replaced; SIGTERM or SIGINT to the supervisor stops the workers
gracefully (uvicorn's shutdown), then the cluster, then the supervisor.
"""

from __future__ import annotations

import contextlib
import gc
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
from maasmix.api.polling import BackgroundPoller, Polled
from maasmix.engine.network import Network
from maasmix.engine.rentals import RentalSystem

__all__ = [
    "SnapshotFollower",
    "SnapshotPublisher",
    "bind",
    "prepare_for_fork",
    "same_value",
    "serve",
    "uvicorn_options",
    "worker_memory",
]

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


def same_value(a: Any, b: Any) -> bool:
    """Whether two snapshots (dataclasses of tables and values) hold the same data:
    tables by `pandas.DataFrame.equals` (with their columns and types), the rest by
    ``==``. (Pickles of equal values may differ in bytes.)"""
    import dataclasses

    import pandas as pd

    if type(a) is not type(b):
        return False
    if isinstance(a, pd.DataFrame):
        return bool(
            a.shape == b.shape
            and list(a.columns) == list(b.columns)
            and a.dtypes.equals(b.dtypes)
            and a.equals(b)
        )
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return all(
            same_value(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    try:
        return bool(a == b)
    except Exception:  # an ambiguous comparison: not known to be the same
        return False


def publish(
    folder: Path, name: str, net: Network, written: dict[Path, Any] | None = None
) -> list[Path]:
    """Write each GBFS snapshot of ``net`` to ``folder`` (atomically, by rename); with
    ``written`` (path: the snapshot written there last) a snapshot that did not change
    is not written again. Returns the files written."""
    target = folder / name
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for i, system in enumerate(net.rentals):
        path = _snapshot_path(folder, name, i)
        snapshot = system.snapshot
        if written is not None and path in written and same_value(written[path], snapshot):
            continue
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".snapshot-")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(snapshot, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if written is not None:
            written[path] = snapshot
        out.append(path)
    return out


class SnapshotPublisher(GbfsRefresher):
    """The supervisor's refresher: each re-read snapshot that changed is also written
    for the workers (an unchanged one is not, so no worker rebuilds for nothing)."""

    def __init__(self, networks: Mapping[str, Network], folder: Path, **kwargs: Any) -> None:
        super().__init__(networks, **kwargs)
        self.folder = folder
        self.written: dict[Path, Any] = {}
        self.stamps: dict[Path, int] = {}

    def publish_all(self) -> None:
        """Write every network's snapshots (at start, before the workers exist)."""
        for name, net in self.networks.items():
            self._stamp(publish(self.folder, name, net, self.written))

    def _stamp(self, paths: list[Path]) -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                self.stamps[path] = path.stat().st_mtime_ns

    def run_once(self) -> list[str]:
        """Refresh what expired, then publish the networks that changed."""
        done = super().run_once()
        for name in sorted({key.split("/", 1)[0] for key in done}):
            self._stamp(publish(self.folder, name, self.networks[name], self.written))
        return done


class SnapshotFollower(Polled):
    """A worker's task that swaps in the snapshots the supervisor publishes. ``seen``:
    the modification time of each file whose snapshot ``networks`` already hold (those
    the supervisor wrote of its own networks before forking this worker); default: the
    files as they are now."""

    thread_name = "maasmix-gbfs-follow"

    def __init__(
        self,
        networks: Mapping[str, Network],
        folder: Path,
        *,
        poll_s: float = 0.5,
        seen: Mapping[Path, int] | None = None,
    ) -> None:
        self.networks = networks
        self.folder = folder
        self.poll_s = poll_s
        self.swaps = 0
        self._seen: dict[Path, int] = dict(seen or {})
        if seen is None:
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

    def next_wait_s(self) -> float:
        """``poll_s``."""
        return self.poll_s


def uvicorn_options() -> dict[str, Any]:
    """The uvicorn settings of a server process: no access log (the metrics count every
    request), uvloop and httptools when installed."""
    import importlib.util

    options: dict[str, Any] = {"access_log": False}
    if importlib.util.find_spec("uvloop") is not None:
        options["loop"] = "uvloop"
    if importlib.util.find_spec("httptools") is not None:
        options["http"] = "httptools"
    return options


def _warm(net: Network) -> None:
    """Plan once each way between two central stops of ``net`` (08:00 of its service
    day): the compiled kernels and the lazily built indexes are loaded."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import numpy as np

    tt = net.compiled.timetable
    net.live()
    if tt.n_stops < 2:
        return
    lat, lon = np.asarray(tt.stop_lat), np.asarray(tt.stop_lon)
    linked = np.flatnonzero(np.asarray(net.compiled.stop_walk_m, dtype=float) <= 100.0)
    stops = linked if len(linked) >= 2 else np.arange(len(lat))  # on the streets
    # the stop nearest those stops' median point and its 100th neighbour: in the city
    centre = (np.median(lat[stops]), np.median(lon[stops]))
    order = stops[np.argsort((lat[stops] - centre[0]) ** 2 + (lon[stops] - centre[1]) ** 2)]
    first, other = int(order[0]), int(order[min(100, len(order) - 1)])
    origin = (float(lat[first]), float(lon[first]))
    destination = (float(lat[other]), float(lon[other]))
    when = dt.datetime.combine(net.date, dt.time(8, 0), ZoneInfo(net.timezone))
    for arrive_by in (False, True):
        net.plan(origin, destination, when, arrive_by=arrive_by)


def prepare_for_fork(networks: Mapping[str, Network]) -> None:
    """Build in the supervisor what every worker would otherwise build for itself (each
    network's live timetables, the kernels and indexes a first plan loads: `_warm`),
    then collect and freeze the heap (``gc.freeze``): the objects made so far are shared
    by the workers and the collector never writes to them (which would copy their pages
    into each worker)."""
    for name, net in networks.items():
        try:
            _warm(net)
        except Exception:  # a warm-up is an optimisation: the workers load what it missed
            log.warning("warming network %s before forking failed", name, exc_info=True)
    gc.collect()
    gc.freeze()


def _run_worker(
    app: Any,
    sock: socket.socket,
    run: Path,
    log_level: str,
    seen: Mapping[Path, int],
    realtime: Mapping[Path, tuple[int, int, int]],
) -> None:
    import uvicorn

    from maasmix.api.jobs.cluster import request_address

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    snapshots = run / "gbfs"
    app.state.gbfs_background = False
    app.state.gbfs_follower = lambda networks: SnapshotFollower(networks, snapshots, seen=seen)
    app.state.gbfs_publish = lambda name, net: publish(snapshots, name, net)
    app.state.realtime_follow = run / "realtime"
    app.state.realtime_applied = realtime
    app.state.dask_address = lambda: request_address(run / "dask")
    config = uvicorn.Config(app, log_level=log_level, lifespan="on", **uvicorn_options())
    uvicorn.Server(config).run(sockets=[sock])


def _fork(
    app: Any,
    sock: socket.socket,
    run: Path,
    log_level: str,
    seen: Mapping[Path, int],
    realtime: Mapping[Path, tuple[int, int, int]],
) -> int:
    pid = os.fork()
    if pid == 0:  # the worker
        code = 0
        try:
            _run_worker(app, sock, run, log_level, seen, realtime)
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

    if workers <= 1:
        sock = bind(host, port)
        app.state.gbfs_background = True
        config = uvicorn.Config(app, log_level=log_level, lifespan="on", **uvicorn_options())
        uvicorn.Server(config).run(sockets=[sock])
        return
    from maasmix.api import metrics
    from maasmix.api.jobs.cluster import SharedCluster
    from maasmix.api.realtime_refresh import RealtimePoller

    run = Path(run_dir or tempfile.mkdtemp(prefix="maasmix-serve-"))
    run.mkdir(parents=True, exist_ok=True, mode=0o700)
    metrics.enable_multiprocess(run / "metrics")
    networks: dict[str, Network] = getattr(app.state, "networks", None) or {}
    specs = getattr(app.state, "network_specs", None) or {}
    publisher = SnapshotPublisher(networks, run / "gbfs")
    publisher.publish_all()
    realtime = RealtimePoller(networks, specs, publish_to=run / "realtime")
    realtime.run_once(force=True)  # the workers start from what the supervisor read
    cluster = SharedCluster(run / "dask", getattr(app.state, "local_cluster", None))
    prepare_for_fork(networks)
    sock = bind(host, port)  # now: no client waits in the backlog through the warm-up
    children = {
        _fork(app, sock, run, log_level, publisher.stamps, realtime.applied) for _ in range(workers)
    }
    log.info("maasmix serve: %d workers on %s:%d (pids %s)", workers, host, port, children)
    feeds = BackgroundPoller([publisher, realtime, cluster], name="maasmix-supervisor")
    feeds.start()
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
            if pid not in children:  # the cluster's process
                continue
            children.discard(pid)
            if not stopping.is_set():
                log.warning("worker %d ended (status %d); starting another", pid, status)
                time.sleep(0.5)
                stamps, applied = dict(publisher.stamps), dict(realtime.applied)
                children.add(_fork(app, sock, run, log_level, stamps, applied))
    finally:
        feeds.stop()
        cluster.close()
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
