"""pynigiri (the C++ router at the core of MOTIS) answering maasmix's transit queries.

``python -m benchmarks.peers.nigiri_peer < job.json`` with a job::

    {"path": GTFS zip, "first": "YYYY-MM-DD", "last": "YYYY-MM-DD",
     "link_stop_distance": metres, "max_transfers": 8,
     "queries": [[origin stop_id, destination stop_id, departure unix minute], ...]}

prints ``{"status": "ok", "version", "load_s", "times", "arrival", "transfers",
"missing"}``: per query the seconds spent in ``pynigiri.route``, the earliest arrival
(unix minute, null when nothing was found or a stop is unknown) and the transfers of that
journey. pynigiri 0.1.5 has no one-to-all or range query in its Python API.
"""

from __future__ import annotations

import json
import sys
import time
from importlib import metadata


def main() -> None:
    job = json.loads(sys.stdin.read())
    try:
        import pynigiri as ng
    except ImportError as exc:
        print(json.dumps({"status": f"not installed ({exc})"}))
        return
    config = ng.LoaderConfig()
    config.link_stop_distance = int(job.get("link_stop_distance", 100))
    started = time.perf_counter()
    timetable = ng.load_timetable(
        [ng.TimetableSource("gtfs", job["path"], config)], job["first"], job["last"]
    )
    load_s = time.perf_counter() - started
    times: list[float | None] = []
    arrival: list[int | None] = []
    transfers: list[int | None] = []
    missing = 0
    warmed = False
    for o, d, minute in job["queries"]:
        lo, ld = timetable.find_location(o), timetable.find_location(d)
        if lo is None or ld is None:
            missing += 1
            times.append(None)
            arrival.append(None)
            transfers.append(None)
            continue
        query = ng.Query()
        query.start_time = minute
        query.start = [ng.Offset(lo, 0, 0)]
        query.destination = [ng.Offset(ld, 0, 0)]
        query.max_transfers = int(job.get("max_transfers", 8))
        if not warmed:
            ng.route(timetable, query)
            warmed = True
        began = time.perf_counter()
        journeys = ng.route(timetable, query)
        times.append(time.perf_counter() - began)
        if len(journeys):
            best = min(journeys, key=lambda j: (j.arrival_time(), j.transfers))
            arrival.append(int(best.arrival_time()))
            transfers.append(int(best.transfers))
        else:
            arrival.append(None)
            transfers.append(None)
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
