"""Rental chains: walk -> ride a shared vehicle -> walk, through one group of vehicles
(one system, one vehicle type, docked or free-floating), forward from the origin (first
mile, whole trip) or reverse to the destination (last mile).

`rental_groups` lists the groups a query may use (stations renting the type, usable
free vehicles split by range, `engine.vehicle_range`); `chain_of` builds a group's
`RentalChain` once per query and direction: the walk to the vehicle, the ride (bounded
Dijkstra on the cycling graph with the geofencing of the planned time, or crow-fly), the
end points (return stations with a free dock, or parking nodes the zones allow) and the
walk on. `rental_direct` reads a whole-trip ride from it, `rental_access` a timed
access/egress set of stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from maasmix import defaults
from maasmix.engine.access import Field, crow_field, graph_field
from maasmix.engine.geofencing import segments_forbidden
from maasmix.engine.itinerary import Rental
from maasmix.engine.plan_query import (
    RENTAL_MODE,
    AccessSet,
    FloatArray,
    IntArray,
    Piece,
    Place,
    Query,
    Unusable,
)
from maasmix.engine.rentals import RentalSystem, VehicleType
from maasmix.engine.vehicle_range import ride_in_range, split_by_range

__all__ = [
    "DIRECT",
    "RentalChain",
    "RentalGroup",
    "at_points",
    "chain_of",
    "rental_access",
    "rental_direct",
    "rental_groups",
]

#: `RentalChain.cost_at`: the point is reached by riding to it and parking there.
DIRECT = -2


# ---------------------------------------------------------------------- rentals


@dataclass
class RentalGroup:
    """One kind of rentable vehicle of one system: docked or free-floating, one type."""

    system: RentalSystem
    vtype: VehicleType
    docked: bool
    index: IntArray  # stations or free vehicles usable as the start
    lat: FloatArray
    lon: FloatArray
    walk_node: IntArray
    walk_m: FloatArray
    bike_node: IntArray
    bike_m: FloatArray
    forward_only: bool = False  # first mile or whole trip only (`engine.vehicle_range`)
    reverse_only: bool = False  # last mile only

    @property
    def mode(self) -> str:
        return self.vtype.mode

    def place(self, i: int) -> Place:
        r = self.system
        j = int(self.index[i])
        if self.docked:
            return Place(
                str(r.station_names[j]),
                float(r.station_lat[j]),
                float(r.station_lon[j]),
                "BIKESHARE",
                str(r.station_ids[j]),
            )
        return Place(
            f"{self.vtype.name or self.vtype.form_factor} {r.vehicle_ids[j]}",
            float(r.vehicle_lat[j]),
            float(r.vehicle_lon[j]),
            "VEHICLERENTAL",
            str(r.vehicle_ids[j]),
        )

    def rental(self, i: int, end_station: int | None) -> Rental:
        r = self.system
        j = int(self.index[i])
        return Rental(
            system_id=r.system_id,
            system_name=r.name,
            vehicle_type_id=None
            if self.vtype.vehicle_type_id.startswith("__")
            else self.vtype.vehicle_type_id,
            form_factor=self.vtype.form_factor,
            propulsion_type=self.vtype.propulsion_type,
            pricing_plan_id=r.plan_id(self.vtype.vehicle_type_id, None if self.docked else j),
            vehicle_id=None if self.docked else str(r.vehicle_ids[j]),
            from_station_id=str(r.station_ids[j]) if self.docked else None,
            to_station_id=str(r.station_ids[end_station]) if end_station is not None else None,
        )


def rental_groups(q: Query, modes: Sequence[str]) -> list[RentalGroup]:
    out: list[RentalGroup] = []
    for r in q.rentals:
        for type_id, vt in r.types.items():
            if not vt.plannable or RENTAL_MODE.get(vt.mode) not in modes:
                continue
            if q.opt.assume_available and not r.has_status:
                starts = r.station_renting | True
            else:
                starts = r.rentable_at_station(type_id)
            idx = np.flatnonzero(starts).astype(np.int32)
            if len(idx):
                out.append(
                    RentalGroup(
                        r,
                        vt,
                        True,
                        idx,
                        r.station_lat[idx],
                        r.station_lon[idx],
                        r.station_walk_node[idx],
                        r.station_walk_m[idx],
                        r.station_bike_node[idx],
                        r.station_bike_m[idx],
                    )
                )
            usable = r.vehicle_usable & (r.vehicle_type == type_id)
            rng = r.vehicle_range_m
            usable &= ~(rng < 100.0)  # NaN (unpublished) passes
            every = np.flatnonzero(usable).astype(np.int32)
            main, singles = split_by_range(
                every,
                rng,
                r.vehicle_lat,
                r.vehicle_lon,
                (q.o.lat, q.o.lon),
                q.opt.max_ride_s * vt.speed_mps,
                q.opt.max_walk_to_vehicle_m,
            )
            # with short-range vehicles: forward chains from the long-range ones plus each
            # short one alone; the last mile (reverse chain, one ride per vehicle, masked
            # by its range) from all of them
            split = len(main) < len(every)
            ways = [(main, "forward" if split else "both")] + [(s, "forward") for s in singles]
            if split:
                ways.append((every, "reverse"))
            for vidx, way in ways:
                if len(vidx):
                    out.append(
                        RentalGroup(
                            r,
                            vt,
                            False,
                            vidx,
                            r.vehicle_lat[vidx],
                            r.vehicle_lon[vidx],
                            r.vehicle_walk_node[vidx],
                            r.vehicle_walk_m[vidx],
                            r.vehicle_bike_node[vidx],
                            r.vehicle_bike_m[vidx],
                            forward_only=way == "forward",
                            reverse_only=way == "reverse",
                        )
                    )
    return out


def at_points(
    q: Query, f: Field, lat: FloatArray, lon: FloatArray, node: IntArray, link: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    if f.graph is None:
        return f.at(lat, lon)
    return f.at(lat, lon, node, link)


class RentalChain:
    """Walk -> ride -> walk through one rental group, forward (from the origin) or
    reverse (to the destination); see `_rental_chain`."""

    def __init__(self, q: Query, g: RentalGroup, reverse: bool) -> None:
        self.q, self.g, self.reverse = q, g, reverse
        self.ok = False
        opt = q.opt
        speed = g.vtype.speed_mps
        geo = g.system.geo(g.vtype.vehicle_type_id, q.moment)
        self.geo = geo
        walk = q.walk_field(reverse)
        self.walk = walk
        ws = q.ws
        r = g.system
        # stage 1: the walk between the outer point and the vehicle/station
        if not reverse:
            a_secs, a_m, _ = at_points(q, walk, g.lat, g.lon, g.walk_node, g.walk_m)
            a_ok = (a_secs <= opt.max_walk_to_vehicle_s) & (a_m <= opt.max_walk_to_vehicle_m)
            # every piece lasts whole seconds (the walk, the ride with pick-up and drop-off,
            # the walk): a chain's total is the sum of its legs as the itinerary shows them
            self.a_secs, self.a_m = np.where(a_ok, np.ceil(a_secs), np.inf), a_m
            init = self.a_secs + opt.pickup_s
            if not np.isfinite(init).any():
                return
            self.init = init
            limit = float(_top(init) + opt.max_ride_s)
            self.ride = self._ride_field(
                g.bike_node, g.bike_m, g.lat, g.lon, init, limit, speed, geo, False
            )
            # stage 2 end: return stations (docked) or parking nodes (free-floating)
            if g.docked:
                ret = np.flatnonzero(
                    r.returnable() | (opt.assume_available and not r.has_status)
                ).astype(np.int32)
                e_secs, e_m, e_org = at_points(
                    q,
                    self.ride,
                    r.station_lat[ret],
                    r.station_lon[ret],
                    r.station_bike_node[ret],
                    r.station_bike_m[ret],
                )
                self.end_index = ret
                # never back to the station the vehicle was taken from
                same = (e_org >= 0) & (g.index[np.maximum(e_org, 0)] == ret)
                if q.crow:  # a straight ride from its station: not through a no-ride zone
                    o = g.index[np.maximum(e_org, 0)]
                    same |= _crow_blocked(
                        geo,
                        r.station_lat[o],
                        r.station_lon[o],
                        r.station_lat[ret],
                        r.station_lon[ret],
                    )
                e_secs = np.where(same | ~self._ride_ok(e_secs, e_org), np.inf, e_secs)
                self.end_secs = np.ceil(e_secs + opt.dropoff_s)
                self.end_m, self.end_org = e_m, e_org
                lat, lon = r.station_lat[ret], r.station_lon[ret]
                wnode, wm = r.station_walk_node[ret], r.station_walk_m[ret]
            elif self.ride.graph is not None:
                dist = self.ride.search.dist  # type: ignore[union-attr]
                ok = np.isfinite(dist) & (geo.end_ok if geo.end_ok is not None else True)
                nodes = np.flatnonzero(ok).astype(np.int32)
                self.end_index = nodes
                self.end_secs = np.ceil(dist[nodes] + opt.dropoff_s)
                self.end_m = self.ride.node_metres(nodes)
                self.end_org = self.ride.search.origin[nodes]  # type: ignore[union-attr]
                reach = ride_in_range(
                    r.vehicle_range_m[g.index[np.maximum(self.end_org, 0)]], self.end_m
                )
                reach &= self._ride_ok(dist[nodes], self.end_org)
                self.end_secs = np.where(reach, self.end_secs, np.inf)
                bike = q.cn.bike
                assert bike is not None
                lat, lon = bike.lat[nodes], bike.lon[nodes]
                wnode, wm = q.cn.bike_to_walk[nodes], q.cn.bike_to_walk_m[nodes]
            else:
                self.end_index = np.empty(0, np.int32)
                self.ok = True
                self.after = None
                return
            src_cost = self.end_secs + wm / ws
            if not np.isfinite(src_cost).any():
                return
            limit = float(_top(src_cost) + opt.max_access_walk_s)
            self.end_lat, self.end_lon = lat, lon
            self.after = self._walk_from(wnode, wm, src_cost, lat, lon, limit, False)
            self.ok = True
            return
        # reverse: outer walk is from the end point to the destination
        if g.docked:
            ret = np.flatnonzero(
                r.returnable() | (opt.assume_available and not r.has_status)
            ).astype(np.int32)
            lat, lon = r.station_lat[ret], r.station_lon[ret]
            e_secs, e_m, _ = at_points(
                q, walk, lat, lon, r.station_walk_node[ret], r.station_walk_m[ret]
            )
            e_ok = e_secs <= opt.max_access_walk_s
            self.end_index = ret
            self.end_walk = np.where(e_ok, np.ceil(e_secs), np.inf)
            self.end_walk_m = e_m
            init = self.end_walk + opt.dropoff_s
            bnode, bm = r.station_bike_node[ret], r.station_bike_m[ret]
        elif q.crow:
            # park at the destination itself, where the rules allow it
            _, end_ok, _, _ = geo.point_rules(np.array([q.d.lat]), np.array([q.d.lon]))
            if not bool(end_ok[0]):
                return
            self.end_index = np.array([-1], np.int32)
            self.end_walk = np.zeros(1)
            self.end_walk_m = np.zeros(1)
            lat, lon = np.array([q.d.lat]), np.array([q.d.lon])
            init = self.end_walk + opt.dropoff_s
            bnode, bm = np.array([-1], np.int32), np.zeros(1)
        else:
            bike = q.cn.bike
            assert bike is not None and walk.search is not None
            wdist = walk.search.dist[q.cn.bike_to_walk] + q.cn.bike_to_walk_m / ws
            ok = (wdist <= opt.max_access_walk_s) & (geo.end_ok if geo.end_ok is not None else True)
            nodes = np.flatnonzero(ok).astype(np.int32)
            self.end_index = nodes
            self.end_walk = np.ceil(wdist[nodes])
            self.end_walk_m = (
                walk.node_metres(q.cn.bike_to_walk[nodes]) + q.cn.bike_to_walk_m[nodes]
            )
            lat, lon = bike.lat[nodes], bike.lon[nodes]
            init = self.end_walk + opt.dropoff_s
            bnode, bm = nodes, np.zeros(len(nodes))
        if not np.isfinite(init).any():
            return
        self.init = init
        self.end_lat, self.end_lon = lat, lon
        limit = float(_top(init) + opt.max_ride_s)
        self.ride = self._ride_field(bnode, bm, lat, lon, init, limit, speed, geo, True)
        v_secs, v_m, v_org = at_points(q, self.ride, g.lat, g.lon, g.bike_node, g.bike_m)
        self.v_secs = np.where(self._ride_ok(v_secs, v_org), np.ceil(v_secs + opt.pickup_s), np.inf)
        if q.crow:  # a straight ride to where it ends: not through a no-ride zone
            end = np.maximum(v_org, 0)
            blocked = _crow_blocked(geo, g.lat, g.lon, lat[end], lon[end])
            self.v_secs = np.where(blocked, np.inf, self.v_secs)
        if not g.docked:
            reach = ride_in_range(r.vehicle_range_m[g.index], v_m)
            self.v_secs = np.where(reach, self.v_secs, np.inf)
        self.v_m, self.v_org = v_m, v_org
        src_cost = self.v_secs + g.walk_m / ws
        if not np.isfinite(src_cost).any():
            return
        limit = float(_top(src_cost) + opt.max_walk_to_vehicle_s)
        self.after = self._walk_from(g.walk_node, g.walk_m, src_cost, g.lat, g.lon, limit, True)
        self.ok = True

    def _ride_ok(self, secs: FloatArray, org: IntArray) -> npt.NDArray[np.bool_]:
        """Whether the rides that reach points at ``secs`` (pick-up or drop-off not
        included) from their sources ``org`` last at most ``max_ride_s`` each (the
        search's bound holds only for the source that starts latest)."""
        start = self.init[np.maximum(org, 0)]
        with np.errstate(invalid="ignore"):  # inf - inf: out of reach, compares False
            ride = secs - start
        return (org >= 0) & (ride <= self.q.opt.max_ride_s + 1e-6)

    def _ride_field(
        self,
        node: IntArray,
        link_m: FloatArray,
        lat: FloatArray,
        lon: FloatArray,
        init: FloatArray,
        limit: float,
        speed: float,
        geo: Any,
        reverse: bool,
    ) -> Field:
        q = self.q
        if q.crow or q.cn.bike is None:
            return crow_field(lat, lon, init, limit, speed, q.cn.detour_factor, reverse=reverse)
        cost = geo.edge_cost if geo.edge_cost is not None else q.cn.bike.edge_cost(speed)
        ok = node >= 0
        start = np.where(ok, init + link_m / speed, np.inf)
        return graph_field(
            q.cn.bike,
            np.where(ok, node, 0),
            start,
            limit,
            speed,
            cost=cost,
            reverse=reverse,
            source_m=np.where(ok, link_m, 0.0),
        )

    def _walk_from(
        self,
        node: IntArray,
        link_m: FloatArray,
        cost: FloatArray,
        lat: FloatArray,
        lon: FloatArray,
        limit: float,
        reverse: bool,
    ) -> Field:
        q = self.q
        if q.crow:
            return crow_field(lat, lon, cost, limit, q.ws, q.cn.detour_factor, reverse=reverse)
        assert q.cn.walk is not None
        ok = node >= 0
        return graph_field(
            q.cn.walk,
            np.where(ok, node, 0),
            np.where(ok, cost, np.inf),
            limit,
            q.ws,
            reverse=reverse,
            source_m=np.where(ok, link_m, 0.0),
        )

    @property
    def after_field(self) -> Field:
        """The last walk's field (set whenever the chain is usable)."""
        assert self.after is not None
        return self.after

    # -------------------------------------------------------------- reading the chain

    def cost_at(
        self,
        lat: FloatArray,
        lon: FloatArray,
        wnode: IntArray,
        wm: FloatArray,
        bnode: IntArray,
        bm: FloatArray,
    ) -> tuple[FloatArray, npt.NDArray[np.int64]]:
        """Total seconds at target points and, per point, how to rebuild the chain: the
        source index of the last walk (>= 0), `DIRECT` (ridden to the point itself) or
        -1 (out of reach)."""
        q, g, opt = self.q, self.g, self.q.opt
        n = len(lat)
        if not self.ok:
            return np.full(n, np.inf), np.full(n, -1, np.int64)
        if not self.reverse:
            best = np.full(n, np.inf)
            how = np.full(n, -1, np.int64)
            if self.after is not None:
                secs, _, org = at_points(q, self.after_field, lat, lon, wnode, wm)
                walk_part = secs - np.where(
                    org >= 0, self.end_secs[np.maximum(org, 0)] if len(self.end_secs) else 0, 0
                )
                secs = np.where(walk_part <= opt.max_access_walk_s, secs, np.inf)
                best = secs
                how = np.where(np.isfinite(secs), org, -1).astype(np.int64)
            if q.crow and not g.docked:
                # ride to the target itself and park there, where allowed
                secs, ride_m, org = at_points(q, self.ride, lat, lon, bnode, bm)
                v = g.index[np.maximum(org, 0)]
                ok = ride_in_range(g.system.vehicle_range_m[v], ride_m) & self._ride_ok(secs, org)
                ok &= ~_crow_blocked(
                    self.geo, g.system.vehicle_lat[v], g.system.vehicle_lon[v], lat, lon
                )
                secs = np.where(ok, secs, np.inf)
                _, end_ok, _, _ = self.geo.point_rules(lat, lon)
                secs = np.where(end_ok, secs + opt.dropoff_s, np.inf)
                better = secs < best
                best = np.where(better, secs, best)
                how[better] = DIRECT
            return best, how
        secs, _, org = at_points(q, self.after_field, lat, lon, wnode, wm)
        walk_part = secs - np.where(org >= 0, self.v_secs[np.maximum(org, 0)], 0)
        secs = np.where(walk_part <= opt.max_walk_to_vehicle_s, secs, np.inf)
        return secs, np.where(np.isfinite(secs), org, -1).astype(np.int64)

    def pieces(
        self,
        how: int,
        target: Place,
        t_lat: float,
        t_lon: float,
        t_wnode: int,
        t_wm: float,
        t_bnode: int,
        t_bm: float,
    ) -> list[Piece] | None:
        """Walk, ride (pick-up and drop-off included), walk, for one target point."""
        q, g, opt = self.q, self.g, self.q.opt
        kind, k = ("direct", -1) if how == DIRECT else ("after", int(how))
        r = g.system
        end_station: int | None
        speed_geo = self.ride
        if not self.reverse:
            if kind == "direct":
                secs, metres, vi = at_points(
                    q,
                    self.ride,
                    np.array([t_lat]),
                    np.array([t_lon]),
                    np.array([t_bnode]),
                    np.array([t_bm]),
                )
                v = int(vi[0])
                end_place, end_time, end_station, ride_m = (
                    target,
                    float(secs[0]) + opt.dropoff_s,
                    None,
                    float(metres[0]),
                )
                ride_node = t_bnode
                tail = None
            else:
                v = int(self.end_org[k])
                ride_m = float(self.end_m[k])
                end_time = float(self.end_secs[k])
                if g.docked:
                    j = int(self.end_index[k])
                    end_station = j
                    end_place = Place(
                        str(r.station_names[j]),
                        float(r.station_lat[j]),
                        float(r.station_lon[j]),
                        "BIKESHARE",
                        str(r.station_ids[j]),
                    )
                    ride_node = int(r.station_bike_node[j])
                else:
                    ride_node = int(self.end_index[k])
                    end_place, end_station = _parking(
                        self.geo, r, ride_node, float(self.end_lat[k]), float(self.end_lon[k])
                    )
                tail = (k, end_place)
            if v < 0:
                return None
            if not g.docked and not _range_ok(r, int(g.index[v]), ride_m):
                return None
            vplace = g.place(v)
            walk_to = float(self.a_secs[v])
            out = [
                Piece(
                    "WALK",
                    q.o,
                    vplace,
                    int(np.ceil(walk_to)),
                    round(float(self.a_m[v]), 1),
                    q.geometry(self.walk, int(g.walk_node[v]), q.o, vplace),
                ),
                Piece(
                    g.mode,
                    vplace,
                    end_place,
                    int(np.ceil(end_time - walk_to)),
                    round(ride_m, 1),
                    q.geometry(speed_geo, ride_node, vplace, end_place),
                    g.rental(v, end_station),
                ),
            ]
            if tail is not None:
                secs, metres, _ = at_points(
                    q,
                    self.after_field,
                    np.array([t_lat]),
                    np.array([t_lon]),
                    np.array([t_wnode]),
                    np.array([t_wm]),
                )
                node = t_wnode
                out.append(
                    Piece(
                        "WALK",
                        end_place,
                        target,
                        int(np.ceil(float(secs[0]) - end_time)),
                        round(float(metres[0]), 1),
                        q.geometry(self.after_field, node, end_place, target),
                    )
                )
            return out
        # reverse: target (a stop) -> walk -> vehicle -> ride -> end -> walk -> destination
        v = k
        vplace = g.place(v)
        secs, metres, _ = at_points(
            q,
            self.after_field,
            np.array([t_lat]),
            np.array([t_lon]),
            np.array([t_wnode]),
            np.array([t_wm]),
        )
        total = float(secs[0])
        m = int(self.v_org[v])
        if m < 0:
            return None
        ride_m = float(self.v_m[v])
        if not g.docked and not _range_ok(r, int(g.index[v]), ride_m):
            return None
        end_walk = float(self.end_walk[m])
        j = int(self.end_index[m])
        if g.docked:
            end_place = Place(
                str(r.station_names[j]),
                float(r.station_lat[j]),
                float(r.station_lon[j]),
                "BIKESHARE",
                str(r.station_ids[j]),
            )
            end_station = j
            wnode = int(r.station_walk_node[j])
        elif j < 0:
            end_place, end_station, wnode = q.d, None, -1
        else:
            end_place, end_station = _parking(
                self.geo, r, j, float(self.end_lat[m]), float(self.end_lon[m])
            )
            wnode = int(q.cn.bike_to_walk[j])
        ride_s = float(self.v_secs[v]) - end_walk
        out = [
            Piece(
                "WALK",
                target,
                vplace,
                int(np.ceil(total - float(self.v_secs[v]))),
                round(float(metres[0]), 1),
                q.geometry(self.after_field, t_wnode, target, vplace),
            ),
            Piece(
                g.mode,
                vplace,
                end_place,
                int(np.ceil(ride_s)),
                round(ride_m, 1),
                q.geometry(self.ride, int(g.bike_node[v]), vplace, end_place),
                g.rental(v, end_station),
            ),
        ]
        if end_place is not q.d:
            out.append(
                Piece(
                    "WALK",
                    end_place,
                    q.d,
                    int(np.ceil(end_walk)),
                    round(float(self.end_walk_m[m]), 1),
                    q.geometry(self.walk, wnode, end_place, q.d),
                )
            )
        return out


def _top(values: FloatArray) -> float:
    """The largest finite value (the bound of a search seeded with these costs)."""
    finite = values[np.isfinite(values)]
    return float(finite.max()) if len(finite) else 0.0


def _crow_blocked(
    geo: Any, lat0: FloatArray, lon0: FloatArray, lat1: Any, lon1: Any
) -> npt.NDArray[np.bool_]:
    """Crow-fly rides from (lat0, lon0) to (lat1, lon1) that would cross a place where
    riding through is forbidden (`engine.geofencing.segments_forbidden`)."""
    n = len(lat0)
    rules = getattr(geo, "rules", None)
    if rules is None or rules.trivial or n == 0:
        return np.zeros(n, bool)
    return segments_forbidden(
        rules, lat0, lon0, np.broadcast_to(lat1, (n,)), np.broadcast_to(lon1, (n,))
    )


def _parking(
    geo: Any, r: RentalSystem, node: int, lat: float, lon: float
) -> tuple[Place, int | None]:
    """Where a free-floating ride ending at cycling node ``node`` is parked: the station
    of a station-parking zone at that node (with its index), else the node itself."""
    stations = getattr(geo, "end_station", None)
    j = int(stations[node]) if stations is not None and node >= 0 else -1
    if j < 0:
        return Place("Parking", lat, lon), None
    place = Place(
        str(r.station_names[j]),
        float(r.station_lat[j]),
        float(r.station_lon[j]),
        "BIKESHARE",
        str(r.station_ids[j]),
    )
    return place, j


def _range_ok(r: RentalSystem, vehicle: int, metres: float) -> bool:
    rng = float(r.vehicle_range_m[vehicle])
    return not np.isfinite(rng) or rng >= metres * defaults.RANGE_RESERVE


def rental_direct(q: Query, g: RentalGroup) -> list[Piece] | None:
    if g.reverse_only:
        return None
    chain = chain_of(q, g, False)
    if not chain.ok:
        return None
    d = q.d
    secs, how = chain.cost_at(
        np.array([d.lat]),
        np.array([d.lon]),
        np.array([q.d_walk[0]]),
        np.array([q.d_walk[1]]),
        np.array([q.d_bike[0]]),
        np.array([q.d_bike[1]]),
    )
    if not np.isfinite(secs[0]) or how[0] == -1:
        return None
    return chain.pieces(how[0], d, d.lat, d.lon, q.d_walk[0], q.d_walk[1], q.d_bike[0], q.d_bike[1])


def rental_access(q: Query, g: RentalGroup, reverse: bool) -> AccessSet | None:
    if (reverse and g.forward_only) or (not reverse and g.reverse_only):
        return None
    chain = chain_of(q, g, reverse)
    if not chain.ok:
        return None
    tt, cn = q.tt, q.cn
    secs, how = chain.cost_at(
        tt.stop_lat,
        tt.stop_lon,
        cn.stop_walk_node,
        cn.stop_walk_m,
        cn.stop_bike_node,
        cn.stop_bike_m,
    )
    secs = np.where(cn.served, secs, np.inf)
    if not np.isfinite(secs).any():
        return None

    def build(s: int) -> list[Piece]:
        got = chain.pieces(
            int(how[s]),
            q.stop_place(s),
            float(tt.stop_lat[s]),
            float(tt.stop_lon[s]),
            int(cn.stop_walk_node[s]),
            float(cn.stop_walk_m[s]),
            int(cn.stop_bike_node[s]),
            float(cn.stop_bike_m[s]),
        )
        if got is None:
            raise Unusable
        return got

    label = RENTAL_MODE[g.mode]
    return AccessSet(label, secs, build)


def chain_of(q: Query, g: RentalGroup, reverse: bool) -> RentalChain:
    """The rental chain of ``g`` (built once per query and direction)."""
    key = (id(g), reverse)
    chain: RentalChain | None = q.chains.get(key)
    if chain is None:
        chain = q.chains[key] = RentalChain(q, g, reverse)
    return chain
