"""Write the demo city's shared fleet as a GBFS v2.3 folder (``gbfs.json`` + feeds).

One system, "Demo City Bikes", holds both the docked bike-share (25 stations, pedal
bikes and e-bikes) and ~80 free-floating e-scooters. In a real city the scooters would
come from another operator with its own ``gbfs.json``; the demo folds them into one
system for simplicity, which GBFS allows (free_bike_status.json lists vehicles not at
stations).

Files follow GBFS v2.3 (MobilityData/gbfs ``v2.3/gbfs.md`` and gbfs-json-schema v2.3):
every file has ``last_updated``, ``ttl``, ``version`` "2.3" and ``data``; ``gbfs.json``
lists the feeds under language ``en`` with URLs *relative to gbfs.json* (the spec asks
for fully qualified URLs; a folder on disk has none that survive being moved, so a
loader resolves them against the folder). ``last_updated`` is 08:00 local time on the
service date, never the wall clock. JSON is written with sorted keys and a trailing
newline, coordinates rounded to 6 decimals.

Geofencing (v2.3 semantics, ``ride_allowed`` = an undocked ride may start and end here):

- "Central Square": scooters may ride through (``ride_through_allowed`` true) but not
  start or end a ride (``ride_allowed`` false): a no-parking zone, 600 m x 600 m.
- "Demo Park": scooters allowed, ``maximum_speed_kph`` 10.

Both rings are clockwise, as v2.3 asks for limitation areas.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
import zoneinfo
from pathlib import Path
from typing import Any

import numpy as np

from maasmix.feeds.demo._grid import PARK, Grid, N, corner_name, in_park_interior, to_latlon

GBFS_VERSION = "2.3"
SYSTEM_ID = "demo_city_bikes"
NO_PARKING_HALF_SIDE_M = 300.0
"""Half side of the square no-parking zone around Central Square, metres."""

N_STATIONS = 25
N_SCOOTERS = 80
SCOOTER_MAX_RANGE_M = 35_000.0
EBIKE_MAX_RANGE_M = 60_000.0

VEHICLE_TYPES: tuple[dict[str, Any], ...] = (
    {
        "vehicle_type_id": "bike",
        "form_factor": "bicycle",
        "propulsion_type": "human",
        "name": "City bike",
        "wheel_count": 2,
        "return_constraint": "any_station",
        "default_pricing_plan_id": "bike_single",
        "pricing_plan_ids": ["bike_single"],
    },
    {
        "vehicle_type_id": "ebike",
        "form_factor": "bicycle",
        "propulsion_type": "electric_assist",
        "name": "City e-bike",
        "wheel_count": 2,
        "max_range_meters": EBIKE_MAX_RANGE_M,
        "max_permitted_speed": 25,
        "rated_power": 250,
        "return_constraint": "any_station",
        "default_pricing_plan_id": "ebike_single",
        "pricing_plan_ids": ["ebike_single"],
    },
    {
        "vehicle_type_id": "scooter",
        "form_factor": "scooter_standing",
        "propulsion_type": "electric",
        "name": "E-scooter",
        "wheel_count": 2,
        "max_range_meters": SCOOTER_MAX_RANGE_M,
        "max_permitted_speed": 20,
        "rated_power": 350,
        "return_constraint": "free_floating",
        "default_pricing_plan_id": "scooter_single",
        "pricing_plan_ids": ["scooter_single"],
    },
)

PRICING_PLANS: tuple[dict[str, Any], ...] = (
    {
        "plan_id": "bike_single",
        "name": "Single ride, city bike",
        "currency": "EUR",
        "price": 0.0,
        "is_taxable": False,
        "description": "Free unlock, first 30 minutes included, then EUR 0.05 per minute.",
        "per_min_pricing": [{"start": 30, "rate": 0.05, "interval": 1}],
        "url": "https://bikes.demo-city.example/pricing",
    },
    {
        "plan_id": "ebike_single",
        "name": "Single ride, e-bike",
        "currency": "EUR",
        "price": 1.0,
        "is_taxable": False,
        "description": "EUR 1.00 to unlock, then EUR 0.15 per minute.",
        "per_min_pricing": [{"start": 0, "rate": 0.15, "interval": 1}],
        "url": "https://bikes.demo-city.example/pricing",
    },
    {
        "plan_id": "scooter_single",
        "name": "Single ride, e-scooter",
        "currency": "EUR",
        "price": 1.0,
        "is_taxable": False,
        "description": "EUR 1.00 to unlock, then EUR 0.22 per minute.",
        "per_min_pricing": [{"start": 0, "rate": 0.22, "interval": 1}],
        "url": "https://bikes.demo-city.example/pricing",
    },
)

FEED_ORDER = (
    "system_information",
    "vehicle_types",
    "station_information",
    "station_status",
    "free_bike_status",
    "system_pricing_plans",
    "geofencing_zones",
)


def snapshot_time(service_date: dt.date, timezone: str) -> int:
    """POSIX time of 08:00 local time on ``service_date``: every file's ``last_updated``."""
    local = dt.datetime.combine(service_date, dt.time(8, 0), tzinfo=zoneinfo.ZoneInfo(timezone))
    return int(local.timestamp())


