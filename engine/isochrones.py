"""Isochrones: the area reached from a point within each cutoff, from the streets reached.

`Isochrones(network, origins, departure, window, cutoffs=(15, 30, 45, 60), percentile=50)`
returns a GeoDataFrame, one row per origin and cutoff:

==============  ========  ===========================================================
column          dtype     meaning
==============  ========  ===========================================================
``id``          str       the origin's id
``travel_time`` int       the cutoff, minutes
``geometry``    Polygon   WGS84 (Multi)Polygon of the area reached within the cutoff
==============  ========  ===========================================================

How the area is found:

- With an OSM walking graph, every street node gets its travel time for each departure
  minute of the window: walking from the origin, or the earliest arrival at a stop (the
  range RAPTOR of `engine.matrix`) plus the walk from that stop, one multi-source Dijkstra
  per minute (`engine.streets`). The node's time is the ``percentile`` over the window
  (nearest rank, as in `engine.matrix`). A node reached ``t`` minutes out adds its
  Voronoi cell (the points linked to it) within a radius of ``min((cutoff - t) x walking
  speed, MAX_SNAP_M)``: a point linked to that node is reached exactly when it lies in
  that disk (the matrix links points to their nearest node, up to
  `maasmix.defaults.MAX_SNAP_M`).
- Without streets (crow-fly), the same times are computed at the centres of the H3 cells
  (``resolution``) within reach, and the area is the union of the cells reached.

``to_geojson`` writes the result as an RFC 7946 FeatureCollection.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from maasmix import defaults
from maasmix.engine._raptor_kernel import INF
from maasmix.engine.matrix import (
    DEFAULT_MAX_RIDES,
    MatrixSearch,
    _seconds,
    check_percentiles,
    departure_seconds,
    own_bike,
    percentile_rank,
)
from maasmix.engine.network import Network
from maasmix.errors import QueryError
from maasmix.feeds.points import PointSource, h3_points, read_points
from maasmix.geodesy import LocalProjection

__all__ = ["DEFAULT_CUTOFFS", "Isochrones", "isochrones", "node_times", "to_geojson"]

FloatArray = npt.NDArray[np.float64]

#: r5py's default cutoffs, minutes.
DEFAULT_CUTOFFS = (15, 30, 45, 60)
#: H3 resolution of crow-fly isochrones (about 0.1 km2 cells).
CROW_H3_RESOLUTION = 9


def _check_cutoffs(cutoffs: Sequence[float]) -> list[int]:
    values = [cutoffs] if isinstance(cutoffs, int | float) else list(cutoffs)
    if not values:
        raise QueryError("at least one cutoff is needed", parameter="cutoffs")
    out = []
    for c in values:
        try:
            v = float(c)
        except (TypeError, ValueError):
            raise QueryError(f"not a number: {c!r}", parameter="cutoffs") from None
        if not 0 < v <= 24 * 60 or v != int(v):
            raise QueryError(f"must be whole minutes in 1-1440, got {c!r}", parameter="cutoffs")
        out.append(int(v))
    return sorted(set(out))


def node_times(search: MatrixSearch, lat: float, lon: float, percentile: float) -> FloatArray:
    """Seconds to every node of the walking graph (``inf``: not within ``max_time``), the
    ``percentile`` over the window's departures (see the module docstring)."""
    cn = search.cn
    g = cn.walk
    assert g is not None
    _, extra = search.times(lat, lon, keep_stops=True)
    at_stops, field = extra
    n_dep = len(search.departures)
    horizon = float(search.max_time_s)
    per_dep = np.full((n_dep, g.n_nodes), np.inf)
    direct = np.full(g.n_nodes, np.inf)
    if field is not None and field.search is not None:
        direct = np.where(field.search.dist <= horizon, field.search.dist, np.inf)
    cost = g.edge_cost(search.ws)
    ok_stop = cn.served & (cn.stop_walk_node >= 0)
    for k, tau in enumerate(search.departures.tolist()):
        arr = at_stops[k]
        s = np.flatnonzero(ok_stop & (arr < INF))
        start = (arr[s].astype(np.float64) - tau) + cn.stop_walk_m[s] / search.ws
        keep = start <= horizon
        s, start = s[keep], start[keep]
        best = direct.copy()
        if len(s):
            res = g.search(cn.stop_walk_node[s], start, horizon, cost)
            best = np.minimum(best, res.dist)
        per_dep[k] = best
    ordered = np.sort(per_dep, axis=0)
    return np.asarray(ordered[percentile_rank(n_dep, percentile)])


def _street_polygons(
    search: MatrixSearch, times: FloatArray, cutoffs: Sequence[int]
) -> list[shapely.Geometry]:
    g = search.cn.walk
    assert g is not None
    cells, index = _voronoi(g)
    proj = g.index.projection
    xy = proj.to_xy(g.lat, g.lon)
    out = []
    for c in cutoffs:
        reach = np.flatnonzero(times[index] <= c * 60)
        node = index[reach]
        # a point snaps to its cell's node up to MAX_SNAP_M away, as in the matrix
        radius = np.minimum((c * 60 - times[node]) * search.ws, defaults.MAX_SNAP_M)
        disks = shapely.buffer(shapely.points(xy[node]), radius, quad_segs=8)
        parts = shapely.intersection(disks, cells[reach])
        out.append(_to_wgs84(shapely.union_all(parts), proj))
    return out


