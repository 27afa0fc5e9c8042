"""Deterministic synthetic inputs larger than the real feeds, for the scaling curves.

- `service_day(n_stop_times)`: a grid city's timetable of about ``n_stop_times`` stop
  times (a `maasmix.feeds.gtfs.ServiceDay`, the compiler's input), built with numpy in a
  few seconds even at 5 million;
- `write_grid_osm(path, side)`: an OSM extract (``.osm.pbf``) of a ``side x side`` street
  grid, every street ``highway=residential``, some ``footway`` (walk only) and
  ``cycleway`` (bike only).

Same arguments, same output, always: no randomness, only arithmetic on indices.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from maasmix.feeds.gtfs import ServiceDay

STOPS_PER_ROUTE = 20
TRIPS_PER_ROUTE = 100  # both directions, 05:00 to 23:00
SPACING_DEG = 0.003  # about 300 m between grid stops (lat 60)
HOP_S = 90
ORIGIN = (60.10, 24.80)


def service_day(n_stop_times: int, date: dt.date = dt.date(2030, 1, 7)) -> ServiceDay:
    """A timetable of about ``n_stop_times`` stop times on a square grid of stops.

    Routes run along grid rows and columns (alternately), each over `STOPS_PER_ROUTE`
    consecutive stops starting at an offset that shifts from route to route, so lines
    cross and share stops; `TRIPS_PER_ROUTE` trips per route, both directions.
    """
    per_route = STOPS_PER_ROUTE * TRIPS_PER_ROUTE
    n_routes = max(2, round(n_stop_times / per_route))
    side = max(STOPS_PER_ROUTE + 1, math.ceil(math.sqrt(n_routes * STOPS_PER_ROUTE / 2)))
    n_stops = side * side
    stop_ids = np.array([f"s{i:07d}" for i in range(n_stops)], dtype=object)
    rows, cols = np.divmod(np.arange(n_stops), side)
    stops = pd.DataFrame(
        {
            "stop_id": stop_ids,
            "stop_name": stop_ids,
            "stop_lat": ORIGIN[0] + rows * SPACING_DEG,
            "stop_lon": ORIGIN[1] + cols * SPACING_DEG * 2,
            "location_type": np.zeros(n_stops, np.int8),
            "parent_station": "",
            "zone_id": "",
        }
    )
    r = np.arange(n_routes)
    line = (r // 2) % side
    offset = (r * 7) % (side - STOPS_PER_ROUTE + 1)
    k = np.arange(STOPS_PER_ROUTE)
    along = offset[:, None] + k[None, :]
    horizontal = (r % 2 == 0)[:, None]
    route_stops = np.where(horizontal, line[:, None] * side + along, along * side + line[:, None])
    route_ids = np.array([f"r{i:06d}" for i in range(n_routes)], dtype=object)
    routes = pd.DataFrame(
        {
            "route_id": route_ids,
            "agency_id": "synthetic",
            "route_short_name": route_ids,
            "route_long_name": route_ids,
            "route_type": np.full(n_routes, 3, np.int16),
        }
    )
    t = np.arange(TRIPS_PER_ROUTE)
    headway = (18 * 3600) // (TRIPS_PER_ROUTE // 2)
    trip_route = np.repeat(r, TRIPS_PER_ROUTE)
    trip_t = np.tile(t, n_routes)
    backwards = trip_t % 2 == 1
    first_dep = 5 * 3600 + (trip_t // 2) * headway + (trip_route * 37) % headway
    trip_keys = np.array(
        [f"r{a:06d}t{b:04d}" for a, b in zip(trip_route.tolist(), trip_t.tolist(), strict=True)],
        dtype=object,
    )
    n_trips = len(trip_keys)
    trips = pd.DataFrame(
        {
            "trip_key": trip_keys,
            "trip_id": trip_keys,
            "route_id": route_ids[trip_route],
            "service_id": "all",
            "headsign": "",
            "shape_id": "",
            "direction_id": backwards.astype(np.int8),
            "day_offset": np.zeros(n_trips, np.int8),
        }
    )
    seq = np.tile(k, n_trips)
    pos = np.where(np.repeat(backwards, STOPS_PER_ROUTE), STOPS_PER_ROUTE - 1 - seq, seq)
    stop_index = route_stops[np.repeat(trip_route, STOPS_PER_ROUTE), pos]
    times = (np.repeat(first_dep, STOPS_PER_ROUTE) + seq * HOP_S).astype(np.int32)
    n = len(times)
    stop_times = pd.DataFrame(
        {
            "trip_key": np.repeat(trip_keys, STOPS_PER_ROUTE),
            "stop_sequence": (seq + 1).astype(np.int32),
            "stop_id": stop_ids[stop_index],
            "arrival_s": times,
            "departure_s": times,
            "pickup_type": np.zeros(n, np.int8),
            "drop_off_type": np.zeros(n, np.int8),
            "timepoint": np.ones(n, np.int8),
        }
    )
    transfers = pd.DataFrame(
        {
            "from_stop_id": pd.Series([], dtype=object),
            "to_stop_id": pd.Series([], dtype=object),
            "transfer_type": pd.Series([], dtype=np.int8),
            "min_transfer_time": pd.Series([], dtype=np.int32),
        }
    )
    return ServiceDay(
        date=date,
        timezone="Europe/Helsinki",
        stops=stops,
        routes=routes,
        trips=trips,
        stop_times=stop_times,
        transfers=transfers,
        service_period=(date, date),
    )


def write_grid_osm(path: Path, side: int) -> Path:
    """A ``side x side`` street grid as an ``.osm.pbf`` (about ``side**2`` nodes)."""
    import osmium

    spacing = 0.001  # ~100 m
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for i in range(side):
            for j in range(side):
                writer.add_node(
                    osmium.osm.mutable.Node(
                        id=i * side + j + 1,
                        location=(ORIGIN[1] + j * spacing * 2, ORIGIN[0] + i * spacing),
                    )
                )
        way_id = 1
        for i in range(side):
            kind = "footway" if i % 7 == 3 else "cycleway" if i % 11 == 5 else "residential"
            row = [i * side + j + 1 for j in range(side)]
            col = [j * side + i + 1 for j in range(side)]
            for nodes in (row, col):
                writer.add_way(
                    osmium.osm.mutable.Way(id=way_id, nodes=nodes, tags={"highway": kind})
                )
                way_id += 1
    finally:
        writer.close()
    return path
