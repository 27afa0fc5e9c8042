"""Door-to-door planning: `plan` from a coordinate to a coordinate on a `Network`.

Mode set (``modes``; default: every mode the network has): ``WALK``, ``BICYCLE`` (own
bike), ``TRANSIT``, ``BICYCLE_RENTAL``, ``SCOOTER_RENTAL``, ``MOPED_RENTAL`` (shared
vehicles of the GBFS systems, docked and free-floating). The plan combines them:

- street only: walk; own bike; a rented vehicle (walk to it, ride, park or return, walk);
- transit, whose access and egress are timed sets of stops (as RAPTOR's access/egress
  legs in OpenTripPlanner), so the transit part stays exact: walking both ways; own bike
  to the first stop (parked there); own bike on board when every ride takes bikes
  (``bikes_allowed=1``, searched on those trips only) and ridden on from the last stop;
  a rented vehicle as the first mile, the last mile, or both.

Street searches are bounded Dijkstra (`engine.access`); the transit part is RAPTOR
(`engine.raptor`), forward for depart-at; arrive-by runs the same kernel on the
time-reversed timetable (`engine.reversal`) to find the latest departure for each
number of rides, then rebuilds that journey forward. Depart-at walk + transit + walk also
runs McRAPTOR (walking as a criterion, the access walk counted from the start and the
egress walk in its pruning) from and to the `MC_MAX_STOPS` nearest stops each way.

Shared rides follow the geofencing of the planned time exactly on the streets' geometry
(`engine.geofencing`); a free-floating vehicle with too little range for a ride gives way
to the next usable one (`engine.vehicle_range`).

The answer (`Plan`) is the Pareto set over (arrival, or departure for arrive-by;
transfers; walking time) plus the best itinerary of each mode combination, at most
``num_itineraries``, ordered by arrival. A rented or own vehicle is never a transfer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from maasmix import defaults
from maasmix.engine.access import Field, crow_field, graph_field
from maasmix.engine.geofencing import segments_forbidden
from maasmix.engine.itinerary import Journey, Leg, Rental, StopCall
from maasmix.engine.mcraptor import mc_search
from maasmix.engine.paths import mc_journeys, raptor_journeys
from maasmix.engine.raptor import INF, point_to_point
from maasmix.engine.rentals import RentalSystem, VehicleType
from maasmix.engine.timetable import CompiledTimetable
from maasmix.engine.vehicle_range import ride_in_range, split_by_range
from maasmix.errors import QueryError
from maasmix.geodesy import haversine_m
from maasmix.servicetime import MAX_QUERY_TIME_S, service_datetime, timezone_of

if TYPE_CHECKING:
    from maasmix.engine.network import CompiledNetwork, Network
    from maasmix.engine.plan_money import ItineraryMoney

__all__ = ["MODES", "Plan", "PlanOptions", "plan"]

MODES = ("WALK", "BICYCLE", "TRANSIT", "BICYCLE_RENTAL", "SCOOTER_RENTAL", "MOPED_RENTAL")
"""Mode names a plan accepts."""

_RENTAL_MODE = {"BICYCLE": "BICYCLE_RENTAL", "SCOOTER": "SCOOTER_RENTAL", "MOPED": "MOPED_RENTAL"}

#: Street searches that must reach the other end are first bounded by this many times the
#: crow-fly time (plus a minute); a trip not found within it is searched again unbounded.
DIRECT_DETOUR_BOUND = 2.5

#: McRAPTOR (walking trade-offs of walk + transit + walk, depart-at) allows
#: ``max_transfers + 1`` rides, as RAPTOR, from and to this many stops of the walking
#: access (egress) set nearest in time (None: the whole sets, every stop within
#: ``max_access_walk_s``). Measured on Helsinki (40 pairs, 2 shared cores, all modes):
#: 10 stops plan in ~16 ms median, 20 in ~17-24 ms, the whole sets in ~57 ms.
MC_MAX_STOPS: int | None = 10

#: A shape is drawn between two stops only if both lie within this of it, metres.
SHAPE_SNAP_M = 150.0

#: `_Chain.cost_at`: the point is reached by riding to it and parking there.
DIRECT = -2

#: Crow-fly networks: a point farther than this from every stop and station is outside.
CROW_MAX_SNAP_M = 10.0 * defaults.MAX_SNAP_M

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class PlanOptions:
    """Parameters of a plan; every default comes from `maasmix.defaults`."""

    max_transfers: int = defaults.MAX_TRANSFERS
    min_transfer_s: int | None = None
    walk_speed: float | None = None
    bike_speed: float | None = None
    max_access_walk_s: int = defaults.MAX_ACCESS_WALK_S
    max_access_bike_s: int = defaults.MAX_ACCESS_BIKE_S
    max_direct_walk_s: int = defaults.MAX_DIRECT_WALK_S
    max_ride_s: int = defaults.MAX_RIDE_S
    max_walk_to_vehicle_m: float = defaults.MAX_WALK_TO_VEHICLE_M
    max_walk_to_vehicle_s: int = defaults.MAX_WALK_TO_VEHICLE_S
    pickup_s: int = defaults.RENTAL_PICKUP_S
    dropoff_s: int = defaults.RENTAL_DROPOFF_S
    num_itineraries: int = defaults.NUM_ITINERARIES
    assume_available: bool = False


@dataclass(frozen=True)
class Place:
    """A point a street leg starts or ends at (OTP vertex type in ``kind``)."""

    name: str
    lat: float
    lon: float
    kind: str = "NORMAL"
    id: str = ""


@dataclass(frozen=True)
class Piece:
    """A street leg before it is placed in time."""

    mode: str
    start: Place
    end: Place
    duration_s: int
    distance_m: float
    geometry: tuple[tuple[float, float], ...]
    rental: Rental | None = None


@dataclass
class AccessSet:
    """Stops reachable before (access) or after (egress) transit, with their times."""

    label: str
    secs: FloatArray  # per compiled stop (inf: not reachable)
    build: Callable[[int], list[Piece]]

    def arrays(self) -> tuple[IntArray, IntArray]:
        """(stops, whole seconds) of the reachable stops."""
        stops = np.flatnonzero(np.isfinite(self.secs)).astype(np.int32)
        return stops, np.ceil(self.secs[stops]).astype(np.int32)


@dataclass
class Plan:
    """Itineraries of one door-to-door query, and what the caller should know.

    Attributes
    ----------
    itineraries : list[Journey]
        Ordered by arrival; each has a ``combination`` (``"WALK+TRANSIT+WALK"``, ...).
    notices : list[str]
        Facts about the answer: crow-fly streets, the age of each GBFS snapshot against
        the planned time, stations without live status.
    money : list[ItineraryMoney]
        One per itinerary (same order) when planned by `Network.plan`: prices, bundle
        split and CO2e (`maasmix.engine.plan_money`); ``bundle`` the bundle applied,
        ``rider_category`` the one asked for, ``by_money`` whether the Pareto set was
        over (arrival, out-of-pocket cost, transfers).
    """

    origin: tuple[float, float]
    destination: tuple[float, float]
    when: dt.datetime
    arrive_by: bool
    modes: tuple[str, ...]
    itineraries: list[Journey]
    notices: list[str] = field(default_factory=list)
    streets: str = "osm"
    money: list[ItineraryMoney] = field(default_factory=list)
    bundle: str | None = None
    rider_category: str | None = None
    by_money: bool = False

    def __len__(self) -> int:
        return len(self.itineraries)

    def to_geodataframe(self) -> Any:
        """One row per leg (GeoDataFrame, EPSG:4326): itinerary, leg, mode, times,
        distance, from/to, route, rental system, and the leg's LineString."""
        import geopandas as gpd
        import shapely

        rows = []
        for i, journey in enumerate(self.itineraries):
            for j, leg in enumerate(journey.legs):
                coords = list(leg.geometry) or [
                    (leg.from_lon, leg.from_lat),
                    (leg.to_lon, leg.to_lat),
                ]
                if len(coords) == 1:
                    coords = coords * 2
                rows.append(
                    {
                        "itinerary": i,
                        "leg": j,
                        "combination": journey.combination,
                        "mode": leg.mode,
                        "start": service_datetime(journey.date, journey.timezone, leg.start_s),
                        "end": service_datetime(journey.date, journey.timezone, leg.end_s),
                        "duration_s": leg.duration_s,
                        "distance_m": leg.distance_m,
                        "from_name": leg.from_name,
                        "to_name": leg.to_name,
                        "route": leg.route_short_name,
                        "rental_system": leg.rental.system_id if leg.rental else None,
                        "geometry": shapely.LineString(coords),
                    }
                )
        return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


