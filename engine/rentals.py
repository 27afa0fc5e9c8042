"""Shared vehicles of one GBFS system, linked to a `CompiledNetwork`'s streets.

`RentalSystem` holds what planning asks of a GBFS snapshot, as arrays:

- **stations**: coordinates, nearest walk and bike nodes; live: renting (installed and
  ``is_renting``), returning (installed and ``is_returning``), docks free, vehicles
  available by vehicle type (``vehicle_types_available``; without that breakdown every
  available vehicle is of the system's station type: the first bicycle type, else the
  first type, else a human-powered bicycle as GBFS says). A folder with
  station_information only (no status) gives stations without live status: flagged
  ``has_status = False``, usable for analysis (``assume_available=True`` in a plan).
- **free-floating vehicles** (``station_id`` empty): usable when neither reserved nor
  disabled, of a plannable form factor (`maasmix.defaults.RENTABLE_FORM_FACTORS`),
  allowed to start where they stand; ``current_range_m`` is checked against each ride.
  Stations and vehicles farther than `maasmix.defaults.MAX_SNAP_M` from the walking graph
  (outside the OSM extract) are not used. On crow-fly streets (no OSM) every station and
  vehicle is linked with node -1 and 0 m: walking and riding are measured from its own
  coordinates (straight line x the network's detour factor), under the same rules for
  docks, vehicles, range and zones.
- **geofencing**, compiled per vehicle type and planned time (`GeoRules`, built by
  `maasmix.engine.geofencing`): the zones active at the planned time (``start``/``end``),
  the first zone (file order) with a rule for that type deciding each place; outside all
  zones, the first matching global rule (GBFS 3.0; 2.x: everything allowed). Exact on the
  streets' real geometry: a cycling-graph edge is forbidden when any part of its polyline
  lies where ``ride_through_allowed`` is false, and its ride time sums each part's length
  at that part's ``maximum_speed_kph``; a ride may end at a node only where
  ``ride_end_allowed`` is true, and in a ``station_parking`` zone only at a returning
  station of the system. The per-edge work is cached with the system (kept across status
  refreshes while the zones are unchanged).
- **speeds**: per (form factor, propulsion) from `maasmix.defaults.RIDE_SPEED_MPS`,
  capped by the type's ``max_permitted_speed``.

The live part is replaced by `RentalSystem.refresh` (re-reading through the loader the
network was given); the street links of stations and vehicles are recomputed (a KD-tree
lookup), nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from maasmix import defaults

if TYPE_CHECKING:
    from maasmix.engine.geofencing import ZoneRules
    from maasmix.engine.network import CompiledNetwork
    from maasmix.feeds.gbfs import GbfsSnapshot

__all__ = ["GeoRules", "RentalSystem", "VehicleType", "leg_mode"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_TYPE_ID = "__default__"
"""Type id given to vehicles of a system without vehicle_types.json."""


def leg_mode(form_factor: str) -> str:
    """The OTP leg mode of a GBFS form factor: BICYCLE, SCOOTER or MOPED (CAR for cars)."""
    if form_factor in ("bicycle", "cargo_bicycle"):
        return "BICYCLE"
    if form_factor.startswith("scooter"):
        return "SCOOTER"
    if form_factor == "moped":
        return "MOPED"
    return "CAR" if form_factor == "car" else "BICYCLE"


@dataclass(frozen=True)
class VehicleType:
    """A plannable vehicle type: its id, form factor, propulsion, speed and plan."""

    vehicle_type_id: str
    form_factor: str
    propulsion_type: str
    speed_mps: float
    default_pricing_plan_id: str | None
    name: str | None = None

    @property
    def plannable(self) -> bool:
        """Whether its form factor is planned (bikes, scooters, mopeds)."""
        return self.form_factor in defaults.RENTABLE_FORM_FACTORS

    @property
    def mode(self) -> str:
        """Leg mode (BICYCLE, SCOOTER, MOPED)."""
        return leg_mode(self.form_factor)


@dataclass(frozen=True, eq=False)
class GeoRules:
    """Geofencing of one vehicle type compiled on the cycling graph (or None: crow-fly).

    ``edge_cost``: seconds per forward bike edge at the type's speed, each part of the
    edge at its zone's limit, ``inf`` where any part of it rides through a forbidding
    zone (`engine.geofencing`); ``end_ok`` / ``start_ok`` per bike node (``end_ok`` also
    at the node of a station a free-floating vehicle may be parked at, ``end_station``
    per node: that station's index, -1 none). ``point_rules(lat, lon)`` answers (start,
    end, through, speed limit km/h) for arbitrary points; ``rules`` the zones compiled.
    """

    edge_cost: FloatArray | None
    end_ok: BoolArray | None
    start_ok: BoolArray | None
    has_zones: bool
    point_rules: Callable[
        [FloatArray, FloatArray], tuple[BoolArray, BoolArray, BoolArray, FloatArray]
    ]
    rules: ZoneRules | None = None
    end_station: IntArray | None = None


def _speed(form_factor: str, propulsion: str, max_kph: float) -> float:
    speed = defaults.RIDE_SPEED_MPS.get((form_factor, propulsion), defaults.RIDE_SPEED_FALLBACK_MPS)
    if np.isfinite(max_kph) and max_kph > 0:
        speed = min(speed, max_kph / 3.6)
    return float(speed)


def _types(snapshot: GbfsSnapshot) -> dict[str, VehicleType]:
    table = snapshot.vehicle_types
    out: dict[str, VehicleType] = {}
    for row in table.itertuples(index=False):
        form = str(row.form_factor or "other")
        prop = str(row.propulsion_type or "human")
        kph = (
            float(row.max_permitted_speed_kph) if pd.notna(row.max_permitted_speed_kph) else np.nan
        )
        out[str(row.vehicle_type_id)] = VehicleType(
            str(row.vehicle_type_id),
            form,
            prop,
            _speed(form, prop, kph),
            None if row.default_pricing_plan_id is None else str(row.default_pricing_plan_id),
            None if row.name is None else str(row.name),
        )
    if not out:
        out[DEFAULT_TYPE_ID] = VehicleType(
            DEFAULT_TYPE_ID, "bicycle", "human", _speed("bicycle", "human", np.nan), None
        )
    return out


def _station_type(types: dict[str, VehicleType]) -> str:
    for t in types.values():
        if t.form_factor == "bicycle":
            return t.vehicle_type_id
    return next(iter(types))


@dataclass(eq=False)
class RentalSystem:
    """One GBFS system linked to a network (see the module docstring)."""

    system_id: str
    name: str
    compiled: CompiledNetwork
    snapshot: GbfsSnapshot
    loader: Callable[[], GbfsSnapshot] | None
    types: dict[str, VehicleType]
    station_type_id: str
    has_status: bool
    station_ids: npt.NDArray[np.object_]
    station_names: npt.NDArray[np.object_]
    station_lat: FloatArray
    station_lon: FloatArray
    station_walk_node: IntArray
    station_walk_m: FloatArray
    station_bike_node: IntArray
    station_bike_m: FloatArray
    station_renting: BoolArray
    station_returning: BoolArray
    station_docks: npt.NDArray[np.int64]
    station_counts: dict[str, npt.NDArray[np.int64]]
    vehicle_ids: npt.NDArray[np.object_]
    vehicle_lat: FloatArray
    vehicle_lon: FloatArray
    vehicle_type: npt.NDArray[np.object_]
    vehicle_range_m: FloatArray
    vehicle_plan: npt.NDArray[np.object_]
    vehicle_usable: BoolArray
    vehicle_walk_node: IntArray
    vehicle_walk_m: FloatArray
    vehicle_bike_node: IntArray
    vehicle_bike_m: FloatArray
    _geo: dict[tuple[str, int], GeoRules] = field(default_factory=dict, repr=False)
    _edges: dict[tuple[str, bytes, float], tuple[FloatArray, BoolArray]] = field(
        default_factory=dict, repr=False
    )
    _bounds: npt.NDArray[np.int64] | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ construction

    @classmethod
    def build(
        cls,
        compiled: CompiledNetwork,
        snapshot: GbfsSnapshot,
        *,
        loader: Callable[[], GbfsSnapshot] | None = None,
    ) -> RentalSystem:
        """Link ``snapshot`` to ``compiled``'s streets (a system that publishes no
        timezone takes the network's: `GbfsSnapshot.in_timezone`)."""
        network_zone = compiled.timetable.timezone
        if snapshot.system.timezone_assumed and snapshot.system.timezone != network_zone:
            snapshot = snapshot.in_timezone(network_zone)
        types = _types(snapshot)
        st = snapshot.stations
        slat = st["lat"].to_numpy(np.float64)
        slon = st["lon"].to_numpy(np.float64)
        has_status = len(st) == 0 or bool(
            st["is_renting"].notna().any() or st["num_vehicles_available"].notna().any()
        )
        station_type = _station_type(types)
        installed = st["is_installed"].fillna(True).to_numpy(bool)
        renting = installed & st["is_renting"].fillna(has_status is False).to_numpy(bool)
        returning = installed & st["is_returning"].fillna(has_status is False).to_numpy(bool)
        docks = st["num_docks_available"].fillna(0).to_numpy(np.int64)
        total = st["num_vehicles_available"].fillna(0).to_numpy(np.int64)
        counts: dict[str, npt.NDArray[np.int64]] = {}
        by_type = st["vehicles_by_type"].tolist()
        for i, breakdown in enumerate(by_type):
            items = breakdown.items() if breakdown else [(station_type, int(total[i]))]
            for type_id, n in items:
                key = type_id if type_id in types else station_type
                arr = counts.setdefault(key, np.zeros(len(st), np.int64))
                arr[i] += int(n)
        veh = snapshot.vehicles
        free = veh.loc[veh["station_id"].isna()].reset_index(drop=True)
        vtype = (
            free["vehicle_type_id"].where(free["vehicle_type_id"].notna(), None).to_numpy(object)
        )
        vtype = np.array(
            [t if t in types else (station_type if t is None else t) for t in vtype], dtype=object
        )
        vlat = free["lat"].to_numpy(np.float64)
        vlon = free["lon"].to_numpy(np.float64)
        plannable = np.array([t in types and types[t].plannable for t in vtype], dtype=bool)
        usable = (
            plannable
            & ~free["is_reserved"].fillna(False).to_numpy(bool)
            & ~free["is_disabled"].fillna(False).to_numpy(bool)
        )
        plans = free["pricing_plan_id"].to_numpy(object)
        sw, swm = _link(compiled, "walk", slat, slon)
        sb, sbm = _link(compiled, "bike", slat, slon)
        vw, vwm = _link(compiled, "walk", vlat, vlon)
        vb, vbm = _link(compiled, "bike", vlat, vlon)
        # stations and vehicles off the street network (beyond the extract) are not used
        on_streets = (sw < 0) | (swm <= defaults.MAX_SNAP_M)
        renting &= on_streets
        returning &= on_streets
        usable &= (vw < 0) | (vwm <= defaults.MAX_SNAP_M)
        system = cls(
            system_id=snapshot.system.system_id,
            name=snapshot.system.name,
            compiled=compiled,
            snapshot=snapshot,
            loader=loader,
            types=types,
            station_type_id=station_type,
            has_status=has_status,
            station_ids=st["station_id"].astype(str).to_numpy(object),
            station_names=st["name"].fillna("").astype(str).to_numpy(object),
            station_lat=slat,
            station_lon=slon,
            station_walk_node=sw,
            station_walk_m=swm,
            station_bike_node=sb,
            station_bike_m=sbm,
            station_renting=renting,
            station_returning=returning,
            station_docks=docks,
            station_counts=counts,
            vehicle_ids=free["vehicle_id"].astype(str).to_numpy(object),
            vehicle_lat=vlat,
            vehicle_lon=vlon,
            vehicle_type=vtype,
            vehicle_range_m=free["current_range_m"].to_numpy(np.float64),
            vehicle_plan=plans,
            vehicle_usable=usable,
            vehicle_walk_node=vw,
            vehicle_walk_m=vwm,
            vehicle_bike_node=vb,
            vehicle_bike_m=vbm,
        )
        # a vehicle parked where rides may not start is not usable
        from maasmix.engine.geofencing import zone_rules

        for type_id in set(vtype[usable].tolist()):
            rules = zone_rules(snapshot, type_id, None)
            if not rules.trivial:
                sel = np.flatnonzero(usable & (vtype == type_id))
                start_ok, _, _, _, _ = rules.point_rules(vlat[sel], vlon[sel])
                usable[sel[~start_ok]] = False
        return system

    # ------------------------------------------------------------------ live status

    @property
    def last_updated(self) -> dt.datetime:
        """When the snapshot was published (the newest ``last_updated`` of its files)."""
        return self.snapshot.system.last_updated

    @property
    def expires_at(self) -> dt.datetime:
        """``last_updated + ttl``."""
        return self.snapshot.expires_at

    @property
    def nbytes(self) -> int:
        """Bytes of the numeric arrays."""
        arrays = [
            self.station_lat, self.station_lon, self.station_walk_node, self.station_walk_m,
            self.station_bike_node, self.station_bike_m, self.station_renting,
            self.station_returning, self.station_docks, self.vehicle_lat, self.vehicle_lon,
            self.vehicle_range_m, self.vehicle_usable, self.vehicle_walk_node,
            self.vehicle_walk_m, self.vehicle_bike_node, self.vehicle_bike_m,
            *self.station_counts.values(),
        ]  # fmt: skip
        return int(sum(np.asarray(a).nbytes for a in arrays))

    def refresh(self, now: dt.datetime, *, force: bool = False) -> bool:
        """Re-read the status when ``now`` is past ``expires_at`` (or ``force``)."""
        if self.loader is None or (not force and now < self.expires_at):
            return False
        fresh = RentalSystem.build(self.compiled, self.loader(), loader=self.loader)
        geo_same = fresh.snapshot.geofencing_zones.equals(self.snapshot.geofencing_zones)
        keep_edges = self._edges if geo_same else {}
        self.__dict__.update(fresh.__dict__)
        self._edges = keep_edges  # per-edge geometry work kept; station links recomputed
        return True

    # ------------------------------------------------------------------ queries

    def rentable_at_station(self, type_id: str) -> BoolArray:
        """Stations renting with at least one vehicle of ``type_id`` available."""
        counts = self.station_counts.get(type_id)
        if counts is None:
            return np.zeros(len(self.station_ids), bool)
        if not self.has_status:  # no live status: only when a plan assumes availability
            return np.zeros(len(self.station_ids), bool)
        return self.station_renting & (counts > 0)

    def returnable(self) -> BoolArray:
        """Stations returning with a free dock (all of them without live status)."""
        if not self.has_status:
            return np.zeros(len(self.station_ids), bool)
        return self.station_returning & (self.station_docks > 0)

    def plan_id(self, type_id: str, vehicle: int | None = None) -> str | None:
        """The vehicle's own pricing plan, else its type's default."""
        if vehicle is not None:
            own = self.vehicle_plan[vehicle]
            if own is not None and not (isinstance(own, float) and np.isnan(own)):
                return str(own)
        t = self.types.get(type_id)
        return t.default_pricing_plan_id if t else None

    def geo(self, type_id: str, at: dt.datetime | None = None) -> GeoRules:
        """Geofencing of ``type_id`` at ``at`` (None: the snapshot's time) compiled on the
        cycling graph; cached per type and per span between the zones' ``start``/``end``
        instants (the active zones are the same within one)."""
        if self._bounds is None:
            self._bounds = _window_bounds(self.snapshot)
        moment = at if at is not None else self.last_updated
        stamp = pd.Timestamp(moment)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize("UTC")
        span = int(np.searchsorted(self._bounds, stamp.value, side="right"))
        key = (type_id, span)
        cached = self._geo.get(key)
        if cached is None:
            cached = _compile_geo(self, type_id, moment)
            self._geo[key] = cached
        return cached


