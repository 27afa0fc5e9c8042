"""The query of a door-to-door plan: options, validation, the two points snapped to the
streets and the street fields searched from them (built on demand, once per query).

Types shared by the planning steps live here too: `Place` (a point a street leg starts or
ends at), `Piece` (a street leg before it is placed in time) and `AccessSet` (stops
reachable before or after transit, with their times and how to rebuild the legs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from maasmix import defaults
from maasmix.engine.access import Field, crow_field, graph_field
from maasmix.engine.itinerary import Rental
from maasmix.errors import QueryError
from maasmix.geodesy import haversine_m
from maasmix.servicetime import MAX_QUERY_TIME_S, service_datetime, timezone_of

if TYPE_CHECKING:
    from maasmix.engine.network import CompiledNetwork, Network
    from maasmix.engine.rentals import RentalSystem

__all__ = [
    "MODES",
    "AccessSet",
    "Piece",
    "Place",
    "PlanOptions",
    "Query",
    "check_point",
    "parse_modes",
    "service_seconds",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]

MODES = ("WALK", "BICYCLE", "TRANSIT", "BICYCLE_RENTAL", "SCOOTER_RENTAL", "MOPED_RENTAL")
"""Mode names a plan accepts."""

RENTAL_MODE = {"BICYCLE": "BICYCLE_RENTAL", "SCOOTER": "SCOOTER_RENTAL", "MOPED": "MOPED_RENTAL"}
"""The plan mode of a rented vehicle's leg mode."""

#: Street searches that must reach the other end are first bounded by this many times the
#: crow-fly time (plus a minute); a trip not found within it is searched again unbounded.
DIRECT_DETOUR_BOUND = 2.5

#: Crow-fly networks: a point farther than this from every stop and station is outside.
CROW_MAX_SNAP_M = 10.0 * defaults.MAX_SNAP_M


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
    filters: bool = True
    max_link_m: float = defaults.MAX_POINT_LINK_M


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
    geometry: Drawing
    rental: Rental | None = None


@dataclass(frozen=True, eq=False)
class Drawing:
    """A street leg's geometry, drawn when called: ``a`` -> the field's path to (from)
    ``node`` -> ``b`` as (lon, lat) pairs (only chosen itineraries are drawn)."""

    reach: Field
    node: int
    a: Place
    b: Place

    def __call__(self) -> tuple[tuple[float, float], ...]:
        middle = self.reach.path(self.node) if self.reach.graph is not None else []
        return tuple([(self.a.lon, self.a.lat), *middle, (self.b.lon, self.b.lat)])


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


# ---------------------------------------------------------------------- validation


def check_point(value: object, parameter: str) -> tuple[float, float]:
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


class Query:
    """One plan's state: the points, their links, the street fields (built on demand)."""

    def __init__(
        self,
        net: Network,
        origin: tuple[float, float],
        destination: tuple[float, float],
        options: PlanOptions,
        rentals: tuple[RentalSystem, ...] | None = None,
    ) -> None:
        self.net = net
        #: the GBFS systems of this query: one read of ``net.rentals`` (a refresh replaces it)
        self.rentals = tuple(net.rentals) if rentals is None else rentals
        self.live = net.live()  # one realtime view for the whole query
        self.cn: CompiledNetwork = self.live.compiled
        self.opt = options
        self.ws = float(options.walk_speed or self.cn.walk_speed)
        self.bs = float(options.bike_speed or self.cn.bike_speed)
        self.o = Place("Origin", origin[0], origin[1])
        self.d = Place("Destination", destination[0], destination[1])
        self.crow = self.cn.crow_fly
        self._fields: dict[str, Field] = {}
        self.chains: dict[tuple[int, bool], Any] = {}  # `plan_rentals.chain_of`
        self.moment: dt.datetime | None = None  # the planned time (geofencing windows)
        self.tt = self.cn.timetable
        self.links: list[str] = []  # notices: points joined to the streets crow-fly
        if self.crow:
            for p, name in ((self.o, "from"), (self.d, "to")):
                self._check_crow(p, name)
            self.o_walk = self.o_bike = self.d_walk = self.d_bike = (-1, 0.0)
        else:
            self.o_walk, self.d_walk = self._snap("walk", ("from", "to"))
            self.o_bike, self.d_bike = self._snap("bike", (None, None))

    def _snap(
        self, mode: str, parameters: tuple[str | None, str | None]
    ) -> tuple[tuple[int, float], tuple[int, float]]:
        """Both points' nearest node on the ``mode`` graph and the metres to it (one
        lookup), checked against ``max_link_m`` when ``parameters`` name them."""
        graph = self.cn.walk if mode == "walk" else self.cn.bike
        if graph is None or graph.n_nodes == 0:
            return (-1, 0.0), (-1, 0.0)
        nodes, dist = graph.nearest([self.o.lat, self.d.lat], [self.o.lon, self.d.lon])
        o = self._link(self.o, int(nodes[0]), float(dist[0]), parameters[0])
        d = self._link(self.d, int(nodes[1]), float(dist[1]), parameters[1])
        return o, d

    def _link(self, p: Place, node: int, metres: float, parameter: str | None) -> tuple[int, float]:
        if parameter is None:
            return node, metres
        limit = float(self.opt.max_link_m)
        if metres > limit:
            raise QueryError(
                f"({p.lat:.6f}, {p.lon:.6f}) is {metres / 1000:.2f} km from the nearest street "
                f"of the network (at most {limit / 1000:g} km: max_link_m)",
                parameter=parameter,
            )
        if metres > defaults.LINK_NOTICE_M:
            self.links.append(
                f"{p.name.lower()} ({p.lat:.6f}, {p.lon:.6f}) is {metres:.0f} m from the nearest "
                f"street of the network: joined to it by a straight line, walked at "
                f"{self.ws:g} m/s"
            )
        return node, metres

    def _check_crow(self, p: Place, parameter: str) -> None:
        best = np.inf
        if self.cn.served.any():
            _, dist = self.cn.stop_index.nearest([p.lat], [p.lon])
            best = float(dist[0])
        for r in self.rentals:
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
        by `street_direct`'s second, unbounded search)."""
        crow = float(haversine_m(self.o.lat, self.o.lon, self.d.lat, self.d.lon))
        return float(min(cap, DIRECT_DETOUR_BOUND * crow / speed + 60.0))

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
                    self.cn.walk,
                    [node],
                    [snap / self.ws],
                    limit,
                    self.ws,
                    reverse=reverse,
                    source_m=[snap],
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
                    self.cn.bike,
                    [node],
                    [snap / self.bs],
                    limit,
                    self.bs,
                    reverse=reverse,
                    source_m=[snap],
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

    def geometry(self, f: Field, node: int, a: Place, b: Place) -> Drawing:
        """``a`` -> the field's path -> ``b``, drawn when needed (`Drawing`)."""
        return Drawing(f, int(node), a, b)


class Unusable(Exception):
    """An access option fails a check made when it is rebuilt (a vehicle's range)."""
