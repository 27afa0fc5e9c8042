"""Journeys and legs: the domain types of transit results, shaped like OpenTripPlanner's.

A `Journey` is a list of `Leg`s: transit legs (one trip, boarded at one stop, left at a
later one) and walking legs (one footpath). Times are int32 seconds after the service
day's midnight (``start_s``, ``end_s``); `Journey.start_time` / `end_time` give the
timezone-aware instants. Their JSON shape is the API's business (`maasmix.api.schemas`);
how they are rebuilt from a search is `maasmix.engine.paths`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from maasmix.servicetime import service_datetime

if TYPE_CHECKING:
    from maasmix.engine.realtime import LegRealtime

__all__ = ["STREET_MODES", "Journey", "Leg", "Rental", "StopCall", "transit_mode"]

#: Leg modes that move on the streets (everything else rides a transit trip).
STREET_MODES = frozenset({"WALK", "BICYCLE", "SCOOTER", "MOPED", "CAR"})

_BASIC_MODES = {
    0: "TRAM",
    1: "SUBWAY",
    2: "RAIL",
    3: "BUS",
    4: "FERRY",
    5: "CABLE_CAR",
    6: "GONDOLA",
    7: "FUNICULAR",
    11: "TROLLEYBUS",
    12: "MONORAIL",
}
_EXTENDED_MODES = [
    (100, 199, "RAIL"),
    (200, 299, "COACH"),
    (400, 499, "SUBWAY"),
    (700, 899, "BUS"),
    (900, 999, "TRAM"),
    (1000, 1299, "FERRY"),
    (1300, 1399, "GONDOLA"),
    (1400, 1499, "FUNICULAR"),
]


def transit_mode(route_type: int) -> str:
    """OTP mode name of a GTFS (basic or extended) route_type; "TRANSIT" when unknown."""
    if route_type in _BASIC_MODES:
        return _BASIC_MODES[route_type]
    for lo, hi, name in _EXTENDED_MODES:
        if lo <= route_type <= hi:
            return name
    return "TRANSIT"


@dataclass(frozen=True)
class Rental:
    """What a rented-vehicle leg rides: the GBFS system, the vehicle and its plan.

    ``vehicle_id`` is set for a free-floating vehicle, ``from_station_id`` /
    ``to_station_id`` for docked rentals (pick-up and return stations); ``pricing_plan_id``
    is the vehicle's plan, else its type's default (None when the feed publishes none).
    """

    system_id: str
    system_name: str
    vehicle_type_id: str | None
    form_factor: str
    propulsion_type: str
    pricing_plan_id: str | None = None
    vehicle_id: str | None = None
    from_station_id: str | None = None
    to_station_id: str | None = None

    @property
    def docked(self) -> bool:
        """Whether the vehicle is taken from (and returned to) a station."""
        return self.from_station_id is not None


@dataclass(frozen=True)
class StopCall:
    """A stop a transit leg passes without the rider getting on or off."""

    stop_id: str
    name: str
    lat: float
    lon: float
    arrival_s: int
    departure_s: int


@dataclass(frozen=True)
class Leg:
    """One leg: ``mode`` WALK, BICYCLE, SCOOTER, MOPED or a transit mode (BUS, TRAM, ...).

    Transit legs have ``route_*``, ``trip_id``, ``trip_key``, ``headsign``, ``stops``
    (number of stops ridden past, including the one got off at) and
    ``intermediate_stops``; street legs have ``distance_m`` (street metres, crow-fly for
    footpaths between stops) and None in the transit fields. A rented vehicle's leg has
    ``rental``. ``from_kind`` / ``to_kind`` say what ``from_stop_id`` / ``to_stop_id``
    name, as OpenTripPlanner's vertex types: ``TRANSIT`` (a GTFS stop), ``BIKESHARE`` (a
    GBFS station), ``VEHICLERENTAL`` (a free-floating vehicle's id) or ``NORMAL`` (a
    street point, the id empty). ``geometry`` is the leg's path as (lon, lat) pairs;
    ``draw``, when set, draws it on demand (a planner's candidate legs are drawn only
    once chosen; `drawn` gives the leg with its geometry). ``realtime``: what is live
    about a transit leg planned while GTFS-Realtime is applied (`engine.realtime.LegRealtime`:
    scheduled times, delays, state, alerts, vehicle), None otherwise.

    Money (fares, rental prices) is attached per leg by the pricing layer; a leg
    carries what that needs (route, agency, stops and zones for transit; system, plan,
    duration and distance for rentals).
    """

    mode: str
    from_stop_id: str
    from_name: str
    from_lat: float
    from_lon: float
    to_stop_id: str
    to_name: str
    to_lat: float
    to_lon: float
    start_s: int
    end_s: int
    route_id: str | None = None
    route_short_name: str | None = None
    route_long_name: str | None = None
    route_type: int | None = None
    trip_id: str | None = None
    trip_key: str | None = None
    headsign: str | None = None
    stops: int | None = None
    distance_m: float | None = None
    agency_id: str | None = None
    from_kind: str = "TRANSIT"
    to_kind: str = "TRANSIT"
    rental: Rental | None = None
    geometry: tuple[tuple[float, float], ...] = ()
    intermediate_stops: tuple[StopCall, ...] = ()
    draw: Callable[[], tuple[tuple[float, float], ...]] | None = field(
        default=None, compare=False, repr=False
    )
    realtime: LegRealtime | None = field(default=None, compare=False)

    def drawn(self) -> Leg:
        """This leg with its geometry drawn (itself when there is nothing to draw)."""
        if self.draw is None:
            return self
        return dataclasses.replace(self, geometry=self.draw(), draw=None)

    @property
    def duration_s(self) -> int:
        """Seconds from start to end."""
        return self.end_s - self.start_s

    @property
    def is_transit(self) -> bool:
        """Whether the leg rides a transit trip (a rented or own vehicle does not)."""
        return self.mode not in STREET_MODES

    @property
    def is_rental(self) -> bool:
        """Whether the leg rides a rented vehicle."""
        return self.rental is not None


@dataclass(frozen=True)
class Journey:
    """A journey from an origin stop to a destination stop.

    ``departure_s``/``arrival_s``: start of the first leg and end of the last one (the
    query time for a journey without legs); ``transfers``: transit rides minus one (0
    for a journey without transit; a rented or own vehicle is no transfer); ``walk_s``:
    seconds of walking; ``combination``: the mode combination a door-to-door plan
    found it for (e.g. ``"WALK+TRANSIT+WALK"``), empty for stop-to-stop journeys.
    """

    legs: tuple[Leg, ...]
    departure_s: int
    arrival_s: int
    date: dt.date
    timezone: str
    combination: str = ""

    @property
    def rides(self) -> int:
        """Number of transit legs."""
        return sum(1 for leg in self.legs if leg.is_transit)

    @property
    def transfers(self) -> int:
        """Rides minus one, never negative."""
        return max(self.rides - 1, 0)

    @property
    def walk_s(self) -> int:
        """Total walking time, seconds."""
        return sum(leg.duration_s for leg in self.legs if leg.mode == "WALK")

    @property
    def duration_s(self) -> int:
        """Arrival minus departure, seconds."""
        return self.arrival_s - self.departure_s

    @property
    def waiting_s(self) -> int:
        """Time neither riding nor walking between departure and arrival, seconds."""
        return self.duration_s - sum(leg.duration_s for leg in self.legs)

    @property
    def start_time(self) -> dt.datetime:
        """Departure as a timezone-aware datetime in the feed's timezone."""
        return service_datetime(self.date, self.timezone, self.departure_s)

    @property
    def end_time(self) -> dt.datetime:
        """Arrival as a timezone-aware datetime in the feed's timezone."""
        return service_datetime(self.date, self.timezone, self.arrival_s)
