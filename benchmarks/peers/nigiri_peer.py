"""pynigiri (the C++ router at the core of MOTIS) answering maasmix's transit queries.

``python -m benchmarks.peers.nigiri_peer < job.json`` with a job::

    {"path": GTFS zip, "first": "YYYY-MM-DD", "last": "YYYY-MM-DD",
     "link_stop_distance": metres, "max_transfers": 8,
     "adjust_footpaths": true, "start_footpaths": false,
     "queries": [[origin stop_id, destination stop_id, departure unix minute], ...]}

prints ``{"status": "ok", "version", "load_s", "times", "arrival", "transfers",
"missing"}``: per query the seconds spent in ``pynigiri.route``, the earliest arrival
(unix minute, null when nothing was found or a stop is unknown) and the transfers of that
journey. pynigiri 0.1.5 has no one-to-all or range query in its Python API.

`load` and `route` serve the same in one process (the aligned, interleaved comparison
of `benchmarks.test_bench_peers`).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from typing import Any


def load(
    path: str,
    first: str,
    last: str,
    *,
    link_stop_distance: int = 100,
    adjust_footpaths: bool = True,
) -> Any:
    """A pynigiri timetable of the GTFS zip ``path`` from ``first`` to ``last``
    ("YYYY-MM-DD"); ``adjust_footpaths=False`` keeps the footpaths as loaded (no
    transitive closure, no lifting to the change times) and merges no duplicate trips."""
    import pynigiri as ng

    config = ng.LoaderConfig()
    config.link_stop_distance = int(link_stop_distance)
    options = ng.FinalizeOptions()
    options.adjust_footpaths = bool(adjust_footpaths)
    if not adjust_footpaths:
        options.merge_dupes_intra_src = False
        options.merge_dupes_inter_src = False
    return ng.load_timetable([ng.TimetableSource("gtfs", path, config)], first, last, options)


def query(
    timetable: Any,
    origin: str,
    destination: str,
    minute: int,
    *,
    max_transfers: int = 8,
    start_footpaths: bool = False,
    walks: Sequence[tuple[str, int]] = (),
    walks_in: Sequence[tuple[str, int]] = (),
) -> Any:
    """The pynigiri query from ``origin`` to ``destination`` (stop_ids) leaving at
    ``minute`` (unix minute), or None when a stop is unknown. ``walks``: more starts,
    ``(stop_id, minutes)`` reached on foot from the origin (the origin's footpaths, as
    maasmix walks them before the first ride); ``walks_in``: more destinations,
    ``(stop_id, minutes)`` on foot from them to the destination (its footpaths in)."""
    import pynigiri as ng

    lo, ld = timetable.find_location(origin), timetable.find_location(destination)
    if lo is None or ld is None:
        return None
    q = ng.Query()
    q.start_time = minute
    starts = [ng.Offset(lo, 0, 0)]
    for stop_id, minutes in walks:
        loc = timetable.find_location(stop_id)
        if loc is not None:
            starts.append(ng.Offset(loc, int(minutes), 0))
    q.start = starts
    ends = [ng.Offset(ld, 0, 0)]
    for stop_id, minutes in walks_in:
        loc = timetable.find_location(stop_id)
        if loc is not None:
            ends.append(ng.Offset(loc, int(minutes), 0))
    q.destination = ends
    if len(starts) > 1 or len(ends) > 1:  # offsets count only for intermodal ends
        q.start_match_mode = ng.INTERMODAL
        q.dest_match_mode = ng.INTERMODAL
    q.max_transfers = int(max_transfers)
    q.use_start_footpaths = bool(start_footpaths)
    return q


def earliest(journeys: Any, walks_in: dict[int, int] | None = None) -> tuple[int, int] | None:
    """(arrival unix minute, transfers) of the earliest journey, None when none.
    ``walks_in``: minutes on foot to the destination from a location index where a
    journey may end (the ``walks_in`` of `query`; nigiri's arrival leaves them out)."""
    best: tuple[int, int] | None = None
    for j in journeys:
        arrival = int(j.arrival_time())
        if walks_in and len(j.legs):
            arrival += walks_in.get(int(j.legs[-1].to), 0)
        if best is None or (arrival, int(j.transfers)) < best:
            best = (arrival, int(j.transfers))
    return best


def main() -> None:
    job = json.loads(sys.stdin.read())
    try:
        import pynigiri as ng
    except ImportError as exc:
        print(json.dumps({"status": f"not installed ({exc})"}))
        return
    started = time.perf_counter()
    timetable = load(
        job["path"],
        job["first"],
        job["last"],
        link_stop_distance=int(job.get("link_stop_distance", 100)),
        adjust_footpaths=bool(job.get("adjust_footpaths", True)),
    )
    load_s = time.perf_counter() - started
    times: list[float | None] = []
    arrival: list[int | None] = []
    transfers: list[int | None] = []
    missing = 0
    warmed = False
    for o, d, minute in job["queries"]:
        q = query(
            timetable,
            o,
            d,
            minute,
            max_transfers=int(job.get("max_transfers", 8)),
            start_footpaths=bool(job.get("start_footpaths", False)),
        )
        if q is None:
            missing += 1
            times.append(None)
            arrival.append(None)
            transfers.append(None)
            continue
        if not warmed:
            ng.route(timetable, q)
            warmed = True
        began = time.perf_counter()
        journeys = ng.route(timetable, q)
        times.append(time.perf_counter() - began)
        best = earliest(journeys)
        arrival.append(None if best is None else best[0])
        transfers.append(None if best is None else best[1])
    print(
        json.dumps(
            {
                "status": "ok",
                "version": metadata.version("pynigiri"),
                "load_s": load_s,
                "times": times,
                "arrival": arrival,
                "transfers": transfers,
                "missing": missing,
            }
        )
    )


if __name__ == "__main__":
    main()