def _ring(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    """Clockwise closed ring of a local-metre rectangle, as GeoJSON [lon, lat] pairs."""
    corners = [(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)]
    ring = []
    for x, y in corners:
        lat, lon = to_latlon(x, y)
        ring.append([round(lon, 6), round(lat, 6)])
    return ring


def _envelope(
    version_ttl: tuple[str, int], last_updated: int, data: dict[str, Any]
) -> dict[str, Any]:
    version, ttl = version_ttl
    return {"last_updated": last_updated, "ttl": ttl, "version": version, "data": data}


def _dump(path: Path, obj: dict[str, Any]) -> None:
    text = json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    path.write_bytes(text.encode("utf-8"))


def _in_no_parking(x: float, y: float) -> bool:
    return abs(x) <= NO_PARKING_HALF_SIDE_M and abs(y) <= NO_PARKING_HALF_SIDE_M


def write_gbfs(
    grid: Grid, rng: np.random.Generator, folder: Path, service_date: dt.date, timezone: str
) -> dict[str, int]:
    """Write the GBFS v2.3 files into ``folder`` (created if needed).

    Returns
    -------
    dict
        Counts as written: ``gbfs_stations``, ``gbfs_station_bikes`` (available at
        stations, all types), ``gbfs_free_vehicles``, ``gbfs_vehicle_types``,
        ``gbfs_pricing_plans``, ``gbfs_geofencing_zones``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = snapshot_time(service_date, timezone)
    static = (GBFS_VERSION, 3600)
    live = (GBFS_VERSION, 60)

    # Docked stations: intersections drawn with weight falling off with distance.
    candidates = [
        (i, j) for i in range(3, N - 3) for j in range(3, N - 3) if not in_park_interior(i, j)
    ]
    dist = np.array([math.hypot(*grid.xy(i, j)) for i, j in candidates])
    weights = np.exp(-dist / 1500.0)
    picks = rng.choice(len(candidates), size=N_STATIONS, replace=False, p=weights / weights.sum())
    corners = sorted((candidates[int(k)] for k in picks), key=lambda c: (-c[1], c[0]))
    stations_info: list[dict[str, Any]] = []
    stations_status: list[dict[str, Any]] = []
    closed = int(rng.integers(0, N_STATIONS))
    station_bikes = 0
    for n, (i, j) in enumerate(corners, start=1):
        x, y = grid.xy(i, j)
        dx, dy = rng.normal(0.0, 4.0, size=2)
        lat, lon = to_latlon(x + 14.0 + dx, y + 14.0 + dy)
        capacity = int(rng.integers(10, 31))
        docks_disabled = int(rng.integers(0, 2))
        bikes_disabled = int(rng.integers(0, 2))
        usable = capacity - docks_disabled - bikes_disabled
        available = int(rng.integers(0, usable + 1))
        ebikes = int(rng.binomial(available, 0.3))
        station_id = f"dcb-{n:03d}"
        stations_info.append({
            "station_id": station_id,
            "name": corner_name(i, j),
            "short_name": f"{n:03d}",
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "capacity": capacity,
            "is_virtual_station": False,
            "is_charging_station": False,
            "rental_methods": ["key", "creditcard", "phone"],
        })  # fmt: skip
        renting = n - 1 != closed
        stations_status.append({
            "station_id": station_id,
            "num_bikes_available": available,
            "vehicle_types_available": [
                {"vehicle_type_id": "bike", "count": available - ebikes},
                {"vehicle_type_id": "ebike", "count": ebikes},
            ],
            "num_bikes_disabled": bikes_disabled,
            "num_docks_available": usable - available,
            "num_docks_disabled": docks_disabled,
            "is_installed": True,
            "is_renting": renting,
            "is_returning": renting,
            "last_reported": now - int(rng.integers(0, 300)),
        })  # fmt: skip
        station_bikes += available

    # Free-floating e-scooters, denser in the centre, never parked in the no-parking zone.
    bikes: list[dict[str, Any]] = []
    half = (N - 1) / 2 * 200.0 - 100.0
    while len(bikes) < N_SCOOTERS:
        x, y = np.clip(rng.normal(0.0, 1300.0, size=2), -half, half)
        if _in_no_parking(float(x), float(y)):
            continue
        lat, lon = to_latlon(float(x), float(y))
        range_m = float(round(rng.uniform(1500.0, SCOOTER_MAX_RANGE_M), -1))
        n = len(bikes)
        bikes.append({
            "bike_id": str(uuid.UUID(bytes=rng.bytes(16), version=4)),
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "is_reserved": n % 37 == 5,
            "is_disabled": range_m < 3000.0,
            "vehicle_type_id": "scooter",
            "current_range_meters": range_m,
            "current_fuel_percent": round(range_m / SCOOTER_MAX_RANGE_M, 2),
            "last_reported": now - int(rng.integers(0, 600)),
        })  # fmt: skip
    bikes.sort(key=lambda b: b["bike_id"])

    lo, hi = PARK
    park_x0, park_y0 = grid.xy(lo, lo)
    park_x1, park_y1 = grid.xy(hi, hi)
    s = NO_PARKING_HALF_SIDE_M
    zones: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": [[_ring(-s, -s, s, s)]]},
                "properties": {
                    "name": "Central Square",
                    "rules": [
                        {
                            "vehicle_type_id": ["scooter"],
                            "ride_allowed": False,
                            "ride_through_allowed": True,
                        }
                    ],
                },
            },
            {
                "type": "Feature",
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[_ring(park_x0, park_y0, park_x1, park_y1)]],
                },
                "properties": {
                    "name": "Demo Park",
                    "rules": [
                        {
                            "vehicle_type_id": ["scooter"],
                            "ride_allowed": True,
                            "ride_through_allowed": True,
                            "maximum_speed_kph": 10,
                        }
                    ],
                },
            },
        ],
    }

    system_information = {
        "system_id": SYSTEM_ID,
        "language": "en",
        "name": "Demo City Bikes",
        "short_name": "DC Bikes",
        "operator": "Demo City Mobility",
        "url": "https://bikes.demo-city.example/",
        "purchase_url": "https://bikes.demo-city.example/buy",
        "start_date": "2024-04-01",
        "email": "support@bikes.demo-city.example",
        "feed_contact_email": "data@demo-city.example",
        "timezone": timezone,
        "license_url": "https://creativecommons.org/publicdomain/zero/1.0/",
    }
    feeds: dict[str, dict[str, Any]] = {
        "system_information": _envelope(static, now, system_information),
        "vehicle_types": _envelope(static, now, {"vehicle_types": list(VEHICLE_TYPES)}),
        "station_information": _envelope(static, now, {"stations": stations_info}),
        "station_status": _envelope(live, now, {"stations": stations_status}),
        "free_bike_status": _envelope(live, now, {"bikes": bikes}),
        "system_pricing_plans": _envelope(static, now, {"plans": list(PRICING_PLANS)}),
        "geofencing_zones": _envelope(static, now, {"geofencing_zones": zones}),
    }
    for name in FEED_ORDER:
        _dump(folder / f"{name}.json", feeds[name])
    discovery = {"en": {"feeds": [{"name": n, "url": f"{n}.json"} for n in FEED_ORDER]}}
    _dump(folder / "gbfs.json", _envelope(static, now, discovery))
    return {
        "gbfs_stations": len(stations_info),
        "gbfs_station_bikes": station_bikes,
        "gbfs_free_vehicles": len(bikes),
        "gbfs_vehicle_types": len(VEHICLE_TYPES),
        "gbfs_pricing_plans": len(PRICING_PLANS),
        "gbfs_geofencing_zones": len(zones["features"]),
    }
