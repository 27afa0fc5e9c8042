"""Street graphs compiled to CSR arrays, and time-bounded Dijkstra searches on them.

`compile_streets` turns one `maasmix.feeds.osm.StreetGraph` (walk or bike) into a
`StreetCSR`: node coordinates, the outgoing edges of node ``u`` at
``to[ptr[u]:ptr[u+1]]`` with their lengths, and the same graph reversed (incoming edges)
for searches *towards* a point (egress). Snapping a coordinate to the graph asks a
`maasmix.geodesy.PointIndex` for the nearest node.

`StreetCSR.search` runs the numba kernel of `engine._dijkstra_kernel`: from one or many
sources, each with a starting cost, over per-edge costs (seconds by default:
``length / speed``; a caller may pass its own, e.g. with speed limits, ``inf`` for a
forbidden edge), settling only the nodes within ``limit``. The answer holds, per node, the
least cost, the metres of that path, the last edge and the source it came from, so paths
are rebuilt without a second search (`StreetSearch.path`).

When no OSM extract is given, streets are modelled crow-fly: distance times a detour
factor (`CrowFly`); the plan says so in its notices.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from maasmix.engine import _dijkstra_kernel
from maasmix.feeds.osm import StreetGraph
from maasmix.geodesy import PointIndex, haversine_m

__all__ = ["CrowFly", "StreetCSR", "StreetSearch", "compile_streets"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]

#: The numba kernel, seen by the type checker as a plain callable.
DIJKSTRA: Callable[..., tuple[Any, ...]] = cast(
    Callable[..., tuple[Any, ...]], _dijkstra_kernel.dijkstra
)
#: The walk back along a search's predecessor edges, and the way points of a path (numba).
PRED_EDGES: Callable[..., Any] = cast(Callable[..., Any], _dijkstra_kernel.pred_edges)
PATH_POINTS: Callable[..., Any] = cast(Callable[..., Any], _dijkstra_kernel.path_points)

#: Per graph, arrays its searches need again and again: the edge costs at a speed
#: (``("speed", v)``), the reversed edge lengths (``"rlength"``) and the reversed copy of
#: a cost array (``("rcost", id)``, with the array itself, so the id stays its own).
_ARRAYS: weakref.WeakKeyDictionary[StreetCSR, dict[object, Any]] = weakref.WeakKeyDictionary()

#: Cost arrays kept per graph and kind (speeds; reversed copies): the defaults and a few
#: geofencing or per-query speeds; the oldest goes first.
ARRAYS_KEPT = 6


def _keep(kept: dict[object, Any], key: tuple[str, object], value: Any) -> Any:
    """``kept[key] = value``, dropping the oldest entry of the same kind beyond
    `ARRAYS_KEPT`."""
    same = [k for k in kept if isinstance(k, tuple) and k[0] == key[0]]
    for old in same[: max(len(same) - ARRAYS_KEPT + 1, 0)]:
        del kept[old]
    kept[key] = value
    return value


@dataclass(frozen=True, eq=False)
class StreetSearch:
    """The answer of one `StreetCSR.search`.

    Attributes
    ----------
    dist : float64 (N,)
        Least cost from the nearest source (``inf``: beyond the limit).
    metres : float64 (N,)
        Length of that least-cost path.
    pred : int64 (N,)
        CSR position of the path's last edge (-1 at a source or unreached); positions
        index the forward arrays, or the reversed ones for a reverse search.
    origin : int32 (N,)
        Index into the search's ``sources`` of the source the path starts at.
    reverse : bool
        Whether the search ran on the reversed graph (costs *to* the sources).
    """

    graph: StreetCSR
    dist: FloatArray
    metres: FloatArray
    pred: Int64Array
    origin: IntArray
    reverse: bool

    def _pred_edges(self, node: int) -> Int64Array:
        """CSR positions (of the searched graph) of the path's edges, from ``node`` back."""
        g = self.graph
        src = g.rsrc if self.reverse else g.src
        return np.asarray(PRED_EDGES(self.pred, src, int(node), g.n_nodes + 1), np.int64)

    def path(self, node: int) -> IntArray:
        """Nodes of the least-cost path, in travel order.

        Forward search: from the source to ``node``; reverse search: from ``node`` to the
        source (the point the search ran towards).
        """
        g = self.graph
        back = self._pred_edges(node)
        src = g.rsrc if self.reverse else g.src
        nodes = np.concatenate([[int(node)], src[back]]).astype(np.int32)
        return nodes if self.reverse else nodes[::-1].copy()

    def edge_path(self, node: int) -> Int64Array:
        """Forward CSR positions of the path's edges, in travel order (see `path`)."""
        back = self._pred_edges(node)
        if self.reverse:
            return np.asarray(self.graph.redge[back], dtype=np.int64)
        return back[::-1].copy()

    def coordinates(self, node: int) -> list[tuple[float, float]]:
        """(lon, lat) of the path, through every OSM node of its ways when known: each
        edge's polyline (`StreetCSR.edge_coordinates`), after the first without its first
        point (`engine._dijkstra_kernel.path_points`)."""
        g = self.graph
        if g.geom_start is None or g.geom_stop is None:
            return g.coordinates(self.path(node))
        assert g.geom_lat is not None and g.geom_lon is not None
        idx = PATH_POINTS(
            self.pred,
            g.rsrc if self.reverse else g.src,
            g.redge,
            g.geom_start,
            g.geom_stop,
            int(node),
            self.reverse,
            g.n_nodes + 1,
        )
        if not len(idx):
            return g.coordinates([int(node)])
        return list(zip(g.geom_lon[idx].tolist(), g.geom_lat[idx].tolist(), strict=True))


