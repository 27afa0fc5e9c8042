"""A tiny synthetic city for exact door-to-door answers: one straight street, a bus along
it, and a GBFS system written to disk (read back through the real loaders)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from maasmix.engine.network import Network, compile_network
from maasmix.feeds.gbfs import load_gbfs
from maasmix.feeds.osm import load_osm
from maasmix.geodesy import M_PER_DEG_LAT
from tests.engine.builders import make_day

LAT = 45.0
LON0 = 9.0
STEP_M = 100.0
N_NODES = 31
DEG_PER_M = 1.0 / (M_PER_DEG_LAT * math.cos(math.radians(LAT)))


def lon_at(i: float) -> float:
    """Longitude of street node ``i`` (node ``i`` lies ``i * 100`` m east of node 0)."""
    return LON0 + i * STEP_M * DEG_PER_M


def write_street(path: Path) -> Path:
    """An OSM XML file: one residential street of 31 nodes 100 m apart, west to east, one
    way per block so that every node is a graph node."""
    nodes = "\n".join(
        f'  <node id="{i + 1}" lat="{LAT:.7f}" lon="{lon_at(i):.7f}" version="1"/>'
        for i in range(N_NODES)
    )
    ways = "\n".join(
        f'  <way id="{100 + i}" version="1">\n    <nd ref="{i + 1}"/>\n    <nd ref="{i + 2}"/>\n'
        '    <tag k="highway" v="residential"/>\n  </way>'
        for i in range(N_NODES - 1)
    )
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="maasmix-tests">
{nodes}
{ways}
</osm>
"""
    )
    return path


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {"last_updated": 1709625600, "ttl": 60, "version": "2.3", "data": data}


def write_gbfs(
    folder: Path,
    *,
    stations: list[tuple[str, float, int, int]] = (),  # type: ignore[assignment]
    scooters: list[tuple[str, float] | tuple[str, float, float]] = (),  # type: ignore[assignment]
    zones: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> Path:
    """A GBFS 2.3 folder: stations ``(id, node position, bikes, docks)``, free scooters
    ``(id, node position[, current range in metres, default 15 km])`` and geofencing
    zones (GeoJSON features)."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {
        "system_information": {
            "system_id": "synth",
            "language": "en",
            "name": "Synthetic Bikes",
            "timezone": "Europe/Rome",
        },
        "vehicle_types": {
            "vehicle_types": [
                {
                    "vehicle_type_id": "bike",
                    "form_factor": "bicycle",
                    "propulsion_type": "human",
                },
                {
                    "vehicle_type_id": "scooter",
                    "form_factor": "scooter_standing",
                    "propulsion_type": "electric",
                    "max_range_meters": 20000,
                },
            ]
        },
        "station_information": {
            "stations": [
                {
                    "station_id": sid,
                    "name": f"Station {sid}",
                    "lat": LAT,
                    "lon": lon_at(x),
                    "capacity": 10,
                }
                for sid, x, _, _ in stations
            ]
        },
        "station_status": {
            "stations": [
                {
                    "station_id": sid,
                    "num_bikes_available": bikes,
                    "num_docks_available": docks,
                    "is_installed": True,
                    "is_renting": True,
                    "is_returning": True,
                    "last_reported": 1709625600,
                    "vehicle_types_available": [{"vehicle_type_id": "bike", "count": bikes}],
                }
                for sid, _, bikes, docks in stations
            ]
        },
        "free_bike_status": {
            "bikes": [
                {
                    "bike_id": vid,
                    "lat": LAT,
                    "lon": lon_at(x),
                    "is_reserved": False,
                    "is_disabled": False,
                    "vehicle_type_id": "scooter",
                    "current_range_meters": scooter[2] if len(scooter) > 2 else 15000,
                }
                for scooter in scooters
                for vid, x in [scooter[:2]]
            ]
        },
        "geofencing_zones": {
            "geofencing_zones": {"type": "FeatureCollection", "features": list(zones)}
        },
    }
    for name, data in files.items():
        (folder / f"{name}.json").write_text(json.dumps(_envelope(data)))
    return folder


def band(x0: float, x1: float, rules: dict[str, Any], name: str = "zone") -> dict[str, Any]:
    """A geofencing feature covering the street between node positions x0 and x1."""
    a, b = lon_at(x0), lon_at(x1)
    ring = [
        [a, LAT - 0.001],
        [a, LAT + 0.001],
        [b, LAT + 0.001],
        [b, LAT - 0.001],
        [a, LAT - 0.001],
    ]
    return {
        "type": "Feature",
        "properties": {"name": name, "rules": [rules]},
        "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
    }


def bus_trips(first: str = "08:00", every_min: int = 10, count: int = 12) -> list[Any]:
    """Bus trips from stop P (node 5) to stop Q (node 25), 6 minutes, every 10 minutes."""
    h, m = (int(x) for x in first.split(":"))
    trips = []
    for k in range(count):
        t = h * 60 + m + k * every_min
        dep = f"{t // 60:02d}:{t % 60:02d}:00"
        arr = f"{(t + 6) // 60:02d}:{(t + 6) % 60:02d}:00"
        trips.append((f"b{k}", "B", [("P", dep, dep), ("Q", arr, arr)]))
    return trips


def network(tmp: Path, gbfs: Path | None = None, trips: list[Any] | None = None) -> Network:
    """The synthetic network: the street, stops P (node 5) and Q (node 25), the bus."""
    street = load_osm(write_street(tmp / "street.osm"))
    day = make_day(
        {"P": (LAT, lon_at(5)), "Q": (LAT, lon_at(25))},
        trips if trips is not None else bus_trips(),
    )
    net = Network(compile_network(day, street), min_transfer_s=0)
    if gbfs is not None:
        net.add_gbfs(load_gbfs(gbfs))
    return net
