"""Vectorised street-graph construction from flattened OSM ways (pure numpy, no I/O).

`build_tables` turns the ways one mode may use into a compact directed graph: graph nodes
are way ends, junctions and the ends of runs cut by missing nodes; the interior nodes of a
way between two graph nodes collapse into one edge whose length is the haversine length of
the polyline between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.feeds.osm._read import RawWays
from maasmix.geodesy import haversine_m

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GraphTables:
    """The tables of one mode's graph (columns as in `feeds.osm.StreetGraph`).

    ``street_length_m`` counts every collapsed street piece once, whatever its directions.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    street_length_m: float
    geometry: EdgeGeometry | None = None


@dataclass(frozen=True, eq=False)
class EdgeGeometry:
    """The polylines of a graph's edges: every OSM node of the way between the two ends.

    Edge ``i`` (row ``i`` of ``edges``) runs through points ``start[i] .. stop[i]``
    (inclusive) of ``lat``/``lon``, read backwards when ``stop[i] < start[i]``.
    """

    lat: FloatArray
    lon: FloatArray
    start: npt.NDArray[np.int64]
    stop: npt.NDArray[np.int64]

    def coordinates(self, edge: int) -> list[tuple[float, float]]:
        """(lon, lat) of edge ``edge``'s polyline, from its tail to its head."""
        a, b = int(self.start[edge]), int(self.stop[edge])
        sl = slice(a, b + 1) if a <= b else slice(a, (b - 1) if b > 0 else None, -1)
        return list(zip(self.lon[sl].tolist(), self.lat[sl].tolist(), strict=True))


def empty_tables() -> GraphTables:
    """A graph without nodes or edges, with the documented columns and dtypes."""
    nodes = pd.DataFrame(
        {
            "osm_id": np.empty(0, dtype=np.int64),
            "lat": np.empty(0, dtype=np.float64),
            "lon": np.empty(0, dtype=np.float64),
        },
        index=pd.RangeIndex(0, name="node"),
    )
    edges = pd.DataFrame(
        {
            "u": np.empty(0, dtype=np.int32),
            "v": np.empty(0, dtype=np.int32),
            "length_m": np.empty(0, dtype=np.float64),
            "osm_way_id": np.empty(0, dtype=np.int64),
            "highway": np.empty(0, dtype=object),
        }
    )
    return GraphTables(nodes, edges, 0.0)


def _flat_positions(
    offsets: npt.NDArray[np.int64], ways: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Flat positions of the selected ways, in order, and each one's index into ``ways``."""
    starts = offsets[ways]
    sizes = offsets[ways + 1] - starts
    local = np.repeat(np.arange(len(ways), dtype=np.int64), sizes)
    begin = np.cumsum(sizes) - sizes
    positions = np.arange(int(sizes.sum()), dtype=np.int64) + np.repeat(starts - begin, sizes)
    return positions, local


def missing_segments(raw: RawWays) -> int:
    """Number of way segments with an end node missing from the extract (all routable ways)."""
    valid = ~np.isnan(raw.lat)
    way_of = raw.way_of_position
    same_way = way_of[:-1] == way_of[1:]
    return int(np.count_nonzero(same_way & ~(valid[:-1] & valid[1:])))


def build_tables(
    raw: RawWays,
    use: npt.NDArray[np.bool_],
    forward: npt.NDArray[np.bool_],
    backward: npt.NDArray[np.bool_],
) -> GraphTables:
    """The simplified directed graph over the ways where ``use`` is True.

    Parameters
    ----------
    raw : RawWays
        All routable ways of the file.
    use, forward, backward : bool (k,)
        Per way of ``raw``: part of this graph; edges in node order; edges against it.

    Returns
    -------
    GraphTables
        ``nodes`` indexed 0..n-1 (``node``) sorted by ``osm_id``; ``edges`` sorted by
        ``u``, ``v``, ``osm_way_id``. Pieces that start and end at the same graph node
        (a closed way touching the rest of the graph once) are dropped.
    """
    ways = np.flatnonzero(use).astype(np.int64)
    if len(ways) == 0:
        return empty_tables()
    positions, local = _flat_positions(raw.offsets, ways)
    refs = raw.refs[positions]
    lat = raw.lat[positions]
    lon = raw.lon[positions]
    located = ~np.isnan(lat)

    # Segment k joins positions k and k + 1 of the same way, both with a location.
    seg_ok = (local[:-1] == local[1:]) & located[:-1] & located[1:]
    seg = np.flatnonzero(seg_ok)
    if len(seg) == 0:
        return empty_tables()
    ok_next = np.append(seg_ok, False)
    ok_prev = np.insert(seg_ok, 0, False)
    in_graph = np.flatnonzero(ok_next | ok_prev)
    uniq, first_at, inverse, counts = np.unique(
        refs[in_graph], return_index=True, return_inverse=True, return_counts=True
    )
    shared = np.zeros(len(refs), dtype=bool)
    shared[in_graph] = counts[inverse] >= 2
    is_break = shared | ~ok_next | ~ok_prev

    seg_len = haversine_m(lat[seg], lon[seg], lat[seg + 1], lon[seg + 1])
    new_edge = is_break[seg]
    edge_of_seg = np.cumsum(new_edge) - 1
    starts = np.flatnonzero(new_edge)
    first_seg = seg[starts]
    last_seg = seg[np.append(starts[1:] - 1, len(seg) - 1)]
    u_ref = refs[first_seg]
    v_ref = refs[last_seg + 1]
    length = np.bincount(edge_of_seg, weights=seg_len)
    way_idx = ways[local[first_seg]]

    keep = u_ref != v_ref
    u_ref, v_ref, length, way_idx = u_ref[keep], v_ref[keep], length[keep], way_idx[keep]
    g_first, g_last = first_seg[keep], last_seg[keep] + 1
    if len(u_ref) == 0:
        return empty_tables()

    node_ids = np.unique(np.concatenate([u_ref, v_ref]))
    at = in_graph[first_at[np.searchsorted(uniq, node_ids)]]
    nodes = pd.DataFrame(
        {"osm_id": node_ids, "lat": lat[at], "lon": lon[at]},
        index=pd.RangeIndex(len(node_ids), name="node"),
    )

    u = np.searchsorted(node_ids, u_ref).astype(np.int32)
    v = np.searchsorted(node_ids, v_ref).astype(np.int32)
    fwd = forward[way_idx]
    bwd = backward[way_idx]
    eu = np.concatenate([u[fwd], v[bwd]])
    ev = np.concatenate([v[fwd], u[bwd]])
    e_way = np.concatenate([way_idx[fwd], way_idx[bwd]])
    e_len = np.concatenate([length[fwd], length[bwd]])
    e_start = np.concatenate([g_first[fwd], g_last[bwd]]).astype(np.int64)
    e_stop = np.concatenate([g_last[fwd], g_first[bwd]]).astype(np.int64)
    way_id = raw.way_id[e_way]
    order = np.lexsort((way_id, ev, eu))
    edges = pd.DataFrame(
        {
            "u": eu[order],
            "v": ev[order],
            "length_m": e_len[order],
            "osm_way_id": way_id[order],
            "highway": raw.highway[e_way[order]],
        }
    )
    street_length = float(length[fwd | bwd].sum())
    geometry = EdgeGeometry(
        np.ascontiguousarray(lat), np.ascontiguousarray(lon), e_start[order], e_stop[order]
    )
    return GraphTables(nodes, edges, street_length, geometry)