@dataclass(frozen=True, eq=False)
class StreetCSR:
    """One mode's directed street graph in CSR layout.

    Attributes
    ----------
    mode : str
        ``"walk"`` or ``"bike"``.
    lat, lon : float64 (N,)
        Node coordinates (WGS84).
    osm_id : int64 (N,)
        OSM node id of each node.
    ptr : int64 (N+1,)
        Outgoing edges of ``u``: positions ``ptr[u]:ptr[u+1]``.
    to, src : int32 (E,)
        Head and tail node of each edge (CSR order).
    length_m : float64 (E,)
        Edge length, metres.
    highway : object (E,)
        The OSM ``highway`` value of each edge.
    rptr, rto, rsrc, redge : reversed graph
        Incoming edges of ``v`` at ``rptr[v]:rptr[v+1]``; ``rto`` the tail of the forward
        edge, ``rsrc`` its head (``v``), ``redge`` its forward CSR position.
    """

    mode: str
    lat: FloatArray
    lon: FloatArray
    osm_id: Int64Array
    ptr: Int64Array
    to: IntArray
    src: IntArray
    length_m: FloatArray
    highway: npt.NDArray[np.object_]
    rptr: Int64Array
    rto: IntArray
    rsrc: IntArray
    redge: Int64Array
    snap_nodes: IntArray | None = None
    geom_lat: FloatArray | None = None
    geom_lon: FloatArray | None = None
    geom_start: Int64Array | None = None
    geom_stop: Int64Array | None = None
    _index: PointIndex | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.lat)

    @property
    def n_edges(self) -> int:
        """Number of directed edges."""
        return len(self.to)

    @property
    def nbytes(self) -> int:
        """Bytes of the numeric arrays."""
        arrays = (self.lat, self.lon, self.osm_id, self.ptr, self.to, self.src, self.length_m)
        rev = (self.rptr, self.rto, self.rsrc, self.redge)
        geo = [
            a
            for a in (self.geom_lat, self.geom_lon, self.geom_start, self.geom_stop)
            if a is not None
        ]
        return sum(a.nbytes for a in (*arrays, *rev, *geo))

    @property
    def index(self) -> PointIndex:
        """Nearest-node lookups over the snapping nodes (built on first use)."""
        if self._index is None:
            keep = self._snappable()
            object.__setattr__(self, "_index", PointIndex(self.lat[keep], self.lon[keep]))
        assert self._index is not None
        return self._index

    def _snappable(self) -> IntArray:
        if self.snap_nodes is None or len(self.snap_nodes) == 0:
            return np.arange(self.n_nodes, dtype=np.int32)
        return self.snap_nodes

    def nearest(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
        """Nearest snapping node of each point and its great-circle distance in metres.

        Snapping nodes are those of the connected components (edges taken both ways)
        holding at least `MIN_COMPONENT_SHARE` of the nodes or `MIN_COMPONENT_NODES`
        nodes: a point next to an islet of a clipped extract snaps to the real network.
        """
        idx, dist = self.index.nearest(lats, lons)
        return self._snappable()[idx].astype(np.int32), dist

    def edge_cost(self, speed_mps: float) -> FloatArray:
        """Seconds to traverse each edge at ``speed_mps`` (made once per speed and shared:
        callers must not write to it)."""
        kept = _ARRAYS.setdefault(self, {})
        key = ("speed", float(speed_mps))
        cost: FloatArray | None = kept.get(key)
        if cost is None:
            cost = _keep(kept, key, self.length_m / float(speed_mps))
        return cost

    def _reversed(self, cost: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``cost`` and the edge lengths in the reversed graph's order (kept per graph)."""
        kept = _ARRAYS.setdefault(self, {})
        length: FloatArray | None = kept.get("rlength")
        if length is None:
            length = kept["rlength"] = np.ascontiguousarray(self.length_m[self.redge])
        key = ("rcost", id(cost))
        found = kept.get(key)
        if found is None or found[0] is not cost:
            found = _keep(kept, key, (cost, np.ascontiguousarray(cost[self.redge])))
        return found[1], length

    def reverse_cost(self, cost: FloatArray) -> FloatArray:
        """A forward per-edge array in the reversed graph's order."""
        return cost[self.redge]

    def search(
        self,
        sources: npt.ArrayLike,
        source_cost: npt.ArrayLike,
        limit: float,
        cost: FloatArray,
        *,
        reverse: bool = False,
    ) -> StreetSearch:
        """Multi-source Dijkstra bounded by ``limit`` (same unit as ``cost``).

        ``cost`` is per forward edge (CSR order) whichever the direction; ``reverse``
        searches the reversed graph: the answer is the cost from each node *to* the
        nearest source.
        """
        s = np.ascontiguousarray(np.atleast_1d(np.asarray(sources, dtype=np.int64)))
        c = np.ascontiguousarray(np.atleast_1d(np.asarray(source_cost, dtype=np.float64)))
        if len(s) != len(c):
            raise ValueError("one starting cost per source")
        if reverse:
            rcost, rlength = self._reversed(cost)
            dist, metres, pred, origin = DIJKSTRA(
                self.rptr, self.rto, rcost, rlength, s, c, float(limit)
            )
        else:
            dist, metres, pred, origin = DIJKSTRA(
                self.ptr, self.to, cost, self.length_m, s, c, float(limit)
            )
        return StreetSearch(self, dist, metres, pred, origin, reverse)

    def edge_coordinates(self, edge: int) -> list[tuple[float, float]]:
        """(lon, lat) of one edge's polyline from tail to head (its two nodes when the
        graph carries no way geometry)."""
        if self.geom_start is None or self.geom_stop is None:
            return self.coordinates([int(self.src[edge]), int(self.to[edge])])
        assert self.geom_lat is not None and self.geom_lon is not None
        a, b = int(self.geom_start[edge]), int(self.geom_stop[edge])
        sl = slice(a, b + 1) if a <= b else slice(a, (b - 1) if b > 0 else None, -1)
        return list(zip(self.geom_lon[sl].tolist(), self.geom_lat[sl].tolist(), strict=True))

    def coordinates(self, nodes: npt.ArrayLike) -> list[tuple[float, float]]:
        """``[(lon, lat), ...]`` of ``nodes`` (GeoJSON order)."""
        idx = np.asarray(nodes, dtype=np.int64)
        return [(float(x), float(y)) for x, y in zip(self.lon[idx], self.lat[idx], strict=True)]

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_index"] = None
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)


#: A component with at least this share of a graph's nodes is snapped to.
MIN_COMPONENT_SHARE = 0.05
#: ... or with at least this many nodes.
MIN_COMPONENT_NODES = 500


def _snap_nodes(n: int, u: Int64Array, v: Int64Array) -> IntArray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if n == 0:
        return np.empty(0, np.int32)
    matrix = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, label = connected_components(matrix, directed=True, connection="weak")
    size = np.bincount(label)
    big = (size >= MIN_COMPONENT_SHARE * n) | (size >= MIN_COMPONENT_NODES)
    if not big.any():
        big = size == size.max()
    return np.flatnonzero(big[label]).astype(np.int32)


def compile_streets(graph: StreetGraph, mode: str) -> StreetCSR:
    """A `StreetCSR` of one `StreetGraph` (edges are already sorted by ``u``)."""
    nodes = graph.nodes
    edges = graph.edges
    n = len(nodes)
    u = edges["u"].to_numpy(dtype=np.int64)
    v = edges["v"].to_numpy(dtype=np.int64)
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    length = edges["length_m"].to_numpy(dtype=np.float64)[order]
    highway = edges["highway"].to_numpy(dtype=object)[order]
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=ptr[1:])
    rorder = np.lexsort((u, v)).astype(np.int64)
    rptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(v, minlength=n), out=rptr[1:])
    geo = graph.geometry if len(edges) else None
    return StreetCSR(
        mode=mode,
        lat=nodes["lat"].to_numpy(dtype=np.float64).copy(),
        lon=nodes["lon"].to_numpy(dtype=np.float64).copy(),
        osm_id=nodes["osm_id"].to_numpy(dtype=np.int64).copy(),
        ptr=ptr,
        to=v.astype(np.int32),
        src=u.astype(np.int32),
        length_m=np.ascontiguousarray(length),
        highway=highway,
        rptr=rptr,
        rto=u[rorder].astype(np.int32),
        rsrc=v[rorder].astype(np.int32),
        redge=rorder,
        snap_nodes=_snap_nodes(n, u, v),
        geom_lat=geo.lat if geo is not None else None,
        geom_lon=geo.lon if geo is not None else None,
        geom_start=geo.start[order] if geo is not None else None,
        geom_stop=geo.stop[order] if geo is not None else None,
    )


@dataclass(frozen=True)
class CrowFly:
    """Streets modelled as straight lines: ``haversine x detour_factor``."""

    detour_factor: float

    def metres(
        self, lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
    ) -> FloatArray:
        """Street metres between points (elementwise, broadcasting)."""
        return haversine_m(lat1, lon1, lat2, lon2) * self.detour_factor