def _link(
    compiled: CompiledNetwork, mode: str, lat: FloatArray, lon: FloatArray
) -> tuple[IntArray, FloatArray]:
    """(nearest node, metres to it) of each point on the ``mode`` graph. Crow-fly streets
    (no graph): node -1 and a link of 0 m, as the crow-fly fields measure from the
    point itself (`maasmix.engine.access.crow_field`)."""
    graph = compiled.walk if mode == "walk" else compiled.bike
    if graph is None or len(lat) == 0:
        return np.full(len(lat), -1, np.int32), np.zeros(len(lat))
    return graph.nearest(lat, lon)


def _window_bounds(snapshot: GbfsSnapshot) -> npt.NDArray[np.int64]:
    """Sorted distinct ``start``/``end`` instants of the zones (ns since the epoch)."""
    zones = snapshot.geofencing_zones
    if not len(zones):
        return np.empty(0, np.int64)
    stamps = pd.concat([zones["start"], zones["end"]]).dropna()
    return np.unique(stamps.to_numpy("datetime64[ns]").astype(np.int64))


def _compile_geo(system: RentalSystem, type_id: str, at: dt.datetime | None) -> GeoRules:
    """Geofencing of ``type_id`` at ``at``: exact per edge (`engine.geofencing`)."""
    from maasmix.engine.geofencing import edge_rules, zone_rules

    vt = system.types.get(type_id) or system.types[system.station_type_id]
    rules = zone_rules(system.snapshot, type_id, at)

    def point_rules(
        lat: FloatArray, lon: FloatArray
    ) -> tuple[BoolArray, BoolArray, BoolArray, FloatArray]:
        start, end, through, speed, _ = rules.point_rules(lat, lon)
        return start, end, through, speed

    has_zones = not rules.trivial
    bike = system.compiled.bike
    if bike is None:
        return GeoRules(None, None, None, has_zones, point_rules, rules=rules)
    if not has_zones:
        ones = np.ones(bike.n_nodes, bool)
        return GeoRules(bike.length_m / vt.speed_mps, ones, ones, False, point_rules, rules=rules)
    edge_key = (type_id, rules.key, vt.speed_mps)
    cached = system._edges.get(edge_key)
    if cached is None:
        cached = edge_rules(bike, rules, vt.speed_mps)
        system._edges[edge_key] = cached
    cost, forbidden = cached
    cost = np.where(forbidden, np.inf, cost)
    n_start, n_end, _, _, _ = rules.point_rules(bike.lat, bike.lon)
    # station parking: a free-floating vehicle ends at a returning station of the system
    # inside such a zone (at the station's cycling node)
    end_station = np.full(bike.n_nodes, -1, np.int32)
    if len(system.station_ids) and rules.n_zones:
        _, _, _, _, s_station = rules.point_rules(system.station_lat, system.station_lon)
        ok = s_station & system.station_returning & (system.station_bike_node >= 0)
        ok &= system.station_bike_m <= defaults.MAX_SNAP_M
        idx = np.flatnonzero(ok).astype(np.int32)
        end_station[system.station_bike_node[idx[::-1]]] = idx[::-1]  # first station wins
    n_end = n_end | (end_station >= 0)
    return GeoRules(cost, n_end, n_start, True, point_rules, rules=rules, end_station=end_station)
