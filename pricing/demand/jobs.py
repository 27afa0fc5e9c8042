"""Plan a diary in chunks, on Dask, resumably: each finished chunk is a Parquet file.

`plan_chunks` splits the trips into chunks of ``chunk_trips``, skips the chunks whose
file already exists in ``folder`` (a run that was interrupted resumes where it
stopped), plans the others and writes each as soon as it is done (written to a temporary
name, then renamed: a chunk file is either complete or absent). It returns the
candidates of every chunk, in diary order, so the answer does not depend on how many
workers planned it or in which order chunks finished.

Where the work runs (``workers``):

- ``0``: in this process, no Dask (small diaries, debugging);
- ``n >= 1``: a local Dask cluster of ``n`` single-threaded worker processes;
- ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``; the CLI takes it from
  ``MAASMIX_DASK_ADDRESS`` or ``--scheduler``): that cluster.

The network is built once per worker process (`_worker_network`, keyed by its files and
date; the compiled part also comes from the disk cache), never shipped with the tasks:
a task carries its trips and the small `PlanSpec`.

A chunk file holds the chunk's candidates plus one row with ``cand = -1`` for each trip
that has no itinerary, so the unplanned trips survive a resume too.

Trips that ask the same query (`query_groups`: same points, time, direction, modes, own
vehicles and rider category; diaries geocoded to zone centroids have many) are planned
once in the whole diary, not once per chunk: the chunks hold the first trip of each
query only, and every other trip gets copies of its first trip's candidates (its own
``row``). The answer is the same as planning every trip alone.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.engine.network import Network
from maasmix.errors import FeedWarning
from maasmix.pricing.demand.planning import PlanSpec, plan_trips

if TYPE_CHECKING:
    from distributed import LocalCluster

__all__ = ["NetworkArgs", "PlanRun", "local_cluster", "plan_chunks", "query_groups"]

_NETWORKS: dict[tuple[Any, ...], Network] = {}


@dataclass(frozen=True)
class NetworkArgs:
    """The files and date a worker builds its network from (absolute paths)."""

    gtfs: tuple[str, ...]
    osm: str | None
    gbfs: tuple[str, ...]
    date: str
    fare_contains: str | tuple[tuple[str, str], ...] | None = None
    cache_dir: str | None = None

    def build(self) -> Network:
        """The `Network` (FeedWarnings of real feeds are the feeds' business here)."""
        contains: Any = self.fare_contains
        if isinstance(contains, tuple):
            contains = dict(contains)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FeedWarning)
            return Network.from_files(
                gtfs=list(self.gtfs),
                osm=self.osm,
                gbfs=list(self.gbfs),
                date=self.date,
                fare_contains=contains,
                cache_dir=self.cache_dir,
            )


def _worker_network(args: NetworkArgs) -> Network:
    """This process's network for ``args``, built on first use."""
    key = (args.gtfs, args.osm, args.gbfs, args.date, args.fare_contains, args.cache_dir)
    net = _NETWORKS.get(key)
    if net is None:
        net = args.build()
        _NETWORKS.clear()
        _NETWORKS[key] = net
    return net


def _plan_chunk(args: NetworkArgs, spec: PlanSpec, trips: pd.DataFrame) -> pd.DataFrame:
    """Candidates of one chunk, unplanned trips as ``cand = -1`` rows (a Dask task)."""
    frame, unplanned = plan_trips(_worker_network(args), trips, spec)
    if unplanned:
        missing = pd.DataFrame({"row": unplanned, "cand": -1})
        frame = pd.concat([frame, missing.astype(frame.dtypes[["row", "cand"]].to_dict())])
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class PlanRun:
    """What `plan_chunks` did: candidates (``cand >= 0``), unplanned rows, chunk counts;
    ``trips_planned``: diary trips whose plans this run made (not read back from chunk
    files); ``queries``: distinct queries of the diary (`query_groups`), the searches a
    fresh run makes."""

    candidates: pd.DataFrame
    unplanned: list[int]
    chunks: int
    chunks_resumed: int
    trips_planned: int
    seconds: float
    workers: int
    queries: int = 0


def query_groups(trips: pd.DataFrame, spec: PlanSpec) -> npt.NDArray[np.int64]:
    """Per trip, the position of the first trip asking the same query (itself when it is
    the first): the key `maasmix.pricing.demand.planning.plan_trips` shares plans by
    (points, time, direction, modes, own car, rider category)."""
    if not len(trips):
        return np.zeros(0, np.int64)
    bike = "BICYCLE" in spec.modes
    keys = pd.DataFrame(
        {
            "olat": trips["origin_lat"].astype(np.float64).to_numpy(),
            "olon": trips["origin_lon"].astype(np.float64).to_numpy(),
            "dlat": trips["destination_lat"].astype(np.float64).to_numpy(),
            "dlon": trips["destination_lon"].astype(np.float64).to_numpy(),
            "time": trips["time_s"].astype(np.int64).to_numpy(),
            "arrive_by": trips["arrive_by"].astype(bool).to_numpy(),
            "bike": (trips["mode_today"] == "bicycle").to_numpy() & bike,
            "car": (trips["mode_today"] == "car").to_numpy(),
            "rider": trips["rider_category"]
            .astype(object)
            .where(trips["rider_category"].notna(), None)
            .map(repr)
            .to_numpy(),
        }
    )
    group = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = np.full(int(group.max()) + 1, -1, np.int64)
    positions = np.arange(len(group), dtype=np.int64)
    # the first position of each group: scatter in reverse so the smallest wins
    first[group[::-1]] = positions[::-1]
    return first[group]