def _voronoi(g: Any) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int64]]:
    """Voronoi cells (projected metres) of the graph's snapping nodes at distinct
    locations, and the node of each cell: the points that snap to that node."""
    cached = g.__dict__.get("_voronoi")
    if cached is not None:
        return cached
    snap = g._snappable().astype(np.int64)
    xy = g.index.projection.to_xy(g.lat[snap], g.lon[snap])
    _, first = np.unique(np.round(xy, 3), axis=0, return_index=True)
    first = np.sort(first)
    pts = shapely.multipoints(xy[first])
    lo = xy.min(axis=0) - 10_000.0
    hi = xy.max(axis=0) + 10_000.0
    env = shapely.box(lo[0], lo[1], hi[0], hi[1])
    regions = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=env, ordered=True))
    result = (np.asarray(regions, dtype=object), snap[first])
    object.__setattr__(g, "_voronoi", result)
    return result


def _to_wgs84(geom: shapely.Geometry, proj: LocalProjection) -> shapely.Geometry:
    def back(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lat, lon = proj.to_latlon(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, back)


def _crow_polygons(
    network: Network,
    lat: float,
    lon: float,
    cutoffs: Sequence[int],
    percentile: float,
    resolution: int,
    make: Any,
) -> list[shapely.Geometry]:
    import h3

    reach_m = max(cutoffs) * 60 * 40.0  # 40 m/s: no transit ride is faster on average
    dlat = reach_m / 111_320.0
    dlon = dlat / max(np.cos(np.radians(lat)), 1e-6)
    w, s, e, n = network.compiled.bbox
    bbox = (max(lon - dlon, w), max(lat - dlat, s), min(lon + dlon, e), min(lat + dlat, n))
    cells = h3_points(bbox, resolution)
    search: MatrixSearch = make(cells)
    times, _ = search.times(lat, lon)
    ordered = np.sort(times, axis=1)
    t = ordered[:, percentile_rank(times.shape[1], percentile)].astype(np.float64)
    t[t >= INF] = np.inf
    out = []
    for c in cutoffs:
        ids = cells["id"].to_numpy()[t <= c * 60]
        if not len(ids):
            out.append(shapely.Polygon())
            continue
        shape = h3.cells_to_h3shape(list(ids))
        out.append(shapely.geometry.shape(shape.__geo_interface__))
    return out


def isochrones(
    network: Network,
    origins: PointSource,
    departure: dt.datetime | str = "08:00",
    window: dt.timedelta | float = dt.timedelta(minutes=10),
    cutoffs: Sequence[float] = DEFAULT_CUTOFFS,
    percentile: float = 50,
    *,
    max_rides: int = DEFAULT_MAX_RIDES,
    walk_speed: float | None = None,
    resolution: int = CROW_H3_RESOLUTION,
    access_modes: Sequence[str] = ("WALK",),
) -> Any:
    """Isochrones of each origin as a GeoDataFrame (columns: see the module docstring).

    ``access_modes`` may add shared vehicles to the first mile (`engine.matrix`; not
    ``BICYCLE``, one's own bike: a QueryError); the last mile is walked.
    """
    import geopandas as gpd

    cuts = _check_cutoffs(cutoffs)
    pct = check_percentiles([percentile])[0]
    if own_bike(access_modes):  # the street polygons grow from walking only
        raise QueryError(
            "BICYCLE (one's own bike) is a matrix and accessibility mode, not yet an "
            "isochrone one (WALK and the shared modes are)",
            parameter="access_modes",
        )
    o = read_points(origins, name="origins")
    dep = departure_seconds(network, departure)
    win = _seconds(window, "window")

    def make(dest: pd.DataFrame) -> MatrixSearch:
        return MatrixSearch(
            network,
            dest,
            departure_s=dep,
            window_s=win,
            max_time_s=max(cuts) * 60,
            max_rides=max_rides,
            walk_speed=walk_speed,
            access_modes=access_modes,
        )

    rows: list[dict[str, Any]] = []
    street = network.compiled.walk is not None
    search = make(o.iloc[:1]) if street else None
    for _, p in o.iterrows():
        lat, lon = float(p["lat"]), float(p["lon"])
        if search is not None:
            polys = _street_polygons(search, node_times(search, lat, lon, pct), cuts)
        else:
            polys = _crow_polygons(network, lat, lon, cuts, pct, resolution, make)
        for c, poly in zip(cuts, polys, strict=True):
            rows.append({"id": str(p["id"]), "travel_time": c, "geometry": poly})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def to_geojson(frame: Any) -> str:
    """A GeoDataFrame as an RFC 7946 FeatureCollection (WGS84, no ``crs`` member)."""
    data = json.loads(frame.to_crs("EPSG:4326").to_json(drop_id=True))
    data.pop("crs", None)
    return json.dumps(data, ensure_ascii=False)


class Isochrones:
    """r5py-style access to `isochrones`: ``Isochrones(net, origins, ...).gdf`` is the
    GeoDataFrame, ``.geojson`` the RFC 7946 text."""

    def __init__(self, network: Network, origins: PointSource, **kwargs: Any) -> None:
        self.gdf = isochrones(network, origins, **kwargs)

    @property
    def geojson(self) -> str:
        """The isochrones as an RFC 7946 FeatureCollection."""
        return to_geojson(self.gdf)
