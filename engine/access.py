"""Street reach from a point or a set of points: the access/egress searches of a plan.

A `Field` is the answer of one street search, over the walking or the cycling graph, from
one or many sources each with a starting cost (forward: costs *from* the sources; reverse:
costs *to* them). `Field.at` reads the cost, metres and source of any points (stops,
stations, vehicles, the destination) linked to the graph by their nearest node; the link
is walked (or ridden) crow-fly at the field's speed. Metres include both links: the
target's (``link_m`` of `Field.at`) and the source's (``source_m`` of `graph_field`), so a
leg's distance is the length of its geometry (point -> node -> path -> node -> point).

Without an OSM extract the same questions are answered crow-fly: cost = starting cost +
haversine x detour factor / speed, minimised over the sources (vectorised, no graph).
Either way nothing loops over nodes in Python: searches are the numba Dijkstra of
`engine.streets`, bounded by time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from maasmix.engine.streets import StreetCSR, StreetSearch
from maasmix.geodesy import haversine_m

__all__ = ["Field", "crow_field", "graph_field"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class Field:
    """Costs (seconds) from (or to) a set of sources; see the module docstring.

    ``speed`` is the speed of the links between points and the graph (and of crow-fly
    travel); ``limit`` the bound beyond which costs are ``inf``; ``source_m`` the metres of
    each graph source's own link (added to the metres of every path from it).
    """

    speed: float
    limit: float
    reverse: bool
    search: StreetSearch | None = None
    src_lat: FloatArray | None = None
    src_lon: FloatArray | None = None
    src_cost: FloatArray | None = None
    src_index: IntArray | None = None
    detour: float = 1.0
    source_m: FloatArray | None = None

    @property
    def graph(self) -> StreetCSR | None:
        """The graph searched (None: crow-fly)."""
        return self.search.graph if self.search is not None else None

    def at(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        node: npt.ArrayLike | None = None,
        link_m: npt.ArrayLike | None = None,
    ) -> tuple[FloatArray, FloatArray, IntArray]:
        """(seconds, metres, source index) of each point (``inf`` / -1: out of reach).

        With a graph, ``node`` and ``link_m`` are the points' nearest nodes and the
        metres to them.
        """
        lat = np.atleast_1d(np.asarray(lat, np.float64))
        lon = np.atleast_1d(np.asarray(lon, np.float64))
        if self.search is not None:
            assert node is not None and link_m is not None
            nodes = np.atleast_1d(np.asarray(node, np.int64))
            links = np.atleast_1d(np.asarray(link_m, np.float64))
            ok = nodes >= 0
            safe = np.where(ok, nodes, 0)
            secs = np.where(ok, self.search.dist[safe] + links / self.speed, np.inf)
            metres = np.where(ok, self.node_metres(safe) + links, np.inf)
            origin = np.where(ok, self.search.origin[safe], -1).astype(np.int32)
        else:
            assert self.src_lat is not None and self.src_lon is not None
            assert self.src_cost is not None
            if len(self.src_lat) == 0 or len(lat) == 0:
                return (
                    np.full(len(lat), np.inf),
                    np.full(len(lat), np.inf),
                    np.full(len(lat), -1, np.int32),
                )
            d = haversine_m(
                self.src_lat[:, None], self.src_lon[:, None], lat[None, :], lon[None, :]
            )
            d = d * self.detour
            total = self.src_cost[:, None] + d / self.speed
            best = np.argmin(total, axis=0)
            cols = np.arange(len(lat))
            secs = total[best, cols]
            metres = d[best, cols]
            origin = (best if self.src_index is None else self.src_index[best]).astype(np.int32)
        out = ~(secs <= self.limit)
        secs = np.where(out, np.inf, secs)
        metres = np.where(out, np.inf, metres)
        origin = np.where(out, -1, origin).astype(np.int32)
        return secs, metres, origin

    def node_metres(self, nodes: npt.ArrayLike) -> FloatArray:
        """Metres of the paths to (from) graph ``nodes``, the source's link included."""
        assert self.search is not None
        nodes = np.asarray(nodes, np.int64)
        metres = self.search.metres[nodes]
        if self.source_m is None:
            return metres
        origin = self.search.origin[nodes]
        extra = np.where(origin >= 0, self.source_m[np.maximum(origin, 0)], 0.0)
        return np.asarray(metres + extra, np.float64)

    def path(self, node: int) -> list[tuple[float, float]]:
        """(lon, lat) of the graph path to (forward) or from (reverse) ``node``."""
        if self.search is None or node < 0:
            return []
        return self.search.coordinates(int(node))


def graph_field(
    graph: StreetCSR,
    sources: npt.ArrayLike,
    source_cost: npt.ArrayLike,
    limit: float,
    speed: float,
    *,
    cost: FloatArray | None = None,
    reverse: bool = False,
    source_m: npt.ArrayLike | None = None,
) -> Field:
    """A `Field` from a bounded Dijkstra on ``graph`` (edge costs ``length / speed`` unless
    ``cost`` is given); ``source_m``: metres of each source's link to its node (its cost is
    in ``source_cost``), counted in the metres of every path."""
    edge_cost = graph.edge_cost(speed) if cost is None else cost
    search = graph.search(sources, source_cost, limit, edge_cost, reverse=reverse)
    links = None
    if source_m is not None:
        links = np.atleast_1d(np.asarray(source_m, np.float64))
        links = np.where(np.isfinite(links), links, 0.0)
    return Field(speed=speed, limit=limit, reverse=reverse, search=search, source_m=links)


def crow_field(
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    source_cost: npt.ArrayLike,
    limit: float,
    speed: float,
    detour: float,
    *,
    reverse: bool = False,
) -> Field:
    """A crow-fly `Field` from points with starting costs."""
    cost = np.atleast_1d(np.asarray(source_cost, np.float64))
    keep = cost <= limit
    return Field(
        speed=speed,
        limit=limit,
        reverse=reverse,
        src_lat=np.atleast_1d(np.asarray(lat, np.float64))[keep],
        src_lon=np.atleast_1d(np.asarray(lon, np.float64))[keep],
        src_cost=cost[keep],
        src_index=np.flatnonzero(keep).astype(np.int32),
        detour=detour,
    )
