"""OpenStreetMap extracts -> a walking graph and a cycling graph (`load_osm`).

``load_osm(path)`` reads an ``.osm.pbf`` (or ``.osm`` / ``.osm.bz2`` XML) with pyosmium in
one streaming pass and returns a `StreetNetwork` holding two directed `StreetGraph`s.

Access rules
------------
Only ways tagged ``highway=*`` are read. "Permit" means the mode tag (``foot`` for walking,
``bicycle`` for cycling) is ``yes``, ``designated`` or ``permissive``; it overrides every
restriction below. Without a permit:

======  ============================================  ========================================
mode    allowed by default (``highway=``)             needs a permit (``highway=``)
======  ============================================  ========================================
walk    footway, pedestrian, path, steps, corridor,   cycleway, trunk, trunk_link, motorway,
        bridleway, living_street, residential,        motorway_link
        service, track, unclassified, road,
        tertiary, secondary, primary (and their
        ``*_link``)
bike    cycleway, path, track, living_street,         footway, pedestrian, steps, corridor,
        residential, service, unclassified, road,     bridleway, motorway, motorway_link
        tertiary, secondary, primary, trunk (and
        their ``*_link``)
======  ============================================  ========================================

======  ===================================================================================
mode    excluded without a permit
======  ===================================================================================
walk    ``foot=no|private|use_sidepath``; ``access=no|private``
bike    ``bicycle=no|private|use_sidepath``; ``access=no|private``; ``vehicle=no|private``
======  ===================================================================================

Any other ``highway`` value (``construction``, ``proposed``, ``platform``, ``raceway``,
``bus_guideway``, ...) is not routable. ``bicycle=dismount`` stays cyclable (the rider
pushes). Closed ``area=yes`` pedestrian ways are kept as their outline.

Directions: walking is never one-way. Cycling follows, first match wins:

============================================================  ===============================
tags                                                          cycling directions
============================================================  ===============================
``oneway:bicycle=no|0|false``                                 both
``oneway:bicycle=yes|1|true`` / ``-1|reverse``                forward / backward only
``cycleway[:left|:right|:both]=opposite*`` on a one-way       both
``oneway=yes|1|true``                                         forward only (node order)
``oneway=-1|reverse``                                         backward only
``junction=roundabout|circular`` (unless ``oneway=no``)       forward only
otherwise                                                     both
============================================================  ===============================

Topology
--------
Each graph is built from the ways its mode may use. Graph nodes are way ends, junctions
(nodes used twice or more by that mode's ways, including a way crossing itself) and the
ends of runs cut by missing nodes; the interior nodes of a way between two graph nodes are
collapsed into one edge whose ``length_m`` is the summed haversine length of the polyline
(mean Earth radius 6,371,008.8 m). Every connected component is kept (no "largest component"
pruning): small islands are real in clipped extracts and callers can drop them. Each piece
of a way gives one directed edge per allowed direction, so parallel edges (two ways between
the same junctions) survive. Pieces that leave and return to the same graph node (a loop
touching the network once) are dropped: they never shorten a route.

Clipped extracts: a way segment whose end node is missing from the file is dropped, the
way continues on either side as separate pieces, and one `FeedWarning` counts the dropped
segments.

Snapping: `StreetGraph.nearest_node` asks a `maasmix.geodesy.PointIndex` (a KD-tree on a
local projection) and reports the great-circle distance in metres to the node it finds.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.errors import FeedFormatError, FeedIntegrityError, FeedMissingError, FeedWarning
from maasmix.feeds.gtfs._read import usable_path
from maasmix.feeds.osm._graph import EdgeGeometry, GraphTables, build_tables
from maasmix.feeds.osm._graph import missing_segments as _missing_segments
from maasmix.feeds.osm._read import read_ways
from maasmix.geodesy import PointIndex

__all__ = ["StreetGraph", "StreetNetwork", "load_osm"]


@dataclass(frozen=True, eq=False)
class StreetGraph:
    """A directed street graph for one mode (walk or bike).

    Attributes
    ----------
    nodes : DataFrame
        Index ``node`` (0..n-1); ``osm_id`` (int64), ``lat``, ``lon`` (float64, WGS84).
    edges : DataFrame
        ``u``, ``v`` (int32 node indices, directed u -> v), ``length_m`` (float64 metres),
        ``osm_way_id`` (int64), ``highway`` (str). Sorted by ``u``, ``v``, ``osm_way_id``.
    street_length_m : float
        Length of the streets in the graph, metres, each street piece counted once
        whichever directions it allows.
    geometry : EdgeGeometry or None
        Each edge's polyline through every OSM node of its way (aligned with ``edges``).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    street_length_m: float = 0.0
    geometry: EdgeGeometry | None = None

    @cached_property
    def _index(self) -> PointIndex:
        return PointIndex(self.nodes["lat"].to_numpy(), self.nodes["lon"].to_numpy())

    def nearest_nodes(
        self, lats: npt.ArrayLike, lons: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        """Nearest graph node of each point.

        Parameters
        ----------
        lats, lons : array-like of float
            WGS84 degrees, same length.

        Returns
        -------
        (node, distance_m) : int32 node indices and float64 haversine distances in metres.

        Raises
        ------
        ValueError
            The graph has no nodes, or the inputs differ in shape or are not finite.
        """
        if len(self.nodes) == 0:
            raise ValueError("nearest_nodes: the street graph has no nodes")
        index, distance = self._index.nearest(lats, lons)
        return index.astype(np.int32), distance

    def nearest_node(self, lat: float, lon: float) -> tuple[int, float]:
        """Nearest graph node to ``(lat, lon)``: ``(node index, distance in metres)``."""
        index, distance = self.nearest_nodes([lat], [lon])
        return int(index[0]), float(distance[0])

    def summary(self) -> dict[str, float | int]:
        """``{"nodes", "edges", "length_km"}`` (street length, each piece counted once)."""
        return {
            "nodes": len(self.nodes),
            "edges": len(self.edges),
            "length_km": round(self.street_length_m / 1000.0, 3),
        }


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """The walking and cycling graphs of one OSM extract.

    Attributes
    ----------
    source : str
        The file as given to `load_osm`.
    bbox : (west, south, east, north), i.e. (min_lon, min_lat, max_lon, max_lat)
        Bounding box of the nodes of both graphs, WGS84 degrees.
    walk, bike : StreetGraph
        Walking graph (every edge in both directions) and cycling graph.
    ways_read : int
        Ways in the file.
    highway_ways_read : int
        Ways tagged ``highway=*``.
    routable_ways : int
        Highway ways usable on foot or by bike.
    osm_nodes_used : int
        Distinct OSM nodes referenced by the routable ways (found in the extract).
    missing_segments : int
        Way segments dropped because a node is missing from the extract.
    """

    source: str
    bbox: tuple[float, float, float, float]
    walk: StreetGraph
    bike: StreetGraph
    ways_read: int = 0
    highway_ways_read: int = 0
    routable_ways: int = 0
    osm_nodes_used: int = 0
    missing_segments: int = 0

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: source, bbox, OSM objects read and per-graph sizes."""
        return {
            "source": self.source,
            "bbox": list(self.bbox),
            "osm": {
                "ways_read": self.ways_read,
                "highway_ways_read": self.highway_ways_read,
                "routable_ways": self.routable_ways,
                "nodes_used": self.osm_nodes_used,
                "missing_segments": self.missing_segments,
            },
            "walk": self.walk.summary(),
            "bike": self.bike.summary(),
        }


def _graph(tables: GraphTables) -> StreetGraph:
    return StreetGraph(tables.nodes, tables.edges, tables.street_length_m, tables.geometry)


def load_osm(path: str | os.PathLike[str]) -> StreetNetwork:
    """Read an OSM extract into walking and cycling street graphs.

    Parameters
    ----------
    path : str or PathLike
        An ``.osm.pbf`` file (``.osm`` and ``.osm.bz2`` XML work too).

    Returns
    -------
    StreetNetwork

    Raises
    ------
    FeedMissingError
        The file does not exist.
    FeedFormatError
        The file is a directory, corrupt, truncated or of an unknown format.
    FeedIntegrityError
        The file has no way usable on foot or by bike.

    Warns
    -----
    FeedWarning
        Some way segments reference nodes missing from the extract; they are dropped.
    """
    name = os.fspath(path)
    file = usable_path(name)  # a NUL or a 300-byte name: FeedMissingError, not OSError
    if not file.exists():
        raise FeedMissingError("OSM file not found", file=name)
    if file.is_dir():
        raise FeedFormatError("is a directory, expected an OSM file (.osm.pbf)", file=name)
    if not file.is_file():
        raise FeedFormatError("not a regular file (a pipe, socket or device)", file=name)
    raw = read_ways(file, name)
    missing = _missing_segments(raw)
    if missing:
        warnings.warn(
            f"{name}: {missing} way segment(s) reference nodes missing from the extract "
            "(clipped extract); those segments were dropped",
            FeedWarning,
            stacklevel=2,
        )
    walk = _graph(build_tables(raw, raw.walk, raw.walk, raw.walk))
    bike_use = raw.bike_forward | raw.bike_backward
    bike = _graph(build_tables(raw, bike_use, raw.bike_forward, raw.bike_backward))
    if len(walk.edges) == 0 and len(bike.edges) == 0:
        raise FeedIntegrityError(
            f"no routable streets: {raw.highway_ways_read} highway way(s) among "
            f"{raw.ways_read} way(s), none usable on foot or by bike",
            file=name,
        )
    lat = np.concatenate([walk.nodes["lat"].to_numpy(), bike.nodes["lat"].to_numpy()])
    lon = np.concatenate([walk.nodes["lon"].to_numpy(), bike.nodes["lon"].to_numpy()])
    bbox = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    located = raw.refs[~np.isnan(raw.lat)]
    return StreetNetwork(
        source=name,
        bbox=bbox,
        walk=walk,
        bike=bike,
        ways_read=raw.ways_read,
        highway_ways_read=raw.highway_ways_read,
        routable_ways=len(raw.way_id),
        osm_nodes_used=len(np.unique(located)),
        missing_segments=missing,
    )