# ---------------------------------------------------------------------- validation


def _point(value: object, parameter: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise QueryError("expected (lat, lon)", parameter=parameter) from None
    if not (np.isfinite(lat) and -90.0 <= lat <= 90.0):
        raise QueryError(f"latitude must lie within [-90, 90], got {lat}", parameter=parameter)
    if not (np.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise QueryError(f"longitude must lie within [-180, 180], got {lon}", parameter=parameter)
    return lat, lon


def parse_modes(modes: Iterable[str] | str | None) -> tuple[str, ...]:
    """Validated mode names (a comma-separated string or names); None: all of them."""
    if modes is None:
        return MODES
    items = modes.split(",") if isinstance(modes, str) else list(modes)
    out: list[str] = []
    for raw in items:
        name = str(raw).strip().upper()
        if not name:
            continue
        if name == "RENTAL":
            out += [m for m in MODES if m.endswith("_RENTAL")]
            continue
        if name not in MODES:
            shown = str(raw)[:40]
            raise QueryError(
                f"unknown mode {shown!r}; known: {', '.join(MODES)}, RENTAL", parameter="modes"
            )
        out.append(name)
    if not out:
        raise QueryError("no mode given", parameter="modes")
    return tuple(dict.fromkeys(out))


def service_seconds(
    net: Network, when: dt.datetime | str, arrive_by: bool
) -> tuple[int, dt.datetime]:
    """Seconds after the network's service-day midnight of ``when`` (naive: local time)."""
    if isinstance(when, str):
        text = when
        try:
            when = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise QueryError(f"not an ISO 8601 date-time: {text[:40]!r}", parameter="at") from None
    if not isinstance(when, dt.datetime):
        raise QueryError("expected a date-time", parameter="at")
    zone = timezone_of(net.timezone)
    moment = when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)
    midnight = service_datetime(net.date, net.timezone, 0)
    seconds = int((moment - midnight).total_seconds())
    if not 0 <= seconds <= MAX_QUERY_TIME_S:
        what = "arrive-by time" if arrive_by else "departure"
        raise QueryError(
            f"{what} {moment.isoformat()} is outside the service day {net.date.isoformat()} "
            f"(00:00 to 48:00 of that day, {net.timezone})",
            parameter="at",
        )
    return seconds, moment


# ---------------------------------------------------------------------- the query


class _Query:
    """One plan's state: the points, their links, the street fields (built on demand)."""

    def __init__(
        self,
        net: Network,
        origin: tuple[float, float],
        destination: tuple[float, float],
        options: PlanOptions,
    ) -> None:
        self.net = net
        self.cn: CompiledNetwork = net.compiled
        self.opt = options
        self.ws = float(options.walk_speed or self.cn.walk_speed)
        self.bs = float(options.bike_speed or self.cn.bike_speed)
        self.o = Place("Origin", origin[0], origin[1])
        self.d = Place("Destination", destination[0], destination[1])
        self.crow = self.cn.crow_fly
        self._fields: dict[str, Field] = {}
        self._chains: dict[tuple[int, bool], _Chain] = {}
        self.moment: dt.datetime | None = None  # the planned time (geofencing windows)
        self.tt = self.cn.timetable
        if self.crow:
            for p, name in ((self.o, "from"), (self.d, "to")):
                self._check_crow(p, name)
            self.o_walk = self.o_bike = self.d_walk = self.d_bike = (-1, 0.0)
        else:
            self.o_walk = self._snap("walk", self.o, "from")
            self.d_walk = self._snap("walk", self.d, "to")
            self.o_bike = self._snap("bike", self.o, None)
            self.d_bike = self._snap("bike", self.d, None)

    def _snap(self, mode: str, p: Place, parameter: str | None) -> tuple[int, float]:
        graph = self.cn.walk if mode == "walk" else self.cn.bike
        if graph is None or graph.n_nodes == 0:
            return -1, 0.0
        node, dist = graph.nearest([p.lat], [p.lon])
        metres = float(dist[0])
        if parameter is not None and metres > defaults.MAX_SNAP_M:
            raise QueryError(
                f"({p.lat:.6f}, {p.lon:.6f}) is {metres / 1000:.1f} km from the nearest street "
                f"of the network (at most {defaults.MAX_SNAP_M:.0f} m)",
                parameter=parameter,
            )
        return int(node[0]), metres

    def _check_crow(self, p: Place, parameter: str) -> None:
        best = np.inf
        if self.cn.served.any():
            _, dist = self.cn.stop_index.nearest([p.lat], [p.lon])
            best = float(dist[0])
        for r in self.net.rentals:
            if len(r.station_lat):
                best = min(
                    best, float(haversine_m(p.lat, p.lon, r.station_lat, r.station_lon).min())
                )
        if best > CROW_MAX_SNAP_M:
            raise QueryError(
                f"({p.lat:.6f}, {p.lon:.6f}) is {best / 1000:.1f} km from the nearest stop or "
                f"station of the network (at most {CROW_MAX_SNAP_M / 1000:.0f} km)",
                parameter=parameter,
            )

    # -------------------------------------------------------------- street fields

    def direct_bound(self, speed: float, cap: float) -> float:
        """Bound of a search that must reach the other end: `DIRECT_DETOUR_BOUND` times
        the crow-fly time plus a minute, at most ``cap`` (a longer street path is found
        by `_direct`'s second, unbounded search)."""
        crow = float(haversine_m(self.o.lat, self.o.lon, self.d.lat, self.d.lon))
        return float(min(cap, DIRECT_DETOUR_BOUND * crow / speed + 60.0))

    def chain(self, g: _Group, reverse: bool) -> _Chain:
        """The rental chain of ``g`` (built once per query and direction)."""
        key = (id(g), reverse)
        if key not in self._chains:
            self._chains[key] = _Chain(self, g, reverse)
        return self._chains[key]

    def walk_field(self, reverse: bool) -> Field:
        """Walking from the origin (forward) or to the destination (reverse)."""
        key = "walk-rev" if reverse else "walk"
        if key not in self._fields:
            limit = float(
                max(
                    self.direct_bound(self.ws, self.opt.max_direct_walk_s),
                    self.opt.max_access_walk_s,
                    self.opt.max_walk_to_vehicle_s,
                )
            )
            p, (node, snap) = (self.d, self.d_walk) if reverse else (self.o, self.o_walk)
            if self.crow:
                f = crow_field(
                    [p.lat], [p.lon], [0.0], limit, self.ws, self.cn.detour_factor, reverse=reverse
                )
            else:
                assert self.cn.walk is not None
                f = graph_field(
                    self.cn.walk, [node], [snap / self.ws], limit, self.ws, reverse=reverse
                )
            self._fields[key] = f
        return self._fields[key]

    def bike_field(self, reverse: bool) -> Field | None:
        """Own bike from the origin (forward) or to the destination (reverse)."""
        key = "bike-rev" if reverse else "bike"
        if key not in self._fields:
            limit = float(
                max(self.direct_bound(self.bs, self.opt.max_ride_s), self.opt.max_access_bike_s)
            )
            p, (node, snap) = (self.d, self.d_bike) if reverse else (self.o, self.o_bike)
            if self.crow:
                f = crow_field(
                    [p.lat], [p.lon], [0.0], limit, self.bs, self.cn.detour_factor, reverse=reverse
                )
            elif self.cn.bike is None or node < 0:
                return None
            else:
                f = graph_field(
                    self.cn.bike, [node], [snap / self.bs], limit, self.bs, reverse=reverse
                )
            self._fields[key] = f
        return self._fields[key]

    # -------------------------------------------------------------- reading fields

    def stops_at(self, f: Field, mode: str) -> tuple[FloatArray, FloatArray, IntArray]:
        tt = self.tt
        if f.graph is None:
            secs, metres, origin = f.at(tt.stop_lat, tt.stop_lon)
        elif mode == "walk":
            secs, metres, origin = f.at(
                tt.stop_lat, tt.stop_lon, self.cn.stop_walk_node, self.cn.stop_walk_m
            )
        else:
            secs, metres, origin = f.at(
                tt.stop_lat, tt.stop_lon, self.cn.stop_bike_node, self.cn.stop_bike_m
            )
        secs = np.where(self.cn.served, secs, np.inf)
        return secs, metres, origin

    def point_at(self, f: Field, p: Place, link: tuple[int, float]) -> tuple[float, float, int]:
        if f.graph is None:
            s, m, o = f.at([p.lat], [p.lon])
        else:
            s, m, o = f.at([p.lat], [p.lon], [link[0]], [link[1]])
        return float(s[0]), float(m[0]), int(o[0])

    def stop_place(self, s: int) -> Place:
        tt = self.tt
        return Place(
            str(tt.stop_names[s]),
            float(tt.stop_lat[s]),
            float(tt.stop_lon[s]),
            "TRANSIT",
            str(tt.stop_ids[s]),
        )

    def geometry(self, f: Field, node: int, a: Place, b: Place) -> tuple[tuple[float, float], ...]:
        """``a`` -> the field's path -> ``b`` as (lon, lat) pairs."""
        middle = f.path(node) if f.graph is not None else []
        return tuple([(a.lon, a.lat), *middle, (b.lon, b.lat)])


# ---------------------------------------------------------------------- own modes


def _walk_piece(
    q: _Query, f: Field, node: int, a: Place, b: Place, secs: float, metres: float
) -> Piece:
    return Piece(
        "WALK", a, b, int(np.ceil(secs)), round(float(metres), 1), q.geometry(f, node, a, b)
    )


def _direct(q: _Query, mode: str) -> list[list[Piece]]:
    if mode == "WALK":
        f = q.walk_field(False)
        secs, metres, _ = q.point_at(f, q.d, q.d_walk)
        if not np.isfinite(secs) and f.limit < q.opt.max_direct_walk_s and not q.crow:
            assert q.cn.walk is not None
            f = graph_field(
                q.cn.walk, [q.o_walk[0]], [q.o_walk[1] / q.ws], q.opt.max_direct_walk_s, q.ws
            )
            secs, metres, _ = q.point_at(f, q.d, q.d_walk)
        if not secs <= q.opt.max_direct_walk_s:
            return []
        return [[_walk_piece(q, f, q.d_walk[0], q.o, q.d, secs, metres)]]
    bf = q.bike_field(False)
    if bf is None:
        return []
    secs, metres, _ = q.point_at(bf, q.d, q.d_bike)
    if not np.isfinite(secs) and bf.limit < q.opt.max_ride_s and not q.crow:
        assert q.cn.bike is not None
        bf = graph_field(q.cn.bike, [q.o_bike[0]], [q.o_bike[1] / q.bs], q.opt.max_ride_s, q.bs)
        secs, metres, _ = q.point_at(bf, q.d, q.d_bike)
    if not secs <= q.opt.max_ride_s:
        return []
    geom = q.geometry(bf, q.d_bike[0], q.o, q.d)
    return [[Piece("BICYCLE", q.o, q.d, int(np.ceil(secs)), round(metres, 1), geom)]]


def _walk_access(q: _Query, reverse: bool) -> AccessSet:
    f = q.walk_field(reverse)
    secs, metres, _ = q.stops_at(f, "walk")
    secs = np.where(secs <= q.opt.max_access_walk_s, secs, np.inf)

    def build(s: int) -> list[Piece]:
        stop = q.stop_place(s)
        node = int(q.cn.stop_walk_node[s])
        if reverse:
            return [_walk_piece(q, f, node, stop, q.d, secs[s], metres[s])]
        return [_walk_piece(q, f, node, q.o, stop, secs[s], metres[s])]

    return AccessSet("WALK", secs, build)


def _bike_access(q: _Query, reverse: bool, limit: float) -> AccessSet | None:
    f = q.bike_field(reverse)
    if f is None:
        return None
    secs, metres, _ = q.stops_at(f, "bike")
    secs = np.where(secs <= limit, secs, np.inf)

    def build(s: int) -> list[Piece]:
        stop = q.stop_place(s)
        node = int(q.cn.stop_bike_node[s])
        a, b = (stop, q.d) if reverse else (q.o, stop)
        return [
            Piece(
                "BICYCLE",
                a,
                b,
                int(np.ceil(secs[s])),
                round(float(metres[s]), 1),
                q.geometry(f, node, a, b),
            )
        ]

    return AccessSet("BICYCLE", secs, build)


# ---------------------------------------------------------------------- rentals


@dataclass
class _Group:
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


def _groups(q: _Query, modes: Sequence[str]) -> list[_Group]:
    out: list[_Group] = []
    for r in q.net.rentals:
        for type_id, vt in r.types.items():
            if not vt.plannable or _RENTAL_MODE.get(vt.mode) not in modes:
                continue
            if q.opt.assume_available and not r.has_status:
                starts = r.station_renting | True
            else:
                starts = r.rentable_at_station(type_id)
            idx = np.flatnonzero(starts).astype(np.int32)
            if len(idx):
                out.append(
                    _Group(
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
                        _Group(
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


def _at_points(
    q: _Query, f: Field, lat: FloatArray, lon: FloatArray, node: IntArray, link: FloatArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    if f.graph is None:
        return f.at(lat, lon)
    return f.at(lat, lon, node, link)


class _Chain:
    """Walk -> ride -> walk through one rental group, forward (from the origin) or
    reverse (to the destination); see `_rental_chain`."""

    def __init__(self, q: _Query, g: _Group, reverse: bool) -> None:
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
            a_secs, a_m, _ = _at_points(q, walk, g.lat, g.lon, g.walk_node, g.walk_m)
            a_ok = (a_secs <= opt.max_walk_to_vehicle_s) & (a_m <= opt.max_walk_to_vehicle_m)
            self.a_secs, self.a_m = np.where(a_ok, a_secs, np.inf), a_m
            init = self.a_secs + opt.pickup_s
            if not np.isfinite(init).any():
                return
            limit = float(_top(init) + opt.max_ride_s)
            self.ride = self._ride_field(
                g.bike_node, g.bike_m, g.lat, g.lon, init, limit, speed, geo, False
            )
            # stage 2 end: return stations (docked) or parking nodes (free-floating)
            if g.docked:
                ret = np.flatnonzero(
                    r.returnable() | (opt.assume_available and not r.has_status)
                ).astype(np.int32)
                e_secs, e_m, e_org = _at_points(
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
                e_secs = np.where(same, np.inf, e_secs)
                self.end_secs = e_secs + opt.dropoff_s
                self.end_m, self.end_org = e_m, e_org
                lat, lon = r.station_lat[ret], r.station_lon[ret]
                wnode, wm = r.station_walk_node[ret], r.station_walk_m[ret]
            elif self.ride.graph is not None:
                dist = self.ride.search.dist  # type: ignore[union-attr]
                ok = np.isfinite(dist) & (geo.end_ok if geo.end_ok is not None else True)
                nodes = np.flatnonzero(ok).astype(np.int32)
                self.end_index = nodes
                self.end_secs = dist[nodes] + opt.dropoff_s
                self.end_m = self.ride.search.metres[nodes]  # type: ignore[union-attr]
                self.end_org = self.ride.search.origin[nodes]  # type: ignore[union-attr]
                reach = ride_in_range(
                    r.vehicle_range_m[g.index[np.maximum(self.end_org, 0)]], self.end_m
                )
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
            self.after = self._walk_from(wnode, src_cost, lat, lon, limit, False)
            self.ok = True
            return
        # reverse: outer walk is from the end point to the destination
        if g.docked:
            ret = np.flatnonzero(
                r.returnable() | (opt.assume_available and not r.has_status)
            ).astype(np.int32)
            lat, lon = r.station_lat[ret], r.station_lon[ret]
            e_secs, e_m, _ = _at_points(
                q, walk, lat, lon, r.station_walk_node[ret], r.station_walk_m[ret]
            )
            e_ok = e_secs <= opt.max_access_walk_s
            self.end_index = ret
            self.end_walk = np.where(e_ok, e_secs, np.inf)
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
            self.end_walk = wdist[nodes]
            self.end_walk_m = (
                walk.search.metres[q.cn.bike_to_walk[nodes]] + q.cn.bike_to_walk_m[nodes]
            )
            lat, lon = bike.lat[nodes], bike.lon[nodes]
            init = self.end_walk + opt.dropoff_s
            bnode, bm = nodes, np.zeros(len(nodes))
        if not np.isfinite(init).any():
            return
        self.end_lat, self.end_lon = lat, lon
        limit = float(_top(init) + opt.max_ride_s)
        self.ride = self._ride_field(bnode, bm, lat, lon, init, limit, speed, geo, True)
        v_secs, v_m, v_org = _at_points(q, self.ride, g.lat, g.lon, g.bike_node, g.bike_m)
        self.v_secs = v_secs + opt.pickup_s
        if not g.docked:
            reach = ride_in_range(r.vehicle_range_m[g.index], v_m)
            if q.crow:  # a straight ride to the destination: not through a no-ride zone
                reach &= ~_crow_blocked(geo, g.lat, g.lon, q.d.lat, q.d.lon)
            self.v_secs = np.where(reach, self.v_secs, np.inf)
        self.v_m, self.v_org = v_m, v_org
        src_cost = self.v_secs + g.walk_m / ws
        if not np.isfinite(src_cost).any():
            return
        limit = float(_top(src_cost) + opt.max_walk_to_vehicle_s)
        self.after = self._walk_from(g.walk_node, src_cost, g.lat, g.lon, limit, True)
        self.ok = True

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
            q.cn.bike, np.where(ok, node, 0), start, limit, speed, cost=cost, reverse=reverse
        )

    def _walk_from(
        self,
        node: IntArray,
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
                secs, _, org = _at_points(q, self.after_field, lat, lon, wnode, wm)
                walk_part = secs - np.where(
                    org >= 0, self.end_secs[np.maximum(org, 0)] if len(self.end_secs) else 0, 0
                )
                secs = np.where(walk_part <= opt.max_access_walk_s, secs, np.inf)
                best = secs
                how = np.where(np.isfinite(secs), org, -1).astype(np.int64)
            if q.crow and not g.docked:
                # ride to the target itself and park there, where allowed
                secs, ride_m, org = _at_points(q, self.ride, lat, lon, bnode, bm)
                v = g.index[np.maximum(org, 0)]
                ok = ride_in_range(g.system.vehicle_range_m[v], ride_m)
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
        secs, _, org = _at_points(q, self.after_field, lat, lon, wnode, wm)
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
                secs, metres, vi = _at_points(
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
                secs, metres, _ = _at_points(
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
        secs, metres, _ = _at_points(
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


def _rental_direct(q: _Query, g: _Group) -> list[Piece] | None:
    if g.reverse_only:
        return None
    chain = q.chain(g, False)
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


def _rental_access(q: _Query, g: _Group, reverse: bool) -> AccessSet | None:
    if (reverse and g.forward_only) or (not reverse and g.reverse_only):
        return None
    chain = q.chain(g, reverse)
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
            raise _Unusable
        return got

    label = _RENTAL_MODE[g.mode]
    return AccessSet(label, secs, build)


class _Unusable(Exception):
    """An access option fails a check made when it is rebuilt (a vehicle's range)."""


def _merge(sets: list[AccessSet], label: str) -> AccessSet | None:
    sets = [s for s in sets if s is not None]
    if not sets:
        return None
    if len(sets) == 1:
        return sets[0]
    stack = np.vstack([s.secs for s in sets])
    pick = np.argmin(stack, axis=0)
    secs = stack[pick, np.arange(stack.shape[1])]

    def build(s: int) -> list[Piece]:
        return sets[int(pick[s])].build(s)

    return AccessSet(label, secs, build)


# ---------------------------------------------------------------------- assembly


def _leg_from_piece(p: Piece, start_s: int) -> Leg:
    return Leg(
        mode=p.mode,
        from_stop_id=p.start.id,
        from_name=p.start.name,
        from_lat=p.start.lat,
        from_lon=p.start.lon,
        to_stop_id=p.end.id,
        to_name=p.end.name,
        to_lat=p.end.lat,
        to_lon=p.end.lon,
        start_s=start_s,
        end_s=start_s + p.duration_s,
        distance_m=p.distance_m,
        from_kind=p.start.kind,
        to_kind=p.end.kind,
        rental=p.rental,
        geometry=p.geometry,
    )


def _street_journey(
    q: _Query, pieces: list[Piece], when_s: int, arrive_by: bool, label: str
) -> Journey:
    total = sum(p.duration_s for p in pieces)
    t = when_s - total if arrive_by else when_s
    legs = []
    for p in pieces:
        legs.append(_leg_from_piece(p, t))
        t += p.duration_s
    dep = legs[0].start_s if legs else when_s
    arr = legs[-1].end_s if legs else when_s
    return Journey(tuple(legs), dep, arr, q.tt.date, q.tt.timezone, label)


def _trip_lookup(tt: CompiledTimetable) -> dict[str, int]:
    cached: dict[str, int] | None = tt.__dict__.get("_trip_lookup")
    if cached is None:
        cached = {str(k): i for i, k in enumerate(tt.trip_keys)}
        object.__setattr__(tt, "_trip_lookup", cached)
    return cached


def _enrich_transit(q: _Query, tt: CompiledTimetable, leg: Leg) -> Leg:
    trip = _trip_lookup(tt).get(str(leg.trip_key))
    if trip is None:
        return leg
    stops, arr, dep = tt.trip_stop_times(trip)
    a = tt.stop_index(leg.from_stop_id)
    b = tt.stop_index(leg.to_stop_id)
    i0 = next((i for i in range(len(stops)) if stops[i] == a and dep[i] == leg.start_s), 0)
    i1 = next(
        (i for i in range(i0 + 1, len(stops)) if stops[i] == b and arr[i] == leg.end_s),
        len(stops) - 1,
    )
    calls = tuple(
        StopCall(
            str(tt.stop_ids[s]),
            str(tt.stop_names[s]),
            float(tt.stop_lat[s]),
            float(tt.stop_lon[s]),
            int(arr[i]),
            int(dep[i]),
        )
        for i, s in enumerate(stops.tolist())
        if i0 < i < i1
    )
    path = stops[i0 : i1 + 1]
    geometry = _shape_geometry(q.cn, trip, tt, int(stops[i0]), int(stops[i1]))
    if geometry is None:
        geometry = tuple((float(tt.stop_lon[s]), float(tt.stop_lat[s])) for s in path.tolist())
    line = np.asarray(geometry, dtype=np.float64)
    metres = (
        float(haversine_m(line[:-1, 1], line[:-1, 0], line[1:, 1], line[1:, 0]).sum())
        if len(line) > 1
        else 0.0
    )
    route = tt.route_ids.tolist().index(leg.route_id) if leg.route_id is not None else -1
    agency = str(q.cn.route_agency_ids[route]) if route >= 0 else None
    return replace(
        leg,
        geometry=geometry,
        intermediate_stops=calls,
        distance_m=round(metres, 1),
        agency_id=agency or None,
    )


def _shape_geometry(
    cn: CompiledNetwork, trip: int, tt: CompiledTimetable, a: int, b: int
) -> tuple[tuple[float, float], ...] | None:
    """The trip's shapes.txt polyline between stops ``a`` and ``b`` (nearest shape points,
    in order), with the stops at both ends; None without a usable shape."""
    if cn.trip_shape is None or cn.shape_ptr is None or tt is not cn.timetable:
        return None
    assert cn.shape_lat is not None and cn.shape_lon is not None
    k = int(cn.trip_shape[trip])
    if k < 0:
        return None
    lo, hi = int(cn.shape_ptr[k]), int(cn.shape_ptr[k + 1])
    lat, lon = cn.shape_lat[lo:hi], cn.shape_lon[lo:hi]
    if len(lat) < 2:
        return None
    da = haversine_m(tt.stop_lat[a], tt.stop_lon[a], lat, lon)
    i0 = int(np.argmin(da))
    db = haversine_m(tt.stop_lat[b], tt.stop_lon[b], lat[i0:], lon[i0:])
    i1 = i0 + int(np.argmin(db))
    if da[i0] > SHAPE_SNAP_M or db[i1 - i0] > SHAPE_SNAP_M:
        return None
    inner = list(zip(lon[i0 : i1 + 1].tolist(), lat[i0 : i1 + 1].tolist(), strict=True))
    start = (float(tt.stop_lon[a]), float(tt.stop_lat[a]))
    end = (float(tt.stop_lon[b]), float(tt.stop_lat[b]))
    return (start, *inner, end)


def _footpath_geometry(leg: Leg) -> Leg:
    return replace(leg, geometry=((leg.from_lon, leg.from_lat), (leg.to_lon, leg.to_lat)))


def _transit(
    q: _Query,
    access: AccessSet,
    egress: AccessSet,
    tt: CompiledTimetable,
    rev: CompiledTimetable,
    when_s: int,
    arrive_by: bool,
    label: str,
    walking: bool = False,
) -> list[Journey]:
    """Transit between the access and egress sets; ``walking`` adds the McRAPTOR
    journeys (Pareto also over walking, the access walk included) of a depart-at query."""
    o, off = access.arrays()
    t, eg = egress.arrays()
    if not len(o) or not len(t):
        return []
    slack = q.net.min_transfer_s if q.opt.min_transfer_s is None else int(q.opt.min_transfer_s)
    found: list[Journey] = []
    if not arrive_by:
        res = point_to_point(
            tt,
            o,
            t,
            when_s,
            origin_offsets=off,
            target_egress=eg,
            max_transfers=q.opt.max_transfers,
            min_transfer_s=slack,
        )
        found = raptor_journeys(tt, res, t, eg)
        if walking:
            mo, moff = _nearest(o, off, MC_MAX_STOPS)
            mt, meg = _nearest(t, eg, MC_MAX_STOPS)
            labels = mc_search(
                tt,
                mo,
                moff,
                mt,
                meg,
                when_s,
                max_rides=q.opt.max_transfers + 1,
                min_transfer_s=slack,
                origin_walk=moff,
                target_walk=meg,
            )
            found += mc_journeys(tt, labels, mt, meg, egress_walk=meg)
    else:
        back = point_to_point(
            rev,
            t,
            o,
            -when_s,
            origin_offsets=eg,
            target_egress=off,
            max_transfers=q.opt.max_transfers,
            min_transfer_s=slack,
        )
        prev = INF
        egress_of = dict(zip(t.tolist(), eg.tolist(), strict=True))
        for k in range(back.last_round + 1):
            value = int(back.dest[k])
            if value >= prev or value >= INF:
                continue
            prev = value
            depart = -value
            res = point_to_point(
                tt,
                o,
                t,
                depart,
                origin_offsets=off,
                target_egress=eg,
                max_transfers=max(k - 1, 0),
                min_transfer_s=slack,
            )
            for j in raptor_journeys(tt, res, t, eg):
                last = tt.stop_index(j.legs[-1].to_stop_id) if j.legs else -1
                if j.legs and j.arrival_s + egress_of.get(last, 0) <= when_s:
                    found.append(j)
    out: list[Journey] = []
    for j in found:
        if not j.legs or j.rides == 0:
            continue
        first = tt.stop_index(j.legs[0].from_stop_id)
        last = tt.stop_index(j.legs[-1].to_stop_id)
        try:
            before = access.build(first)
            after = egress.build(last)
        except _Unusable:
            continue
        legs: list[Leg] = []
        t0 = j.departure_s - sum(p.duration_s for p in before)
        cur = t0
        for p in before:
            legs.append(_leg_from_piece(p, cur))
            cur += p.duration_s
        for leg in j.legs:
            legs.append(leg if leg.is_transit else _footpath_geometry(leg))
        cur = j.arrival_s
        for p in after:
            legs.append(_leg_from_piece(p, cur))
            cur += p.duration_s
        legs = [
            leg
            for leg in legs
            if not (
                leg.mode == "WALK"
                and leg.duration_s == 0
                and leg.from_lat == leg.to_lat
                and leg.from_lon == leg.to_lon
            )
        ]
        out.append(
            Journey(tuple(legs), legs[0].start_s, legs[-1].end_s, tt.date, tt.timezone, label)
        )
    return out


def _nearest(stops: IntArray, secs: IntArray, k: int | None) -> tuple[IntArray, IntArray]:
    """The ``k`` stops of smallest time (all of them when fewer, or ``k`` is None)."""
    if k is None or len(stops) <= k:
        return stops, secs
    pick = np.argsort(secs, kind="stable")[:k]
    return stops[pick], secs[pick]


def _pareto(journeys: list[Journey], arrive_by: bool) -> list[int]:
    def key(j: Journey) -> tuple[int, int, int]:
        return (-j.departure_s if arrive_by else j.arrival_s, j.transfers, j.walk_s)

    points = [key(j) for j in journeys]
    keep: list[int] = []
    seen: set[tuple[int, int, int]] = set()
    for i, p in enumerate(points):
        if p in seen:
            continue
        dominated = any(
            all(a <= b for a, b in zip(other, p, strict=True)) and other != p for other in points
        )
        if not dominated:
            keep.append(i)
            seen.add(p)
    return keep


def _notices(q: _Query, moment: dt.datetime, modes: Sequence[str]) -> list[str]:
    out: list[str] = []
    if q.crow:
        out.append(
            f"no street network: street legs are crow-fly distance x {q.cn.detour_factor:g} "
            "(detour factor), with straight-line geometry"
        )
    if any(m.endswith("_RENTAL") for m in modes):
        for r in q.net.rentals:
            age = (moment - r.last_updated).total_seconds()
            if abs(age) > max(r.snapshot.system.ttl_s, 60) * 2:
                side = "before" if age > 0 else "after"
                out.append(
                    f"GBFS {r.system_id}: the snapshot is of {r.last_updated.isoformat()}, "
                    f"{_span(abs(age))} {side} the planned time; availability is as it was then"
                )
            if not r.has_status:
                extra = "assumed available" if q.opt.assume_available else "not used for rentals"
                out.append(f"GBFS {r.system_id}: stations without live status ({extra})")
    return out


def _span(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"


def plan(
    net: Network,
    origin: tuple[float, float],
    destination: tuple[float, float],
    when: dt.datetime | str,
    *,
    arrive_by: bool = False,
    modes: Iterable[str] | str | None = None,
    choose: Callable[[list[Journey], bool], list[int]] | None = None,
    **options: Any,
) -> Plan:
    """Door-to-door itineraries (see the module docstring).

    Parameters
    ----------
    origin, destination
        (lat, lon) in WGS84 degrees.
    when
        Departure (or, with ``arrive_by``, the latest arrival): a datetime (naive: in
        the network's timezone) or an ISO 8601 string, within the network's service day
        (00:00 to 48:00).
    modes
        Mode names (`MODES`, or ``RENTAL`` for every shared mode), a list or a
        comma-separated string; None: all.
    choose
        ``choose(candidates, arrive_by)`` -> indices of the candidates to return, in
        order, replacing the Pareto choice (money: `maasmix.engine.plan_money`).
    options
        `PlanOptions` fields.

    Raises
    ------
    QueryError
        A coordinate out of range or outside the network, an unknown mode, a time
        outside the service day, a bad option (``parameter`` names it).
    """
    o = _point(origin, "from")
    d = _point(destination, "to")
    chosen = parse_modes(modes)
    try:
        opt = PlanOptions(**options)
    except TypeError as exc:
        raise QueryError(str(exc), parameter="options") from None
    if opt.max_transfers < 0 or opt.num_itineraries < 1:
        raise QueryError("max_transfers must be >= 0 and num_itineraries >= 1", parameter="options")
    when_s, moment = service_seconds(net, when, arrive_by)
    q = _Query(net, o, d, opt)
    q.moment = moment
    candidates: list[Journey] = []
    for mode in ("WALK", "BICYCLE"):
        if mode in chosen:
            for pieces in _direct(q, mode):
                candidates.append(_street_journey(q, pieces, when_s, arrive_by, mode))
    groups = _groups(q, chosen)
    for g in groups:
        pieces_r = _rental_direct(q, g)
        if pieces_r:
            candidates.append(_street_journey(q, pieces_r, when_s, arrive_by, _RENTAL_MODE[g.mode]))
    if "TRANSIT" in chosen:
        cn = q.cn
        walk_in, walk_out = _walk_access(q, False), _walk_access(q, True)
        combos: list[tuple[AccessSet, AccessSet, CompiledTimetable, CompiledTimetable]] = [
            (walk_in, walk_out, cn.timetable, cn.reverse)
        ]
        if "BICYCLE" in chosen:
            park = _bike_access(q, False, opt.max_access_bike_s)
            if park is not None:
                combos.append((park, walk_out, cn.timetable, cn.reverse))
            if cn.bike_timetable is not None and cn.bike_reverse is not None:
                b_in = _bike_access(q, False, opt.max_access_bike_s)
                b_out = _bike_access(q, True, opt.max_access_bike_s)
                if b_in is not None and b_out is not None:
                    combos.append((b_in, b_out, cn.bike_timetable, cn.bike_reverse))
        firsts = [a for g in groups if (a := _rental_access(q, g, False)) is not None]
        lasts = [a for g in groups if (a := _rental_access(q, g, True)) is not None]
        by_label: dict[str, list[AccessSet]] = {}
        for a in firsts:
            by_label.setdefault(a.label, []).append(a)
        for label, sets in by_label.items():
            merged = _merge(sets, label)
            if merged is not None:
                combos.append((merged, walk_out, cn.timetable, cn.reverse))
        by_label_out: dict[str, list[AccessSet]] = {}
        for a in lasts:
            by_label_out.setdefault(a.label, []).append(a)
        for label, sets in by_label_out.items():
            merged = _merge(sets, label)
            if merged is not None:
                combos.append((walk_in, merged, cn.timetable, cn.reverse))
        first_all = _merge(firsts, "RENTAL")
        last_all = _merge(lasts, "RENTAL")
        if first_all is not None and last_all is not None:
            combos.append((first_all, last_all, cn.timetable, cn.reverse))
        for n, (a_set, e_set, tt, rev) in enumerate(combos):
            label = f"{a_set.label}+TRANSIT+{e_set.label}"
            candidates.extend(
                _transit(q, a_set, e_set, tt, rev, when_s, arrive_by, label, walking=n == 0)
            )
    candidates = [
        j
        for j in candidates
        if all(
            (leg.distance_m or 0.0) >= defaults.MIN_RENTAL_RIDE_M for leg in j.legs if leg.is_rental
        )
    ]
    if arrive_by:
        candidates = [j for j in candidates if j.arrival_s <= when_s]
    else:
        candidates = [j for j in candidates if j.departure_s >= when_s]
    keep = _pareto(candidates, arrive_by)
    chosen_idx = list(keep)
    best: dict[str, int] = {}
    for i, j in enumerate(candidates):
        label = _combination(j)
        score = -j.departure_s if arrive_by else j.arrival_s
        if label not in best or score < (
            -candidates[best[label]].departure_s if arrive_by else candidates[best[label]].arrival_s
        ):
            best[label] = i
    for i in sorted(
        best.values(),
        key=lambda i: -candidates[i].departure_s if arrive_by else candidates[i].arrival_s,
    ):
        if i not in chosen_idx:
            chosen_idx.append(i)
    if choose is not None:
        chosen_idx = choose(candidates, arrive_by)
    selected = [candidates[i] for i in chosen_idx[: opt.num_itineraries]]
    selected = [
        replace(
            j,
            combination=_combination(j),
            legs=tuple(
                _enrich_transit(q, q.cn.timetable, leg) if leg.is_transit else leg for leg in j.legs
            ),
        )
        for j in selected
    ]
    selected.sort(key=lambda j: (j.arrival_s, -j.departure_s, j.transfers, j.walk_s))
    return Plan(
        origin=o,
        destination=d,
        when=moment,
        arrive_by=arrive_by,
        modes=chosen,
        itineraries=selected,
        notices=_notices(q, moment, chosen),
        streets="crow-fly" if q.crow else "osm",
    )


def _combination(j: Journey) -> str:
    """The mode combination of a journey from its legs: rentals named by vehicle, transit
    collapsed to TRANSIT, walks between other legs left out."""
    parts: list[str] = []
    for leg in j.legs:
        if leg.is_transit:
            name = "TRANSIT"
        elif leg.rental is not None:
            name = _RENTAL_MODE.get(leg.mode, "RENTAL")
        else:
            name = leg.mode
        if parts and parts[-1] == name:
            continue
        parts.append(name)
    if len(parts) > 1:
        core = [p for p in parts if p != "WALK"]
        if parts[0] == "WALK" and "TRANSIT" in parts and parts[1] == "TRANSIT":
            core.insert(0, "WALK")
        if parts[-1] == "WALK" and "TRANSIT" in parts and parts[-2] == "TRANSIT":
            core.append("WALK")
        parts = [p for i, p in enumerate(core) if i == 0 or core[i - 1] != p] or ["WALK"]
    return "+".join(parts)
