"""GBFS geofencing compiled exactly against the cycling graph's street geometry.

`zone_rules` reads one vehicle type's rules from a snapshot at a moment: the zones that
are active then (GBFS ``start``/``end``), in file order, each with the first of its rules
that names the type (or names no type); the first matching global rule (GBFS 3.0) applies
outside all zones, and a GBFS 2.x file without global rules allows everything there.

Zones may overlap; the first zone in file order wins, so each zone is replaced by its
*effective region*: the zone minus every earlier zone it overlaps (one shapely
difference per zone, once per compile). The effective regions and the outside of all
zones partition the plane, and every street edge is cut by them exactly:

- each edge's full polyline (every OSM node of its way, `EdgeGeometry`) is a
  LineString; `shapely.STRtree.query` finds the regions it intersects and the vectorised
  `shapely.intersection` / `shapely.length` give the share of its length inside each;
- an edge is forbidden when any positive length of it (more than `MIN_INSIDE_M`) lies
  in a region where ``ride_through_allowed`` is false (or outside all zones under a
  global rule forbidding it);
- its ride time is ``sum(share_r * length / speed_r)`` over the regions and the
  outside, ``speed_r`` the type's speed capped by ``maximum_speed_kph`` of the region
  (the global rule's outside).

Lengths are measured in a local equirectangular projection (metres east and north of the
zones' centre) and scaled to the edge's own ``length_m``; over a city the projection's
error on a share is far below a millimetre per edge.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix.geodesy import M_PER_DEG_LAT

if TYPE_CHECKING:
    from maasmix.engine.streets import StreetCSR
    from maasmix.feeds.gbfs import GbfsSnapshot

__all__ = ["MIN_INSIDE_M", "ZoneRules", "edge_lines", "edge_rules", "zone_rules"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MIN_INSIDE_M = 0.01
"""An edge rides through a region when more than this many metres of it lie inside."""


def _flag(value: object, default: bool) -> bool:
    return default if value is None or pd.isna(value) else bool(value)


@dataclass(frozen=True, eq=False)
class ZoneRules:
    """One vehicle type's active zones (file order) and the rule outside them.

    Per zone: ``start``, ``end`` (ride start/end allowed), ``through``,
    ``station`` (``station_parking``) and ``speed_kph`` (NaN: no limit); ``g_*`` the
    same outside all zones. ``key`` identifies the active set (for caching).
    """

    geoms: npt.NDArray[np.object_]
    start: BoolArray
    end: BoolArray
    through: BoolArray
    station: BoolArray
    speed_kph: FloatArray
    g_start: bool
    g_end: bool
    g_through: bool
    g_station: bool
    g_speed_kph: float
    key: bytes

    @property
    def n_zones(self) -> int:
        """Number of active zones."""
        return len(self.geoms)

    @property
    def trivial(self) -> bool:
        """No zone and a global rule (if any) allowing everything without a speed cap."""
        return (
            self.n_zones == 0
            and self.g_start
            and self.g_end
            and self.g_through
            and not self.g_station
            and not (np.isfinite(self.g_speed_kph) and self.g_speed_kph > 0)
        )

    def zone_of(self, lat: FloatArray, lon: FloatArray) -> IntArray:
        """Index of the first zone (file order) containing each point (``n_zones``: none)."""
        import shapely

        lat = np.atleast_1d(np.asarray(lat, np.float64))
        lon = np.atleast_1d(np.asarray(lon, np.float64))
        zone = np.full(len(lat), self.n_zones, np.int64)
        if self.n_zones == 0 or len(lat) == 0:
            return zone
        tree = _tree(self)
        hit = tree.query(shapely.points(lon, lat), predicate="intersects")
        if hit.shape[1]:
            order = np.lexsort((hit[1], hit[0]))
            p, z = hit[0][order], hit[1][order]
            first = np.ones(len(p), bool)
            first[1:] = p[1:] != p[:-1]
            zone[p[first]] = z[first]
        return zone

    def point_rules(
        self, lat: FloatArray, lon: FloatArray
    ) -> tuple[BoolArray, BoolArray, BoolArray, FloatArray, BoolArray]:
        """(start, end, through, speed limit km/h, station parking) at each point; ``end``
        is false where only station parking is allowed."""
        zone = self.zone_of(lat, lon)
        inside = zone < self.n_zones
        zi = np.where(inside, zone, 0)

        def pick(per_zone: npt.NDArray[Any], outside: Any) -> npt.NDArray[Any]:
            if self.n_zones == 0:
                return np.full(len(zone), outside)
            return np.where(inside, per_zone[zi], outside)

        station = pick(self.station, self.g_station).astype(bool)
        end = pick(self.end, self.g_end).astype(bool) & ~station
        return (
            pick(self.start, self.g_start).astype(bool),
            end,
            pick(self.through, self.g_through).astype(bool),
            pick(self.speed_kph, self.g_speed_kph).astype(np.float64),
            station & pick(self.end, self.g_end).astype(bool),
        )


def _tree(rules: ZoneRules) -> Any:
    import shapely

    cached = rules.__dict__.get("_tree")
    if cached is None:
        cached = shapely.STRtree(rules.geoms)
        object.__setattr__(rules, "_tree", cached)
    return cached


def zone_rules(snapshot: GbfsSnapshot, type_id: str, at: dt.datetime | None) -> ZoneRules:
    """The rules of ``type_id`` at ``at`` (None: the snapshot's ``last_updated``)."""
    import shapely

    zones = snapshot.geofencing_zones
    glob = snapshot.geofencing_global_rules
    moment = pd.Timestamp(at if at is not None else snapshot.system.last_updated)
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    if len(zones):
        starts, ends = zones["start"], zones["end"]
        active = (starts.isna() | (starts <= moment)) & (ends.isna() | (ends > moment))
        matches = (
            zones["vehicle_type_ids"].map(lambda ids: not ids or type_id in ids)
            | zones["rule_index"].isna()
        )
        chosen = zones.loc[active & matches].drop_duplicates("zone_id", keep="first")
        chosen = chosen.reset_index(drop=True)
        key = np.flatnonzero((active & matches).to_numpy()).astype(np.int64).tobytes()
    else:
        chosen = zones
        key = b""
    g = None
    if len(glob):
        gm = glob["vehicle_type_ids"].map(lambda ids: not ids or type_id in ids)
        if gm.any():
            g = glob.loc[gm].iloc[0]
    g_start = _flag(None if g is None else g["ride_start_allowed"], True)
    g_end = _flag(None if g is None else g["ride_end_allowed"], True)
    g_through = _flag(None if g is None else g["ride_through_allowed"], True)
    g_station = _flag(None if g is None else g["station_parking"], False)
    g_kph = None if g is None else g["maximum_speed_kph"]
    g_speed = np.nan if g_kph is None or pd.isna(g_kph) else float(g_kph)
    geoms = np.array(chosen["geometry"].tolist() if len(chosen) else [], dtype=object)
    if len(geoms):
        bad = ~shapely.is_valid(geoms)
        if bad.any():
            geoms[bad] = shapely.make_valid(geoms[bad])
        shapely.prepare(geoms)

    def flags(column: str, default: bool) -> BoolArray:
        if not len(chosen):
            return np.empty(0, bool)
        return np.array([_flag(v, default) for v in chosen[column]], bool)

    speed = (
        pd.to_numeric(chosen["maximum_speed_kph"], errors="coerce").to_numpy(np.float64)
        if len(chosen)
        else np.empty(0)
    )
    return ZoneRules(
        geoms=geoms,
        start=flags("ride_start_allowed", g_start),
        end=flags("ride_end_allowed", g_end),
        through=flags("ride_through_allowed", g_through),
        station=flags("station_parking", g_station),
        speed_kph=speed,
        g_start=g_start,
        g_end=g_end,
        g_through=g_through,
        g_station=g_station,
        g_speed_kph=g_speed,
        key=key,
    )


def _projector(lat0: float) -> tuple[float, float]:
    """Metres per degree of longitude and latitude around ``lat0``."""
    return M_PER_DEG_LAT * math.cos(math.radians(lat0)), M_PER_DEG_LAT


def edge_lines(graph: StreetCSR, kx: float, ky: float) -> npt.NDArray[np.object_]:
    """Every forward edge's polyline as a projected LineString (metres; vectorised)."""
    import shapely

    n = graph.n_edges
    if graph.geom_start is None or graph.geom_stop is None or graph.geom_lat is None:
        x = np.column_stack([graph.lon[graph.src], graph.lon[graph.to]]).ravel() * kx
        y = np.column_stack([graph.lat[graph.src], graph.lat[graph.to]]).ravel() * ky
        return shapely.linestrings(x, y, indices=np.repeat(np.arange(n), 2))
    assert graph.geom_lon is not None
    a = graph.geom_start.astype(np.int64)
    b = graph.geom_stop.astype(np.int64)
    step = np.where(b >= a, 1, -1)
    count = np.abs(b - a) + 1
    owner = np.repeat(np.arange(n), count)
    first = np.zeros(n, np.int64)
    np.cumsum(count[:-1], out=first[1:])
    within = np.arange(int(count.sum())) - np.repeat(first, count)
    points = a[owner] + step[owner] * within
    x = graph.geom_lon[points] * kx
    y = graph.geom_lat[points] * ky
    return shapely.linestrings(x, y, indices=owner)


def _effective(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Each zone minus the earlier zones it overlaps (first zone in file order wins)."""
    import shapely

    out = geoms.copy()
    if len(geoms) < 2:
        return out
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    earlier = right < left
    left, right = left[earlier], right[earlier]
    for i in np.unique(left).tolist():
        before = geoms[right[left == i]]
        out[i] = shapely.difference(geoms[i], shapely.union_all(before))
    return out


def edge_rules(
    graph: StreetCSR, rules: ZoneRules, speed_mps: float
) -> tuple[FloatArray, BoolArray]:
    """(seconds per forward edge at ``speed_mps`` under the zones' speed limits,
    forbidden per edge); see the module docstring."""

    length = graph.length_m
    n = graph.n_edges
    outside_speed = _capped(speed_mps, rules.g_speed_kph)
    if rules.n_zones == 0 or n == 0:
        cost = length / outside_speed
        forbidden = np.full(n, not rules.g_through) & (length > MIN_INSIDE_M)
        return cost, forbidden
    lat0 = float(np.mean(graph.lat)) if graph.n_nodes else 0.0
    kx, ky = _projector(lat0)
    e, z, metres_in, out_share = _cut(edge_lines(graph, kx, ky), length, rules, kx, ky)
    zone_speed = np.array([_capped(speed_mps, k) for k in rules.speed_kph.tolist()])
    cost = out_share * length / outside_speed
    cost += np.bincount(e, weights=metres_in / zone_speed[z], minlength=n)
    return cost, _forbidden(e, z, metres_in, out_share, length, rules)


def _cut(
    lines: npt.NDArray[np.object_],
    length_m: FloatArray,
    rules: ZoneRules,
    kx: float,
    ky: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """(line, region) pairs that intersect, the metres of each pair's line inside the
    region, and per line the share of its length outside all zones."""
    import shapely

    regions, tree = _projected(rules, kx, ky)
    e, z = tree.query(lines, predicate="intersects")
    planar = shapely.length(lines)
    inside = shapely.length(shapely.intersection(lines[e], regions[z]))
    share = np.where(planar[e] > 0, inside / np.where(planar[e] > 0, planar[e], 1.0), 0.0)
    share = np.clip(share, 0.0, 1.0)
    in_total = np.bincount(e, weights=share, minlength=len(lines))
    return e, z, share * length_m[e], np.clip(1.0 - in_total, 0.0, 1.0)


def _projected(rules: ZoneRules, kx: float, ky: float) -> tuple[npt.NDArray[np.object_], Any]:
    """The zones' effective regions projected by (kx, ky) and their STRtree (cached)."""
    import shapely

    cache: dict[tuple[float, float], tuple[npt.NDArray[np.object_], Any]]
    cache = rules.__dict__.setdefault("_projected", {})
    if (kx, ky) not in cache:
        regions = shapely.transform(_effective(rules.geoms), lambda c: c * np.array([kx, ky]))
        cache[(kx, ky)] = (regions, shapely.STRtree(regions))
    return cache[(kx, ky)]


def _forbidden(
    e: IntArray,
    z: IntArray,
    metres_in: FloatArray,
    out_share: FloatArray,
    length_m: FloatArray,
    rules: ZoneRules,
) -> BoolArray:
    blocked = (~rules.through[z]) & (metres_in > MIN_INSIDE_M)
    forbidden = np.bincount(e, weights=blocked.astype(np.float64), minlength=len(length_m)) > 0
    if not rules.g_through:
        forbidden |= out_share * length_m > MIN_INSIDE_M
    return forbidden


def segments_forbidden(
    rules: ZoneRules,
    lat0: FloatArray,
    lon0: FloatArray,
    lat1: FloatArray,
    lon1: FloatArray,
) -> BoolArray:
    """Whether each straight ride (crow-fly streets) from (lat0, lon0) to (lat1, lon1)
    passes through a place where riding through is forbidden (the same cut as edges)."""
    import shapely

    n = len(lat0)
    if n == 0 or rules.n_zones == 0:
        return np.full(n, not rules.g_through)
    center = rules.__dict__.get("_center")
    if center is None:
        center = float(np.mean(shapely.get_coordinates(rules.geoms)[:, 1]))
        rules.__dict__["_center"] = center
    kx, ky = _projector(center)
    x = np.column_stack([lon0, lon1]).ravel() * kx
    y = np.column_stack([lat0, lat1]).ravel() * ky
    lines = shapely.linestrings(x, y, indices=np.repeat(np.arange(n), 2))
    length = shapely.length(lines)
    e, z, metres_in, out_share = _cut(lines, length, rules, kx, ky)
    return _forbidden(e, z, metres_in, out_share, length, rules)


def _capped(speed_mps: float, limit_kph: float) -> float:
    if np.isfinite(limit_kph) and limit_kph > 0:
        return float(min(speed_mps, limit_kph / 3.6))
    return float(speed_mps)