def _expand(
    candidates: pd.DataFrame, unplanned: list[int], trips: pd.DataFrame, rep: npt.NDArray[np.int64]
) -> tuple[pd.DataFrame, list[int]]:
    """Every trip's candidates from its query's first trip (diary order, own ``row``)."""
    rows = trips["row"].to_numpy(np.int64)
    if bool((rep == np.arange(len(rep))).all()):
        return candidates, unplanned
    lookup = pd.DataFrame({"row": rows, "_rep": rows[rep]})
    columns = list(candidates.columns)
    merged = lookup.merge(
        candidates.rename(columns={"row": "_rep"}), on="_rep", how="inner", sort=False
    )
    frame = merged.drop(columns="_rep")[columns].astype(candidates.dtypes.to_dict())
    missing = set(unplanned)
    return frame.reset_index(drop=True), [
        int(r) for r, p in zip(rows, rows[rep], strict=True) if int(p) in missing
    ]


def _write(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def plan_chunks(
    args: NetworkArgs,
    spec: PlanSpec,
    trips: pd.DataFrame,
    folder: Path,
    *,
    chunk_trips: int,
    workers: int = 2,
    scheduler: str | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> PlanRun:
    """Plan ``trips`` chunk by chunk into ``folder`` (see the module docstring).

    ``on_chunk(trips_done, trips_total)`` is called after every finished chunk
    (progress bars). Interrupting (Ctrl-C) leaves every finished chunk on disk.
    """
    import time

    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    all_trips = trips.reset_index(drop=True)
    rep = query_groups(all_trips, spec)
    firsts = np.flatnonzero(rep == np.arange(len(rep)))
    # diary trips each first trip stands for: progress and counts are in diary trips
    stands = np.bincount(np.searchsorted(firsts, rep), minlength=len(firsts))
    trips = all_trips.iloc[firsts].reset_index(drop=True)
    bounds = list(range(0, len(trips), chunk_trips))
    paths = [folder / f"chunk-{i:05d}.parquet" for i in range(len(bounds))]
    todo = [i for i, p in enumerate(paths) if not p.is_file()]
    total = len(all_trips)

    def weight(i: int) -> int:
        return int(stands[bounds[i] : bounds[i] + chunk_trips].sum())

    done_trips = total - sum(weight(i) for i in todo)
    if on_chunk is not None:
        on_chunk(done_trips, total)

    def part(i: int) -> pd.DataFrame:
        return trips.iloc[bounds[i] : bounds[i] + chunk_trips].reset_index(drop=True)

    used_workers = 0
    if todo and scheduler is None and workers == 0:
        for i in todo:
            _write(paths[i], _plan_chunk(args, spec, part(i)))
            done_trips += weight(i)
            if on_chunk is not None:
                on_chunk(done_trips, total)
    elif todo:
        used_workers = _run_dask(
            args, spec, todo, part, weight, paths, workers, scheduler, total, on_chunk
        )
    frames = [pd.read_parquet(p) for p in paths]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(frame):
        unplanned = sorted(int(r) for r in frame.loc[frame["cand"] < 0, "row"])
        frame = frame[frame["cand"] >= 0].reset_index(drop=True)
    else:
        unplanned = []
    if len(frame):
        frame, unplanned = _expand(frame, unplanned, all_trips, rep)
    return PlanRun(
        candidates=frame,
        unplanned=sorted(unplanned),
        chunks=len(paths),
        chunks_resumed=len(paths) - len(todo),
        trips_planned=sum(weight(i) for i in todo),
        seconds=time.perf_counter() - started,
        workers=used_workers,
        queries=len(trips),
    )


def local_cluster(workers: int) -> LocalCluster:
    """A local Dask cluster of ``workers`` single-threaded processes, every port free:
    the scheduler and its dashboard on ports the system picks (``dashboard_address=None``
    still binds Dask's default 8787, so a second cluster or any program holding it made
    the run fail)."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=max(1, workers),
        threads_per_worker=1,
        processes=True,
        scheduler_port=0,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )


def _run_dask(
    args: NetworkArgs,
    spec: PlanSpec,
    todo: Sequence[int],
    part: Callable[[int], pd.DataFrame],
    weight: Callable[[int], int],
    paths: Sequence[Path],
    workers: int,
    scheduler: str | None,
    total: int,
    on_chunk: Callable[[int, int], None] | None,
) -> int:
    """Run the chunks ``todo`` on Dask, writing each file as its task finishes."""
    from distributed import Client, as_completed

    cluster: LocalCluster | None = None
    if scheduler is None:
        cluster = local_cluster(workers)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or max(1, workers)
        spec_f = client.scatter(spec, broadcast=True)
        args_f = client.scatter(args, broadcast=True)
        futures = {client.submit(_plan_chunk, args_f, spec_f, part(i), pure=False): i for i in todo}
        done_trips = total - sum(weight(i) for i in todo)
        for future in as_completed(futures):
            i = futures[future]
            _write(paths[i], future.result())
            done_trips += weight(i)
            if on_chunk is not None:
                on_chunk(done_trips, total)
        return n_workers
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
