"""Hand-made `ServiceDay` objects for exact-answer tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from maasmix.feeds.gtfs.service_day import ServiceDay

DATE = dt.date(2024, 3, 5)


def hms(text: str) -> int:
    """'HH:MM[:SS]' -> seconds."""
    parts = [int(x) for x in text.split(":")]
    while len(parts) < 3:
        parts.append(0)
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


StopTime = tuple[str, str, str] | tuple[str, str, str, int, int]


def make_day(
    stops: dict[str, tuple[float, float]],
    trips: Sequence[tuple[str, str, Sequence[StopTime]]],
    *,
    transfers: Sequence[tuple[str, str, int, int]] = (),
    day_offsets: dict[str, int] | None = None,
    parents: dict[str, str] | None = None,
) -> ServiceDay:
    """A ServiceDay from ``stops`` {id: (lat, lon)} and trips.

    Each trip is ``(trip_key, route_id, [(stop_id, "HH:MM:SS" arr, "HH:MM:SS" dep
    [, pickup_type, drop_off_type]), ...])``; times may be negative via a leading "-".
    """
    parents = parents or {}
    stop_rows = [
        {
            "stop_id": sid,
            "stop_name": f"Stop {sid}",
            "stop_lat": lat,
            "stop_lon": lon,
            "location_type": 1 if sid in parents.values() else 0,
            "parent_station": parents.get(sid, ""),
            "zone_id": "",
        }
        for sid, (lat, lon) in stops.items()
    ]
    routes = sorted({r for _, r, _ in trips})
    route_rows = [
        {
            "route_id": r,
            "agency_id": "A",
            "route_short_name": r,
            "route_long_name": f"Route {r}",
            "route_type": 3,
        }
        for r in routes
    ]
    trip_rows = []
    st_rows = []
    offsets = day_offsets or {}
    for key, route, calls in trips:
        trip_rows.append(
            {
                "trip_key": key,
                "trip_id": key.split("@")[0].split("#")[0],
                "route_id": route,
                "service_id": "S",
                "headsign": f"to {calls[-1][0]}",
                "shape_id": "",
                "direction_id": 0,
                "day_offset": offsets.get(key, 0),
            }
        )
        for seq, call in enumerate(calls, start=1):
            pickup = call[3] if len(call) > 3 else 0
            drop = call[4] if len(call) > 4 else 0
            st_rows.append(
                {
                    "trip_key": key,
                    "stop_sequence": seq,
                    "stop_id": call[0],
                    "arrival_s": _t(call[1]),
                    "departure_s": _t(call[2]),
                    "pickup_type": pickup,
                    "drop_off_type": drop,
                    "timepoint": 1,
                }
            )
    stop_times = pd.DataFrame(st_rows).sort_values(["trip_key", "stop_sequence"])
    for col in ("stop_sequence", "arrival_s", "departure_s"):
        stop_times[col] = stop_times[col].astype("int32")
    for col in ("pickup_type", "drop_off_type", "timepoint"):
        stop_times[col] = stop_times[col].astype("int8")
    transfer_frame = pd.DataFrame(
        [
            {"from_stop_id": a, "to_stop_id": b, "transfer_type": k, "min_transfer_time": m}
            for a, b, k, m in transfers
        ],
        columns=["from_stop_id", "to_stop_id", "transfer_type", "min_transfer_time"],
    )
    return ServiceDay(
        date=DATE,
        timezone="Europe/Rome",
        stops=pd.DataFrame(stop_rows),
        routes=pd.DataFrame(route_rows),
        trips=pd.DataFrame(trip_rows),
        stop_times=stop_times.reset_index(drop=True),
        transfers=transfer_frame,
    )


def _t(text: str) -> int:
    if text.startswith("-"):
        return -hms(text[1:])
    return hms(text)
