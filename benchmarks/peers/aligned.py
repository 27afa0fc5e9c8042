"""maasmix and nigiri configured alike: one footpath set and one transfer model for both.

nigiri (MOTIS's core) differs from maasmix's defaults in ways that make the two answer
different questions on the same feed:

- it links stops within ``link_stop_distance``, and always stops of the same name within
  500 m and parent/child stops, then closes the footpath graph transitively
  (``FinalizeOptions.adjust_footpaths``, up to ``max_footpath_length`` minutes) and
  lifts every footpath to at least the stops' change times;
- a footpath *replaces* the minimum transfer time (2 min at a stop by default), while
  maasmix by default adds its ``min_transfer_s`` after a footpath as well;
- its times are whole minutes.

`aligned_feed` writes a copy of a GTFS zip (to a scratch folder, never the repository)
whose ``transfers.txt`` holds exactly maasmix's footpaths (``transfer_type`` 2, durations
rounded up to whole minutes) and whose ``stops.txt`` has no names nor parent stations to
link by; nigiri loads it with ``link_stop_distance=0`` and ``adjust_footpaths=False``
(`nigiri_peer`), maasmix reads the same footpaths (``max_walk_m=0``, the same
transfers) and the stop times in whole minutes (`aligned_day`) with
``slack_after_footpath=False`` and the same 2-minute change time. Both
expand the same ``frequencies.txt`` and are given the same maximum of transfers.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from maasmix.feeds.gtfs import ServiceDay

#: nigiri's default change time at a stop (GTFS without transfers.txt times), seconds.
NIGIRI_CHANGE_S = 120


def minute_footpaths(footpaths: pd.DataFrame) -> pd.DataFrame:
    """maasmix footpaths (``from_stop_id``, ``to_stop_id``, ``duration_s``) as
    transfers.txt rows: ``from_stop_id``, ``to_stop_id``, ``transfer_type`` (2),
    ``min_transfer_time`` (s, rounded up to a whole minute, at least ``NIGIRI_CHANGE_S``:
    nigiri walks no footpath faster than the change time at a stop)."""
    minutes = np.ceil(footpaths.duration_s.to_numpy(np.int64) / 60.0).astype(np.int64)
    minutes = np.maximum(minutes, NIGIRI_CHANGE_S // 60)
    return pd.DataFrame(
        {
            "from_stop_id": footpaths.from_stop_id.astype(str).to_numpy(),
            "to_stop_id": footpaths.to_stop_id.astype(str).to_numpy(),
            "transfer_type": np.full(len(footpaths), 2, dtype=np.int8),
            "min_transfer_time": (minutes * 60).astype(np.int32),
        }
    )


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def aligned_feed(source: Path, transfers: pd.DataFrame, out: Path) -> Path:
    """Write ``out`` (a GTFS zip): ``source`` with ``transfers.txt`` replaced by
    ``transfers`` and ``stops.txt`` without ``parent_station`` and with ``stop_name`` =
    ``stop_id`` (nothing for nigiri to link stops by besides the transfers); every other
    file copied unchanged. Returns ``out``."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            name = info.filename
            if name.endswith("/") or name.rsplit("/", 1)[-1] == "transfers.txt":
                continue
            data = zin.read(info)
            if name.rsplit("/", 1)[-1] == "stops.txt":
                stops = pd.read_csv(
                    io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig"
                )
                stops["stop_name"] = stops["stop_id"]
                if "parent_station" in stops:
                    stops["parent_station"] = ""
                data = _csv_bytes(stops)
            zout.writestr(name.rsplit("/", 1)[-1], data)
        zout.writestr("transfers.txt", _csv_bytes(transfers))
    return out


def aligned_day(service_day: ServiceDay, transfers: pd.DataFrame) -> ServiceDay:
    """``service_day`` as nigiri reads the aligned feed: transfers replaced by
    ``transfers`` and stop times truncated to the whole minute (nigiri's times are
    minutes; it drops the seconds of ``HH:MM:SS``)."""
    stop_times = service_day.stop_times.copy()
    for column in ("arrival_s", "departure_s"):
        stop_times[column] = (stop_times[column].to_numpy() // 60 * 60).astype(np.int32)
    return dataclasses.replace(service_day, transfers=transfers, stop_times=stop_times)
