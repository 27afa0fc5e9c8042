"""Write the demo city's street grid as an ``.osm.pbf`` file (pyosmium ``SimpleWriter``).

Every intersection is one node; every street is split into ways only where its tags
change (a primary avenue is one way end to end, the east-west street through the park
is three). Ids are positive and sequential, ``version`` 1, one fixed timestamp, so the
file is byte-identical for the same grid.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import osmium
from osmium.osm.mutable import Node, Way

from maasmix.feeds.demo._grid import (
    MID,
    ONEWAY_PAIR,
    PARK,
    Grid,
    N,
    node_id,
    street_tags,
    to_latlon,
)

OSM_TIMESTAMP = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
"""Timestamp of every OSM object (the demo's "survey date")."""

_PARK_NODE_BASE = 100_000
_META: dict[str, Any] = {
    "version": 1,
    "changeset": 1,
    "uid": 1,
    "user": "maasmix-demo",
    "timestamp": OSM_TIMESTAMP,
}


def _street_ways(axis: str, index: int) -> list[tuple[list[int], dict[str, str]]]:
    """Consecutive segments of one street grouped into ways of equal tags."""
    ways: list[tuple[list[int], dict[str, str]]] = []
    for a in range(N - 1):
        tags = street_tags(axis, index, a)
        ends = [(index, a), (index, a + 1)] if axis == "ns" else [(a, index), (a + 1, index)]
        ids = [node_id(i, j) for i, j in ends]
        if ways and ways[-1][1] == tags:
            ways[-1][0].append(ids[1])
        else:
            ways.append((ids, tags))
    return ways


def street_ways() -> list[tuple[list[int], dict[str, str]]]:
    """All ways of the demo city as (node ids, tags), in file order.

    North-south streets first (west to east), then east-west streets (south to north),
    then the diagonal footway across Demo Park. The westbound one-way street lists its
    nodes east to west, as OSM requires for ``oneway=yes``.
    """
    ways: list[tuple[list[int], dict[str, str]]] = []
    for i in range(N):
        ways.extend(_street_ways("ns", i))
    for j in range(N):
        street = _street_ways("ew", j)
        if j == ONEWAY_PAIR[1]:
            street = [(nodes[::-1], tags) for nodes, tags in reversed(street)]
        ways.extend(street)
    lo, hi = PARK
    diagonal = [node_id(k, k) for k in range(lo, hi + 1)]
    ways.append((diagonal, {"highway": "footway", "name": "Park Diagonal", "surface": "gravel"}))
    return ways


def write_osm(grid: Grid, path: Path) -> dict[str, int]:
    """Write the street grid and the park outline to ``path`` (``.osm.pbf``).

    Returns
    -------
    dict
        ``osm_nodes``, ``osm_ways``, ``osm_highway_ways`` counts as written.
    """
    header = osmium.io.Header()
    header.set("generator", "maasmix demo city")
    lat_lo, lon_lo = to_latlon(float(grid.x.min()) - 50.0, float(grid.y.min()) - 50.0)
    lat_hi, lon_hi = to_latlon(float(grid.x.max()) + 50.0, float(grid.y.max()) + 50.0)
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(lon_lo, lat_lo), osmium.osm.Location(lon_hi, lat_hi))
    )
    lo, hi = PARK
    px0, py0 = grid.xy(lo, lo)
    px1, py1 = grid.xy(hi, hi)
    inset = 12.0
    park_corners = [
        (px0 + inset, py0 + inset),
        (px0 + inset, py1 - inset),
        (px1 - inset, py1 - inset),
        (px1 - inset, py0 + inset),
    ]
    ways = street_ways()
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = osmium.SimpleWriter(path, header=header, overwrite=True)
    n_nodes = 0
    try:
        for j in range(N):
            for i in range(N):
                lat, lon = to_latlon(*grid.xy(i, j))
                tags = {"highway": "traffic_signals"} if (i, j) == (MID, MID) else {}
                writer.add_node(Node(id=node_id(i, j), location=(lon, lat), tags=tags, **_META))
                n_nodes += 1
        for k, (x, y) in enumerate(park_corners):
            lat, lon = to_latlon(x, y)
            writer.add_node(Node(id=_PARK_NODE_BASE + k + 1, location=(lon, lat), tags={}, **_META))
            n_nodes += 1
        way_id = 0
        for nodes, tags in ways:
            way_id += 1
            writer.add_way(Way(id=way_id, nodes=nodes, tags=tags, **_META))
        park_ring = [_PARK_NODE_BASE + k + 1 for k in range(4)] + [_PARK_NODE_BASE + 1]
        way_id += 1
        park_tags = {"leisure": "park", "name": "Demo Park"}
        writer.add_way(Way(id=way_id, nodes=park_ring, tags=park_tags, **_META))
    finally:
        writer.close()
    return {"osm_nodes": n_nodes, "osm_ways": way_id, "osm_highway_ways": len(ways)}
